"""FastAPI dependencies for the database: one session per request, finished once at the boundary.

The rule: **an error response never commits.** The request's session is committed when the
response starts with a status below 400 and rolled back otherwise — whether the error was raised
(any exception rolls back at once) or a view rendered it (a form shown again with its errors, a
409 page). A view whose error answer must keep what it wrote (the entry form saves its valid
fields and answers 422 for the others) says so with :func:`commit_despite_error`; nothing else
does.

``TransactionBoundary`` (ASGI middleware, innermost: inside the request slots and the SQLite
write queue) holds the sessions of the request and finishes them when the response starts —
before the status line leaves the process, so a browser following a redirect never reads before
the commit landed, and a commit that fails becomes a 500, never a "saved" page. Without the
middleware (an app built by hand) the session is committed when the endpoint returns, as the
dependency has always done.

The session is opened in the event loop (creating one does no I/O: the connection is taken at its
first query, in whichever thread runs it) and finished in one thread-pool call: commit or roll
back, then close. A request that did not touch the database makes no trip here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db.session import get_sessionmaker

PENDING_KEY = "jixiao.pending_sessions"
COMMIT_ON_ERROR_KEY = "jixiao.commit_on_error"


def _finish(session: Session, ok: bool) -> None:
    try:
        if ok:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _touched(session: Session) -> bool:
    return bool(session.in_transaction() or session.new or session.dirty or session.deleted)


def commit_despite_error(request: Request) -> None:
    """This request's error response keeps its writes (a partial save shown with its errors)."""
    request.scope[COMMIT_ON_ERROR_KEY] = True


def finish_with_response(request: Request, finish: Callable[[bool], None]) -> bool:
    """Hand ``finish(ok)`` to :class:`TransactionBoundary`, which calls it (in the thread pool) as
    the response starts; ``False`` when no boundary wraps the request (the caller finishes)."""
    pending = request.scope.get(PENDING_KEY)
    if pending is None:
        return False
    pending.append(finish)
    return True


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work: committed with a success response, rolled back otherwise."""
    session = get_sessionmaker()()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(_finish, session, False)
        raise
    if not _touched(session):
        session.close()  # never connected: nothing to commit, no I/O
        return
    if not finish_with_response(request, partial(_finish, session)):
        await run_in_threadpool(_finish, session, True)


class TransactionBoundary:
    """Commit the request's session when its response starts below 400; roll back otherwise."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pending: list[Callable[[bool], None]] = []
        scope[PENDING_KEY] = pending

        async def finish(ok: bool) -> None:
            while pending:
                await run_in_threadpool(pending.pop(), ok)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start" and pending:
                ok = message["status"] < 400 or bool(scope.get(COMMIT_ON_ERROR_KEY))
                await finish(ok)  # a failing commit raises here: the client gets a 500
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            await finish(False)  # no response started (an error on the way): nothing commits


# scope="function": the dependency's own part ends when the endpoint returns (the middleware
# above then holds the session until the response starts). With the default ("request") FastAPI
# would send the response first and commit afterwards.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
