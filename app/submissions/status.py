"""The project status machine: 填报中 → 已提交 → 已审核 | 已退回 → 已提交 …

Stored statuses: ``draft``, ``submitted``, ``returned``, ``approved``. 未填报 (``not_started``) is
a draft with nothing entered yet — no actual, no budget figure, no goal text, no budget reason —
and is a status of its own wherever one is shown, filtered or exported (``display_status`` for a
loaded project, ``display_status_column`` / ``status_clause`` in SQL); ``draft`` (填报中) is then a
draft with something entered. Only ``draft`` and ``returned`` projects can be edited. Who may take a
step (department submits, finance approves or returns, admin reopens) is checked by the routers;
this module checks that the step exists and records it (history row + audit row) in the caller's
transaction.

Concurrent steps on one project: ``change_status`` first takes the project's row lock
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite admits one writer at a time anyway), before it
writes anything, so every status change locks the same row first and waits its turn instead of
deadlocking against the others' foreign-key locks. The one that waited finds the project changed
under it and answers 409 ``status_changed``.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, exists, select
from sqlalchemy.orm import Session

from app.accounts.audit import Actor, record_audit
from app.core.errors import Conflict
from app.db.models import Indicator, IndicatorActual, Project, ProjectStatusEvent
from app.db.models.accounts import User
from app.submissions import fields as F

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


DISPLAY_STATUSES = tuple(STATUS_LABELS)  # the one vocabulary, in the order lists show it
# Project columns a clerk fills besides the indicators' actuals.
ENTRY_COLUMNS = F.ENTRY_COLUMNS


def has_entries(project: Project) -> bool:
    """Anything entered yet (an actual, a budget figure, the goal box, the budget reason)."""
    if any(getattr(project, c) is not None for c in ENTRY_COLUMNS):
        return True
    return any(ind.actual is not None for ind in project.indicators)


def display_status(project: Project, *, has_actuals: bool | None = None) -> str:
    """The status shown for ``project``: ``not_started`` for a draft nothing was entered in yet.
    ``has_actuals``: whether anything was entered, when the caller knows (else read from the
    project, which then needs its indicators and actuals loaded)."""
    if project.status != "draft":
        return project.status
    entered = has_entries(project) if has_actuals is None else has_actuals
    return "draft" if entered else "not_started"


def not_started_clause() -> ColumnElement[bool]:
    """SQL: the project (``Project``'s table in the FROM) is 未填报."""
    no_actual = ~exists(
        select(IndicatorActual.indicator_id)
        .join(Indicator, Indicator.id == IndicatorActual.indicator_id)
        .where(Indicator.project_id == Project.id)
    )
    cond = Project.status == "draft"
    for column in ENTRY_COLUMNS:
        cond = cond & getattr(Project, column).is_(None)
    return cond & no_actual


def display_status_column() -> ColumnElement[str]:
    """SQL: the shown status of the project (``display_status`` as a column)."""
    return case((not_started_clause(), "not_started"), else_=Project.status)


def status_clause(status: str) -> ColumnElement[bool]:
    """SQL: the project's shown status is ``status`` (``draft`` excludes 未填报)."""
    if status == "not_started":
        return not_started_clause()
    if status == "draft":
        return (Project.status == "draft") & ~not_started_clause()
    return Project.status == status


def ensure_editable(project: Project) -> None:
    if project.status not in EDITABLE:
        raise Conflict(
            f"项目当前状态为“{STATUS_LABELS[project.status]}”，不能修改",
            code="project_not_editable",
        )


def lock_project(*, session: Session, project: Project) -> None:
    """Take ``project``'s row lock; 409 ``status_changed`` when it changed since it was read."""
    session.flush()  # this request's own writes first: their version is the one to compare
    seen = project.version
    current = session.execute(
        select(Project.version, Project.status).where(Project.id == project.id).with_for_update()
    ).one()
    if current.version != seen:
        label = STATUS_LABELS.get(current.status, current.status)
        raise Conflict(
            f"项目刚被他人处理，当前状态为“{label}”，请刷新页面后再操作",
            code="status_changed",
            loc=("status",),
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
    """Move ``project`` to ``to``; refuse a step that does not exist (409), and one that lost a
    race to another change of the project (409 ``status_changed``)."""
    lock_project(session=session, project=project)
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
