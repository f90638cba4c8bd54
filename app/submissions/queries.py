"""Read side of entry: a caller's projects with their status, progress and live score.

Every statement goes through ``readable_projects`` (app/accounts/scoping.py), so a department
sees only its units and a project outside them is simply not there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.scoping import readable_projects
from app.core.errors import Unprocessable
from app.db.models import Indicator, Project, ProjectStatusEvent, Unit
from app.db.models.accounts import User
from app.scoring.policy import Policy
from app.scoring.service import policy_for_year
from app.submissions.entries import is_filled
from app.submissions.service import ScoreView, score_of
from app.submissions.status import DISPLAY_STATUSES, STATUS_LABELS, display_status, status_clause

ENTRY_OPTIONS: tuple[Any, ...] = (
    selectinload(Project.unit),
    selectinload(Project.indicators).selectinload(Indicator.actual),
)
STATUS_FILTERS = DISPLAY_STATUSES


@dataclass(slots=True)
class ProjectRow:
    """One project as the department home and the API list show it."""

    project: Project
    status: str  # display status: not_started | draft | submitted | returned | approved
    filled: int
    total: int
    view: ScoreView
    return_comment: str | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def entry_statement(
    *, user: User, year: int | None = None, unit_code: str | None = None, status: str | None = None
) -> Select[tuple[Project]]:
    """The caller's projects, ordered as published (year, unit code, sequence number)."""
    stmt = select(Project).join(Project.unit)
    if year is not None:
        stmt = stmt.where(Project.year == year)
    if unit_code:
        if not unit_code.isprintable():
            raise Unprocessable("单位编码含有无效字符", code="invalid_unit", loc=("unit",))
        stmt = stmt.where(Unit.code.startswith(unit_code, autoescape=True))
    if status:
        if status not in STATUS_FILTERS:
            raise Unprocessable(
                f"状态应为 {'、'.join(STATUS_FILTERS)} 之一，收到“{status}”",
                code="invalid_status",
                loc=("status",),
            )
        stmt = stmt.where(status_clause(status))
    return readable_projects(stmt, user).order_by(Project.year.desc(), Unit.code, Project.seq, Project.id)


def entry_years(*, session: Session, user: User) -> list[int]:
    stmt = readable_projects(select(Project.year).distinct(), user).order_by(Project.year.desc())
    return list(session.scalars(stmt))


def count(*, session: Session, stmt: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def return_comments(*, session: Session, project_ids: list[int]) -> dict[int, str | None]:
    """The newest 退回 comment of each project (finance's reason for returning it)."""
    if not project_ids:
        return {}
    rows = session.execute(
        select(ProjectStatusEvent.project_id, ProjectStatusEvent.comment)
        .where(ProjectStatusEvent.project_id.in_(project_ids), ProjectStatusEvent.to_status == "returned")
        .order_by(ProjectStatusEvent.at, ProjectStatusEvent.id)
    )
    return {project_id: comment for project_id, comment in rows}


def history(*, session: Session, project_id: int) -> list[ProjectStatusEvent]:
    return list(
        session.scalars(
            select(ProjectStatusEvent)
            .where(ProjectStatusEvent.project_id == project_id)
            .order_by(ProjectStatusEvent.at, ProjectStatusEvent.id)
        )
    )


def project_row(
    *,
    session: Session,
    project: Project,
    comment: str | None = None,
    view: ScoreView | None = None,
    policy: Policy | None = None,
) -> ProjectRow:
    indicators = project.indicators
    return ProjectRow(
        project=project,
        status=display_status(project),
        filled=sum(1 for ind in indicators if is_filled(ind)),
        total=len(indicators),
        view=view or score_of(session=session, project=project, policy=policy),
        return_comment=comment if project.status == "returned" else None,
    )


def list_projects(
    *,
    session: Session,
    user: User,
    year: int | None = None,
    unit_code: str | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[ProjectRow], int]:
    """A page of the caller's projects with progress and live scores, and the total count."""
    stmt = entry_statement(user=user, year=year, unit_code=unit_code, status=status)
    total = count(session=session, stmt=stmt)
    projects = list(session.scalars(stmt.options(*ENTRY_OPTIONS).limit(limit).offset(offset)))
    comments = return_comments(
        session=session, project_ids=[p.id for p in projects if p.status == "returned"]
    )
    policies: dict[int, Policy] = {}
    rows = []
    for p in projects:
        if p.year not in policies:  # one lookup per budget year on the page
            policies[p.year] = policy_for_year(session=session, year=p.year)
        rows.append(
            project_row(session=session, project=p, comment=comments.get(p.id), policy=policies[p.year])
        )
    return rows, total
