"""Upload pages for 绩效目标表 (finance and admin): upload → preview → confirm or cancel; history.

Thin: the work is in :mod:`app.targets.upload`. Every form carries the CSRF token.

- ``GET  /imports``                    the upload form (and the caller's unfinished uploads)
- ``POST /imports``                    store the file → 303 to its preview, or the form with the error
- ``GET  /imports/history``            recent imports (ImportBatch) with outcome, counts, warnings
- ``GET  /imports/{token}``            the dry-run preview (nothing saved)
- ``POST /imports/{token}/options``    change 强制更新目标值 and preview again
- ``POST /imports/{token}/confirm``    import for real → 303 to the history
- ``POST /imports/{token}/cancel``     forget the file → 303 to the form
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.audit import actor_label, as_local
from app.accounts.deps import client_address, require_role
from app.core.params import MAX_ID, PageQuery
from app.db.deps import SessionDep
from app.db.models import User
from app.targets import upload
from app.targets.labels import DIRECTION_LABELS, KIND_LABELS
from app.web.templating import templates

router = APIRouter(include_in_schema=False)

Importer = Annotated[User, Depends(require_role("finance", "admin"))]
HISTORY_PAGE_SIZE = 30
# Target fields in the order a clerk reads them; the parsed parts of 指标值 are secondary.
FIELD_ORDER = ("raw", "points", "direction", "level1", "kind", "operator", "value", "unit", "expected",
               "deadline", "reference")  # fmt: skip
MINOR_FIELDS = frozenset({"kind", "operator", "value", "unit", "expected", "deadline", "reference"})


def _local(at) -> str:
    return as_local(at).strftime("%Y-%m-%d %H:%M")


def _form_page(
    request: Request,
    session: SessionDep,
    user: User,
    *,
    errors: dict[str, str] | None = None,
    format: str = "auto",
    force_targets: bool = False,
    cancelled: bool = False,
    status_code: int = 200,
) -> Response:
    return templates.TemplateResponse(
        request,
        "import_upload.html",
        {
            "errors": errors or {},
            "format": format,
            "force_targets": force_targets,
            "cancelled": cancelled,
            "formats": upload.FORMAT_LABELS,
            "accept": upload.ACCEPT,
            "max_mb": upload.MAX_UPLOAD_BYTES // (1024 * 1024),
            "pending": upload.list_pending(session=session, user=user),
            "local": _local,
        },
        status_code=status_code,
    )


@router.get("/imports", response_class=HTMLResponse)
def upload_form(request: Request, session: SessionDep, user: Importer, cancelled: int = 0) -> Response:
    return _form_page(request, session, user, cancelled=bool(cancelled))


@router.post("/imports", response_class=HTMLResponse)
def upload_file(
    request: Request,
    session: SessionDep,
    user: Importer,
    file: Annotated[UploadFile | None, File(description="绩效目标表")] = None,
    format: Annotated[str, Form()] = "auto",
    force_targets: Annotated[bool, Form()] = False,
) -> Response:
    again = {"format": format if format in upload.FORMAT_LABELS else "auto", "force_targets": force_targets}
    if file is None or not file.filename:
        return _form_page(
            request, session, user, errors={"file": "请选择要上传的文件。"}, status_code=422, **again
        )
    data = file.file.read(upload.MAX_UPLOAD_BYTES + 1)
    try:
        pending = upload.store_upload(
            session=session,
            user=user,
            data=data,
            filename=file.filename,
            format=format,
            force_targets=force_targets,
        )
    except upload.UploadRejected as exc:
        return _form_page(request, session, user, errors={exc.field: exc.message}, status_code=422, **again)
    return RedirectResponse(f"/imports/{pending.token}", status_code=303)


@router.get("/imports/history", response_class=HTMLResponse)
def history(
    request: Request,
    session: SessionDep,
    user: Importer,
    page: PageQuery = 1,
    batch: Annotated[int | None, Query(ge=1, le=MAX_ID, description="导入批次")] = None,
) -> Response:
    rows, total = upload.list_batches(
        session=session, limit=HISTORY_PAGE_SIZE, offset=(page - 1) * HISTORY_PAGE_SIZE
    )
    return templates.TemplateResponse(
        request,
        "import_history.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max((total + HISTORY_PAGE_SIZE - 1) // HISTORY_PAGE_SIZE, 1),
            "done": batch,
            "outcome_labels": upload.OUTCOME_LABELS,
            "counts_text": upload.counts_text,
            "change_summary": upload.change_summary,
            "actor_label": actor_label,
            "field_labels": upload.FIELD_LABELS,
            "local": _local,
        },
    )


def _preview_page(
    request: Request,
    session: SessionDep,
    pending,
    *,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    preview = upload.preview_upload(session=session, pending=pending)
    return templates.TemplateResponse(
        request,
        "import_preview.html",
        {
            "preview": preview,
            "pending": pending,
            "plan": preview.plan,
            "table": preview.table,
            "notice": notice,
            "formats": upload.FORMAT_LABELS,
            "outcome_labels": upload.OUTCOME_LABELS,
            "counts_text": upload.counts_text,
            "field_labels": upload.FIELD_LABELS,
            "field_order": FIELD_ORDER,
            "minor_fields": MINOR_FIELDS,
            "kind_labels": KIND_LABELS,
            "direction_labels": DIRECTION_LABELS,
            "indicator_total": sum(len(p.indicators) for p in preview.table.projects) if preview.table else 0,
            "local": _local,
        },
        status_code=status_code,
    )


@router.get("/imports/{token}", response_class=HTMLResponse)
def preview(request: Request, token: str, session: SessionDep, user: Importer) -> Response:
    pending = upload.get_pending(session=session, user=user, token=token)
    return _preview_page(request, session, pending)


@router.post("/imports/{token}/options")
def options(
    token: str,
    session: SessionDep,
    user: Importer,
    force_targets: Annotated[bool, Form()] = False,
) -> Response:
    pending = upload.get_pending(session=session, user=user, token=token)
    pending.force_targets = force_targets
    session.flush()
    return RedirectResponse(f"/imports/{token}", status_code=303)


@router.post("/imports/{token}/confirm", response_class=HTMLResponse)
def confirm(
    request: Request,
    token: str,
    session: SessionDep,
    user: Importer,
    sha256: Annotated[str, Form()] = "",
    fingerprint: Annotated[str, Form()] = "",
) -> Response:
    try:
        batch = upload.confirm_upload(
            session=session,
            user=user,
            token=token,
            sha256=sha256,
            fingerprint=fingerprint,
            address=client_address(request),
        )
    except upload.ConfirmRefused as refused:
        pending = upload.get_pending(session=session, user=user, token=token)
        return _preview_page(request, session, pending, notice=refused.message, status_code=409)
    return RedirectResponse(f"/imports/history?batch={batch.id}", status_code=303)


@router.post("/imports/{token}/cancel")
def cancel(token: str, session: SessionDep, user: Importer) -> Response:
    upload.cancel_upload(session=session, user=user, token=token)
    return RedirectResponse("/imports?cancelled=1", status_code=303)
