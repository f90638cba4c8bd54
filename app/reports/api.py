"""API: score summaries (JSON / CSV / XLSX, ETag) and the 自评表 exports."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from app.accounts.deps import ApiUser
from app.accounts.scoping import readable_projects
from app.core.errors import NotFound
from app.core.params import MAX_ID, ProjectId, UnitCode
from app.db.deps import SessionDep
from app.db.models import Project, Unit
from app.reports import writers
from app.reports.scores import PROJECT_OPTIONS, project_form, readable_project
from app.reports.summaries import (
    SummaryFilter,
    aggregate_by_unit,
    etag_matches,
    etag_of,
    query_summaries,
    unit_ids_under,
)
from app.reports.xlsx_form import XLSX_MEDIA_TYPE, project_workbook, unit_workbook
from app.submissions.status import STATUS_LABELS

router = APIRouter(prefix="/api/v1", tags=["汇总与导出"])

JSON_DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

_ROW_EXAMPLE = {
    "project_id": 12,
    "year": 2023,
    "unit_code": "309001",
    "unit": "门源县应急管理局本级",
    "seq": 1,
    "project": "全县安全生产监管专项",
    "amount_wan": "50.0000",
    "full_year_wan": "50.0000",
    "executed_wan": "48.5000",
    "budget_rate": "0.9700",
    "budget_score": "9.70",
    "level1": {"产出指标": "47.12", "效益指标": "28.10", "满意度指标": "10.00"},
    "total": "95.32",
    "grade": "优",
    "status": "approved",
    "status_label": "已审核",
    "policy": {"name": "central_2020", "version": 1},
    "computed_at": "2024-03-01T08:00:00+00:00",
}
_UNIT_EXAMPLE = {
    "unit_code": "309001",
    "unit": "门源县应急管理局本级",
    "projects": 8,
    "amount_wan": "135.9900",
    "statuses": {"not_started": 0, "draft": 1, "submitted": 2, "returned": 1, "approved": 4},
    "scored": 6,
    "average_total": "88.41",
    "grades": {"优": 3, "良": 2, "中": 1, "差": 0},
}


class SummaryPageRead(BaseModel):
    """一页汇总：``count`` 为符合条件的项目总数，``items`` 为本页（按年度、单位编码、序号排序）。"""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "filters": {"year": 2023, "unit": "309", "status": None, "grade": None},
                    "count": 1,
                    "offset": 0,
                    "limit": 100,
                    "next_offset": None,
                    "items": [_ROW_EXAMPLE],
                    "units": [_UNIT_EXAMPLE],
                }
            ]
        }
    )

    filters: dict[str, Any]
    count: int
    offset: int
    limit: int | None
    next_offset: int | None
    items: list[dict[str, Any]]
    units: list[dict[str, Any]] | None = None


def _disposition(filename: str, fallback: str) -> str:
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


@router.get(
    "/summaries",
    response_model=SummaryPageRead,
    summary="评分汇总（JSON / CSV / XLSX）",
    responses={
        200: {
            "description": "JSON（默认）、CSV（UTF-8 带 BOM）或 XLSX",
            "content": {
                "text/csv": {"example": "\ufeff年度,单位编码,单位名称,序号,项目名称,…\r\n2023,309001,…"},
                XLSX_MEDIA_TYPE: {},
            },
            "headers": {
                "ETag": {"description": "内容指纹；下次请求带 If-None-Match 可得 304"},
                "X-Total-Count": {"description": "符合条件的项目总数"},
            },
        },
        304: {"description": "内容未变（If-None-Match 与 ETag 相同）"},
        401: {"description": "缺少或无效的令牌"},
        422: {"description": "参数有误"},
    },
)
def summaries(
    request: Request,
    session: SessionDep,
    user: ApiUser,
    year: Annotated[int | None, Query(ge=1900, le=2200, description="预算年度", examples=[2023])] = None,
    unit: Annotated[
        str | None,
        Query(
            max_length=32, pattern=r"^[0-9A-Za-z_-]*$", description="单位编码（含下级单位）", examples=["309"]
        ),
    ] = None,
    status: Annotated[
        Literal["not_started", "draft", "submitted", "returned", "approved"] | None,
        Query(
            description="项目状态：not_started 未填报 | draft 填报中 | submitted 已提交 | returned 已退回 | approved 已审核"
        ),
    ] = None,
    grade: Annotated[Literal["优", "良", "中", "差"] | None, Query(description="等级")] = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="输出格式")] = "json",
    group: Annotated[Literal["unit"] | None, Query(description="unit：附按单位汇总")] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="每页条数（JSON 默认 100）")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="跳过的条数")] = 0,
    page: Annotated[
        int | None, Query(ge=1, le=1_000_000, description="页码（与 page_size 一起使用）")
    ] = None,
    page_size: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="每页条数")] = None,
) -> Response:
    """每个项目一行：单位、项目、金额、预算执行率和得分、各一级指标得分、总分、等级、状态、评分规则及版本。

    数据取自每个项目最新的评分快照。部门用户和部门令牌只能看到本单位（含下级单位）的项目。
    分页：``limit``/``offset`` 或 ``page``/``page_size``；JSON 默认每页 100 条，CSV/XLSX 默认全部。
    ``group=unit`` 附各单位的项目数、状态分布、按金额加权的平均分和等级分布（CSV/XLSX 输出单位汇总表）。
    响应带 ``ETag``，请求头 ``If-None-Match`` 相同时返回 304。"""
    if page is not None or page_size is not None:
        size = page_size or limit or JSON_DEFAULT_LIMIT
        offset, limit = ((page or 1) - 1) * size, size
    elif limit is None and format == "json":
        limit = JSON_DEFAULT_LIMIT
    filters = SummaryFilter(year=year, unit=unit or None, status=status, grade=grade)
    result = query_summaries(
        session=session, user=user, filters=filters, offset=offset, limit=limit, with_all=group == "unit"
    )
    items = [r.to_json() for r in result.rows]
    units = [u.to_json() for u in aggregate_by_unit(result.all_rows)] if result.all_rows is not None else None
    end = offset + len(result.rows)
    body = {
        "filters": filters.as_dict(),
        "count": result.count,
        "offset": offset,
        "limit": limit,
        "next_offset": end if limit is not None and end < result.count else None,
        "items": items,
    }
    if units is not None:
        body["units"] = units
    content = orjson.dumps(body)  # UTF-8, Chinese as is (as JSONResponse writes it), ≈10× faster
    etag = etag_of(f"{format}:{group}".encode(), content)
    headers = {
        "ETag": etag,
        "Cache-Control": "private, no-cache",
        "Vary": "Authorization, Cookie",
        "X-Total-Count": str(result.count),
    }
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    if format == "json":
        return Response(content, media_type="application/json", headers=headers)
    stem = f"绩效自评汇总{year or ''}"
    if group == "unit":
        aggregates = aggregate_by_unit(result.all_rows or [])
        unit_rows = [writers.unit_values(a) for a in aggregates]
    if format == "csv":
        content = (
            writers.to_csv(writers.UNIT_HEADERS, unit_rows)
            if group == "unit"
            else writers.to_csv(writers.PROJECT_HEADERS, [writers.project_values(r) for r in result.rows])
        )
        headers["Content-Disposition"] = _disposition(f"{stem}.csv", "summaries.csv")
        return Response(content, media_type=CSV_MEDIA_TYPE, headers=headers)
    sheets = [("项目", writers.PROJECT_HEADERS, [writers.project_values(r) for r in result.rows])]
    if group == "unit":
        sheets.append(("单位汇总", writers.UNIT_HEADERS, unit_rows))
    headers["Content-Disposition"] = _disposition(f"{stem}.xlsx", "summaries.xlsx")
    return Response(writers.to_xlsx(sheets), media_type=XLSX_MEDIA_TYPE, headers=headers)


_XLSX_RESPONSE = {
    200: {"description": "项目支出绩效自评表（XLSX）", "content": {XLSX_MEDIA_TYPE: {}}},
    401: {"description": "缺少或无效的令牌"},
    404: {"description": "不存在或不在您的单位范围内"},
}


@router.get(
    "/projects/{project_id}/report.xlsx",
    summary="导出项目支出绩效自评表（XLSX）",
    response_class=Response,
    responses=_XLSX_RESPONSE,
)
def project_report_xlsx(project_id: ProjectId, session: SessionDep, user: ApiUser) -> Response:
    """按官方格式排版的项目支出绩效自评表：年度、项目名称、主管部门、实施单位、项目资金、年度总体目标、
    指标（一级/二级指标合并单元格）、总分；复核调整的得分和调整后指标值与原值并列显示。"""
    project = readable_project(session=session, user=user, project_id=project_id)
    form = project_form(session=session, project=project)
    return Response(
        project_workbook(form),
        media_type=XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": _disposition(f"{project.year}年{project.name}自评表.xlsx", "report.xlsx")
        },
    )


@router.get(
    "/units/{unit_code}/report.xlsx",
    summary="导出单位自评表工作簿（XLSX）",
    response_class=Response,
    responses=_XLSX_RESPONSE,
)
def unit_report_xlsx(
    unit_code: UnitCode,
    session: SessionDep,
    user: ApiUser,
    year: Annotated[int | None, Query(ge=1900, le=2200, description="预算年度（默认最近一年）")] = None,
) -> Response:
    """一个单位（含下级单位）某年度全部项目：第一张为汇总表，其后每个项目一张自评表。"""
    base = readable_projects(
        select(Project).join(Project.unit).where(Project.unit_id.in_(unit_ids_under(unit_code))), user
    )
    if year is None:
        year = session.scalar(base.with_only_columns(Project.year).order_by(Project.year.desc()).limit(1))
    projects = list(
        session.scalars(
            base.where(Project.year == year).options(*PROJECT_OPTIONS).order_by(Unit.code, Project.seq)
        )
    )
    if not projects:
        raise NotFound(
            "该单位在此年度没有项目，或不在您负责的单位范围内", code="unit_not_found", loc=("unit_code",)
        )
    forms = [project_form(session=session, project=p) for p in projects]
    name = session.scalar(select(Unit.name).where(Unit.code == unit_code)) or projects[0].unit.name
    title = f"{name}{year}年度项目支出绩效自评汇总"
    return Response(
        unit_workbook(title, forms, STATUS_LABELS),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": _disposition(f"{title}.xlsx", f"unit-{unit_code}-{year}.xlsx")},
    )
