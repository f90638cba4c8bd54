"""The project status machine: 填报中 → 已提交 → 已审核 | 已退回 → 已提交 …

Stored statuses: ``draft``, ``submitted``, ``returned``, ``approved``. 未填报 is shown for a draft
with no actual entered yet. Only ``draft`` and ``returned`` projects can be edited. Who may take a
step (department submits, finance approves or returns, admin reopens) is checked by the routers;
this module checks that the step exists and records it (history row + audit row) in the caller's
transaction.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.accounts.audit import Actor, record_audit
from app.core.errors import Conflict
from app.db.models import Project, ProjectStatusEvent
from app.db.models.accounts import User

STATUS_LABELS = {
    "not_started": "未填报",
    "draft": "填报中",
    "submitted": "已提交",
    "returned": "已退回",
    "approved": "已审核",
}
EDITABLE = frozenset({"draft", "returned"})
STEPS = {
    ("draft", "submitted"): "提交",
    ("returned", "submitted"): "重新提交",
    ("submitted", "approved"): "审核通过",
    ("submitted", "returned"): "退回",
    ("approved", "draft"): "重新打开",
}


def display_status(project: Project, *, has_actuals: bool) -> str:
    """The status a clerk sees (``not_started`` for a draft nobody has touched)."""
    if project.status == "draft" and not has_actuals:
        return "not_started"
    return project.status


def ensure_editable(project: Project) -> None:
    if project.status not in EDITABLE:
        raise Conflict(
            f"项目当前状态为“{STATUS_LABELS[project.status]}”，不能修改",
            code="project_not_editable",
        )


def change_status(
    *,
    session: Session,
    project: Project,
    to: str,
    actor: Actor,
    comment: str | None = None,
    address: str | None = None,
) -> ProjectStatusEvent:
    """Move ``project`` to ``to``; refuse a step that does not exist (409)."""
    step = STEPS.get((project.status, to))
    if step is None:
        raise Conflict(
            f"项目当前状态为“{STATUS_LABELS[project.status]}”，不能改为“{STATUS_LABELS.get(to, to)}”",
            code="status_conflict",
        )
    before = project.status
    project.status = to
    name = actor.username if isinstance(actor, User) else (actor or "system")
    event = ProjectStatusEvent(
        project_id=project.id, from_status=before, to_status=to, actor_name=name, comment=comment
    )
    session.add(event)
    record_audit(
        session=session,
        actor=actor,
        action="project.status",
        entity="project",
        entity_id=project.id,
        entity_name=project.name,
        before={"status": before},
        after={"status": to, "step": step, "comment": comment},
        address=address,
    )
    session.flush()
    return event
