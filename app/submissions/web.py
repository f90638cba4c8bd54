"""Web pages for departments: 绩效自评填报 home, the 自评表 form, the Excel round trip.

- ``GET /entry``: the caller's projects for a year with status, indicators filled, score and
  grade. Departments see their units; finance and admin see every unit here too (read-only
  links), so the page doubles as a progress list until the finance overview exists.
- ``GET|POST /entry/projects/{id}``: the form. A save keeps the valid fields and shows each
  refused one with its message and the typed input; a stale version is refused (409) with the
  differences listed and the input kept. ``POST …/submit`` saves, then submits when complete.
- ``GET /entry/projects/{id}/workbook.xlsx``, ``GET /entry/workbook.xlsx``: entry workbooks;
  ``POST /entry/upload`` previews an upload, ``POST /entry/upload/confirm`` writes it.

All writes go through ``app.submissions.service`` (the same as the API).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from app.accounts.audit import as_local
from app.accounts.deps import CurrentUser, client_address, require_role
from app.accounts.scoping import get_readable_project, get_writable_project, sees_all_units
from app.core.errors import Conflict
from app.core.params import CountQuery, PageQuery, ProjectId, YearQuery
from app.db.deps import SessionDep, commit_despite_error
from app.db.models.accounts import User
from app.submissions import entries as E
from app.submissions import merge, queries, service, workbook
from app.submissions.service import StaleVersion
from app.submissions.status import STATUS_LABELS, ensure_editable
from app.submissions.views import explained, form_context
from app.web.templating import templates

router = APIRouter(include_in_schema=False)
templates.env.filters.setdefault("local_time", lambda at: f"{as_local(at):%Y-%m-%d %H:%M}")
PAGE_SIZE = 100
DepartmentUser = Annotated[User, Depends(require_role("department"))]


async def posted_form(request: Request) -> FormData:
    """The posted form (already parsed by the CSRF check; Starlette caches it)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


# ------------------------------------------------------------------------------ home


