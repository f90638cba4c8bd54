"""Summary rows as CSV (UTF-8 with BOM, so Excel opens the Chinese intact) and XLSX."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from decimal import Decimal
from io import BytesIO, StringIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.reports.summaries import GRADES, STATUSES, SummaryRow, UnitAggregate
from app.submissions.status import STATUS_LABELS

LEVEL1_COLUMNS = ("产出指标", "成本指标", "效益指标", "满意度指标")

PROJECT_HEADERS = (
    "年度", "单位编码", "单位名称", "序号", "项目名称", "年初预算数（万元）", "全年预算数（万元）",
    "全年执行数（万元）", "预算执行率", "预算执行得分", *(f"{n}得分" for n in LEVEL1_COLUMNS), "总分", "等级",
    "状态", "评分规则", "规则版本", "项目ID",
)  # fmt: skip
UNIT_HEADERS = (
    "单位编码", "单位名称", "项目数", "金额（万元）", *(STATUS_LABELS[s] for s in STATUSES), "已评分",
    "平均分（按金额加权）", *GRADES,
)  # fmt: skip


def project_values(row: SummaryRow) -> list:
    return [
        row.year, row.unit_code, row.unit_name, row.seq, row.project, row.amount_wan, row.full_year_wan,
        row.executed_wan, row.budget_rate, row.budget_score, *(row.level1.get(n) for n in LEVEL1_COLUMNS),
        row.total, row.grade or "", STATUS_LABELS.get(row.status, row.status), row.policy_name or "",
        row.policy_version, row.project_id,
    ]  # fmt: skip


def unit_values(agg: UnitAggregate) -> list:
    return [
        agg.unit_code, agg.unit_name, agg.projects, agg.amount_wan, *(agg.statuses.get(s, 0) for s in STATUSES),
        agg.scored, agg.average, *(agg.grades.get(g, 0) for g in GRADES),
    ]  # fmt: skip


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def to_csv(headers: Sequence[str], rows: Sequence[Sequence]) -> bytes:
    """CSV with a UTF-8 byte-order mark and CRLF line ends (what Excel on Windows expects)."""
    out = StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for values in rows:
        writer.writerow([_text(v) for v in values])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence]]]) -> bytes:
    """One sheet per ``(title, headers, rows)``; numbers stay numbers (Decimal → number cells)."""
    wb = Workbook()
    wb.remove(wb.active)
    head_font = Font(bold=True)
    fill = PatternFill("solid", fgColor="EEF2F6")
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(list(headers))
        for cell in ws[1]:
            cell.font = head_font
            cell.fill = fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for values in rows:
            ws.append(list(values))
        for i, header in enumerate(headers, 1):
            ws.column_dimensions[get_column_letter(i)].width = max(8, min(36, len(header) * 2 + 2))
            fmt = "0.00%" if header == "预算执行率" else "#,##0.00" if "万元" in header else "0.00"
            if (
                header in ("预算执行率", "预算执行得分", "总分", "平均分（按金额加权）")
                or "万元" in header
                or (header.endswith("得分"))
            ):
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = fmt
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
