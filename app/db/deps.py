"""FastAPI dependencies for the database: one session per request, committed once at the boundary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from app.db.session import session_scope


def get_session() -> Iterator[Session]:
    """The request's unit of work: committed on success, rolled back on any error."""
    with session_scope() as session:
        yield session


# scope="function": commit (or roll back) BEFORE the response is sent. With the default
# ("request") FastAPI sends the response first and commits afterwards, so a browser following a
# redirect could read before the commit landed — or be told "saved" for a commit that then failed.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
