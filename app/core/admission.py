"""Gates in the event loop: requests beyond a number of turns wait there, holding nothing.

``AdmissionLimit``: at most ``JIXIAO_REQUEST_SLOTS`` requests inside the application at once per
worker process. FastAPI runs every synchronous dependency and endpoint in a thread pool (40
threads by default). Under load that means dozens of threads taking turns at one interpreter
lock — a third of the CPU went to switching between them — and each request holding its
database connection while it waits for a thread for its next step, until the connection pool
runs dry. Here the requests beyond the slots wait in the event loop instead (first come, first
served); the thread pool gets as many threads as there are slots and the connection pool covers
them (``app/db/session.py``). More throughput comes from more worker processes, not more threads.

``app/db/write_queue.py`` is the same gate with one turn, for SQLite's writing requests.
"""

from __future__ import annotations

import asyncio

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send


class Gate:
    """``turns`` HTTP requests at a time through to ``app`` (those ``admits`` says so; the others
    pass freely). One semaphore per event loop: tests start several."""

    def __init__(self, app: ASGIApp, turns: int) -> None:
        self.app = app
        self.turns = turns
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def admits(self, scope: Scope) -> bool:
        return True

    def on_new_loop(self) -> None:
        """Called in each new event loop, before its first request."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.admits(scope):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._semaphore, self._loop = asyncio.Semaphore(self.turns), loop
            self.on_new_loop()
        assert self._semaphore is not None
        async with self._semaphore:
            await self.app(scope, receive, send)


class AdmissionLimit(Gate):
    def __init__(self, app: ASGIApp, slots: int) -> None:
        super().__init__(app, slots)

    def on_new_loop(self) -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = self.turns
