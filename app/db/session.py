"""Engine and session factory. One session per request/command; commit once at the boundary."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import get_settings


def ensure_sqlite_directory(url: str) -> None:
    """A SQLite file's folder must exist before the first connection (``var/`` on a fresh clone)."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def _json(value) -> str:
    """JSON columns as UTF-8 text: Chinese stays readable and takes 3 bytes a character instead of
    6 (``\\u4e2d``); snapshots, audit rows and policies are mostly Chinese text."""
    return json.dumps(value, ensure_ascii=False)


def make_engine(url: str) -> Engine:
    import app.db.memo  # noqa: F401 - session listeners: per-transaction memo of repeated reads
    import app.db.stamps  # noqa: F401 - every session that changes projects raises their stamp

    if url.startswith("sqlite"):
        ensure_sqlite_directory(url)
        # Generous: SQLite connections are cheap, and a request waiting for a connection while
        # another holds the write lock and waits for one too would end in "QueuePool limit reached"
        # instead of a queue (requests at once: app/core/admission.py).
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=_json,
            pool_size=20,
            max_overflow=30,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    # A request holds at most one connection at a time, and at most ``request_slots`` requests run
    # at once (app/core/admission.py): the pool keeps that many open, with room for commands and
    # the odd second connection.
    slots = get_settings().request_slots
    return create_engine(
        url, pool_pre_ping=True, pool_size=max(slots, 5), max_overflow=slots + 10, json_serializer=_json
    )


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work (a request, a CLI command): commit on success, roll back on any error."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
