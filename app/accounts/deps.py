"""FastAPI dependencies: who is calling, with which role and scope; CSRF on every form write.

Web pages (session cookie)::

    def page(user: CurrentUser): ...                          # 401 → redirect to /login
    def page(user: Annotated[User, Depends(require_role("finance", "admin"))]): ...   # 403

API (``Authorization: Bearer TOKEN``, or the browser's session cookie + ``X-CSRF-Token``)::

    def read(user: ApiUser): ...                               # 401 JSON
    def write(user: ApiWriter): ...                            # read-scoped token → 403
    def review(user: Annotated[User, Depends(require_api_role("finance", write=True))]): ...

``identify_browser`` and ``csrf_protect`` are app-wide dependencies (``create_app``): every request
knows its browser user (``request.state.user``, a ``Viewer`` snapshot for the nav), and every POST/PUT/PATCH/DELETE to
a web route must carry the session's CSRF token (form field ``csrf_token`` — use
``{{ csrf_input(request) }}`` in templates — or header ``X-CSRF-Token``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.accounts import security, service
from app.accounts.roles import ROLE_LABELS, ROLES
from app.core.errors import Forbidden, Unauthorized
from app.db.deps import SessionDep
from app.db.models.accounts import User
from app.web.errors import is_api_request

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FAILED = "页面已过期或请求来源无法确认，请刷新页面后重试。"


@dataclass(frozen=True)
class AuthContext:
    """How the caller authenticated: ``session`` (cookie) or ``token`` (bearer, with its scope)."""

    user: User
    method: Literal["session", "token"]
    scope: Literal["read", "write"]
    token_id: int | None = None


@dataclass(frozen=True)
class Viewer:
    """``request.state.user`` for templates (the nav): plain values, still readable after the
    request's session rolled back and closed (error pages render after that)."""

    id: int
    username: str
    display_name: str | None
    role: str
    unit_codes: tuple[str, ...]

    @classmethod
    def of(cls, user: User) -> Viewer:
        return cls(user.id, user.username, user.display_name, user.role, tuple(user.unit_codes))


def client_address(request: Request) -> str:
    """The caller's address (behind a proxy, run uvicorn with ``--proxy-headers``)."""
    return request.client.host if request.client else "unknown"


async def identify_browser(request: Request, session: SessionDep) -> AuthContext | None:
    """Resolve the session cookie once per request; a bad or ended session logs the browser out.
    (Async: a request without the cookie — every API client — makes no trip to the thread pool.)"""
    state = request.state
    if hasattr(state, "browser_auth"):
        return state.browser_auth
    auth = None
    raw = request.cookies.get(security.SESSION_COOKIE)
    if raw:
        token = security.unsign_session_cookie(raw)
        resolved = (
            await run_in_threadpool(service.resolve_session, session=session, token=token) if token else None
        )
        if resolved is None:
            state.drop_session_cookie = True  # tampered, expired or revoked: clear it
        else:
            auth = AuthContext(resolved[0], "session", "write")
    state.browser_auth = auth
    state.user = Viewer.of(auth.user) if auth else None
    return auth


async def optional_user(auth: Annotated[AuthContext | None, Depends(identify_browser)]) -> User | None:
    return auth.user if auth else None


async def current_user(auth: Annotated[AuthContext | None, Depends(identify_browser)]) -> User:
    """Web pages: the logged-in user (cookie only); otherwise 401 → redirect to /login."""
    if auth is None:
        raise Unauthorized()
    return auth.user


# Declares the bearer scheme in OpenAPI (the "Authorize" button at /docs); parsing is done below.
bearer_scheme = HTTPBearer(
    auto_error=False, description="jixiao token create 或 POST /api/v1/token 得到的令牌"
)


async def current_api_auth(
    request: Request,
    session: SessionDep,
    browser: Annotated[AuthContext | None, Depends(identify_browser)],
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> AuthContext:
    """API: a bearer token when an Authorization header is sent (a bad one is 401), else the cookie."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, credentials = header.partition(" ")
        token = credentials.strip()
        resolved = (
            await run_in_threadpool(service.resolve_api_token, session=session, token=token)
            if scheme.lower() == "bearer" and token
            else None
        )
        if resolved is None:
            raise Unauthorized("令牌无效、已过期或已吊销", code="invalid_token")
        user, token = resolved
        auth = AuthContext(user, "token", "write" if token.scope == "write" else "read", token.id)
        request.state.api_auth = auth
        return auth
    if browser is None:
        raise Unauthorized("缺少令牌：请在请求头中提供 Authorization: Bearer 令牌", code="not_authenticated")
    request.state.api_auth = browser
    return browser


async def current_api_user(auth: Annotated[AuthContext, Depends(current_api_auth)]) -> User:
    return auth.user


async def require_write_scope(auth: Annotated[AuthContext, Depends(current_api_auth)]) -> User:
    """API writes: a read-scoped token is refused (403). Cookie writes are CSRF-checked app-wide."""
    if auth.scope != "write":
        raise Forbidden("只读令牌不能修改数据，请使用读写（write）令牌", code="insufficient_scope")
    return auth.user


def _check_roles(roles: tuple[str, ...]) -> None:
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")


def _role_error(roles: tuple[str, ...]) -> Forbidden:
    names = "、".join(ROLE_LABELS[r] for r in roles)
    return Forbidden(f"此功能仅限{names}使用", code="role_required")


def require_role(*roles: str) -> Callable[..., User]:
    """Web: the logged-in user if their role is one of ``roles``; otherwise 403."""
    _check_roles(roles)

    async def dependency(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in roles:
            raise _role_error(roles)
        return user

    return dependency


def require_api_role(*roles: str, write: bool = False) -> Callable[..., User]:
    """API: the caller if their role is one of ``roles`` (and, with ``write``, a write scope)."""
    _check_roles(roles)
    base = require_write_scope if write else current_api_user

    # A default, not ``Annotated[..., Depends(base)]``: with postponed annotations FastAPI would
    # have to resolve the local name ``base`` from the module's globals and fail.
    async def dependency(user: User = Depends(base)) -> User:
        if user.role not in roles:
            raise _role_error(roles)
        return user

    return dependency


async def csrf_protect(request: Request) -> None:
    """App-wide: refuse a state-changing request that lacks this browser's CSRF token.

    Web routes: form field ``csrf_token`` or header ``X-CSRF-Token``. API routes: only when
    authenticated by the cookie (header ``X-CSRF-Token``); bearer-token calls need none.
    """
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.headers.get(security.CSRF_HEADER)
    if is_api_request(request):
        if request.headers.get("authorization") or security.SESSION_COOKIE not in request.cookies:
            return
    elif not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(security.CSRF_FIELD)
            sent = None if isinstance(value, UploadFile) else value
    if not any(security.tokens_equal(sent, expected) for expected in security.expected_csrf_tokens(request)):
        raise Forbidden(CSRF_FAILED, code="csrf_failed")


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
ApiAuth = Annotated[AuthContext, Depends(current_api_auth)]
ApiUser = Annotated[User, Depends(current_api_user)]
ApiWriter = Annotated[User, Depends(require_write_scope)]
