"""A stored project as the pure engine's inputs: rows → ``ParsedIndicator``, actuals, budget, the
year's policy and the reviewer adjustments (``ProjectCase``), and its live score.

``app.scoring.service`` re-exports what other areas use; ``snapshots`` and ``adjustments`` read
from here, so none of them imports the facade.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import Unprocessable
from app.db.memo import memo
from app.db.models import Indicator, IndicatorActual, Project, ScoreAdjustment, TargetAdjustment
from app.scoring.actuals import Actual, DateActual, GradeActual, NotApplicable, NumberActual, ReferenceActual
from app.scoring.engine import Adjustment, Budget, Notice, ProjectScore, ScoringError, score_project
from app.scoring.policies import policy_for_year
from app.scoring.policy import Policy
from app.targets.types import ParsedIndicator, Target, decimal_str, direction_of


class ProjectNotScorable(Unprocessable, ScoringError):
    """The project as a whole cannot be scored (engine ``ScoringError``): 422 with its message."""

    code = "not_scorable"


def target_of(row: Indicator | TargetAdjustment) -> Target:
    """The stored target of an indicator, or the 调整后指标值 of an adjustment (same columns)."""
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


def effective_target(row: Indicator, adjustment: TargetAdjustment | None = None) -> tuple[Target, str]:
    """The target an indicator is scored against and its direction.

    With a 调整后指标值 the direction follows the adjusted target (§3), unless the finance bureau
    had set the indicator's direction by hand (it differs from what the original target implies),
    in which case that choice is kept.
    """
    if adjustment is None:
        return target_of(row), row.direction
    target = target_of(adjustment)
    if row.direction != direction_of(target_of(row), row.level2):
        return target, row.direction
    return target, direction_of(target, row.level2)


def engine_indicator(row: Indicator, adjustment: TargetAdjustment | None = None) -> ParsedIndicator:
    target, direction = effective_target(row, adjustment)
    return ParsedIndicator(
        level1=row.level1,
        level2=row.level2,
        name=row.name,
        target=target,
        points=row.points,
        direction=direction,  # type: ignore[arg-type]
    )


def engine_actual(row: Indicator, direction: str | None = None) -> Actual | None:
    """The stored actual as the engine's typed value; None when nothing was entered."""
    a: IndicatorActual | None = row.actual
    if a is None:
        return None
    if a.not_applicable:
        return NotApplicable()
    direction = direction or row.direction
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
    return Budget(
        full_year_wan=project.full_year_budget_wan,
        executed_wan=project.executed_wan,
        points=project.budget_points,
    )


def target_adjustments_for(*, session: Session, project_id: int) -> dict[int, TargetAdjustment]:
    """Read once per transaction (``app/db/memo.py``): a save needs them three times."""

    def read() -> dict[int, TargetAdjustment]:
        rows = session.scalars(select(TargetAdjustment).where(TargetAdjustment.project_id == project_id))
        return {r.indicator_id: r for r in rows}

    return dict(memo(session, ("target_adjustments", project_id), _TARGET_TABLES, read))


def score_adjustments_for(*, session: Session, project_id: int) -> dict[int, ScoreAdjustment]:
    """Read once per transaction, as ``target_adjustments_for``."""

    def read() -> dict[int, ScoreAdjustment]:
        rows = session.scalars(select(ScoreAdjustment).where(ScoreAdjustment.project_id == project_id))
        return {r.indicator_id: r for r in rows}

    return dict(memo(session, ("score_adjustments", project_id), _SCORE_TABLES, read))


_TARGET_TABLES = frozenset({TargetAdjustment.__tablename__})
_SCORE_TABLES = frozenset({ScoreAdjustment.__tablename__})


@dataclass
class ProjectCase:
    """A stored project as engine inputs (indicators in position order, adjustments by index)."""

    project: Project
    rows: list[Indicator]
    indicators: list[ParsedIndicator]
    actuals: list[Actual | None]
    budget: Budget
    policy: Policy
    adjustments: dict[int, Adjustment]
    ignored: list[Notice] = field(default_factory=list)  # stored adjustments that no longer apply

    def score(self) -> ProjectScore:
        try:
            result = score_project(
                self.indicators,
                self.actuals,
                self.budget,
                self.policy,
                self.project.year,
                adjustments=self.adjustments or None,
            )
        except ScoringError as exc:
            raise ProjectNotScorable(str(exc)) from None
        result.warnings.extend(self.ignored)
        return result


def project_case(
    *,
    session: Session,
    project: Project,
    policy: Policy | None = None,
    adjustments: Mapping[int, Adjustment] | None = None,
) -> ProjectCase:
    """The engine inputs of ``project``: adjusted targets where set, the stored reviewer scores
    (or ``adjustments``, indicator id → ``Adjustment``, instead). A stored adjustment that no
    longer fits (the indicator is unscored now, or its points shrank below it) is left out and
    reported as a warning, so one stale adjustment never blocks the project's score."""
    rows = sorted(project.indicators, key=lambda r: r.position)
    targets = target_adjustments_for(session=session, project_id=project.id)
    indicators, actuals = [], []
    for r in rows:
        ind = engine_indicator(r, targets.get(r.id))
        indicators.append(ind)
        actuals.append(engine_actual(r, ind.direction))
    if adjustments is None:
        stored = score_adjustments_for(session=session, project_id=project.id)
        adjustments = {i: Adjustment(a.score, a.reason) for i, a in stored.items()}
    by_index = {i: adjustments[r.id] for i, r in enumerate(rows) if r.id in adjustments}
    case = ProjectCase(
        project,
        rows,
        indicators,
        actuals,
        engine_budget(project),
        policy or policy_for_year(session=session, year=project.year),
        by_index,
    )
    if by_index:
        _drop_stale_adjustments(case)
    return case


def _drop_stale_adjustments(case: ProjectCase) -> None:
    plain = ProjectCase(case.project, case.rows, case.indicators, case.actuals, case.budget, case.policy, {})
    try:
        computed = plain.score()
    except ProjectNotScorable:
        return  # the project cannot be scored at all; the adjustments are not why
    for i, adj in list(case.adjustments.items()):
        r = computed.indicators[i]
        if r.score is None:
            why = "该指标目前无法评分"
        elif not (0 <= adj.score <= r.points):
            why = f"分值已变为 {r.points}"
        else:
            continue
        del case.adjustments[i]
        case.ignored.append(
            Notice(
                "adjustment_ignored",
                f"复核调整得分 {decimal_str(Decimal(adj.score))} 未计入：{why}，请重新复核",
                r.name,
            )
        )


def compute_project_score(
    *,
    session: Session,
    project: Project,
    policy: Policy | None = None,
    adjustments: Mapping[int, Adjustment] | None = None,
) -> ProjectScore:
    """Score ``project`` from its stored rows (live, nothing stored).

    Uses each indicator's 调整后指标值 where one is set, and the stored reviewer adjustments
    (§5a: ``IndicatorScore.score`` stays the computed score, ``.adjusted_score`` is the
    reviewer's, totals use the latter). ``adjustments`` (indicator id → ``Adjustment``) replaces
    the stored ones, e.g. for a preview. ``policy`` defaults to the year's (``policy_for_year``);
    pass it when scoring many projects of one year. Raises ``ProjectNotScorable`` (422).
    """
    return project_case(session=session, project=project, policy=policy, adjustments=adjustments).score()
