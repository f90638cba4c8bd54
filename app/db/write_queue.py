"""One writing request at a time per process on SQLite (issue 8: no errors under load).

SQLite lets one transaction write at a time; the others poll for the lock (busy timeout). When
dozens of requests of one server write at once, the lock holder shares the interpreter with all
of them, holds the lock far longer than its work takes, and the pollers that keep missing it run
past the timeout: "database is locked" (a 500). Queueing the writing requests here instead — in
the event loop, first come first served, no thread held while waiting — keeps the lock
uncontended inside the process; reads are not queued. Other processes (a second worker, a
``jixiao`` command) still meet SQLite's own lock and its busy timeout. PostgreSQL needs none of
this: rows are locked, not the database.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SQLiteWriteQueue:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._turn = asyncio.Semaphore(1)
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITING_METHODS:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # one queue per event loop (tests start several)
            self._turn, self._loop = asyncio.Semaphore(1), loop
        async with self._turn:
            await self.app(scope, receive, send)