@router.get("/entry", response_class=HTMLResponse)
def entry_home(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    year: YearQuery = None,
    unit: Annotated[str, Query(max_length=32)] = "",
    page: PageQuery = 1,
    imported: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    years = queries.entry_years(session=session, user=user)
    year = year or (years[0] if years else None)
    page = max(page, 1)
    rows, total = (
        queries.list_projects(
            session=session,
            user=user,
            year=year,
            unit_code=unit.strip() or None,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        if year
        else ([], 0)
    )
    by_unit: dict[str, list[queries.ProjectRow]] = {}
    for row in rows:
        by_unit.setdefault(row.project.unit.code, []).append(row)
    counts = {code: 0 for code in STATUS_LABELS}
    for row in rows:
        counts[row.status] += 1
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    query = {k: v for k, v in {"year": year, "unit": unit}.items() if v}
    return templates.TemplateResponse(
        request,
        "dept_home.html",
        {
            "years": years,
            "year": year,
            "unit": unit,
            "by_unit": by_unit,
            "counts": counts,
            "total": total,
            "page": page,
            "pages": pages,
            "page_url": lambda p: "/entry?" + urlencode({**query, "page": p}),
            "all_units": sees_all_units(user),
            "is_department": user.role == "department",
            "imported": imported,
            "status_labels": STATUS_LABELS,
        },
    )


# ------------------------------------------------------------------------------ the form


@router.get("/entry/projects/{project_id}", response_class=HTMLResponse)
def project_form(
    request: Request,
    project_id: ProjectId,
    session: SessionDep,
    user: CurrentUser,
    saved: CountQuery = 0,
    submitted: CountQuery = 0,
    kept: CountQuery = 0,
) -> Response:
    project = get_readable_project(
        session=session, user=user, project_id=project_id, options=queries.ENTRY_OPTIONS
    )
    notice = None
    if submitted:
        notice = "已提交，等待财政局审核。"
    elif saved:
        notice = f"已保存（第 {project.version} 版），得分已按保存的内容重新计算。"
        if kept:
            notice += f"您打开此页后他人保存的 {kept} 处修改均已保留，您的修改已与之合并。"
    return _render(request, session, project, user, notice=notice)


@router.post("/entry/projects/{project_id}", response_class=HTMLResponse)
def save_form(
    request: Request, project_id: ProjectId, session: SessionDep, user: CurrentUser, form: PostedForm
) -> Response:
    return _save(request, session, user, project_id, form, submit=False)


@router.post("/entry/projects/{project_id}/submit", response_class=HTMLResponse)
def submit_form(
    request: Request, project_id: ProjectId, session: SessionDep, user: CurrentUser, form: PostedForm
) -> Response:
    return _save(request, session, user, project_id, form, submit=True)


@router.post("/entry/projects/{project_id}/preview")
def preview_form(
    project_id: ProjectId, session: SessionDep, user: CurrentUser, form: PostedForm
) -> JSONResponse:
    """The score with what is typed so far, for the page to show while the clerk types
    (static/entry.js). Nothing is written; the page works the same without it."""
    project = get_writable_project(
        session=session, user=user, project_id=project_id, options=queries.ENTRY_OPTIONS
    )
    entry = E.entry_from_form(form, list(project.indicators))
    view, plan = service.preview_entry(session=session, project=project, entry=entry)
    score = view.score
    rows = sorted(project.indicators, key=lambda r: r.position)

    def typed_reason(ind_id: int) -> str:
        typed = entry.actuals.get(ind_id)
        return typed.reason if typed else ""

    indicators = {}
    if score is not None:
        for ind, r in zip(rows, score.indicators, strict=True):
            indicators[ind.id] = {
                "score": _s(r.final_score),
                "points": _s(r.points),
                "lost": r.final_score is not None and r.final_score < r.points,
                "explanation": "待填写"
                if r.error and "missing_actual" in r.flags
                else explained(r.explanation, typed_reason(ind.id)),
                "reason_required": r.reason_required,
            }
    budget = score.budget if score else None
    return JSONResponse(
        {
            "indicators": indicators,
            "budget": {
                "rate": f"{budget.rate * 100:.2f}%" if budget and budget.rate is not None else None,
                "score": _s(budget.score) if budget else None,
                "reason_required": bool(budget and budget.reason_required),
            },
            "total": _s(view.total),
            "grade": view.grade,
            "provisional": _s(view.provisional),
            "error": view.error,
            "errors": plan.error_map(),
        }
    )


def _s(value) -> str | None:
    return None if value is None else str(value)


def _save(
    request: Request, session, user: User, project_id: ProjectId, form: FormData, *, submit: bool
) -> Response:
    project = get_writable_project(
        session=session, user=user, project_id=project_id, options=queries.ENTRY_OPTIONS
    )
    entry = E.entry_from_form(form, list(project.indicators))
    address = client_address(request)
    try:
        ensure_editable(project)
    except Conflict as exc:
        return _render(
            request, session, project, user, notice=exc.message, notice_kind="err", status_code=409
        )
    base = merge.loaded_entry(form, list(project.indicators))
    entry = merge.apply_choices(project=project, form=form, entry=entry, base=base)
    project, plan, merged = _save_merging(request, session, user, project, entry, base)
    if plan is None:  # both sides changed the same fields: nothing written, the clerk chooses
        assert merged is not None
        return _render(
            request,
            session,
            project,
            user,
            entry=merged.entry,
            conflicts=merged.clashes,
            notice=_clash_notice(session, project, entry, merged),
            notice_kind="err",
            status_code=409,
        )
    if plan.errors:
        commit_despite_error(request)  # the valid fields are saved; the refused ones shown
        kept = "，其余内容已保存" if plan.has_changes else ""
        errors = plan.error_map()
        missing = None
        notice = f"有 {len(plan.errors)} 处填写有误（已在下方标出，您填写的内容仍保留）{kept}。"
        if submit:  # everything that keeps the project from submission, in one round
            view = service.score_of(session=session, project=project)
            rest = [m for m in service.missing_items(project, view) if m.field not in errors]
            missing = [service.Missing(e.field, e.label, e.message, e.code) for e in plan.errors] + rest
            more = f"另有 {len(rest)} 项未完成，已一并列出。" if rest else ""
            notice = f"未提交：{notice}{more}"
        return _render(
            request,
            session,
            project,
            user,
            entry=entry,
            errors=errors,
            missing=missing,
            notice=notice,
            notice_kind="err",
            status_code=422,
        )
    if submit:
        view = service.score_of(session=session, project=project)
        missing = service.missing_items(project, view)
        if missing:
            commit_despite_error(request)  # saved, not submitted
            saved = "已保存，但" if plan.has_changes else ""
            return _render(
                request,
                session,
                project,
                user,
                missing=missing,
                notice=f"{saved}还不能提交：还有 {len(missing)} 项未完成，请逐项补充后再提交。",
                notice_kind="err",
                status_code=422,
            )
        service.submit_project(session=session, project=project, actor=user, address=address)
        return RedirectResponse(f"/entry/projects/{project.id}?submitted=1", status_code=303)
    kept = f"&kept={len(merged.kept)}" if merged and merged.kept else ""
    return RedirectResponse(f"/entry/projects/{project.id}?saved=1{kept}", status_code=303)


def _save_merging(request: Request, session, user: User, project, entry: E.ProjectEntry, base):
    """``save_entry``; when the version is stale, the three-way merge with what the page was
    loaded with (app/submissions/merge.py) is saved instead — unless both sides changed a field
    differently: then nothing is written and the merge is returned (plan None) with its clashes."""
    address = client_address(request)
    merged: merge.Merge | None = None
    for attempt in range(3):
        try:
            plan = service.save_entry(
                session=session, project=project, entry=entry, actor=user, atomic=False, address=address
            )
            return project, plan, merged
        except StaleVersion:
            pass
        except Conflict:  # a concurrent save won the race at the UPDATE: nothing was written
            if attempt == 2:
                raise
            session.rollback()
            project = get_writable_project(
                session=session, user=user, project_id=project.id, options=queries.ENTRY_OPTIONS
            )
        merged = merge.merge(project=project, base=base, mine=entry)
        if merged.clashes:
            return project, None, merged
        entry, base = merged.entry, merge.stored_entry(project)
    raise AssertionError("unreachable")  # pragma: no cover


def _clash_notice(session, project, entry: E.ProjectEntry, merged: merge.Merge) -> str:
    saved = service.last_saved(session=session, project=project)
    parts = [
        f"保存未成功：您打开此页后，此项目已被修改（您打开时为第 {entry.version} 版，现为第 {project.version} 版"
        + (f"，{saved}" if saved else "")
        + "）。"
    ]
    if merged.kept:
        parts.append(f"他人修改的 {len(merged.kept)} 处已保留；")
    if merged.applied:
        parts.append(f"您修改的 {len(merged.applied)} 处已填入下方；")
    parts.append(f"双方都修改了 {len(merged.clashes)} 处，请在下方逐项选择保留哪一个，再点击“保存合并结果”。")
    return "".join(parts)


def _render(
    request: Request,
    session,
    project,
    user: User,
    *,
    entry: E.ProjectEntry | None = None,
    errors: dict[str, str] | None = None,
    conflicts: list[service.FieldChange] | None = None,
    missing: list[service.Missing] | None = None,
    notice: str | None = None,
    notice_kind: str = "ok",
    status_code: int = 200,
) -> Response:
    context = form_context(
        session=session,
        project=project,
        user=user,
        entry=entry,
        errors=errors,
        conflicts=conflicts,
        missing=missing,
        notice=notice,
    )
    context["notice_kind"] = notice_kind
    return templates.TemplateResponse(request, "project_form.html", context, status_code=status_code)


# ------------------------------------------------------------------------------ Excel round trip


def _xlsx(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type=workbook.XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": f"attachment; filename=\"entry.xlsx\"; filename*=UTF-8''{quote(filename)}"
        },
    )


@router.get("/entry/projects/{project_id}/workbook.xlsx")
def project_workbook(project_id: ProjectId, session: SessionDep, user: CurrentUser) -> Response:
    project = get_readable_project(
        session=session, user=user, project_id=project_id, options=queries.ENTRY_OPTIONS
    )
    return _xlsx(workbook.build_workbook([project]), f"{project.year}年绩效自评填报表-{project.name}.xlsx")


@router.get("/entry/workbook.xlsx")
def unit_workbook(
    session: SessionDep,
    user: CurrentUser,
    year: YearQuery = None,
    unit: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    years = queries.entry_years(session=session, user=user)
    year = year or (years[0] if years else None)
    stmt = queries.entry_statement(user=user, year=year, unit_code=unit.strip() or None)
    projects = list(session.scalars(stmt.options(*queries.ENTRY_OPTIONS).limit(500)))
    name = unit.strip() or "、".join(user.unit_codes) or "全部单位"
    return _xlsx(workbook.build_workbook(projects), f"{year or ''}年绩效自评填报表-{name}.xlsx")


@router.post("/entry/upload", response_class=HTMLResponse)
def upload_preview(
    request: Request,
    session: SessionDep,
    user: DepartmentUser,
    file: Annotated[UploadFile, File(description="填好的 Excel 填报表")],
) -> Response:
    data = file.file.read(workbook.MAX_UPLOAD_BYTES + 1)
    preview = workbook.preview_upload(session=session, user=user, data=data, filename=file.filename or "")
    return _preview_page(request, preview, data)


@router.post("/entry/upload/confirm", response_class=HTMLResponse)
def upload_confirm(
    request: Request,
    session: SessionDep,
    user: DepartmentUser,
    payload: Annotated[str, Form()] = "",
    filename: Annotated[str, Form()] = "",
) -> Response:
    try:
        data = base64.b64decode(payload.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        data = b""
    preview = workbook.preview_upload(session=session, user=user, data=data, filename=filename)
    if not preview.valid:  # something changed since the preview: show it again, write nothing
        return _preview_page(request, preview, data, status_code=409, stale=True)
    projects, fields = workbook.apply_upload(
        session=session, preview=preview, actor=user, address=client_address(request)
    )
    return RedirectResponse(f"/entry?imported={projects}-{fields}", status_code=303)


def _preview_page(
    request: Request,
    preview: workbook.UploadPreview,
    data: bytes,
    *,
    status_code: int | None = None,
    stale: bool = False,
) -> Response:
    if status_code is None:
        status_code = 200 if preview.valid or (preview.error_count == 0) else 422
    return templates.TemplateResponse(
        request,
        "upload_preview.html",
        {
            "preview": preview,
            "payload": base64.b64encode(data).decode("ascii") if preview.valid else "",
            "stale": stale,
        },
        status_code=status_code,
    )
