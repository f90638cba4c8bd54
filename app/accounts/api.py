"""API: ``POST /api/v1/token`` (user name + password → bearer token), ``GET /api/v1/me`` and the
caller's own tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.accounts import service
from app.accounts.deps import ApiAuth, ApiUser, ApiWriter, client_address
from app.accounts.roles import SCOPES
from app.core.errors import ErrorItem, Unprocessable
from app.core.params import TokenId
from app.db.deps import SessionDep, commit_despite_error
from app.db.models.accounts import ApiToken
from app.web.errors import api_error_response

router = APIRouter(prefix="/api/v1", tags=["账号与令牌"])


class TokenIssued(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    token_id: int
    scope: str
    expires_at: datetime | None


class TokenRead(BaseModel):
    id: int
    name: str | None
    prefix: str
    scope: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenRead:
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            scope=token.scope,
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
        )


class MeRead(BaseModel):
    id: int
    username: str
    display_name: str | None
    role: str
    units: list[str]
    auth_method: str
    scope: str


@router.post(
    "/token",
    response_model=TokenIssued,
    summary="用用户名和密码换取令牌",
    responses={401: {"description": "用户名或密码错误"}, 429: {"description": "登录失败次数过多"}},
)
def issue_token(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    scope: Annotated[str, Form(description="read（默认）或 write")] = "read",
) -> TokenIssued | JSONResponse:
    """Form fields ``username``, ``password`` and optional ``scope`` (``read`` or ``write``).

    The token expires after 12 hours; long-lived tokens come from ``jixiao token create``.
    """
    scope = (scope or "read").strip() or "read"
    if scope not in SCOPES:
        raise Unprocessable(errors=[ErrorItem("权限应为 read 或 write", "invalid_scope", ("body", "scope"))])
    outcome = service.authenticate(
        session=session, username=username, password=password, address=client_address(request)
    )
    if outcome.user is None:
        # Returned, not raised, and kept: the failure just recorded must count for the throttle.
        commit_despite_error(request)
        error = outcome.error
        assert error is not None
        return api_error_response(error.status_code, error.items(), error.headers)
    issued = service.issue_login_token(
        session=session, user=outcome.user, scope=scope, address=client_address(request)
    )
    return TokenIssued(
        access_token=issued.plaintext,
        token_id=issued.token.id,
        scope=issued.token.scope,
        expires_at=issued.token.expires_at,
    )


@router.get("/me", response_model=MeRead, summary="当前用户")
def me(auth: ApiAuth) -> MeRead:
    user = auth.user
    return MeRead(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        units=user.unit_codes,
        auth_method=auth.method,
        scope=auth.scope,
    )


@router.get("/tokens", response_model=list[TokenRead], summary="我的令牌")
def my_tokens(session: SessionDep, user: ApiUser) -> list[TokenRead]:
    return [TokenRead.of(t) for t in service.list_tokens(session=session, user=user)]


@router.post("/tokens/{token_id}/revoke", response_model=TokenRead, summary="吊销令牌")
def revoke(request: Request, token_id: TokenId, session: SessionDep, user: ApiWriter) -> TokenRead:
    """Revoke one of the caller's tokens (an admin: any token). Needs a write scope."""
    token = service.revoke_token(
        session=session, actor=user, token_id=token_id, owner=user, address=client_address(request)
    )
    return TokenRead.of(token)
