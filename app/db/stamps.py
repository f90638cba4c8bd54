"""Data stamps: a value that every transaction changing a kind of data replaces with a new one.

``PROJECT_INDEX`` covers what decides which projects exist and in what order and grouping the
summaries list them: a project's existence, year, unit, number and status, and the unit tree
(codes, parents). Any session that inserts, deletes or changes those — through the ORM unit of
work or a bulk ``insert``/``update``/``delete`` on the tables — gives the stamp a new random
value as the last statement before its commit, in the same transaction: the stamp and the data
land together or not at all, and the stamp row is locked only while the transaction commits (it
waits for no other lock after taking it, so it cannot take part in a deadlock).

Readers: ``read_stamp`` once per request, then use a value cached at that stamp or recompute it
(``app/reports/summaries.py`` keeps the per-unit project counts of a year this way). A reader
that reads the stamp before a concurrent commit and the data after it caches the newer data
under the older stamp, and simply recomputes at the next request.
"""

from __future__ import annotations

import secrets

from sqlalchemy import URL, event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session

from app.db.models import DataStamp, Project, Unit

PROJECT_INDEX = "project_index"

# Mapped class → attributes whose change moves the stamp (any insert or delete moves it).
_TRACKED: dict[type, tuple[str, ...]] = {
    Project: ("year", "unit_id", "seq", "status"),
    Unit: ("code", "parent_id"),
}
_TABLES = frozenset(cls.__table__.name for cls in _TRACKED)
_FLAG = "jixiao_project_index_changed"


def read_stamp(session: Session, name: str = PROJECT_INDEX) -> tuple[URL, int]:
    """The stamp, with the database it belongs to (a process may use several: tests, tools)."""
    value = session.scalar(select(DataStamp.value).where(DataStamp.name == name)) or 0
    return (session.get_bind().engine.url, value)


def changed_here(session: Session) -> bool:
    """This session changed the index and has not committed yet: the stored stamp does not cover
    what it sees (a value cached at that stamp must not be used, nor stored, in this session)."""
    return bool(session.info.get(_FLAG))


def _changes_index(obj: object, *, dirty: bool) -> bool:
    names = _TRACKED.get(type(obj))
    if names is None:
        return False
    if not dirty:
        return True
    attrs = inspect(obj).attrs
    return any(attrs[n].history.has_changes() for n in names)


@event.listens_for(Session, "before_flush")
def _note_flush(session: Session, _context, _instances) -> None:
    if session.info.get(_FLAG):
        return
    if (
        any(_changes_index(o, dirty=False) for o in session.new)
        or any(_changes_index(o, dirty=False) for o in session.deleted)
        or any(_changes_index(o, dirty=True) for o in session.dirty)
    ):
        session.info[_FLAG] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in _TABLES:
            state.session.info[_FLAG] = True


@event.listens_for(Session, "before_commit")
def _raise_stamp(session: Session) -> None:
    session.flush()  # what the commit would flush next may change the index too
    # (a rolled-back change leaves the flag set: the next commit raises the stamp once more —
    # a needless recomputation, never a stale value)
    if not session.info.pop(_FLAG, False):
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as upsert
    else:  # pragma: no cover - the two databases we run on
        raise NotImplementedError(dialect)
    # Random, not a counter: a counter would give the same value again after a rolled-back
    # transaction (or a restored backup, or another database in the same process), and a worker
    # could take a value cached at the other state for current.
    value = secrets.randbits(62)
    stmt = upsert(DataStamp).values(name=PROJECT_INDEX, value=value)
    session.execute(stmt.on_conflict_do_update(index_elements=[DataStamp.name], set_={"value": value}))
