"""Values read once per unit of work: ``memo(session, key, tables, read)``.

A save reads the year's scoring policy and the project's target and score adjustments three
times (to validate, to store the snapshot, to answer with the new score): the same rows, within
one transaction. ``memo`` keeps what ``read`` returned in the session, and forgets it as soon as
the session writes one of ``tables`` (a flush of such an object, or a bulk statement on the
table) and at the end of the transaction. Before answering from memory it flushes pending
objects of those tables, as the query would have (autoflush).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

T = TypeVar("T")
_STORE = "jixiao_memo"


def memo(session: Session, key: Hashable, tables: frozenset[str], read: Callable[[], T]) -> T:
    store: dict = session.info.setdefault(_STORE, {})
    if key in store and _pending_tables(session) & tables:
        session.flush()  # the listener below forgets what the flush writes
    if key in store:
        return store[key][1]
    value = read()
    store[key] = (tables, value)
    return value


def _pending_tables(session: Session) -> set[str]:
    return _tables_of(obj for objs in (session.new, session.dirty, session.deleted) for obj in objs)


def _tables_of(objects: Iterable[object]) -> set[str]:
    return {table.name for obj in objects if (table := getattr(obj, "__table__", None)) is not None}


def _forget(session: Session, tables: set[str]) -> None:
    store = session.info.get(_STORE)
    if store:
        for key in [k for k, (deps, _) in store.items() if deps & tables]:
            del store[key]


@event.listens_for(Session, "before_flush")
def _forget_flushed(session: Session, _context, _instances) -> None:
    if session.info.get(_STORE):
        _forget(session, _pending_tables(session))


@event.listens_for(Session, "do_orm_execute")
def _forget_written(state: ORMExecuteState) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and state.session.info.get(_STORE):
        table = getattr(state.statement, "table", None)
        if table is not None:
            _forget(state.session, {table.name})


@event.listens_for(Session, "after_transaction_end")
def _forget_all(session: Session, transaction: SessionTransaction) -> None:
    # The transaction, or a savepoint (a rolled-back savepoint takes its rows with it; a new
    # transaction may see other sessions' commits) — not the inner ones every flush opens.
    if transaction.parent is None or transaction.nested:
        session.info.pop(_STORE, None)
