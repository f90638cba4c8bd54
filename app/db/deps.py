"""FastAPI dependencies for the database: one session per request, committed once at the boundary.

The session is opened in the event loop (creating one does no I/O: the connection is taken at its
first query, in whichever thread runs it) and finished in one thread-pool call: commit or roll
back, then close. Each trip to the thread pool costs a thread switch and a turn at the
interpreter lock; a request that did not touch the database makes none here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.db.session import get_sessionmaker


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


async def get_session() -> AsyncIterator[Session]:
    """The request's unit of work: committed on success, rolled back on any error."""
    session = get_sessionmaker()()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(_finish, session, False)
        raise
    if session.in_transaction() or session.new or session.dirty or session.deleted:
        await run_in_threadpool(_finish, session, True)
    else:
        session.close()  # never connected: nothing to commit, no I/O


# scope="function": commit (or roll back) BEFORE the response is sent. With the default
# ("request") FastAPI sends the response first and commits afterwards, so a browser following a
# redirect could read before the commit landed — or be told "saved" for a commit that then failed.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
