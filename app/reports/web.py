"""Web pages: the finance overview, the printable 自评表 and a project across years."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from app.accounts.audit import LOCAL_TZ
from app.accounts.deps import CurrentUser, require_role
from app.core.params import ProjectId
from app.db.deps import SessionDep
from app.db.models.accounts import User
from app.reports import years as across
from app.reports.form import pct
from app.reports.overview import build_overview
from app.reports.scores import project_form, readable_project
from app.review import service as review
from app.web.templating import templates

router = APIRouter(include_in_schema=False)
Reviewer = Annotated[User, Depends(require_role("finance", "admin"))]


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored (UTC) time as Beijing time; SQLite hands back naive UTC values."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ).strftime(fmt)


templates.env.filters["pct"] = pct
templates.env.filters["localtime"] = localtime


@router.get("/finance", response_class=HTMLResponse)
def finance_overview(
    request: Request,
    session: SessionDep,
    user: Reviewer,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> Response:
    overview = build_overview(session=session, user=user, year=year)
    return templates.TemplateResponse(
        request,
        "finance_overview.html",
        {
            "o": overview,
            "distribution_svg": Markup(overview.distribution_svg),  # built from escaped text (charts.py)
            "units_svg": Markup(overview.units_svg),
        },
    )


@router.get("/projects/{project_id}/report", response_class=HTMLResponse)
def project_report(
    request: Request, project_id: ProjectId, session: SessionDep, user: CurrentUser
) -> Response:
    """The printable 自评表 (A4 landscape; the browser's print dialog makes the PDF)."""
    project = readable_project(session=session, user=user, project_id=project_id)
    form = project_form(session=session, project=project)
    history = review.status_history(session=session, project_id=project.id)
    return templates.TemplateResponse(
        request, "report_form.html", {"form": form, "project": project, "history": history}
    )


@router.get("/projects/{project_id}/years", response_class=HTMLResponse)
def project_years(
    request: Request, project_id: ProjectId, session: SessionDep, user: CurrentUser
) -> Response:
    """The same project (same unit, same name) in every year it appears, side by side."""
    project = readable_project(session=session, user=user, project_id=project_id)
    view = across.across_years(session=session, user=user, project=project)
    return templates.TemplateResponse(request, "report_years.html", {"project": project, "view": view})
