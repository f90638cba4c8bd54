"""API: review decisions (finance), reopening (admin), status history (everyone with access)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.accounts.deps import ApiUser, ApiWriter, client_address
from app.accounts.scoping import get_readable_project
from app.core.errors import Forbidden
from app.core.params import ProjectId
from app.db.deps import SessionDep
from app.db.models.accounts import User
from app.review import service
from app.review.schemas import HistoryRead, ReopenCreate, ReviewCreate, ReviewRead, StatusEventRead
from app.submissions.status import STATUS_LABELS

router = APIRouter(prefix="/api/v1", tags=["审核"])

ERRORS = {
    401: {"description": "缺少或无效的令牌"},
    403: {"description": "角色或令牌权限不足"},
    404: {"description": "项目不存在或不在您的单位范围内"},
    409: {"description": "项目当前状态不允许此操作"},
    422: {"description": "请求内容有误（如退回未填写意见）"},
}


# Not ``require_api_role``: its inner dependency annotates with a local name, which FastAPI cannot
# resolve under postponed annotations (PEP 563) when the OpenAPI schema is built.
def finance_writer(user: ApiWriter) -> User:
    """财政审核 with a write scope (a read-only token is refused before the role is checked)."""
    if user.role != "finance":
        raise Forbidden("此功能仅限财政审核使用", code="role_required")
    return user


def admin_writer(user: ApiWriter) -> User:
    if user.role != "admin":
        raise Forbidden("此功能仅限系统管理员使用", code="role_required")
    return user


Finance = Annotated[User, Depends(finance_writer)]
Admin = Annotated[User, Depends(admin_writer)]


def _read(project, event) -> ReviewRead:
    return ReviewRead(
        project_id=project.id,
        status=project.status,
        status_label=STATUS_LABELS[project.status],
        version=project.version,
        event=StatusEventRead.of(event),
    )


@router.post("/projects/{project_id}/review", response_model=ReviewRead, responses=ERRORS, summary="审核项目")
def review_project(
    project_id: ProjectId, body: ReviewCreate, request: Request, session: SessionDep, user: Finance
) -> ReviewRead:
    """财政审核：``approve`` 审核通过（项目锁定，保存评分快照）；``return`` 退回部门修改（须填写意见，
    部门在项目页面和状态历史中看到）。只能审核“已提交”的项目，否则 409。"""
    project = get_readable_project(session=session, user=user, project_id=project_id)
    event = service.decide(
        session=session,
        project=project,
        actor=user,
        decision=body.decision,
        comment=body.comment,
        address=client_address(request),
    )
    return _read(project, event)


@router.post(
    "/projects/{project_id}/reopen", response_model=ReviewRead, responses=ERRORS, summary="重新打开已审核项目"
)
def reopen_project(
    project_id: ProjectId, body: ReopenCreate, request: Request, session: SessionDep, user: Admin
) -> ReviewRead:
    """系统管理员把“已审核”的项目改回“填报中”，须说明原因（写入审计日志）。"""
    project = get_readable_project(session=session, user=user, project_id=project_id)
    event = service.reopen(
        session=session, project=project, actor=user, comment=body.comment, address=client_address(request)
    )
    return _read(project, event)


@router.get(
    "/projects/{project_id}/history", response_model=HistoryRead, responses=ERRORS, summary="状态历史"
)
def project_history(project_id: ProjectId, session: SessionDep, user: ApiUser) -> HistoryRead:
    """项目的提交、退回、审核、重新打开记录及意见（退回意见即部门需要修改的内容）。"""
    project = get_readable_project(session=session, user=user, project_id=project_id)
    events = service.status_history(session=session, project_id=project.id)
    return HistoryRead(
        project_id=project.id,
        status=project.status,
        status_label=STATUS_LABELS[project.status],
        events=[StatusEventRead.of(e) for e in events],
    )
