"""A minimal HTTP/1.1 keep-alive client over asyncio streams, for the load generator only.

The load runs on the same two cores as the server, so the client must cost little: httpx spends
≈1–2 ms of CPU per request in Python, which at hundreds of requests/s takes most of a core from
the server being measured. This client writes the request line and headers itself and reads
``Content-Length`` or chunked bodies — enough for our own server on loopback, nothing more
(no TLS, no redirects, no proxies).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit


class HTTPError(Exception):
    """The connection failed or the answer could not be read."""


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class Client:
    """One connection, kept alive; reopened when the server closed it."""

    def __init__(self, base: str, timeout: float = 30) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._reader = self._writer = None

    async def get(self, path: str, *, params: dict | None = None, headers: dict | None = None) -> Answer:
        if params:
            path = f"{path}?{urlencode(params)}"
        return await self.request("GET", path, headers=headers)

    async def put(self, path: str, *, json_body: Any, headers: dict | None = None) -> Answer:
        body = json.dumps(json_body, ensure_ascii=False).encode()
        return await self.request(
            "PUT", path, headers={**(headers or {}), "Content-Type": "application/json"}, body=body
        )

    async def request(
        self, method: str, path: str, *, headers: dict | None = None, body: bytes = b""
    ) -> Answer:
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n"
        if body or method in ("POST", "PUT", "PATCH"):
            head += f"Content-Length: {len(body)}\r\n"
        data = head.encode("latin-1") + b"\r\n" + body
        for attempt in (1, 2):  # once more on a connection the server closed while idle
            fresh = self._writer is None
            try:
                return await asyncio.wait_for(self._exchange(data), self.timeout)
            except (OSError, asyncio.IncompleteReadError, HTTPError, TimeoutError) as exc:
                await self.close()
                if fresh or attempt == 2 or isinstance(exc, TimeoutError):
                    raise HTTPError(f"{type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")

    async def _exchange(self, data: bytes) -> Answer:
        await self.connect()
        assert self._reader is not None and self._writer is not None
        self._writer.write(data)
        reader = self._reader
        status_line = await reader.readline()
        if not status_line:
            raise HTTPError("connection closed")
        status = int(status_line.split(b" ", 2)[1])
        headers: dict[str, str] = {}
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            content = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readline()).split(b";")[0], 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            content = b"".join(chunks)
        elif status in (204, 304):
            content = b""
        else:
            raise HTTPError("no Content-Length")
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Answer(status, headers, content)
