"""FastAPI dependencies for the database: one session per request, committed once at the boundary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from app.db.session import get_sessionmaker


def get_session() -> Iterator[Session]:
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit (or roll back) BEFORE the response is sent. With the default
# ("request") FastAPI sends the response first and commits afterwards, so a browser following a
# redirect could read before the commit landed — or be told "saved" for a commit that then failed.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
