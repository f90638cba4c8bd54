"""API: push a 绩效目标表 — upload → dry-run preview → confirm with its fingerprint (finance, admin).

Thin: the work is that of the upload page (:mod:`app.targets.upload`), so the API previews and
imports exactly as the page does, with the same ``targets.import`` audit row.

- ``POST   /api/v1/target-tables``                      store the file, answer the preview (201)
- ``GET    /api/v1/target-tables/{upload_id}``          the preview again, against today's data
- ``POST   /api/v1/target-tables/{upload_id}/confirm``  import it (``{"fingerprint": ...}``)
- ``DELETE /api/v1/target-tables/{upload_id}``          forget the file (204)

An upload belongs to its uploader: another user's is 404, like an unknown or expired one.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Request, Response, UploadFile

from app.accounts.deps import ApiWriter, client_address
from app.core.errors import Forbidden, NotFound
from app.db.deps import SessionDep
from app.db.models import ImportBatch, User
from app.targets import upload
from app.targets.schemas import ConfirmBody, ImportRead, TargetTablePreview

router = APIRouter(prefix="/api/v1", tags=["绩效目标表导入"])

ERRORS = {
    401: {"description": "缺少或无效的令牌"},
    403: {"description": "仅限财政审核和系统管理员，且须使用读写（write）令牌"},
}
NOT_FOUND = {404: {"description": "上传不存在、已过期、已导入或已取消，或不是您上传的"}}


def importer(user: ApiWriter) -> User:
    """财政审核 or 系统管理员 with a write scope (a read-only token is refused first)."""
    if user.role not in ("finance", "admin"):
        raise Forbidden("此功能仅限财政审核、系统管理员使用", code="role_required")
    return user


Importer = Annotated[User, Depends(importer)]
UploadId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="上传时返回的 upload_id",
        examples=["k3Jx0Qm2yT8v1bq6H9wZcLr4sN7uPeA5dGfV0iXoYhM"],
    ),
]
Format = Literal["auto", "xlsx", "csv", "html", "text"]


@router.post(
    "/target-tables",
    status_code=201,
    response_model=TargetTablePreview,
    summary="上传绩效目标表并预览导入结果（不保存）",
    responses={
        **ERRORS,
        409: {"description": "有指标已填报实际完成值而表中目标值不同：逐项列出（loc force_targets）"},
        422: {"description": "文件为空、过大、格式无法识别或内容不是绩效目标表（loc file / format）"},
    },
)
def upload_table(
    session: SessionDep,
    user: Importer,
    file: Annotated[
        UploadFile, File(description="绩效目标表：.xlsx、.csv（UTF-8 或 GBK）、.html 或公开表文本 .txt")
    ],
    format: Annotated[Format, Form(description="文件格式，auto 按内容自动识别")] = "auto",
    force_targets: Annotated[
        bool, Form(description="已填报实际完成值的指标也按新表更新目标值（实际值保留，修改记入导入记录）")
    ] = False,
) -> TargetTablePreview:
    """读取文件并试运行导入（在回滚的事务中），返回与网页“导入预览”相同的内容：新建、更新、删除的单位、
    项目和指标，每个目标值修改前 → 修改后，警告和未能识别的指标值。**不保存任何数据**；用返回的
    ``upload_id`` 和 ``fingerprint`` 调用确认接口才导入。"""
    data = file.file.read(upload.MAX_UPLOAD_BYTES + 1)
    preview = upload.upload_and_preview(
        session=session,
        user=user,
        data=data,
        filename=file.filename or "",
        format=format,
        force_targets=force_targets,
    )
    return TargetTablePreview.of(preview)


@router.get(
    "/target-tables/{upload_id}",
    response_model=TargetTablePreview,
    summary="重新预览尚未确认的上传",
    responses={
        **ERRORS,
        **NOT_FOUND,
        409: {"description": "有指标已填报实际完成值而表中目标值不同（上传后他人填报）"},
        422: {"description": "表已不能导入"},
    },
)
def preview_table(upload_id: UploadId, session: SessionDep, user: Importer) -> TargetTablePreview:
    """按数据库的当前内容重新试运行导入；确认返回 409（数据已变化）后，用此处新的 ``fingerprint`` 再确认。"""
    pending = upload.get_pending(session=session, user=user, token=upload_id)
    return TargetTablePreview.of(upload.confirmable_preview(session=session, pending=pending))


@router.post(
    "/target-tables/{upload_id}/confirm",
    response_model=ImportRead,
    summary="确认导入已预览的绩效目标表",
    responses={
        **ERRORS,
        **NOT_FOUND,
        409: {
            "description": "预览后数据已变化（fingerprint 不符，loc fingerprint）、文件校验值不符（loc sha256）"
            "或导入被拒绝；未保存任何内容，上传保留，可重新预览"
        },
        422: {"description": "fingerprint 或 sha256 格式有误"},
    },
)
def confirm_table(
    upload_id: UploadId, body: ConfirmBody, request: Request, session: SessionDep, user: Importer
) -> ImportRead:
    """导入上传的文件：只有当导入的结果与预览（``fingerprint``）完全一致时才保存，整表导入或全部不导入，
    并记入审计日志（导入绩效目标表）。成功后上传编号失效，再次确认返回 404。"""
    batch: ImportBatch = upload.confirm_upload(
        session=session,
        user=user,
        token=upload_id,
        sha256=body.sha256,
        fingerprint=body.fingerprint,
        address=client_address(request),
    )
    return ImportRead.of(batch)


@router.delete(
    "/target-tables/{upload_id}",
    status_code=204,
    response_class=Response,
    summary="取消尚未确认的上传",
    responses={**ERRORS, **NOT_FOUND},
)
def cancel_table(upload_id: UploadId, session: SessionDep, user: Importer) -> Response:
    """删除上传的文件，不导入任何内容。"""
    if not upload.cancel_upload(session=session, user=user, token=upload_id):
        raise NotFound(upload.NOT_FOUND, code="upload_not_found", loc=("upload_id",))
    return Response(status_code=204)
