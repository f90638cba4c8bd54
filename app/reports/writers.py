"""Summary rows as CSV (UTF-8 with BOM, so Excel opens the Chinese intact) and XLSX."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from decimal import Decimal
from io import BytesIO, StringIO

import xlsxwriter

from app.core.spreadsheet import csv_text, formula_like
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
    """A CSV field: numbers as written, text with the formula guard (``csv_text``)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return csv_text(value)
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
    """One sheet per ``(title, headers, rows)``; numbers stay number cells with a column format.

    XlsxWriter in constant-memory mode: the CSV-sized export of 40,000 rows takes seconds, where
    openpyxl needed several times longer. (XLSX stores numbers as binary doubles whatever writes
    them; the text of every figure is also in the JSON and CSV.) Text is always a string cell,
    never a formula or a link (``app.core.spreadsheet``).
    """
    out = BytesIO()
    wb = xlsxwriter.Workbook(
        out,
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
         "strings_to_urls": False},
    )  # fmt: skip
    quoted = wb.add_format({"quote_prefix": True})
    head = wb.add_format({"bold": True, "bg_color": "#EEF2F6", "align": "center", "valign": "vcenter",
                          "text_wrap": True, "border": 1})  # fmt: skip
    formats = {
        "rate": wb.add_format({"num_format": "0.00%"}),
        "money": wb.add_format({"num_format": "#,##0.00##"}),  # up to 4 places, as entered
        "score": wb.add_format({"num_format": "0.00"}),
    }
    for title, headers, rows in sheets:
        ws = wb.add_worksheet(title)
        for i, header in enumerate(headers):
            ws.set_column(i, i, max(8, min(36, len(header) * 2 + 2)), formats.get(_kind(header)))
        ws.write_row(0, 0, headers, head)
        for r, values in enumerate(rows, 1):
            for c, value in enumerate(values):
                if isinstance(value, str):
                    ws.write_string(r, c, value, quoted if formula_like(value) else None)
                else:
                    ws.write(r, c, value)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
    wb.close()
    return out.getvalue()


def _kind(header: str) -> str | None:
    if header == "预算执行率":
        return "rate"
    if "万元" in header:
        return "money"
    if header in ("预算执行得分", "总分", "平均分（按金额加权）") or header.endswith("得分"):
        return "score"
    return None
