"""Review decisions by the finance bureau, on top of the status machine (app/submissions/status.py).

- ``decide``: 审核通过 (submitted → approved) or 退回 (submitted → returned, a comment is required).
  Approval stores a score snapshot, so summaries read the approved figures.
- ``reopen``: an admin moves an approved project back to 填报中 (audited by ``change_status``).
- ``adjust_indicator_score`` / ``adjust_indicator_target``: §5a reviewer adjustments, only while the
  project is under review (已提交); they delegate to the scoring service, which keeps the computed
  score and the original target beside the adjusted ones.

Who may call what (finance decides and adjusts, admin reopens) is checked by the routers; the
functions also refuse a wrong role as a second line.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.audit import AUDIT_ACTION_LABELS, Actor
from app.core.errors import Conflict, ErrorItem, Forbidden, NotFound, Unprocessable
from app.db.models import Project, ProjectStatusEvent, ScoreSnapshot, Unit
from app.db.models.accounts import User
from app.submissions.status import STATUS_LABELS, change_status

Decision = Literal["approve", "return"]
DECISION_STATUS = {"approve": "approved", "return": "returned"}
COMMENT_MAX = 2000

AUDIT_ACTION_LABELS.setdefault("project.status", "项目状态变更")


def _role(actor: Actor) -> str | None:
    return actor.role if isinstance(actor, User) else None


def decide(
    *,
    session: Session,
    project: Project,
    actor: Actor,
    decision: str,
    comment: str | None = None,
    address: str | None = None,
) -> ProjectStatusEvent:
    """Approve or return a submitted project. A return without a comment is refused (422,
    ``loc`` ``comment``) so the department always learns what to fix."""
    if _role(actor) not in (None, "finance"):
        raise Forbidden("只有财政审核人员可以审核项目", code="role_required")
    text = (comment or "").strip() or None
    errors = []
    if decision not in DECISION_STATUS:
        errors.append(
            ErrorItem("审核结论应为“通过”（approve）或“退回”（return）", "invalid_decision", ("decision",))
        )
    elif decision == "return" and not text:
        errors.append(
            ErrorItem("退回时必须填写退回意见，说明需要修改的内容", "comment_required", ("comment",))
        )
    if text and len(text) > COMMENT_MAX:
        errors.append(ErrorItem(f"审核意见最多 {COMMENT_MAX} 字", "comment_too_long", ("comment",)))
    if errors:
        raise Unprocessable(errors[0].msg, errors=errors)
    if project.status != "submitted":
        raise Conflict(
            f"项目当前状态为“{STATUS_LABELS.get(project.status, project.status)}”，只能审核已提交的项目",
            code="not_under_review",
        )
    event = _step(session, project, DECISION_STATUS[decision], actor, text, address)
    if decision == "approve":
        snapshot = store_snapshot(session=session, project=project, actor=actor, reason="approve")
        if not snapshot.complete:
            # The approved figures must be a total; the request rolls the status change back.
            reasons = "；".join(e["message"] for e in snapshot.result.get("errors", [])[:3])
            msg = (
                f"项目还不能完整评分，不能审核通过：{reasons}"
                if reasons
                else "项目还不能完整评分，不能审核通过"
            )
            raise Unprocessable(msg, errors=[ErrorItem(msg, "score_incomplete", ("decision",))])
    return event


def reopen(
    *,
    session: Session,
    project: Project,
    actor: Actor,
    comment: str | None = None,
    address: str | None = None,
) -> ProjectStatusEvent:
    """重新打开: approved → draft, admin only (audited through the status machine)."""
    if _role(actor) not in (None, "admin"):
        raise Forbidden("只有系统管理员可以重新打开已审核的项目", code="role_required")
    if project.status != "approved":
        raise Conflict("只有已审核的项目需要重新打开", code="not_approved")
    text = (comment or "").strip() or None
    if not text:
        raise Unprocessable(
            "重新打开时必须说明原因",
            errors=[ErrorItem("重新打开时必须说明原因", "comment_required", ("comment",))],
        )
    return _step(session, project, "draft", actor, text, address)


def _step(
    session: Session, project: Project, to: str, actor: Actor, comment: str | None, address: str | None
) -> ProjectStatusEvent:
    """``change_status``; a concurrent change of the project (its version moved on) is a 409."""
    try:
        return change_status(
            session=session, project=project, to=to, actor=actor, comment=comment, address=address
        )
    except StaleDataError:
        raise Conflict("项目刚被他人修改或审核，请刷新页面后重试", code="stale_project") from None


def ensure_under_review(project: Project) -> None:
    """Adjustments are made while the project is 已提交; an approved project is locked (409)."""
    if project.status != "submitted":
        raise Conflict(
            f"项目当前状态为“{STATUS_LABELS.get(project.status, project.status)}”，只有已提交待审核的项目可以调整",
            code="not_under_review",
        )


def adjust(
    *,
    session: Session,
    project: Project,
    indicator_id: int,
    actor: Actor,
    kind: str,
    value: str | None,
    reason: str | None,
    clear: bool = False,
    address: str | None = None,
) -> None:
    """§5a: set (or, with ``clear``, remove) the reviewer's score (``kind`` ``score``) or the
    调整后指标值 (``kind`` ``target``) of one indicator of a project under review.

    The scoring service validates (score within the points, target of the same kind and unit, a
    reason), keeps the computed score and the original target beside the adjusted ones and audits
    the change; the project's latest snapshot is then refreshed so summaries show the new total.
    """
    from app.scoring import service as scoring

    if _role(actor) not in (None, "finance"):
        raise Forbidden("只有财政审核人员可以复核调整", code="role_required")
    ensure_under_review(project)
    indicator = next((i for i in project.indicators if i.id == indicator_id), None)
    if indicator is None:
        raise NotFound("该项目没有这个指标", code="indicator_not_found", loc=("indicator_id",))
    if kind not in ("score", "target"):
        msg = "调整类型应为得分（score）或指标值（target）"
        raise Unprocessable(msg, errors=[ErrorItem(msg, "invalid_kind", ("kind",))])
    if clear:
        if kind == "score":
            scoring.clear_score_adjustment(session=session, indicator=indicator, actor=actor, address=address)
        else:
            scoring.clear_target_adjustment(
                session=session, indicator=indicator, actor=actor, address=address
            )
    elif kind == "score":
        scoring.adjust_score(
            session=session, indicator=indicator, score=(value or "").strip(), reason=reason or "", actor=actor,
            address=address,
        )  # fmt: skip
    else:
        scoring.adjust_target(
            session=session,
            indicator=indicator,
            raw=value or "",
            reason=reason or "",
            actor=actor,
            address=address,
        )
    session.flush()
    # Unscorable now: the review page shows why; the snapshot is refreshed once it scores again.
    with contextlib.suppress(scoring.ProjectNotScorable):
        store_snapshot(session=session, project=project, actor=actor, reason="adjust")


def store_snapshot(*, session: Session, project: Project, actor: Actor, reason: str) -> ScoreSnapshot:
    """Store the project's score as the latest snapshot (the scoring service's ``save_snapshot``)."""
    from app.scoring import service as scoring

    return scoring.save_snapshot(session=session, project=project, actor=actor, reason=reason)


# ---------------------------------------------------------------------------------------------
# Read side: the queue and the history


@dataclass
class QueueItem:
    project: Project
    submitted_at: datetime | None
    submitted_by: str | None
    resubmitted: bool


def review_queue(
    *, session: Session, year: int | None = None, unit_code: str | None = None
) -> list[QueueItem]:
    """Submitted projects, oldest submission first (first come, first reviewed)."""
    last = (
        select(
            ProjectStatusEvent.project_id,
            func.max(ProjectStatusEvent.id).label("event_id"),
        )
        .where(ProjectStatusEvent.to_status == "submitted")
        .group_by(ProjectStatusEvent.project_id)
        .subquery()
    )
    stmt = (
        select(Project, ProjectStatusEvent)
        .join(Project.unit)
        .outerjoin(last, last.c.project_id == Project.id)
        .outerjoin(ProjectStatusEvent, ProjectStatusEvent.id == last.c.event_id)
        .where(Project.status == "submitted")
        .options(selectinload(Project.unit).selectinload(Unit.parent))
    )
    if year is not None:
        stmt = stmt.where(Project.year == year)
    if unit_code:
        stmt = stmt.where(Unit.code.startswith(unit_code, autoescape=True))
    stmt = stmt.order_by(ProjectStatusEvent.at.asc().nulls_last(), Project.id)
    return [
        QueueItem(
            p, e.at if e else None, e.actor_name if e else None, bool(e and e.from_status == "returned")
        )
        for p, e in session.execute(stmt)
    ]


def status_history(*, session: Session, project_id: int) -> list[ProjectStatusEvent]:
    return list(
        session.scalars(
            select(ProjectStatusEvent)
            .where(ProjectStatusEvent.project_id == project_id)
            .order_by(ProjectStatusEvent.at, ProjectStatusEvent.id)
        )
    )


def last_return(*, session: Session, project_id: int) -> ProjectStatusEvent | None:
    """The latest 退回 (its comment is what the department must address)."""
    return session.scalar(
        select(ProjectStatusEvent)
        .where(ProjectStatusEvent.project_id == project_id, ProjectStatusEvent.to_status == "returned")
        .order_by(ProjectStatusEvent.id.desc())
        .limit(1)
    )
