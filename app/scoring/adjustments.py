"""Reviewer adjustments (docs/scoring-rules.md §5a) and adjusted targets (调整后指标值).

A reviewer's score sits beside the computed one (never overwriting it); totals use it, both are
shown. An adjusted target is scored instead of the imported one, which stays on the indicator.
Only finance and admin users (or the command line) adjust; an approved (已审核) project must be
reopened first. Every change writes an audit row. Messages in Chinese; input errors are
``Unprocessable`` with ``loc`` ``("score",)``, ``("reason",)`` or ``("raw",)``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.audit import AUDIT_ACTION_LABELS, AUDIT_FIELD_LABELS, Actor, record_audit
from app.core.errors import Conflict, ErrorItem, Forbidden, Unprocessable
from app.db.models import Indicator, Project, ScoreAdjustment, TargetAdjustment, User
from app.scoring.engine import Adjustment
from app.scoring.mapping import project_case
from app.scoring.policies import actor_name
from app.targets.labels import KIND_LABELS

AUDIT_ACTION_LABELS.update(
    {
        "score.adjust": "复核调整得分",
        "score.adjust_clear": "撤销得分调整",
        "target.adjust": "调整指标值",
        "target.adjust_clear": "撤销指标值调整",
    }
)
AUDIT_FIELD_LABELS.update(
    {
        "score": "复核得分",
        "computed_score": "计算得分",
        "points": "分值",
        "reason": "理由",
        "target": "指标值",
    }
)


def adjust_score(
    *,
    session: Session,
    indicator: Indicator,
    score: Decimal | str | int,
    reason: str,
    actor: Actor,
    address: str | None = None,
) -> ScoreAdjustment:
    """Set (or replace) the reviewer's score of ``indicator``: 0 ≤ score ≤ its points, at most two
    decimal places, a reason required; the indicator must be scored."""

    project = _project(session, indicator)
    _check_actor(actor)
    _check_open(project)
    value, errors = _parse_score(score), []
    reason = (reason or "").strip()
    if value is None:
        errors.append(ErrorItem("复核得分应为数字，最多两位小数", "invalid_score", ("score",)))
    if not reason:
        errors.append(ErrorItem("请填写调整理由", "reason_required", ("reason",)))
    if errors:
        raise Unprocessable("复核调整有误", code="invalid_adjustment", errors=errors)
    assert value is not None
    # The computed score and points without this indicator's own adjustment.
    existing = session.scalar(select(ScoreAdjustment).where(ScoreAdjustment.indicator_id == indicator.id))
    others = {
        a.indicator_id: _as_engine(a)
        for a in session.scalars(select(ScoreAdjustment).where(ScoreAdjustment.project_id == project.id))
        if a.indicator_id != indicator.id
    }
    case = project_case(session=session, project=project, adjustments=others)
    computed = case.score().indicators[_index(case.rows, indicator)]
    if computed.score is None:
        raise Unprocessable(
            f"指标“{indicator.name}”尚未评分（{computed.error or '缺少实际完成值'}），不能调整得分",
            code="not_scored",
            loc=("score",),
        )
    if not (0 <= value <= computed.points):
        raise Unprocessable(
            f"复核得分应在 0–{computed.points} 分之间（该指标分值 {computed.points}）",
            code="score_out_of_range",
            loc=("score",),
        )
    before = None if existing is None else {"score": existing.score, "reason": existing.reason}
    if existing is None:
        existing = ScoreAdjustment(indicator_id=indicator.id, project_id=project.id)
        session.add(existing)
    existing.score, existing.reason = value, reason
    existing.computed_score, existing.points = computed.score, computed.points
    existing.actor_name = actor_name(actor)
    existing.at = _now()
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="score.adjust",
        entity="indicator",
        entity_id=indicator.id,
        entity_name=f"{project.name} / {indicator.name}",
        before=before,
        after={"score": value, "reason": reason, "computed_score": computed.score, "points": computed.points},
        address=address,
    )
    return existing


def clear_score_adjustment(
    *, session: Session, indicator: Indicator, actor: Actor, address: str | None = None
) -> bool:
    """Remove the reviewer's score (the computed one applies again). False when there was none."""
    return _clear(
        session, indicator, actor, address, ScoreAdjustment, "score.adjust_clear",
        before=lambda row: {"score": row.score, "reason": row.reason}, after=None,
    )  # fmt: skip


