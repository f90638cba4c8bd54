"""Path and query parameters shared by the review and report routes (bounded, so no id can
overflow a database integer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

INT32_MAX = 2_147_483_647

ProjectId = Annotated[int, Path(ge=1, le=INT32_MAX, description="项目 ID", examples=[1])]
IndicatorId = Annotated[int, Path(ge=1, le=INT32_MAX, description="指标 ID", examples=[1])]
UnitCode = Annotated[
    str,
    Path(
        min_length=1, max_length=32, pattern=r"^[0-9A-Za-z_-]+$", description="单位编码", examples=["309001"]
    ),
]
