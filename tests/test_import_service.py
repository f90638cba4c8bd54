"""Import service: stable identity, idempotent re-import, actuals never wiped."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db.models import ImportBatch, Indicator, IndicatorActual, Project, Unit
from app.targets.service import ImportRefused, import_table
from tests.builders import numeric, small_table


def _import(db, table, **kw):
    return import_table(session=db, table=table, source_name="t.txt", sha256="x" * 64, **kw)


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def _indicator(db, name: str) -> Indicator:
    return db.scalar(select(Indicator).where(Indicator.name == name))


def test_first_import_creates_everything(db):
    result = _import(db, small_table())
    assert result.outcome == "created"
    assert _count(db, Unit) == 2 and _count(db, Project) == 2 and _count(db, Indicator) == 5
    child = db.scalar(select(Unit).where(Unit.code == "900001"))
    assert child.parent.code == "900"
    check = _indicator(db, "企业安全检查")
    assert (check.operator, check.value, check.unit, check.direction) == (
        ">=",
        Decimal("20"),
        "次",
        "positive",
    )
    assert _indicator(db, "检查成本").direction == "reverse"
    assert result.batch.counts["indicators"] == 5


def test_reimporting_the_same_table_is_unchanged(db):
    _import(db, small_table())
    ids_before = set(db.scalars(select(Indicator.id)))
    result = _import(db, small_table())
    assert result.outcome == "unchanged"
    assert set(db.scalars(select(Indicator.id))) == ids_before
    assert _count(db, ImportBatch) == 2


def test_changed_target_without_actual_is_updated(db):
    _import(db, small_table())
    result = _import(db, small_table(check_target=numeric("≥25次", ">=", "25", "次")))
    assert result.outcome == "updated"
    assert _indicator(db, "企业安全检查").value == Decimal("25")
    assert result.changes[0]["before"]["raw"] == "≥20次" and result.changes[0]["after"]["raw"] == "≥25次"


def test_changed_target_with_actual_is_refused_then_forced(db):
    _import(db, small_table())
    check = _indicator(db, "企业安全检查")
    db.add(IndicatorActual(indicator_id=check.id, raw="22", value=Decimal("22")))
    db.flush()
    changed = small_table(check_target=numeric("≥25次", ">=", "25", "次"))
    with db.begin_nested(), pytest.raises(ImportRefused) as refused:
        _import(db, changed)
    assert "企业安全检查" in str(refused.value)
    db.expire_all()
    assert _indicator(db, "企业安全检查").value == Decimal("20")

    result = _import(db, changed, force_targets=True)
    db.expire_all()
    check = _indicator(db, "企业安全检查")
    assert check.value == Decimal("25")
    assert check.actual.value == Decimal("22"), "the actual survives a forced target change"
    assert result.changes[0]["actual_kept"] is True


def test_indicator_identity_survives_reordering(db):
    _import(db, small_table())
    before = {i.name: i.id for i in db.scalars(select(Indicator))}
    table = small_table()
    table.projects[0].indicators.reverse()
    _import(db, table)
    after = {i.name: i.id for i in db.scalars(select(Indicator))}
    assert before == after


def test_table_without_year_is_refused(db):
    table = small_table()
    table.year = None
    with pytest.raises(ImportRefused, match="年度"):
        _import(db, table)
