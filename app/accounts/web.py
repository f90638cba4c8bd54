"""Web pages: login, logout and the audit log (finance and admin)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from app.accounts import audit, security, service
from app.accounts.deps import OptionalUser, client_address, require_role
from app.accounts.roles import ROLE_LABELS
from app.core.config import get_settings
from app.core.params import PageQuery
from app.db.deps import SessionDep, commit_despite_error
from app.db.models.accounts import User
from app.web.templating import templates

router = APIRouter(include_in_schema=False)

AUDIT_PAGE_SIZE = 50


def csrf_input(request: Request) -> Markup:
    """``{{ csrf_input(request) }}``: the hidden CSRF field every writing form must contain."""
    token = escape(security.csrf_token_for(request))
    return Markup(f'<input type="hidden" name="{security.CSRF_FIELD}" value="{token}">')


templates.env.globals["csrf_input"] = csrf_input
templates.env.globals["csrf_token"] = security.csrf_token_for
templates.env.globals["role_labels"] = ROLE_LABELS


def safe_next(target: str | None) -> str:
    """Only same-site paths (no ``//host`` or ``https://…``): no open redirect after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(
    request: Request,
    session: SessionDep,
    *,
    username: str = "",
    next_url: str = "/",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    nonce = request.cookies.get(security.LOGIN_COOKIE) or security.new_login_nonce()
    request.state.csrf_token = security.login_csrf_token(nonce)
    show_demo = get_settings().environment == "development" and service.demo_accounts_exist(session=session)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"username": username, "next": next_url, "errors": errors or {}, "show_demo": show_demo},
        status_code=status_code,
    )
    security.set_login_cookie(response, request, nonce)
    if security.SESSION_COOKIE in request.cookies:
        security.clear_session_cookie(response)  # the form is signed with the login nonce, not this
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, session: SessionDep, user: OptionalUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, session, next_url=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    next_url = safe_next(next)
    errors = {}
    if not username.strip():
        errors["username"] = "请输入用户名"
    if not password:
        errors["password"] = "请输入密码"
    if errors:
        return _login_page(
            request, session, username=username, next_url=next_url, errors=errors, status_code=422
        )
    outcome = service.authenticate(
        session=session, username=username, password=password, address=client_address(request)
    )
    if outcome.error is not None or outcome.user is None:
        commit_despite_error(request)  # the failure just recorded must count for the throttle
        error = outcome.error
        page = _login_page(
            request,
            session,
            username=username,
            next_url=next_url,
            errors={"form": error.message if error else service.BAD_CREDENTIALS},
            status_code=error.status_code if error else 401,
        )
        if error is not None and "Retry-After" in (error.headers or {}):
            page.headers["Retry-After"] = error.headers["Retry-After"]
        return page
    token = service.start_session(session=session, user=outcome.user, address=client_address(request))
    response = RedirectResponse(next_url, status_code=303)
    security.set_session_cookie(response, request, token)
    response.delete_cookie(security.LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    token = security.cookie_session_token(request)
    if token:
        service.end_session(session=session, token=token, address=client_address(request))
    response = RedirectResponse("/login", status_code=303)
    security.clear_session_cookie(response)
    return response


def _parse_date(value: str | None) -> tuple[date | None, str | None]:
    if not value:
        return None, None
    try:
        return date.fromisoformat(value), None
    except ValueError:
        return None, "日期格式应为 YYYY-MM-DD"


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    user: Annotated[User, Depends(require_role("finance", "admin"))],
    action: str = "",
    username: str = "",
    entity: str = "",
    entity_id: str = "",
    date_from: str = "",
    date_to: str = "",
    page: PageQuery = 1,
) -> Response:
    errors = {}
    d_from, errors["date_from"] = _parse_date(date_from)
    d_to, errors["date_to"] = _parse_date(date_to)
    errors = {k: v for k, v in errors.items() if v}
    if d_from and d_to and d_from > d_to:
        errors["date_to"] = "截止日期早于起始日期"
    filters = audit.AuditFilter(
        action=action or None,
        username=username or None,
        entity=entity or None,
        entity_id=entity_id or None,
        date_from=d_from,
        date_to=d_to,
    )
    page = max(page, 1)
    rows, total = audit.list_audit(
        session=session, filters=filters, limit=AUDIT_PAGE_SIZE, offset=(page - 1) * AUDIT_PAGE_SIZE
    )
    pages = max((total + AUDIT_PAGE_SIZE - 1) // AUDIT_PAGE_SIZE, 1)
    query = {
        k: v
        for k, v in {
            "action": action,
            "username": username,
            "entity": entity,
            "entity_id": entity_id,
            "date_from": date_from,
            "date_to": date_to,
        }.items()
        if v
    }
    return templates.TemplateResponse(
        request,
        "audit.html",
        {
            "rows": [
                {
                    "row": r,
                    "at": audit.as_local(r.at),
                    "actor": audit.actor_label(r.actor_name),
                    "action": audit.action_label(r.action),
                    "entity": audit.entity_label(r.entity),
                    "changes": audit.describe_changes(r.before, r.after),
                }
                for r in rows
            ],
            "total": total,
            "page": page,
            "pages": pages,
            "filters": query,
            "errors": errors,
            "actions": [(a, audit.action_label(a)) for a in audit.known_actions(session=session)],
            "entities": sorted(audit.AUDIT_ENTITY_LABELS.items(), key=lambda kv: kv[0]),
            "page_url": lambda p: "/audit?" + urlencode({**query, "page": p}),
        },
    )
