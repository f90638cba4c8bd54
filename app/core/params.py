"""Shared bounds for path, query and form numbers, so no request reaches the database with a value
the column cannot hold (ids are 32-bit integers on SQLite and PostgreSQL), and one reading of
integers typed as text.

- An id is a whole number from 1; one past ``MAX_ID`` names no row: 404, as for a missing id (a
  malformed one — ``1e30``, ``²`` — is a 422 with its ``loc``).
- A year is ``MIN_YEAR``..``MAX_YEAR``; page numbers, offsets and limits have upper bounds.
- Text → integer (form fields, workbook cells): ``parse_int`` accepts ASCII digits only — Python's
  ``int()`` also takes ``٣`` and ``１`` and raises on ``²``, which ``str.isdigit()`` calls a digit.
- A JSON body with a lone surrogate (``"\\ud800"``, no character, cannot be stored) is refused
  with 400, a query parameter holding NUL with 422, before any route reads them (``valid_text``,
  an application-wide dependency).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Path, Query, Request
from pydantic import AfterValidator

from app.core.errors import AppError, ErrorItem, NotFound, Unprocessable

MAX_ID = 2**31 - 1
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_PAGE = 100_000
MAX_VERSION = 2**31 - 1

_ASCII_INT = re.compile(r"[+-]?[0-9]{1,18}")
# JSON can carry a surrogate only as an escape (UTF-8 bytes cannot encode one)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def _id_path(description: str, missing: Callable[[], NotFound] = NotFound, **kw: Any):
    """An id path parameter; past ``MAX_ID`` it answers ``missing`` (what a missing id answers)."""

    def existing(value: int) -> int:
        if value > MAX_ID:
            raise missing()
        return value

    return Annotated[int, Path(ge=1, description=description, **kw), AfterValidator(existing)]


ProjectId = _id_path(
    "项目 ID",
    lambda: NotFound("项目不存在，或不在您负责的单位范围内", code="project_not_found", loc=("project_id",)),
    examples=[1],
)
IndicatorId = _id_path("指标 ID", examples=[1])
TokenId = _id_path("令牌 ID", lambda: NotFound("令牌不存在", code="token_not_found"))
UnitCode = Annotated[
    str,
    Path(
        min_length=1, max_length=32, pattern=r"^[0-9A-Za-z_-]+$", description="单位编码", examples=["309001"]
    ),
]
YearQuery = Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR, description="预算年度")]
PageQuery = Annotated[int, Query(ge=1, le=MAX_PAGE, description="页码")]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_ID, description="跳过的条数")]
VersionQuery = Annotated[int | None, Query(ge=1, le=MAX_VERSION, description="版本号")]
CountQuery = Annotated[int, Query(ge=0, le=MAX_PAGE)]  # a count shown in a notice (``?saved=3``)


def parse_int(text: object, *, low: int | None = None, high: int | None = None) -> int | None:
    """``text`` as an integer when it is one written in ASCII digits (spaces around allowed) within
    ``low``..``high``; otherwise None."""
    if not isinstance(text, str) or not _ASCII_INT.fullmatch(text.strip()):
        return None
    value = int(text.strip())
    if (low is not None and value < low) or (high is not None and value > high):
        return None
    return value


def parse_id(text: object) -> int | None:
    """An id typed as text (a form field, a workbook's hidden cell): 1..``MAX_ID`` or None."""
    return parse_int(text, low=1, high=MAX_ID)


def lone_surrogate_path(value: object, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """Where in parsed JSON a string (or key) holds a lone surrogate, or None."""
    if isinstance(value, str):
        return path if _has_surrogate(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _has_surrogate(key):
                return (*path, key.encode("utf-8", "replace").decode())
            found = lone_surrogate_path(item, (*path, key))
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = lone_surrogate_path(item, (*path, i))
            if found is not None:
                return found
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


async def valid_text(request: Request) -> None:
    """Refuse a query parameter holding NUL (422, PostgreSQL text cannot hold it) and a JSON body
    carrying a lone surrogate (400, ``invalid_unicode``)."""
    for name, value in request.query_params.multi_items():
        if "\x00" in value:
            message = "不能包含空字符（NUL）"
            raise Unprocessable(message, code="invalid_text", loc=("query", name))
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if "json" not in request.headers.get("content-type", ""):
        return
    if not _SURROGATE_ESCAPE.search(await request.body()):
        return  # the common case: no ``\\uD8..`` escape, nothing to parse twice
    try:
        body = await request.json()
    except ValueError:
        return  # malformed JSON: the route's own 422 (json_invalid)
    where = lone_surrogate_path(body)
    if where is not None:
        message = "文本含有无效的 Unicode 字符（孤立的代理项），请删除后重新提交"
        raise AppError(
            message,
            status_code=400,
            code="invalid_unicode",
            errors=[ErrorItem(message, "invalid_unicode", ("body", *where))],
        )
