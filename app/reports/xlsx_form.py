"""The 项目支出绩效自评表 as an XLSX sheet laid out like the official form, and workbooks of them.

Columns follow the form: 一级指标 | 二级指标 | 三级指标 | 年度指标值 | 实际完成值 | 分值 | 得分 |
偏差原因分析及改进措施. When a reviewer adjusted something (§5a) the sheet adds 调整后指标值 beside
年度指标值, 计算得分 beside 得分 and 复核调整说明 at the end, so nothing is hidden or overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from app.core.spreadsheet import text_cells
from app.reports.form import SelfEvalForm

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")
BOLD = Font(name="宋体", bold=True, size=11)
BODY = Font(name="宋体", size=10)
TITLE = Font(name="宋体", bold=True, size=16)
HEAD_FILL = PatternFill("solid", fgColor="EEF2F6")
ADJ_FONT = Font(name="宋体", size=10, color="9B1C1C", bold=True)
SCORE_FORMAT = "0.00"
MONEY_FORMAT = "#,##0.00##"  # amounts keep up to 4 places (万元 to the 元)
RATE_FORMAT = "0.00%"

# (key, header, width)
_COLUMNS = {
    "label": ("", 8),
    "level1": ("一级指标", 11),
    "level2": ("二级指标", 13),
    "name": ("三级指标", 24),
    "target": ("年度指标值", 16),
    "adjusted_target": ("调整后指标值", 14),
    "actual": ("实际完成值", 16),
    "points": ("分值", 8),
    "computed": ("计算得分", 9),
    "score": ("得分", 9),
    "reason": ("偏差原因分析及改进措施", 30),
    "adjustment_reason": ("复核调整说明", 24),
}


def form_columns(form: SelfEvalForm) -> list[str]:
    cols = ["label", "level1", "level2", "name", "target"]
    if form.has_adjusted_targets:
        cols.append("adjusted_target")
    cols += ["actual", "points"]
    if form.has_adjusted_scores:
        cols.append("computed")
    cols += ["score", "reason"]
    if form.has_adjusted_targets or form.has_adjusted_scores:
        cols.append("adjustment_reason")
    return cols


def _put(ws: Worksheet, row: int, col: int, value, *, align=LEFT, font=BODY, fmt=None, fill=None):
    cell = ws.cell(row=row, column=col, value=value)
    cell.alignment = align
    cell.font = font
    if fmt:
        cell.number_format = fmt
    if fill:
        cell.fill = fill
    return cell


def _merge(ws: Worksheet, r1: int, c1: int, r2: int, c2: int) -> None:
    if (r1, c1) != (r2, c2):
        ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)


def write_form(ws: Worksheet, form: SelfEvalForm) -> None:
    """Fill ``ws`` with ``form``; rows and merges as on the paper form."""
    cols = form_columns(form)
    n = len(cols)
    col = {key: i + 1 for i, key in enumerate(cols)}
    for key, i in col.items():
        ws.column_dimensions[get_column_letter(i)].width = _COLUMNS[key][1]

    _put(ws, 1, 1, form.title, align=CENTER, font=TITLE)
    _merge(ws, 1, 1, 1, n)
    ws.row_dimensions[1].height = 30
    _put(ws, 2, 1, form.year_line, align=CENTER, font=BOLD)
    _merge(ws, 2, 1, 2, n)

    r = 3
    _put(ws, r, 1, "项目名称", align=CENTER, font=BOLD)
    _merge(ws, r, 1, r, 2)
    _put(ws, r, 3, form.project_name)
    _merge(ws, r, 3, r, n)
    r += 1
    _put(ws, r, 1, "主管部门", align=CENTER, font=BOLD)
    _merge(ws, r, 1, r, 2)
    _put(ws, r, 3, form.department)
    _merge(ws, r, 3, r, 5)
    _put(ws, r, 6, "实施单位", align=CENTER, font=BOLD)
    _put(ws, r, 7, form.unit_name)
    _merge(ws, r, 7, r, n)

    # 项目资金（万元）
    r += 1
    funds = form.funds
    _put(ws, r, 1, "项目资金（万元）", align=CENTER, font=BOLD)
    _merge(ws, r, 1, r + 1, 2)
    heads = ["", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]
    for i, text in enumerate(heads):
        _put(ws, r, 3 + i, text, align=CENTER, font=BOLD, fill=HEAD_FILL)
    _merge(ws, r, 9, r, n)
    r += 1
    _put(ws, r, 3, "年度资金总额", align=CENTER)
    _put(ws, r, 4, funds.initial_wan, align=RIGHT, fmt=MONEY_FORMAT)
    _put(ws, r, 5, funds.full_year_wan, align=RIGHT, fmt=MONEY_FORMAT)
    _put(ws, r, 6, funds.executed_wan, align=RIGHT, fmt=MONEY_FORMAT)
    _put(ws, r, 7, funds.points, align=RIGHT, fmt=SCORE_FORMAT)
    _put(ws, r, 8, funds.rate, align=RIGHT, fmt=RATE_FORMAT)
    _put(ws, r, 9, funds.score, align=RIGHT, fmt=SCORE_FORMAT)
    _merge(ws, r, 9, r, n)
    funds_row = r

    # 年度总体目标
    r += 1
    split = 1 + (n - 1) // 2
    _put(ws, r, 1, "年度总体目标", align=CENTER, font=BOLD)
    _merge(ws, r, 1, r + 1, 1)
    _put(ws, r, 2, "预期目标", align=CENTER, font=BOLD, fill=HEAD_FILL)
    _merge(ws, r, 2, r, split)
    _put(ws, r, split + 1, "实际完成情况", align=CENTER, font=BOLD, fill=HEAD_FILL)
    _merge(ws, r, split + 1, r, n)
    r += 1
    _put(ws, r, 2, form.goal_text)
    _merge(ws, r, 2, r, split)
    _put(ws, r, split + 1, form.goal_actual)
    _merge(ws, r, split + 1, r, n)
    ws.row_dimensions[r].height = max(45, 15 * (1 + max(len(form.goal_text), len(form.goal_actual)) // 40))

    # 绩效指标
    r += 1
    head_row = r
    for key in cols[1:]:
        _put(ws, r, col[key], _COLUMNS[key][0], align=CENTER, font=BOLD, fill=HEAD_FILL)
    first = r + 1
    for row in form.rows:
        r += 1
        if row.level1_span:
            _put(ws, r, col["level1"], row.level1, align=CENTER)
            _merge(ws, r, col["level1"], r + row.level1_span - 1, col["level1"])
        if row.level2_span:
            _put(ws, r, col["level2"], row.level2, align=CENTER)
            _merge(ws, r, col["level2"], r + row.level2_span - 1, col["level2"])
        _put(ws, r, col["name"], row.name)
        _put(ws, r, col["target"], row.target, align=CENTER)
        if "adjusted_target" in col:
            _put(ws, r, col["adjusted_target"], row.adjusted_target, align=CENTER, font=ADJ_FONT)
        _put(ws, r, col["actual"], row.actual, align=CENTER)
        _put(ws, r, col["points"], row.points, align=RIGHT, fmt=SCORE_FORMAT)
        if "computed" in col:
            _put(ws, r, col["computed"], row.computed, align=RIGHT, fmt=SCORE_FORMAT)
        font = ADJ_FONT if row.adjusted is not None else BODY
        _put(ws, r, col["score"], row.score, align=RIGHT, fmt=SCORE_FORMAT, font=font)
        _put(ws, r, col["reason"], row.reason)
        if "adjustment_reason" in col:
            _put(ws, r, col["adjustment_reason"], row.adjustment_reason)
    _put(ws, head_row, 1, "绩效指标", align=CENTER, font=BOLD)
    _merge(ws, head_row, 1, max(r, head_row), 1)

    # 总分
    r += 1
    _put(ws, r, 1, "总分", align=CENTER, font=BOLD)
    _merge(ws, r, 1, r, col["points"] - 1)
    _put(ws, r, col["points"], form.total_points, align=RIGHT, font=BOLD, fmt=SCORE_FORMAT)
    if "computed" in col:
        _put(ws, r, col["computed"], None)
    _put(ws, r, col["score"], form.total, align=RIGHT, font=BOLD, fmt=SCORE_FORMAT)
    grade = f"自评等级：{form.grade}" if form.grade else ("未评定等级" if form.total is None else "")
    _put(ws, r, col["reason"], grade, font=BOLD)
    _merge(ws, r, col["reason"], r, n)
    total_row = r

    for row_cells in ws.iter_rows(min_row=3, max_row=total_row, min_col=1, max_col=n):
        for cell in row_cells:
            cell.border = BORDER
    r += 2
    _put(
        ws,
        r,
        1,
        f"评分规则：{form.policy}。得分 = 预算执行 + 各项指标得分之和（{first}–{total_row - 1} 行）。",
    )
    _merge(ws, r, 1, r, n)

    ws.print_title_rows = f"{head_row}:{head_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.freeze_panes = None
    ws.sheet_view.showGridLines = False
    ws.cell(row=funds_row, column=1).alignment = CENTER


def project_workbook(form: SelfEvalForm) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(form.project_name, set())
    write_form(ws, form)
    return _save(wb)


_SUMMARY_HEADS = ("序号", "项目名称", "实施单位", "年初预算数（万元）", "全年预算数（万元）", "全年执行数（万元）",
                  "预算执行率", "预算执行得分", "产出指标", "成本指标", "效益指标", "满意度指标", "总分", "等级",
                  "状态", "工作表")  # fmt: skip


def unit_workbook(title: str, forms: Sequence[SelfEvalForm], status_labels: dict[str, str]) -> bytes:
    """One summary sheet (汇总) and one 自评表 sheet per project, in the given order."""
    wb = Workbook()
    summary = wb.active
    summary.title = "汇总"
    n = len(_SUMMARY_HEADS)
    _put(summary, 1, 1, title, align=CENTER, font=TITLE)
    _merge(summary, 1, 1, 1, n)
    for i, text in enumerate(_SUMMARY_HEADS, 1):
        _put(summary, 2, i, text, align=CENTER, font=BOLD, fill=HEAD_FILL)
    widths = (6, 30, 22, 12, 12, 12, 10, 10, 9, 9, 9, 9, 9, 6, 8, 22)
    for i, w in enumerate(widths, 1):
        summary.column_dimensions[get_column_letter(i)].width = w
    used: set[str] = {"汇总"}
    r = 2
    for i, form in enumerate(forms, 1):
        levels = form.level1
        name = sheet_title(f"{i} {form.project_name}", used)
        write_form(wb.create_sheet(name), form)
        r += 1
        f = form.funds
        values = [i, form.project_name, form.unit_name, f.initial_wan, f.full_year_wan, f.executed_wan, f.rate,
                  f.score, levels.get("产出指标"), levels.get("成本指标"), levels.get("效益指标"),
                  levels.get("满意度指标"), form.total, form.grade or "", status_labels.get(form.status, form.status),
                  name]  # fmt: skip
        for c, value in enumerate(values, 1):
            fmt = (
                RATE_FORMAT
                if c == 7
                else MONEY_FORMAT
                if c in (4, 5, 6)
                else SCORE_FORMAT
                if c >= 8
                else None
            )
            cell = _put(summary, r, c, value, align=RIGHT if isinstance(value, Decimal) else LEFT, fmt=fmt)
            if c == n:
                cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{name}'!A1", display=name)
                cell.font = Font(name="宋体", size=10, color="0563C1", underline="single")
    for row_cells in summary.iter_rows(min_row=2, max_row=r, min_col=1, max_col=n):
        for cell in row_cells:
            cell.border = BORDER
    summary.freeze_panes = "C3"
    summary.page_setup.orientation = "landscape"
    summary.page_setup.paperSize = summary.PAPERSIZE_A4
    return _save(wb)


_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_title(name: str, used: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, none of ``[]:*?/\\``)."""
    base = _BAD_SHEET_CHARS.sub("", name).strip("' ") or "项目"
    title = base[:31]
    k = 2
    while title in used:
        suffix = f"({k})"
        title = base[: 31 - len(suffix)] + suffix
        k += 1
    used.add(title)
    return title


def _save(wb: Workbook) -> bytes:
    text_cells(wb)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
