"""Pages listing units, projects and their targets (绩效目标)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import selectinload

from app.accounts.deps import CurrentUser
from app.accounts.scoping import get_readable_project, readable_projects
from app.core.params import ProjectId, YearQuery
from app.db.deps import SessionDep
from app.db.models import Project
from app.targets import queries
from app.targets.labels import DIRECTION_LABELS, KIND_LABELS
from app.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, user: CurrentUser, year: YearQuery = None) -> HTMLResponse:
    """Units, projects and amounts of a year — only the units the user may see."""
    years = queries.years(session)
    year = year or (years[0] if years else None)
    stmt = readable_projects(queries.projects_statement(year=year), user)
    projects = list(session.scalars(stmt)) if year else []
    counts = queries.indicator_counts(session, [p.id for p in projects])
    by_unit: dict[str, list[Project]] = {}
    for p in projects:
        by_unit.setdefault(p.unit.code, []).append(p)
    return templates.TemplateResponse(
        request,
        "home.html",
        {
            "years": years,
            "year": year,
            "by_unit": by_unit,
            "counts": counts,
            "unit_counts": {code: sum(counts.get(p.id, 0) for p in ps) for code, ps in by_unit.items()},
        },
    )


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_detail(
    request: Request, project_id: ProjectId, session: SessionDep, user: CurrentUser
) -> HTMLResponse:
    """A project's goals and targets (NotFound outside the user's units, as for a missing id)."""
    project = get_readable_project(
        session=session,
        user=user,
        project_id=project_id,
        options=(selectinload(Project.indicators), selectinload(Project.unit)),
    )
    return templates.TemplateResponse(
        request,
        "project_targets.html",
        {
            "project": project,
            "groups": queries.group_indicators(project.indicators),
            "kind_labels": KIND_LABELS,
            "direction_labels": DIRECTION_LABELS,
        },
    )
