"""At most ``JIXIAO_REQUEST_SLOTS`` requests inside the application at once per worker process.

FastAPI runs every synchronous dependency and endpoint in a thread pool (40 threads by default).
Under load that means dozens of threads taking turns at one interpreter lock — a third of the CPU
went to switching between them — and each request holding its database connection while it
waits for a thread for its next step, until the connection pool runs dry. Here the requests
beyond the slots wait in the event loop instead (first come, first served, holding nothing); the
thread pool gets as many threads as there are slots and the connection pool covers them
(``app/db/session.py``). More throughput comes from more worker processes, not more threads.
"""

from __future__ import annotations

import asyncio

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send


class AdmissionLimit:
    def __init__(self, app: ASGIApp, slots: int) -> None:
        self.app = app
        self.slots = slots
        self._turns: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # one set of slots per event loop (tests start several)
            self._turns, self._loop = asyncio.Semaphore(self.slots), loop
            anyio.to_thread.current_default_thread_limiter().total_tokens = self.slots
        assert self._turns is not None
        async with self._turns:
            await self.app(scope, receive, send)
