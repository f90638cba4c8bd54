"""Users, API tokens, browser sessions, login with throttling, and the demo accounts.

Services take the session as a keyword argument, only add/flush, and audit every change
(``record_audit``); the request or CLI boundary commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from app.accounts import security, throttle
from app.accounts.audit import Actor, record_audit
from app.accounts.passwords import password_problems
from app.accounts.roles import ROLE_LABELS, ROLES, SCOPES
from app.core.config import Settings, get_settings
from app.core.errors import (
    AppError,
    Conflict,
    ErrorItem,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)
from app.db.models.accounts import ApiToken, LoginSession, User, UserUnit

API_LOGIN_TOKEN_HOURS = 12  # lifetime of a token from POST /api/v1/token

BAD_CREDENTIALS = "用户名或密码错误"
THROTTLED = "登录失败次数过多"

DEMO_PASSWORD = "demo"
DEMO_ACCOUNTS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("admin", "admin", (), "演示管理员"),
    ("finance", "finance", (), "演示财政审核员"),
    ("dept", "department", ("309001",), "演示部门填报员"),
)

_UNIT_CODE = re.compile(r"^[0-9A-Za-z]{1,32}$")
_USERNAME = re.compile(r"^[\w.@-]{1,64}$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalize_username(name: str) -> str:
    """User names are case-insensitive: stored and compared lower-case, without outer spaces.

    A NUL character (which PostgreSQL text cannot hold, and no stored name has) becomes U+FFFD, so
    a login typed with one is simply an unknown name — counted and throttled like any other.
    """
    return (name or "").replace("\x00", "\ufffd").strip().lower()


def user_snapshot(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "units": list(user.unit_codes),
        "active": user.active,
    }


def token_label(token: ApiToken) -> str:
    return f"{token.user.username} 的令牌 {token.prefix}…"


def token_snapshot(token: ApiToken) -> dict[str, object]:
    return {
        "user": token.user.username,
        "name": token.name,
        "prefix": token.prefix,
        "scope": token.scope,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


# ---------------------------------------------------------------- users


def _check_password(password: str, username: str) -> None:
    problems = password_problems(password, username=username)
    if problems:
        raise Unprocessable(problems[0].msg, errors=problems)


def _check_user_fields(username: str, role: str, unit_codes: Sequence[str]) -> None:
    errors = []
    if not _USERNAME.match(username):
        errors.append(
            ErrorItem(
                "用户名只能包含字母、数字、下划线、点、@ 和 -，最长 64 个字符",
                "invalid_username",
                ("username",),
            )
        )
    if role not in ROLES:
        errors.append(ErrorItem(f"角色应为 {'、'.join(ROLES)} 之一", "invalid_role", ("role",)))
    for code in unit_codes:
        if not _UNIT_CODE.match(code):
            errors.append(ErrorItem(f"单位编码“{code}”无效（应为字母或数字）", "invalid_unit", ("units",)))
    if role == "department" and not unit_codes:
        errors.append(ErrorItem("部门用户至少需要一个单位编码（--unit）", "units_required", ("units",)))
    if role != "department" and unit_codes:
        errors.append(
            ErrorItem("只有部门用户需要单位编码；财政和管理员可查看全部单位", "units_not_allowed", ("units",))
        )
    if errors:
        raise Unprocessable(errors[0].msg, errors=errors)


def get_user(*, session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == normalize_username(username)))


def require_user(*, session: Session, username: str) -> User:
    user = get_user(session=session, username=username)
    if user is None:
        raise NotFound(f"用户“{username}”不存在", code="user_not_found")
    return user


def list_users(*, session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def create_user(
    *,
    session: Session,
    actor: Actor,
    username: str,
    password: str,
    role: str,
    unit_codes: Iterable[str] = (),
    display_name: str | None = None,
    check_password: bool = True,
) -> User:
    """A new active user. Departments need at least one unit code; finance/admin none."""
    username = normalize_username(username)
    codes = sorted({c.strip() for c in unit_codes if c and c.strip()})
    _check_user_fields(username, role, codes)
    if check_password:
        _check_password(password, username)
    if get_user(session=session, username=username) is not None:
        raise Conflict(f"用户“{username}”已存在", code="user_exists", loc=("username",))
    user = User(
        username=username,
        display_name=(display_name or "").strip() or None,
        password_hash=security.hash_password(password),
        role=role,
        active=True,
        units=[UserUnit(unit_code=c) for c in codes],
    )
    session.add(user)
    session.flush()
    record_audit(
        session=session, actor=actor, action="user.create", entity="user", entity_id=user.id,
        entity_name=user.username, before=None, after=user_snapshot(user),
    )  # fmt: skip
    return user


def set_user_active(*, session: Session, actor: Actor, username: str, active: bool) -> User:
    """Disable (or re-enable) a user. Disabling also ends their sessions and revokes their tokens."""
    user = require_user(session=session, username=username)
    if user.active == active:
        return user
    before = user_snapshot(user)
    user.active = active
    ended = revoked = 0
    if not active:
        ended, revoked = _end_sessions_and_tokens(session, user)
    session.flush()
    after = user_snapshot(user)
    if not active:
        after |= {"sessions_ended": ended, "tokens_revoked": revoked}
    record_audit(
        session=session, actor=actor, action="user.enable" if active else "user.disable",
        entity="user", entity_id=user.id, entity_name=user.username, before=before, after=after,
    )  # fmt: skip
    return user


def _end_sessions_and_tokens(session: Session, user: User) -> tuple[int, int]:
    """End the user's browser sessions and revoke their API tokens; how many of each."""
    now = utcnow()
    ended = session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    return ended, revoked


