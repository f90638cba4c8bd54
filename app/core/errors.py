"""The one error hierarchy: errors that carry their HTTP status, a stable code and a Chinese message.

Pattern from Polar (``server/polar/exceptions.py``): services raise ``NotFound``, ``Forbidden``,
``Conflict``, ``Unprocessable`` …; ``app/web/errors.py`` renders them — the API answers
``{"detail": [{"loc": [...], "msg": "...", "code": "..."}]}`` (contracts/README.md), web pages a
Chinese error page. This module imports nothing of the web.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorItem:
    """One entry of the ``detail`` list."""

    msg: str
    code: str
    loc: Sequence[str | int] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "msg": self.msg, "code": self.code}


class AppError(Exception):
    """Base of all expected failures: a Chinese message, an HTTP status and a stable code."""

    status_code = 400
    code = "bad_request"
    default_message = "请求无效"

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        code: str | None = None,
        loc: Sequence[str | int] = (),
        errors: Sequence[ErrorItem] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code
        self.loc = tuple(loc)
        self.errors = tuple(errors)
        self.headers = headers

    def items(self) -> list[ErrorItem]:
        """The ``detail`` entries: the listed errors, or the message itself."""
        return list(self.errors) or [ErrorItem(self.message, self.code, self.loc)]


class Unauthorized(AppError):
    """No valid login or token (401). Web pages redirect to ``/login`` instead."""

    status_code = 401
    code = "not_authenticated"
    default_message = "请先登录"

    def __init__(self, message: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kw)


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    default_message = "您没有执行此操作的权限"


class NotFound(AppError):
    """Also what a project outside the caller's units answers (it must not reveal it exists)."""

    status_code = 404
    code = "not_found"
    default_message = "未找到"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    default_message = "数据已被他人修改或当前状态不允许此操作，请刷新后重试"


class Unprocessable(AppError):
    """Input that cannot be accepted; ``errors`` lists each problem with its ``loc``."""

    status_code = 422
    code = "invalid"
    default_message = "提交的内容有误"


class TooManyRequests(AppError):
    status_code = 429
    code = "throttled"
    default_message = "请求过于频繁，请稍后再试"
