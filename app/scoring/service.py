"""Scoring a stored project: database rows → the pure engine → ``ProjectScore``.

The engine (``app.scoring.engine``) knows nothing of the database; this module translates the
stored targets, actuals, budget figures and reviewer adjustments into its inputs.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.db.models import Indicator, IndicatorActual, Project
from app.scoring.actuals import Actual, DateActual, GradeActual, NotApplicable, NumberActual, ReferenceActual
from app.scoring.engine import Adjustment, Budget, ProjectScore, score_project
from app.scoring.policy import Policy, get_builtin_policy
from app.targets.types import ParsedIndicator, Target


def target_of(row: Indicator) -> Target:
    return Target(
        raw=row.raw,
        kind=row.kind,  # type: ignore[arg-type]
        operator=row.operator,  # type: ignore[arg-type]
        value=row.value,
        unit=row.unit,
        expected=row.expected,
        deadline=row.deadline,
        reference=row.reference,
    )


def engine_indicator(row: Indicator) -> ParsedIndicator:
    return ParsedIndicator(
        level1=row.level1,
        level2=row.level2,
        name=row.name,
        target=target_of(row),
        points=row.points,
        direction=row.direction,  # type: ignore[arg-type]
    )


def engine_actual(row: Indicator) -> Actual | None:
    """The stored actual as the engine's typed value; None when nothing was entered."""
    a: IndicatorActual | None = row.actual
    if a is None:
        return None
    if a.not_applicable:
        return NotApplicable()
    direction = row.direction
    text = a.raw or ""
    if direction == "qualitative" or (direction == "unparsed" and a.grade):
        return GradeActual(a.grade, a.manual_score, text) if a.grade else None
    if direction == "deadline":
        return DateActual(a.completed_on, text) if a.completed_on else None
    if direction == "reference":
        if a.value is None:
            return None
        if a.baseline is None:
            return {"value": str(a.value)}  # read_actual reports the missing baseline
        return ReferenceActual(a.baseline, a.value)
    return NumberActual(a.value, text) if a.value is not None else None


def engine_budget(project: Project) -> Budget:
    return Budget(full_year_wan=project.full_year_budget_wan, executed_wan=project.executed_wan)


def policy_for_year(*, session: Session, year: int) -> Policy:
    """The policy a budget year is scored with (central_2020 unless configured otherwise)."""
    return get_builtin_policy()


def compute_project_score(
    *,
    session: Session,
    project: Project,
    policy: Policy | None = None,
    adjustments: dict[int, Adjustment] | None = None,
) -> ProjectScore:
    """Score ``project`` from its stored rows. ``adjustments`` maps indicator id → reviewer score."""
    rows = sorted(project.indicators, key=lambda r: r.position)
    by_index = None
    if adjustments:
        by_index = {i: adjustments[r.id] for i, r in enumerate(rows) if r.id in adjustments}
    return score_project(
        [engine_indicator(r) for r in rows],
        [engine_actual(r) for r in rows],
        engine_budget(project),
        policy or policy_for_year(session=session, year=project.year),
        project.year,
        adjustments=by_index,
    )
