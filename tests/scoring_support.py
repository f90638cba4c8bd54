"""Stored projects with actuals for scoring tests: the seed table, filled from a shared score case.

``case02_project(db)`` is seed project 1 (全县安全生产监管专项) with the budget and actuals of
``02_safety_mixed_results`` — its expected total is in ``CASE02_EXPECTED``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Indicator, IndicatorActual, Project
from app.scoring.actuals import (
    DateActual,
    GradeActual,
    NotApplicable,
    NumberActual,
    ReferenceActual,
    read_actual,
)
from app.scoring.service import effective_target, target_adjustments_for
from app.targets.formats import read_table
from app.targets.service import import_table
from tests.conftest import SEED

CASES = Path(__file__).parent / "data" / "scoring-cases"
CASE02 = json.loads((CASES / "02_safety_mixed_results.input.json").read_text(encoding="utf-8"))
CASE02_EXPECTED = json.loads((CASES / "02_safety_mixed_results.expected.json").read_text(encoding="utf-8"))


def seed(db: Session) -> None:
    import_table(session=db, table=read_table(SEED), source_name=SEED.name, sha256="s" * 64)


def project_by_seq(db: Session, seq: int, year: int = 2023) -> Project:
    return db.scalar(select(Project).where(Project.seq == seq, Project.year == year))


def indicator_named(project: Project, name: str) -> Indicator:
    return next(r for r in project.indicators if r.name == name)


def set_actual(db: Session, row: Indicator, raw: Any, year: int = 2023) -> IndicatorActual:
    """Store ``raw`` (as a clerk would type it, or a contract dict) read against the effective target."""
    adj = target_adjustments_for(session=db, project_id=row.project_id).get(row.id)
    target, direction = effective_target(row, adj)
    typed = read_actual(raw, target, direction=direction, year=year)
    actual = row.actual or IndicatorActual(indicator_id=row.id)
    actual.raw = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
    actual.value = actual.grade = actual.manual_score = actual.completed_on = actual.baseline = None
    actual.not_applicable = isinstance(typed, NotApplicable)
    if isinstance(typed, NumberActual):
        actual.value = typed.value
    elif isinstance(typed, GradeActual):
        actual.grade, actual.manual_score = typed.grade, typed.score
    elif isinstance(typed, DateActual):
        actual.completed_on = typed.date
    elif isinstance(typed, ReferenceActual):
        actual.baseline, actual.value = typed.baseline, typed.value
    if row.actual is None:
        db.add(actual)
        row.actual = actual
    db.flush()
    return actual


def clear_actual(db: Session, row: Indicator) -> None:
    if row.actual is not None:
        db.delete(row.actual)
        row.actual = None
        db.flush()


def case02_project(db: Session) -> Project:
    seed(db)
    project = project_by_seq(db, 1)
    project.full_year_budget_wan = Decimal(CASE02["budget"]["full_year_wan"])
    project.executed_wan = Decimal(CASE02["budget"]["executed_wan"])
    actuals = {i["name"]: i["actual"] for i in CASE02["indicators"]}
    for row in project.indicators:
        set_actual(db, row, actuals[row.name])
    db.flush()
    return project
