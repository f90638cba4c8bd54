"""Unit tests of the file readers (app/targets/readers.py): bytes in, grids of cell strings out."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

from app.targets.readers import (
    cell_text,
    decode_text,
    expand_spans,
    read_csv_bytes,
    read_html_bytes,
    read_table_bytes,
    read_xlsx_bytes,
    sniff_delimiter,
    sniff_format,
)
from app.targets.types import TableFormatError

CSV_TEXT = (
    "青海省门源县应急管理局2023年项目支出绩效目标表,,,\n"
    "项目名称,安全监管,资金总额(万元),50\n"
    "一级指标,二级指标,三级指标,指标值\n"
    "产出指标,数量指标,企业安全检查,≥50次\n"
    ",,第三方专家咨询,≥2次\n"
)


def xlsx_bytes(build) -> bytes:  # noqa: ANN001
    wb = Workbook()
    build(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- CSV and encodings


@pytest.mark.parametrize(
    ("encoded", "name"),
    [
        (CSV_TEXT.encode("utf-8"), "UTF-8"),
        (b"\xef\xbb\xbf" + CSV_TEXT.encode("utf-8"), "UTF-8 with BOM"),
        (CSV_TEXT.encode("gbk"), "GBK"),
        (CSV_TEXT.encode("utf-16"), "UTF-16 with BOM"),
    ],
)
def test_csv_encodings_are_detected(encoded: bytes, name: str) -> None:
    (sheet,) = read_csv_bytes(encoded)
    assert sheet.rows[0][0] == "青海省门源县应急管理局2023年项目支出绩效目标表", name
    assert sheet.rows[4] == ["", "", "第三方专家咨询", "≥2次"]
    table = read_table_bytes(encoded, filename="x.csv")
    assert [i.name for i in table.projects[0].indicators] == ["企业安全检查", "第三方专家咨询"]


def test_gbk_is_not_mistaken_for_utf8() -> None:
    # Short GBK texts are often valid in no other encoding; the BOM-less UTF-8 attempt must fail
    # cleanly and GBK be used.
    assert decode_text("指标值≥95%".encode("gbk")) == "指标值≥95%"


def test_binary_and_undecodable_text_are_refused() -> None:
    with pytest.raises(TableFormatError, match="二进制"):
        decode_text(b"\x00\x01\x02abc")
    with pytest.raises(TableFormatError, match="编码无法识别"):
        decode_text(b"\x81\x20\xff\xff\xff")


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"])
def test_delimiter_is_sniffed(delimiter: str) -> None:
    text = CSV_TEXT.replace(",", delimiter)
    assert sniff_delimiter(text) == delimiter
    (sheet,) = read_csv_bytes(text.encode())
    assert sheet.rows[2] == ["一级指标", "二级指标", "三级指标", "指标值"]


def test_quoted_cells_keep_commas_and_line_breaks() -> None:
    text = '项目名称,"甲,乙"\n年度绩效目标,"目标1：一；\n目标2：二。"\n二级指标,三级指标,指标值\n数量指标,检查,5次\n'
    table = read_table_bytes(text.encode(), filename="2023.csv")
    assert table.projects[0].name == "甲,乙"
    assert table.projects[0].goals == ["一；", "二。"]


# ---------------------------------------------------------------- XLSX


def _zip(files: dict[str, str]) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buffer.getvalue()


def test_xlsx_merged_cells_are_expanded() -> None:
    def build(wb: Workbook) -> None:
        ws = wb.active
        ws.append(["标题", None, None])
        ws.merge_cells("A1:C1")
        ws.append(["产出指标", "数量指标", "甲"])
        ws.append([None, None, "乙"])
        ws.merge_cells("A2:A3")
        ws.merge_cells("B2:B3")

    (sheet,) = read_xlsx_bytes(xlsx_bytes(build))
    assert sheet.rows == [
        ["标题", "标题", "标题"],
        ["产出指标", "数量指标", "甲"],
        ["产出指标", "数量指标", "乙"],
    ]
    assert sheet.label == "工作表“Sheet”"


def test_xlsx_numbers_dates_and_percent_formats_read_as_shown() -> None:
    assert cell_text(50.0) == "50"
    assert cell_text(12.5) == "12.5"
    assert cell_text(0.1 + 0.2) == "0.30000000000000004"  # as stored; never through a rounding float
    assert cell_text(0.95, "0%") == "95%"
    assert cell_text(0.955, "0.0%") == "95.5%"
    assert cell_text(Decimal("3.20")) == "3.2"
    assert cell_text(datetime(2023, 12, 31)) == "2023年12月31日"
    assert cell_text(True) == "是"
    assert cell_text("  健全\r\n ") == "健全"


def test_xlsx_hidden_and_empty_sheets_are_skipped_and_sheet_names_hint_projects() -> None:
    def build(wb: Workbook) -> None:
        wb.active.title = "Sheet1"
        wb.active.append(["x"])
        hidden = wb.create_sheet("隐藏")
        hidden.append(["y"])
        hidden.sheet_state = "hidden"
        wb.create_sheet("空表")
        wb.create_sheet("森林防火经费").append(["z"])

    sheets = read_xlsx_bytes(xlsx_bytes(build))
    assert [(s.name, s.project_hint) for s in sheets] == [("Sheet1", None), ("森林防火经费", "森林防火经费")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "旧版 Excel（.xls）"),
        (b"PK\x03\x04" + b"\x00" * 100, "已损坏"),
        (b"hello", "不是 .xlsx 文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"), "加密"),
        (_zip({"mimetype": "application/vnd.oasis.opendocument.spreadsheet"}), "OpenDocument"),
        (_zip({"word/document.xml": "<w/>"}), "Word 文档"),
        (_zip({"xl/workbook.xml": "<not really/>"}), "已损坏"),
    ],
)
def test_unreadable_workbooks(data: bytes, message: str) -> None:
    with pytest.raises(TableFormatError, match=message):
        read_xlsx_bytes(data)


# ---------------------------------------------------------------- HTML


def test_rowspan_and_colspan_are_expanded() -> None:
    rows = [
        [("A", 2, 1), ("B", 1, 2)],
        [("C", 1, 1), ("D", 1, 1)],
        [("E", 1, 3)],
    ]
    assert expand_spans(rows) == [["A", "B", "B"], ["A", "C", "D"], ["E", "E", "E"]]


def test_html_table_cells_entities_and_line_breaks() -> None:
    page = (
        "<html><head><title>公开</title><style>td{color:red}</style></head><body>"
        "<h3>XX局2023年绩效目标表</h3>"
        "<table><tr><th>二级指标</th><th>三级指标</th><th>指标值</th></tr>"
        "<tr><td rowspan=2>数量指标</td><td>检查&nbsp;次数</td><td>&ge;50次</td></tr>"
        "<tr><td>农村自来水<br>普及率</td><td>&lt;5%</td></tr></table></body></html>"
    )
    (sheet,) = read_html_bytes(page.encode())
    assert sheet.rows[0] == ["XX局2023年绩效目标表"]  # headings before the table come first
    assert sheet.rows[-2] == ["数量指标", "检查 次数", "≥50次"]
    assert sheet.rows[-1] == ["数量指标", "农村自来水\n普及率", "<5%"]
    table = read_table_bytes(page.encode(), filename="page.html")
    names = [i.name for i in table.projects[0].indicators]
    assert names == ["检查 次数", "农村自来水普及率"]  # a wrapped Chinese name is joined
    assert table.title == "XX局2023年绩效目标表" and table.year == 2023


def test_html_gbk_page_with_meta_charset() -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head><body>'
        "<table><tr><td>二级指标</td><td>三级指标</td><td>指标值</td></tr>"
        "<tr><td>数量指标</td><td>检查</td><td>≥50次</td></tr></table></body></html>"
    )
    (sheet,) = read_html_bytes(page.encode("gbk"))
    assert sheet.rows[1] == ["数量指标", "检查", "≥50次"]


def test_html_layout_tables_are_separate_sheets() -> None:
    page = (
        "<table><tr><td>首页</td><td>公开</td></tr></table>"
        "<table><tr><td>二级指标</td><td>三级指标</td><td>指标值</td></tr>"
        "<tr><td>数量指标</td><td>检查</td><td>5次</td></tr></table>"
    )
    sheets = read_html_bytes(page.encode())
    assert [s.label for s in sheets] == ["第1个表格", "第2个表格"]
    assert read_table_bytes(page.encode(), filename="2023.html").projects[0].indicators[0].name == "检查"


def test_html_without_table_is_refused() -> None:
    with pytest.raises(TableFormatError, match="没有 <table>"):
        read_html_bytes(b"<html><body>nothing</body></html>")


# ---------------------------------------------------------------- detection and the published layout


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"PK\x03\x04rest", "xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "xlsx"),
        (b"<!DOCTYPE html><html>", "html"),
        (b"\xef\xbb\xbf  <table><tr><td>x</td></tr></table>", "html"),
        (CSV_TEXT.encode("gbk"), "csv"),
        (CSV_TEXT.replace(",", "\t").encode(), "csv"),
        ("标题\n单位编码\t单位及项目名称\t金额 (万元)\t绩效目标\t绩效指标\n".encode(), "text"),
        (b"", "text"),
    ],
)
def test_sniff_format(data: bytes, expected: str) -> None:
    assert sniff_format(data) == expected


def test_published_layout_saved_as_a_spreadsheet_is_read_by_the_text_parser() -> None:
    """The 5-column published layout (HTML fragments in the cells) exported to XLSX."""

    def build(wb: Workbook) -> None:
        ws = wb.active
        ws.append(["门源县应急管理局2023年部门预算项目支出绩效目标公开表"])
        ws.merge_cells("A1:E1")
        ws.append(["单位编码", "单位及项目名称", "金额 (万元)", "绩效目标", "绩效指标"])
        ws.append(["309001", "门源县应急管理局", 5, None, None])
        ws.append(
            [
                1,
                "安全监管",
                5,
                "<p>目标1: 检查</p>",
                "<p>一、产出指标</p>\n<p>(一) 数量指标</p> 1. 企业安全检查 50次 2. 培训 ≥2次",
            ]
        )

    table = read_table_bytes(xlsx_bytes(build), filename="x.xlsx")
    (project,) = table.projects
    assert (project.name, project.unit_code, project.goals) == ("安全监管", "309001", ["检查"])
    assert [(i.name, i.target.raw) for i in project.indicators] == [
        ("企业安全检查", "50次"),
        ("培训", "≥2次"),
    ]
    assert table.year == 2023


def test_read_table_bytes_forced_format() -> None:
    with pytest.raises(TableFormatError, match="不是 .xlsx 文件"):
        read_table_bytes(CSV_TEXT.encode(), filename="x.csv", format="xlsx")
    assert read_table_bytes(CSV_TEXT.encode(), filename="x.dat", format="csv").year == 2023


# ---------------------------------------------------------------- dates and numbers as formatted


@pytest.mark.parametrize("number_format", ["yyyy-mm-dd", 'yyyy"年"m"月"d"日"', "yyyy/m/d", "m月d日"])
@pytest.mark.parametrize("stored", ["datetime", "serial"])
def test_xlsx_date_cell_is_a_deadline(number_format: str, stored: str) -> None:
    """A 指标值 cell holding an Excel date (a serial number under a date format) is that date."""

    def build(wb: Workbook) -> None:
        ws = wb.active
        ws.append(["某县应急管理局2023年项目支出绩效目标表"])
        ws.append(["一级指标", "二级指标", "三级指标", "指标值"])
        ws.append(["产出指标", "时效指标", "完成时间", None])
        ws.append(["产出指标", "数量指标", "检查次数", "≥5次"])
        # 45291 is 2023-12-31 in Excel's 1900 date system
        ws["D3"].value = datetime(2023, 12, 31) if stored == "datetime" else 45291
        ws["D3"].number_format = number_format

    table = read_table_bytes(xlsx_bytes(build), filename="t.xlsx")
    deadline, count = table.projects[0].indicators
    assert (deadline.name, deadline.target.kind, deadline.target.deadline) == (
        "完成时间",
        "deadline",
        date(2023, 12, 31),
    )
    assert deadline.direction == "deadline"
    assert (count.target.kind, count.target.value) == ("numeric", Decimal(5))
    assert not [w for w in table.warnings if w.code == "unparsed_value"]


@pytest.mark.parametrize(
    ("value", "number_format", "expected"),
    [
        (1234567, "#,##0", Decimal(1234567)),
        (1234567.5, "#,##0.00", Decimal("1234567.5")),
        (12000, '#,##0"元"', Decimal(12000)),
        (0.95, "0.00%", Decimal(95)),
    ],
)
def test_xlsx_thousands_separated_number_cell_is_that_number(
    value: float, number_format: str, expected: Decimal
) -> None:
    def build(wb: Workbook) -> None:
        ws = wb.active
        ws.append(["某县应急管理局2023年项目支出绩效目标表"])
        ws.append(["一级指标", "二级指标", "三级指标", "指标值", "计量单位"])
        ws.append(["产出指标", "成本指标", "项目总成本", value, "元"])
        ws["D3"].number_format = number_format

    table = read_table_bytes(xlsx_bytes(build), filename="t.xlsx")
    (ind,) = table.projects[0].indicators
    assert (ind.target.kind, ind.target.value) == ("numeric", expected)
    assert ind.target.unit == ("%" if "%" in number_format else "元")
