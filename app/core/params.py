"""Shared bounds for path and query parameters, so no request reaches the database with a value
the column cannot hold (ids are 32-bit integers on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**31 - 1
MIN_YEAR, MAX_YEAR = 1900, 2999

ProjectId = Annotated[int, Path(ge=1, le=MAX_ID, description="项目 ID", examples=[1])]
IndicatorId = Annotated[int, Path(ge=1, le=MAX_ID, description="指标 ID", examples=[1])]
TokenId = Annotated[int, Path(ge=1, le=MAX_ID, description="令牌 ID")]
UnitCode = Annotated[
    str,
    Path(
        min_length=1, max_length=32, pattern=r"^[0-9A-Za-z_-]+$", description="单位编码", examples=["309001"]
    ),
]
YearQuery = Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR, description="预算年度")]
