"""Web pages of the finance review: the queue, the review page with decisions and adjustments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.deps import client_address, require_role
from app.core.errors import AppError
from app.core.params import MAX_ID, ProjectId, YearQuery
from app.db.deps import SessionDep
from app.db.models.accounts import User
from app.reports.scores import project_form, readable_project
from app.review import service
from app.scoring import service as scoring
from app.submissions.status import STATUS_LABELS
from app.targets.labels import DIRECTION_LABELS
from app.web.templating import templates

router = APIRouter(include_in_schema=False)

Reviewer = Annotated[User, Depends(require_role("finance", "admin"))]
Finance = Annotated[User, Depends(require_role("finance"))]
Admin = Annotated[User, Depends(require_role("admin"))]

FLAG_LABELS = {
    "overachieved": "超额完成",
    "review_required": "需复核",
    "share_over_100": "比率超过100%",
    "late": "逾期完成",
    "missing_actual": "未填报",
    "invalid_actual": "填报值无法识别",
    "missing_baseline": "缺少基数",
    "not_applicable": "不适用",
    "unscorable_target": "指标值无法评分",
}
templates.env.globals.setdefault("status_labels", STATUS_LABELS)
templates.env.globals.setdefault("flag_labels", FLAG_LABELS)


@router.get("/review", response_class=HTMLResponse)
def review_queue(
    request: Request,
    session: SessionDep,
    user: Reviewer,
    year: YearQuery = None,
) -> Response:
    items = service.review_queue(session=session, year=year)
    years = sorted({i.project.year for i in items}, reverse=True)
    return templates.TemplateResponse(
        request, "review_queue.html", {"items": items, "year": year, "years": years}
    )


def _page(
    request: Request,
    session,
    user: User,
    project_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    project = readable_project(session=session, user=user, project_id=project_id)
    form = project_form(session=session, project=project)
    history = service.status_history(session=session, project_id=project.id)
    score_adjustments = scoring.score_adjustments_for(session=session, project_id=project.id)
    target_adjustments = scoring.target_adjustments_for(session=session, project_id=project.id)
    directions = {i.id: i.direction for i in project.indicators}
    return templates.TemplateResponse(
        request,
        "review_project.html",
        {
            "project": project,
            "form": form,
            "history": history,
            "score_adjustments": score_adjustments,
            "target_adjustments": target_adjustments,
            "directions": directions,
            "direction_labels": DIRECTION_LABELS,
            "errors": errors or {},
            "values": values or {},
            "can_decide": user.role == "finance" and project.status == "submitted",
            "can_reopen": user.role == "admin" and project.status == "approved",
            "notice": request.query_params.get("done"),
        },
        status_code=status_code,
    )


@router.get("/review/{project_id}", response_class=HTMLResponse)
def review_page(request: Request, project_id: ProjectId, session: SessionDep, user: Reviewer) -> Response:
    return _page(request, session, user, project_id)


def _field_errors(exc: AppError, default: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in exc.items():
        key = str(item.loc[-1]) if item.loc else default
        key = {"score": "value", "raw": "value", "indicator_id": "indicator", "kind": "value"}.get(key, key)
        out.setdefault(key, item.msg)
    return out


@router.post("/review/{project_id}/decision", response_class=HTMLResponse)
def review_decision(
    request: Request,
    project_id: ProjectId,
    session: SessionDep,
    user: Finance,
    decision: Annotated[str, Form()] = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    project = readable_project(session=session, user=user, project_id=project_id)
    try:
        # in a savepoint: a refusal after a flush (approval of a project that cannot be fully
        # scored) is undone here, so the page shows the project as stored; the error response
        # itself commits nothing (app/db/deps.py)
        with session.begin_nested():
            service.decide(
                session=session,
                project=project,
                actor=user,
                decision=decision,
                comment=comment,
                address=client_address(request),
            )
    except AppError as exc:
        if exc.status_code != 422:
            raise
        return _page(
            request,
            session,
            user,
            project_id,
            errors=_field_errors(exc, "comment"),
            values={"comment": comment, "decision": decision},
            status_code=422,
        )
    done = "approved" if decision == "approve" else "returned"
    return RedirectResponse(f"/review?done={done}&project={project.id}", status_code=303)


@router.post("/review/{project_id}/adjust", response_class=HTMLResponse)
def review_adjust(
    request: Request,
    project_id: ProjectId,
    session: SessionDep,
    user: Finance,
    indicator_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    kind: Annotated[str, Form()] = "score",
    value: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    clear: Annotated[str, Form()] = "",
) -> Response:
    """复核调整: ``kind`` score (调整得分) or target (调整后指标值); ``clear`` removes it."""
    project = readable_project(session=session, user=user, project_id=project_id)
    try:
        with session.begin_nested():  # a refusal is undone before the page is shown
            service.adjust(
                session=session,
                project=project,
                indicator_id=indicator_id,
                actor=user,
                kind=kind,
                value=value,
                reason=reason,
                clear=bool(clear),
                address=client_address(request),
            )
    except AppError as exc:
        if exc.status_code != 422:
            raise
        errors = {f"adj-{k}": v for k, v in _field_errors(exc, "value").items()}
        values = {
            "adj-indicator": str(indicator_id),
            "adj-kind": kind,
            "adj-value": value,
            "adj-reason": reason,
        }
        return _page(request, session, user, project_id, errors=errors, values=values, status_code=422)
    return RedirectResponse(f"/review/{project.id}?done=adjusted#ind-{indicator_id}", status_code=303)


@router.post("/review/{project_id}/reopen", response_class=HTMLResponse)
def review_reopen(
    request: Request,
    project_id: ProjectId,
    session: SessionDep,
    user: Admin,
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    project = readable_project(session=session, user=user, project_id=project_id)
    try:
        with session.begin_nested():  # a refusal is undone before the page is shown
            service.reopen(
                session=session, project=project, actor=user, comment=comment, address=client_address(request)
            )
    except AppError as exc:
        if exc.status_code != 422:
            raise
        return _page(
            request,
            session,
            user,
            project_id,
            errors={"reopen": exc.items()[0].msg},
            values={"reopen": comment},
            status_code=422,
        )
    return RedirectResponse(f"/review/{project.id}?done=reopened", status_code=303)
