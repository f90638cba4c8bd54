"""Reads kept for one transaction (app/db/memo.py): the policy and adjustments a save reads three
times are queried once, and never served after the session wrote them or the transaction ended."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import delete, event

from app.db.models import TargetAdjustment
from app.scoring.policies import policy_for_year
from app.scoring.service import target_adjustments_for
from tests.entry_support import make_entry_world


@contextmanager
def statements(db):
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _adjust(project, indicator) -> TargetAdjustment:
    return TargetAdjustment(
        indicator_id=indicator.id, project_id=project.id, raw="≥90%", kind="numeric", operator="≥",
        reason="年中调整", actor_name="test",
    )  # fmt: skip


def test_read_once_then_forgotten_after_a_write_of_its_table(db):
    project = make_entry_world(db).project()
    first, second = sorted(project.indicators, key=lambda i: i.position)[:2]
    db.add(_adjust(project, first))
    db.flush()

    with statements(db) as seen:
        assert list(target_adjustments_for(session=db, project_id=project.id)) == [first.id]
        assert list(target_adjustments_for(session=db, project_id=project.id)) == [first.id]
    assert len(seen) == 1  # the second answer came from the memo

    db.add(_adjust(project, second))  # pending: a query would have flushed it first
    assert sorted(target_adjustments_for(session=db, project_id=project.id)) == sorted([first.id, second.id])

    db.execute(delete(TargetAdjustment).where(TargetAdjustment.indicator_id == first.id))  # bulk
    assert list(target_adjustments_for(session=db, project_id=project.id)) == [second.id]


def test_a_new_transaction_reads_again(db):
    make_entry_world(db)  # (its import reads 2023's policy)
    with statements(db) as seen:
        policy = policy_for_year(session=db, year=2030)
        assert policy_for_year(session=db, year=2030) is policy
        reads = len(seen)
        db.rollback()  # (the test's savepoint) — what is kept dies with the transaction
        policy_for_year(session=db, year=2030)
    assert reads >= 1 and len(seen) > reads