def set_password(*, session: Session, actor: Actor, username: str, password: str) -> User:
    """Change or reset a password (the password policy applies); the user's browser sessions end
    and their API tokens are revoked. The hashes never enter the audit log."""
    user = require_user(session=session, username=username)
    _check_password(password, user.username)
    user.password_hash = security.hash_password(password)
    ended, revoked = _end_sessions_and_tokens(session, user)
    session.flush()
    record_audit(
        session=session, actor=actor, action="user.password", entity="user", entity_id=user.id, entity_name=user.username,
        before={"password": "（旧密码）"},
        after={"password": "（新密码）", "sessions_ended": ended, "tokens_revoked": revoked},
    )  # fmt: skip
    return user


# ---------------------------------------------------------------- API tokens


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``plaintext`` is shown once and never stored."""

    token: ApiToken
    plaintext: str


def create_token(
    *,
    session: Session,
    actor: Actor,
    user: User,
    scope: str = "read",
    name: str | None = None,
    expires_at: datetime | None = None,
    address: str | None = None,
) -> IssuedToken:
    if scope not in SCOPES:
        raise Unprocessable("权限应为 read（只读）或 write（读写）", code="invalid_scope", loc=("scope",))
    if not user.active:
        raise Unprocessable(f"用户“{user.username}”已停用", code="user_disabled")
    plaintext = security.new_token()
    token = ApiToken(
        user=user,
        name=(name or "").strip() or None,
        token_hash=security.hash_token(plaintext),
        prefix=plaintext[:10],
        scope=scope,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    record_audit(
        session=session, actor=actor, action="token.create", entity="api_token", entity_id=token.id,
        entity_name=token_label(token),
        before=None, after=token_snapshot(token), address=address,
    )  # fmt: skip
    return IssuedToken(token, plaintext)


def list_tokens(*, session: Session, user: User | None = None) -> list[ApiToken]:
    stmt = select(ApiToken).order_by(ApiToken.id)
    if user is not None:
        stmt = stmt.where(ApiToken.user_id == user.id)
    return list(session.scalars(stmt))


def revoke_token(
    *, session: Session, actor: Actor, token_id: int, owner: User | None = None, address: str | None = None
) -> ApiToken:
    """Revoke a token. With ``owner`` (a non-admin caller), only their own tokens are found."""
    token = session.get(ApiToken, token_id)
    if token is None or (owner is not None and owner.role != "admin" and token.user_id != owner.id):
        raise NotFound("令牌不存在", code="token_not_found")
    if token.revoked_at is not None:
        return token
    before = token_snapshot(token)
    token.revoked_at = utcnow()
    session.flush()
    record_audit(
        session=session, actor=actor, action="token.revoke", entity="api_token", entity_id=token.id,
        entity_name=token_label(token),
        before=before, after=token_snapshot(token), address=address,
    )  # fmt: skip
    return token


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_Row = TypeVar("_Row", ApiToken, LoginSession)


def _one_with_user(session: Session, model: type[_Row], token: str) -> _Row | None:
    """The token or session row of ``token`` with its user and the user's units, in one query
    (asked on every authenticated request: one round trip instead of three)."""
    stmt = (
        select(model)
        .where(model.token_hash == security.hash_token(token))
        .options(joinedload(model.user).joinedload(User.units))
    )
    return session.execute(stmt).unique().scalar_one_or_none()


def resolve_api_token(*, session: Session, token: str) -> tuple[User, ApiToken] | None:
    """The active user and token behind a bearer token, or None (unknown, expired, revoked)."""
    row = _one_with_user(session, ApiToken, token)
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    if row.expires_at is not None and _as_utc(row.expires_at) <= utcnow():
        return None
    return row.user, row


# ---------------------------------------------------------------- login and sessions


@dataclass(frozen=True)
class LoginOutcome:
    """``user`` on success; otherwise ``error`` (401 wrong name/password, 429 throttled).

    Failures are recorded in the caller's session: return the error as a response rather than
    raising it, or the request's rollback erases the failure count.
    """

    user: User | None
    error: AppError | None = None


def authenticate(
    *, session: Session, username: str, password: str, address: str, now: datetime | None = None
) -> LoginOutcome:
    """Check a user name and password, throttled per (user name, address) and per address
    (``app/accounts/throttle.py``: growing delays, never a lock-out of a name for everyone).

    A throttled attempt is refused (429, ``Retry-After``) whether the account exists or not and
    whether the password is right or not. Unknown names, disabled users and wrong passwords all
    answer ``BAD_CREDENTIALS`` after the same argon2 work.
    """
    now = now or utcnow()
    name = normalize_username(username)[:64]
    address = (address or "unknown")[:64]
    reservation = throttle.reserve(session=session, username=name, address=address, now=now)
    if reservation.retry_after is not None:
        wait = reservation.retry_after
        message = f"{THROTTLED}，请 {throttle.wait_text(wait)}后再试。"
        return LoginOutcome(
            None, TooManyRequests(message, code="login_throttled", headers={"Retry-After": str(wait)})
        )
    user = session.scalar(select(User).where(User.username == name)) if name else None
    if user is None:
        security.burn_password_check(password)
        ok = False
    else:
        ok = security.verify_password(user.password_hash, password) and user.active
    if not ok:
        throttle.forget_old(session=session, now=now)
        session.flush()
        return LoginOutcome(None, Unauthorized(BAD_CREDENTIALS, code="bad_credentials"))
    throttle.release(session=session, reservation=reservation)
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    return LoginOutcome(user)


def start_session(*, session: Session, user: User, address: str | None) -> str:
    """A new browser session (new random token: no fixation); returns the token for the cookie."""
    token = security.new_token()
    session.add(
        LoginSession(
            user_id=user.id,
            token_hash=security.hash_token(token),
            address=(address or "")[:64] or None,
            created_at=utcnow(),
            expires_at=utcnow() + timedelta(hours=security.SESSION_HOURS),
        )
    )
    session.flush()
    record_audit(
        session=session, actor=user, action="login", entity="user", entity_id=user.id, entity_name=user.username,
        before=None, after={"method": "password"}, address=address,
    )  # fmt: skip
    return token


def resolve_session(*, session: Session, token: str) -> tuple[User, LoginSession] | None:
    row = _one_with_user(session, LoginSession, token)
    if row is None or row.revoked_at is not None or _as_utc(row.expires_at) <= utcnow():
        return None
    if not row.user.active:
        return None
    return row.user, row


def end_session(*, session: Session, token: str, address: str | None = None) -> None:
    resolved = resolve_session(session=session, token=token)
    if resolved is None:
        return
    user, row = resolved
    row.revoked_at = utcnow()
    session.flush()
    record_audit(
        session=session, actor=user, action="logout", entity="user", entity_id=user.id, entity_name=user.username,
        before=None, after=None, address=address,
    )  # fmt: skip


def issue_login_token(*, session: Session, user: User, scope: str, address: str | None) -> IssuedToken:
    """``POST /api/v1/token``: a token for scripts, expiring after ``API_LOGIN_TOKEN_HOURS``."""
    return create_token(
        session=session,
        actor=user,
        user=user,
        scope=scope,
        name="POST /api/v1/token",
        expires_at=utcnow() + timedelta(hours=API_LOGIN_TOKEN_HOURS),
        address=address,
    )


# ---------------------------------------------------------------- demo accounts


def ensure_demo_accounts(
    *, session: Session, settings: Settings | None = None, echo: Callable[[str], object] | None = print
) -> list[str]:
    """Create the demo accounts ``admin``, ``finance`` and ``dept`` (unit 309001), password ``demo``.

    Development mode only: in production (or test) mode nothing is created or printed and ``[]``
    is returned. Existing accounts are left alone; those still using the demo password are printed
    (``echo``) so a newcomer can log in at once. Returns the names of the accounts created.
    """
    settings = settings or get_settings()
    if settings.environment != "development":
        return []
    created, usable = [], []
    for username, role, units, display in DEMO_ACCOUNTS:
        user = get_user(session=session, username=username)
        if user is None:
            user = create_user(
                session=session, actor="system:demo", username=username, password=DEMO_PASSWORD,
                role=role, unit_codes=units, display_name=display, check_password=False,
            )  # fmt: skip
            created.append(username)
        if user.active and security.verify_password(user.password_hash, DEMO_PASSWORD):
            usable.append(user)
    if echo is not None and usable:
        echo("演示账号（仅开发模式，密码均为 demo）：")
        for user in usable:
            units = f"，单位 {'、'.join(user.unit_codes)}" if user.unit_codes else ""
            mark = "（新建）" if user.username in created else ""
            echo(f"  {user.username:<8} {ROLE_LABELS[user.role]}{units}{mark}")
    return created


def demo_password_accounts(*, session: Session) -> list[str]:
    """The active demo accounts that still log in with the demo password."""
    names = [name for name, *_ in DEMO_ACCOUNTS]
    users = session.scalars(select(User).where(User.username.in_(names), User.active).order_by(User.username))
    return [u.username for u in users if security.verify_password(u.password_hash, DEMO_PASSWORD)]


def demo_accounts_exist(*, session: Session) -> bool:
    names = [name for name, *_ in DEMO_ACCOUNTS]
    return bool(session.scalar(select(func.count()).where(User.username.in_(names), User.active)))
