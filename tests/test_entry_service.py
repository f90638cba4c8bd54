"""The entry service at the real request/transaction boundary: an interrupted bulk save leaves
nothing behind, a concurrent save is refused rather than lost, and how typed inputs are read."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts import service as accounts
from app.core.errors import Conflict
from app.db.models import AuditLog, Indicator, IndicatorActual, Project, User
from app.submissions import entries as E
from app.submissions import service
from tests.entry_support import FLOOD, RETIREES, complete_body, import_seed, indicators


@pytest.fixture
def committed(fresh_database_url):
    """A fresh migrated database holding the seed and a department user (committed)."""
    from app.db.migrate import upgrade_to_head
    from app.db.session import session_scope

    upgrade_to_head(fresh_database_url)
    with session_scope() as s:
        import_seed(s)
        user = accounts.create_user(
            session=s,
            actor="test",
            username="clerk",
            password="correct-horse-9",
            role="department",
            unit_codes=("309001",),
        )
        token = accounts.create_token(session=s, actor="test", user=user, scope="write").plaintext
    return token


def _load(s, name: str) -> Project:
    return s.scalar(
        select(Project)
        .where(Project.name == name)
        .options(selectinload(Project.indicators).selectinload(Indicator.actual), selectinload(Project.unit))
    )


def test_a_failure_while_writing_the_20th_of_26_actuals_leaves_nothing(committed, monkeypatch):
    """The real boundary (no test session): an exception after 19 actuals were written and
    flushed rolls back all of them, the budget figures and the version bump."""
    from app.db.session import session_scope
    from app.main import create_app

    with session_scope() as s:
        body = complete_body(_load(s, FLOOD))
    assert len(body["actuals"]) == 26
    written = []
    real = service.record_audit

    def failing_audit(**kw):
        if kw["action"].startswith("actual."):
            written.append(kw["entity_id"])
            if len(written) == 20:
                raise RuntimeError("disk full")
        return real(**kw)

    monkeypatch.setattr(service, "record_audit", failing_audit)
    client = TestClient(create_app(), raise_server_exceptions=False)
    with session_scope() as s:
        project_id = _load(s, FLOOD).id
    r = client.put(
        f"/api/v1/projects/{project_id}/actuals", json=body, headers={"Authorization": f"Bearer {committed}"}
    )
    assert r.status_code == 500
    assert len(written) == 20
    with session_scope() as s:
        project = _load(s, FLOOD)
        assert project.version == 1
        assert project.full_year_budget_wan is None and project.executed_wan is None
        assert s.scalar(select(func.count()).select_from(IndicatorActual)) == 0
        assert (
            s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action.like("actual.%"))) == 0
        )

    monkeypatch.setattr(service, "record_audit", real)
    r = client.put(
        f"/api/v1/projects/{project_id}/actuals", json=body, headers={"Authorization": f"Bearer {committed}"}
    )
    assert r.status_code == 200, r.text
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(IndicatorActual)) == 26
        assert _load(s, FLOOD).version == 2


def test_a_concurrent_save_between_check_and_write_is_refused(committed):
    """Both clients read version 1; the slower one passes the explicit check but the UPDATE …
    WHERE version = 1 matches nothing (version_id_col) → 409, and the first save stands."""
    from app.db.session import get_sessionmaker

    maker = get_sessionmaker()
    slow, fast = maker(), maker()
    try:
        mine = _load(slow, RETIREES)
        theirs = _load(fast, RETIREES)
        first = indicators(theirs)[0]
        user_fast = fast.scalar(select(User).where(User.username == "clerk"))
        entry = E.ProjectEntry(version=1, actuals={first.id: E.ActualEntry(value="3")})
        service.save_entry(session=fast, project=theirs, entry=entry, actor=user_fast, atomic=True)
        fast.commit()

        user_slow = slow.scalar(select(User).where(User.username == "clerk"))
        entry = E.ProjectEntry(version=1, actuals={first.id: E.ActualEntry(value="2")})
        assert mine.version == 1  # still what this client read
        with pytest.raises(Conflict) as exc:
            service.save_entry(session=slow, project=mine, entry=entry, actor=user_slow, atomic=True)
        assert exc.value.code == "stale_version"
        slow.rollback()
    finally:
        slow.close()
        fast.close()
    check = maker()
    try:
        project = _load(check, RETIREES)
        assert project.version == 2
        assert indicators(project)[0].actual.raw == "3"
    finally:
        check.close()


# ------------------------------------------------------------------------------ reading inputs


@pytest.fixture
def retirees(db):
    return import_seed(db)[RETIREES]


def _read(ind, **typed):
    return E.read_value(ind, service.scoring.target_of(ind), E.ActualEntry(**typed), year=2023)


def test_numbers_are_read_in_the_targets_unit(retirees):
    people, share, months, cost, attendance, mechanism, satisfaction = indicators(retirees)
    assert _read(people, value="３人")["value"] == 3  # full-width digits, the unit written
    assert _read(share, value="≥100%")["value"] == 100  # the operator copied in front
    assert _read(months, value="1年")["value"] == 12  # converted to 个月
    cols = _read(cost, value="１,２００")
    assert cols["value"] == 1200 and cols["raw"] == "１,２００"  # kept as typed
    with pytest.raises(E.EntryError) as exc:
        _read(people, value="完成")
    assert exc.value.field == f"a-{people.id}" and "人" in exc.value.message
    with pytest.raises(E.EntryError) as exc:
        _read(share, value="3人")
    assert "人" in exc.value.message and "%" in exc.value.message
    with pytest.raises(E.EntryError) as exc:
        _read(people, value="1.1234567")
    assert "小数" in exc.value.message
    assert _read(people, value="")["value"] is None  # empty clears (a draft may be partial)
    assert _read(people, value="不适用") == {"not_applicable": True}
    assert _read(attendance, value="98", not_applicable=True) == {"not_applicable": True}


def test_grades_scores_dates_and_amounts(retirees):
    mechanism = next(i for i in indicators(retirees) if i.direction == "qualitative")
    cols = _read(mechanism, grade="partial", score="9.5")
    assert cols["grade"] == "partial" and cols["manual_score"] == Decimal("9.5")
    assert cols["raw"] == "部分达成年度指标并具有一定效果"
    assert _read(mechanism, grade="健全")["grade"] == "achieved"
    with pytest.raises(E.EntryError) as exc:
        _read(mechanism, score="9")
    assert exc.value.field == f"g-{mechanism.id}"
    with pytest.raises(E.EntryError) as exc:
        _read(mechanism, grade="achieved", score="很好")
    assert exc.value.field == f"s-{mechanism.id}"
    assert E.read_amount("executed_wan", "85000元") == Decimal("8.5")
    assert E.read_amount("executed_wan", " ") is None
    for bad in ("-1", "0.00001", "三万"):
        with pytest.raises(E.EntryError):
            E.read_amount("executed_wan", bad)
    with pytest.raises(E.EntryError) as exc:
        E.read_text("r-1", "很" * (E.TEXT_MAX + 1))
    assert "过长" in exc.value.message


def test_a_hand_set_score_outside_its_band_is_refused_on_save(db, retirees):
    mechanism = next(i for i in indicators(retirees) if i.direction == "qualitative")
    people = indicators(retirees)[0]
    entry = E.ProjectEntry(
        version=1,
        actuals={
            mechanism.id: E.ActualEntry(grade="achieved", score="5"),  # 达成 is 12.00–15.00 of 15
            people.id: E.ActualEntry(value="3"),
        },
    )
    plan = service.save_entry(session=db, project=retirees, entry=entry, actor="test", atomic=False)
    assert [e.field for e in plan.errors] == [f"s-{mechanism.id}"]
    assert "12" in plan.errors[0].message
    assert mechanism.actual is None  # refused …
    assert people.actual.value == 3  # … while the valid field of the same save landed
    assert retirees.version == 2


def test_a_save_that_changes_nothing_keeps_the_version(db, retirees):
    people = indicators(retirees)[0]
    entry = E.ProjectEntry(version=1, actuals={people.id: E.ActualEntry(value="3")})
    service.save_entry(session=db, project=retirees, entry=entry, actor="test", atomic=True)
    assert retirees.version == 2
    entry = E.ProjectEntry(version=2, actuals={people.id: E.ActualEntry(value="3")}, goal_actual="")
    plan = service.save_entry(session=db, project=retirees, entry=entry, actor="test", atomic=True)
    assert not plan.has_changes and retirees.version == 2
