"""API: the caller's projects, entering actuals, submitting, the live score (contracts/README.md).

Reads: any authenticated caller, filtered to their units (a project outside them is 404).
Writes: a department user of the project's unit with a write-scoped token (or the browser
session + ``X-CSRF-Token``); finance and admin get 403, a read-scoped token 403.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from app.accounts.deps import ApiUser, ApiWriter, client_address
from app.accounts.scoping import get_readable_project, get_writable_project
from app.core.errors import Unprocessable
from app.core.params import OffsetQuery, ProjectId, YearQuery
from app.db.deps import SessionDep
from app.db.models import Project
from app.db.models.accounts import User
from app.submissions import queries, service
from app.submissions.schemas import (
    ActualsUpdate,
    BudgetRead,
    ErrorRead,
    EventRead,
    IndicatorRead,
    ProjectList,
    ProjectRead,
    ProjectSummary,
)
from app.submissions.status import ensure_editable

router = APIRouter(prefix="/api/v1", tags=["项目填报"])

ERRORS = {
    401: {"description": "未登录或令牌无效"},
    403: {"description": "无权修改（非本单位部门用户，或只读令牌）"},
    404: {"description": "项目不存在，或不在您负责的单位范围内"},
}


def project_read(*, session, project: Project) -> ProjectRead:
    comments = queries.return_comments(session=session, project_ids=[project.id])
    row = queries.project_row(session=session, project=project, comment=comments.get(project.id))
    score = row.view.score
    by_index = score.indicators if score else None
    indicators = sorted(project.indicators, key=lambda r: r.position)
    missing = service.missing_items(project, row.view) if project.status in ("draft", "returned") else []
    return ProjectRead(
        **ProjectSummary.of(row).model_dump(),
        goals=list(project.goals or []),
        goal_actual=project.goal_actual,
        budget=BudgetRead.of(project, score.budget.to_json() if score and score.budget else None),
        indicators=[
            IndicatorRead.of(ind, by_index[i].to_json() if by_index else None)
            for i, ind in enumerate(indicators)
        ],
        score=score.to_json() if score else None,
        score_error=row.view.error,
        missing=[ErrorRead(**m.item().as_dict()) for m in missing],
        history=[EventRead.of(e) for e in queries.history(session=session, project_id=project.id)],
    )


@router.get(
    "/projects", response_model=ProjectList, summary="项目列表（含状态、总分、等级）", responses=ERRORS
)
def list_projects(
    session: SessionDep,
    user: ApiUser,
    year: YearQuery = None,
    unit: Annotated[str | None, Query(max_length=32, description="单位编码（含下级单位）")] = None,
    status: Annotated[
        str | None,
        Query(
            description="not_started 未填报（尚未填写任何内容）| draft 填报中 | submitted 已提交 | returned 已退回 | approved 已审核"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: OffsetQuery = 0,
) -> ProjectList:
    """The caller's projects (a department sees its units only), ordered by year, unit, number."""
    rows, total = queries.list_projects(
        session=session, user=user, year=year, unit_code=unit, status=status, limit=limit, offset=offset
    )
    return ProjectList(items=[ProjectSummary.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get(
    "/projects/{project_id}",
    response_model=ProjectRead,
    summary="项目详情：目标、实际值、预算、状态、评分",
    responses=ERRORS,
)
def get_project(project_id: ProjectId, session: SessionDep, user: ApiUser) -> ProjectRead:
    project = get_readable_project(
        session=session, user=user, project_id=project_id, options=queries.ENTRY_OPTIONS
    )
    return project_read(session=session, project=project)


@router.put(
    "/projects/{project_id}/actuals",
    response_model=ProjectRead,
    summary="填报实际完成值和预算执行数（草稿，可部分填报）",
    responses={
        **ERRORS,
        409: {"description": "版本已过期（他人已修改），或项目已提交/已审核不能修改"},
        422: {"description": "逐项列出填写有误的指标（loc 含指标 id）；整个请求不保存任何内容"},
    },
)
def put_actuals(
    project_id: ProjectId, body: ActualsUpdate, request: Request, session: SessionDep, user: ApiWriter
) -> ProjectRead:
    """Atomic: every listed field is validated and either all land or none (422). Fields and
    indicators left out stay as stored; ``"actual": null`` clears one. Returns the project with
    its new score and version."""
    project = _writable(session, user, project_id)
    entry, errors = body.to_entry(project)
    ensure_editable(project)
    service.check_version(session=session, project=project, entry=entry)
    if errors:
        raise Unprocessable(
            f"有 {len(errors)} 处填写有误，未保存任何内容", code="invalid_entry", errors=errors
        )
    service.save_entry(
        session=session,
        project=project,
        entry=entry,
        actor=user,
        atomic=True,
        address=client_address(request),
    )
    return project_read(session=session, project=project)


@router.post(
    "/projects/{project_id}/submit",
    response_model=ProjectRead,
    summary="提交项目自评",
    responses={
        **ERRORS,
        409: {"description": "项目已提交或已审核"},
        422: {"description": "逐项列出尚缺的内容"},
    },
)
def submit(project_id: ProjectId, request: Request, session: SessionDep, user: ApiWriter) -> ProjectRead:
    project = _writable(session, user, project_id)
    service.submit_project(session=session, project=project, actor=user, address=client_address(request))
    return project_read(session=session, project=project)


@router.get(
    "/projects/{project_id}/score",
    summary="项目评分（score-case 输出形式，另含 computed_at）",
    responses={**ERRORS, 422: {"description": "项目整体无法评分（如分值合计不符）"}},
)
def get_score(project_id: ProjectId, session: SessionDep, user: ApiUser) -> dict[str, Any]:
    project = get_readable_project(
        session=session, user=user, project_id=project_id, options=queries.ENTRY_OPTIONS
    )
    view = service.score_of(session=session, project=project)
    if view.score is None:
        raise Unprocessable(view.error or "项目无法评分", code="unscorable")
    out = view.score.to_json()
    out["project_id"] = project.id
    out["version"] = project.version
    out["computed_at"] = datetime.now(UTC).isoformat()
    return out


def _writable(session, user: User, project_id: int) -> Project:
    return get_writable_project(
        session=session, user=user, project_id=project_id, options=queries.ENTRY_OPTIONS
    )
