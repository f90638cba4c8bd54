"""Password hashing (argon2id), random tokens, the signed session cookie and CSRF tokens.

- Passwords: argon2id via argon2-cffi (cheap parameters only when ``JIXIAO_ENV=test``).
- API tokens and session tokens: 32 random bytes; only their SHA-256 is stored (they are random,
  so a slow hash adds nothing).
- Session cookie: the session token signed with ``SECRET_KEY`` (itsdangerous, with a timestamp);
  HttpOnly, SameSite=Lax, Secure when the request came over HTTPS. A cookie whose signature does not
  verify is ignored and deleted — the user is logged out.
- CSRF: per session, ``HMAC(SECRET_KEY, session token)``; before login, per browser, from a short
  random ``jixiao_login`` cookie (so a foreign site cannot log a clerk into another account).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, TimestampSigner
from starlette.requests import Request
from starlette.responses import Response

from app.core.config import get_settings

SESSION_COOKIE = "jixiao_session"
LOGIN_COOKIE = "jixiao_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_HOURS = 12  # absolute lifetime of a browser session (one working day)
TOKEN_PREFIX = "jx_"


@lru_cache
def _hasher(environment: str) -> PasswordHasher:
    if environment == "test":  # fast hashing in the test suite only; the hash records its parameters
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def password_hasher() -> PasswordHasher:
    return _hasher(get_settings().environment)


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return password_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return password_hasher().check_needs_rehash(password_hash)


_DUMMY_HASH: dict[str, str] = {}


def burn_password_check(password: str) -> None:
    """Spend the time of one verification, so an unknown user name answers as slowly as a known one."""
    env = get_settings().environment
    if env not in _DUMMY_HASH:
        _DUMMY_HASH[env] = hash_password(secrets.token_hex(8))
    verify_password(_DUMMY_HASH[env], password)


def new_token() -> str:
    """A bearer/session token: ``jx_`` + 43 URL-safe characters (256 bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _signer() -> TimestampSigner:
    return TimestampSigner(get_settings().secret_key, salt="jixiao.session")


def sign_session_token(token: str) -> str:
    return _signer().sign(token).decode()


def unsign_session_cookie(value: str) -> str | None:
    """The session token inside a cookie, or None when the signature or age does not verify."""
    try:
        return _signer().unsign(value, max_age=SESSION_HOURS * 3600).decode()
    except (BadSignature, UnicodeDecodeError):
        return None


def _hmac(purpose: str, value: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def session_csrf_token(session_token: str) -> str:
    return _hmac("csrf", session_token)


def login_csrf_token(login_nonce: str) -> str:
    return _hmac("login-csrf", login_nonce)


def tokens_equal(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def cookie_session_token(request: Request) -> str | None:
    raw = request.cookies.get(SESSION_COOKIE)
    return unsign_session_cookie(raw) if raw else None


def expected_csrf_tokens(request: Request) -> list[str]:
    """The CSRF tokens this browser may send: its session's, and before login its login nonce's."""
    tokens = []
    session_token = cookie_session_token(request)
    if session_token:
        tokens.append(session_csrf_token(session_token))
    nonce = request.cookies.get(LOGIN_COOKIE)
    if nonce:
        tokens.append(login_csrf_token(nonce))
    return tokens


def csrf_token_for(request: Request) -> str:
    """The token to put in this page's forms (``{{ csrf_input(request) }}`` in templates)."""
    explicit = getattr(request.state, "csrf_token", None)
    if explicit:
        return explicit
    session_token = cookie_session_token(request)
    if session_token:
        return session_csrf_token(session_token)
    nonce = request.cookies.get(LOGIN_COOKIE)
    return login_csrf_token(nonce) if nonce else ""


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, session_token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        sign_session_token(session_token),
        max_age=SESSION_HOURS * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


def set_login_cookie(response: Response, request: Request, nonce: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE, nonce, path="/", httponly=True, samesite="lax", secure=is_https(request)
    )  # a browser-session cookie: a login page left open for hours still submits


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def new_login_nonce() -> str:
    return secrets.token_urlsafe(16)
