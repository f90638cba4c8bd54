"""Pages listing units, projects and their targets (绩效目标)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.db.deps import SessionDep
from app.db.models import Project
from app.targets import queries
from app.web.templating import templates

router = APIRouter(include_in_schema=False)

KIND_LABELS = {
    "numeric": "定量",
    "qualitative": "定性",
    "deadline": "时限",
    "reference": "参照",
    "unparsed": "未识别",
}
DIRECTION_LABELS = {
    "positive": "正向",
    "reverse": "反向",
    "zero_target": "零目标",
    "qualitative": "定性",
    "deadline": "时限",
    "reference": "参照基数",
    "unparsed": "未识别",
}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, year: int | None = None) -> HTMLResponse:
    years = queries.years(session)
    year = year or (years[0] if years else None)
    projects = list(session.scalars(queries.projects_statement(year=year))) if year else []
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
def project_detail(request: Request, project_id: int, session: SessionDep) -> HTMLResponse:
    project = session.scalar(
        select(Project)
        .where(Project.id == project_id)
        .options(selectinload(Project.indicators), selectinload(Project.unit))
    )
    if project is None:
        return templates.TemplateResponse(request, "not_found.html", {"what": "项目"}, status_code=404)
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