def adjust_target(
    *,
    session: Session,
    indicator: Indicator,
    raw: str,
    reason: str,
    actor: Actor,
    address: str | None = None,
) -> TargetAdjustment:
    """Set (or replace) the 调整后指标值 of ``indicator``, parsed like an imported target.

    It must read as a target of the same kind as the original (定量, 定性, 时限, 参照 — any kind
    when the original could not be read) and, for a number, in the same unit: the actual already
    entered is in that unit.
    """
    from app.targets.grammar import parse_target

    project = _project(session, indicator)
    _check_actor(actor)
    _check_open(project)
    raw, reason = (raw or "").strip(), (reason or "").strip()
    errors = []
    target = None
    if not raw:
        errors.append(ErrorItem("请填写调整后指标值", "target_required", ("raw",)))
    else:
        target = parse_target(raw, level2=indicator.level2, year=project.year)
        problem = _target_problem(indicator, target)
        if problem:
            errors.append(ErrorItem(problem, "invalid_target", ("raw",)))
    if not reason:
        errors.append(ErrorItem("请填写调整理由", "reason_required", ("reason",)))
    if errors:
        raise Unprocessable("指标值调整有误", code="invalid_adjustment", errors=errors)
    assert target is not None
    row = session.scalar(select(TargetAdjustment).where(TargetAdjustment.indicator_id == indicator.id))
    before = {"target": row.raw if row else indicator.raw}
    if row is not None:
        before["reason"] = row.reason
    if row is None:
        row = TargetAdjustment(indicator_id=indicator.id, project_id=project.id)
        session.add(row)
    row.raw, row.kind, row.operator = target.raw, target.kind, target.operator
    row.value, row.unit, row.expected = target.value, target.unit, target.expected
    row.deadline, row.reference = target.deadline, target.reference
    row.reason, row.actor_name, row.at = reason, actor_name(actor), _now()
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="target.adjust",
        entity="indicator",
        entity_id=indicator.id,
        entity_name=f"{project.name} / {indicator.name}",
        before=before,
        after={"target": row.raw, "reason": reason},
        address=address,
    )
    return row


def clear_target_adjustment(
    *, session: Session, indicator: Indicator, actor: Actor, address: str | None = None
) -> bool:
    """Score against the original target again. False when there was no adjustment."""
    return _clear(
        session, indicator, actor, address, TargetAdjustment, "target.adjust_clear",
        before=lambda row: {"target": row.raw, "reason": row.reason}, after={"target": indicator.raw},
    )  # fmt: skip


def _clear(session, indicator, actor, address, model, action, *, before, after) -> bool:
    """Delete the indicator's adjustment of ``model`` (if any) and audit it."""
    project = _project(session, indicator)
    _check_actor(actor)
    _check_open(project)
    row = session.scalar(select(model).where(model.indicator_id == indicator.id))
    if row is None:
        return False
    old = before(row)
    session.delete(row)
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action=action,
        entity="indicator",
        entity_id=indicator.id,
        entity_name=f"{project.name} / {indicator.name}",
        before=old,
        after=after,
        address=address,
    )
    return True


# ---------------------------------------------------------------------------------------------


def _target_problem(indicator: Indicator, target) -> str | None:
    if target.kind == "unparsed":
        return f"无法识别指标值“{target.raw}”（可写作 ≥50次、≤30万元、100%、健全、2023年12月底前 等）"
    if target.raw == indicator.raw:
        return "调整后指标值与原指标值相同"
    if indicator.kind != "unparsed" and target.kind != indicator.kind:
        label = KIND_LABELS.get(indicator.kind, indicator.kind)
        return f"调整后指标值应与原指标值同为{label}指标（原指标值：{indicator.raw}）"
    if indicator.kind == "numeric" and (target.unit or None) != (indicator.unit or None):
        unit = indicator.unit or "无单位"
        return f"调整后指标值的计量单位应与原指标值一致（{unit}）：已填报的实际完成值按该单位记录"
    return None


def _project(session: Session, indicator: Indicator) -> Project:
    project = indicator.project
    if project is None:  # pragma: no cover - an indicator always has its project
        project = session.get(Project, indicator.project_id)
    return project


def _check_actor(actor: Actor) -> None:
    if isinstance(actor, User) and actor.role not in ("finance", "admin"):
        raise Forbidden("只有财政审核人员或系统管理员可以调整", code="role_required")


def _check_open(project: Project) -> None:
    if project.status == "approved":
        raise Conflict("项目已审核，不能再调整；如需调整请先由管理员重新打开", code="project_not_editable")


def _parse_score(value: Decimal | str | int) -> Decimal | None:
    """A score with at most two decimal places (full-width digits accepted), else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        d = Decimal(str(value).strip().translate(_FULL_WIDTH))
        q = d.quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    return q if d == q else None


_FULL_WIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")


def _index(rows: list[Indicator], indicator: Indicator) -> int:
    for i, r in enumerate(rows):
        if r.id == indicator.id:
            return i
    raise ValueError(f"indicator {indicator.id} not in its project")  # pragma: no cover


def _as_engine(row: ScoreAdjustment) -> Adjustment:
    return Adjustment(row.score, row.reason)


def _now() -> datetime:
    return datetime.now(UTC)
