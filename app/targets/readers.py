"""Turn XLSX, CSV and HTML files into plain grids of cell strings. PURE.

Every reader takes the file's bytes (so an upload page can call it as well as the CLI) and returns
a list of :class:`~app.targets.grid.GridSheet`; merged cells (XLSX) and rowspan/colspan (HTML) are
expanded so every covered cell carries the text of its merged cell. What the grid *means* is
decided by :mod:`app.targets.grid`.

Unreadable input raises :class:`~app.targets.types.TableFormatError` with a Chinese message saying
what is wrong and where.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from datetime import date, datetime, time
from decimal import Decimal
from html.parser import HTMLParser

from app.targets.grid import HEADER_SEARCH_ROWS, GridSheet, clean, header_columns, read_grid
from app.targets.types import ParsedTable, TableFormatError

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other OLE compound files)
CSV_DELIMITERS = (",", "\t", ";", "|")
DEFAULT_SHEET_NAME = re.compile(r"^\s*(?:sheet|工作表|表)\s*\d*\s*$", re.I)
MAX_SPAN = 1000  # a rowspan/colspan larger than this is a broken page, not a table


# ---------------------------------------------------------------- text decoding


def decode_text(data: bytes, *, filename: str = "") -> str:
    """Decode a text file: UTF-8 with or without BOM, UTF-16 with BOM, else GBK (as GB18030).

    Chinese offices save CSV from Excel as GBK ("ANSI") or UTF-8 with BOM; "Unicode text" exports
    are UTF-16 with BOM. GB18030 is a superset of GBK, so it reads both.
    """
    where = f"“{filename}”" if filename else "文件"
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[len(codecs.BOM_UTF8) :], "utf-8", where)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16", where)
    if b"\x00" in data[:4096]:
        raise TableFormatError(f"{where}是二进制文件，不是文本、CSV、HTML 或 Excel（.xlsx）表格")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise TableFormatError(
            f"{where}的编码无法识别（第 {exc.start + 1} 个字节处）：请另存为 UTF-8 或 GBK 编码"
        ) from None


def _decode(data: bytes, encoding: str, where: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise TableFormatError(
            f"{where}声明为 {encoding.upper()} 编码，但第 {exc.start + 1} 个字节处无法按此编码读取"
        ) from None


# ---------------------------------------------------------------- CSV


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines most consistently (``,`` tab ``;`` ``|``)."""
    lines = [line for line in text.splitlines() if line.strip()][:30]
    best, best_score = ",", -1
    for delim in CSV_DELIMITERS:
        counts = [len(_split_line(line, delim)) - 1 for line in lines]
        if not counts or max(counts) == 0:
            continue
        # Many lines split, and into similar numbers of cells.
        score = sum(1 for c in counts if c > 0) * 100 + sum(counts)
        if score > best_score:
            best, best_score = delim, score
    return best


def _split_line(line: str, delim: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delim))
    except (csv.Error, StopIteration):
        return [line]


def read_csv_text(text: str, *, name: str = "", delimiter: str | None = None) -> list[GridSheet]:
    """Rows of a delimited text (CSV, TSV); the delimiter is sniffed unless given."""
    delim = delimiter or sniff_delimiter(text)
    try:
        rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delim)]
    except csv.Error as exc:
        raise TableFormatError(f"CSV 文件格式错误：{exc}") from None
    rows = _trim(rows)
    return [GridSheet(name=name, rows=rows, label="")] if rows else []


def read_csv_bytes(data: bytes, *, filename: str = "") -> list[GridSheet]:
    """A ``.csv`` file in UTF-8 (with or without BOM), UTF-16 or GBK."""
    if not data.strip():
        raise TableFormatError(f"{_where(filename, 'CSV 文件')}是空文件")
    return read_csv_text(decode_text(data, filename=filename), name=_stem(filename))


# ---------------------------------------------------------------- XLSX


def read_xlsx_bytes(data: bytes, *, filename: str = "") -> list[GridSheet]:
    """Every visible worksheet of an ``.xlsx`` workbook, merged cells expanded."""
    where = f"“{filename}”" if filename else "Excel 文件"
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise TableFormatError(f"{where}设有打开密码（已加密），请在 Excel 中取消密码后再导入")
        raise TableFormatError(f"{where}是旧版 Excel（.xls）格式，请在 Excel 中另存为 .xlsx 后再导入")
    if not data.startswith(XLSX_MAGIC):
        raise TableFormatError(f"{where}不是 .xlsx 文件（文件头不是 ZIP 格式）")
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise TableFormatError(f"{where}已损坏或不完整，无法作为 .xlsx 工作簿打开（{exc}）") from None
    if "xl/workbook.xml" not in names:
        if b"opendocument.spreadsheet" in data[:200]:
            raise TableFormatError(f"{where}是 OpenDocument（.ods）表格，请另存为 .xlsx 后再导入")
        kind = "Word 文档" if "word/document.xml" in names else "ZIP 压缩包"
        raise TableFormatError(f"{where}是{kind}，不是 Excel（.xlsx）工作簿")
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, EOFError) as exc:
        raise TableFormatError(f"{where}已损坏，无法作为 .xlsx 工作簿打开（{exc}）") from None
    sheets = []
    for ws in workbook.worksheets:
        if ws.sheet_state != "visible":
            continue
        rows = _sheet_rows(ws)
        if rows:
            hint = None if DEFAULT_SHEET_NAME.match(ws.title) else ws.title.strip()
            sheets.append(GridSheet(name=ws.title, rows=rows, label=f"工作表“{ws.title}”", project_hint=hint))
    return sheets


def _sheet_rows(ws) -> list[list[str]]:  # noqa: ANN001 - openpyxl Worksheet
    """The sheet's text grid. Only stored cells are visited (a sheet styled down to row 1048576
    is not walked row by row), and merges are expanded within the rows that hold text."""
    stored = getattr(ws, "_cells", None)
    iterator = stored.values() if isinstance(stored, dict) else (c for row in ws.iter_rows() for c in row)
    cells: dict[tuple[int, int], str] = {}
    for cell in iterator:
        if cell.value is not None:
            text = cell_text(cell.value, cell.number_format)
            if text:
                cells[(cell.row, cell.column)] = text
    if not cells:
        return []
    last_row = max(r for r, _ in cells)
    last_col = max(c for _, c in cells)
    for merged in ws.merged_cells.ranges:
        text = cells.get((merged.min_row, merged.min_col), "")
        for r in range(merged.min_row, min(merged.max_row, last_row) + 1):
            for c in range(merged.min_col, min(merged.max_col, last_col) + 1):
                if text:
                    cells[(r, c)] = text
                else:
                    cells.pop((r, c), None)
    n_rows = max(r for r, _ in cells)
    n_cols = max(c for _, c in cells)
    return [[cells.get((r, c), "") for c in range(1, n_cols + 1)] for r in range(1, n_rows + 1)]


def cell_text(value: object, number_format: str = "General") -> str:
    """A cell as the clerk sees it: ``0.95`` formatted ``0%`` → ``95%``; ``50.0`` → ``50``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return f"{value.year}年{value.month}月{value.day}日"
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if "%" in (number_format or ""):
            return _plain(number * 100) + "%"
        return _plain(number)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


# ---------------------------------------------------------------- HTML


class _TableCollector(HTMLParser):
    """Collects every top-level ``<table>`` as rows of (text, rowspan, colspan) cells, plus the
    headings and paragraphs written before each table (a page's title is usually there)."""

    BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "caption"}
    SKIP_TAGS = {"script", "style", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[list[str], list[list[tuple[str, int, int]]]]] = []
        self.title = ""
        self._preamble: list[str] = []
        self._text: list[str] = []  # text outside tables, per block
        self._depth = 0  # nesting of <table>
        self._rows: list[list[tuple[str, int, int]]] = []
        self._cell: list[str] | None = None
        self._span = (1, 1)
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP_TAGS:
            self._skip += 1
            return
        if tag == "title":
            self._in_title = True
            return
        if tag == "table":
            if self._depth == 0:
                self._flush_text()
                self._rows = []
            self._depth += 1
            return
        if self._depth == 1:
            if tag == "tr":
                self._close_cell()
                self._rows.append([])
            elif tag in ("td", "th"):
                self._close_cell()
                if not self._rows:
                    self._rows.append([])
                a = dict(attrs)
                self._span = (_span(a.get("rowspan")), _span(a.get("colspan")))
                self._cell = []
            elif tag in self.BLOCK_TAGS and self._cell is not None:
                self._cell.append("\n")
        elif self._depth == 0 and tag in self.BLOCK_TAGS:
            self._flush_text()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
            return
        if tag == "title":
            self._in_title = False
            return
        if tag == "table" and self._depth:
            self._depth -= 1
            if self._depth == 0:
                self._close_cell()
                self.tables.append((self._preamble, self._rows))
                self._preamble = []
            return
        if self._depth == 1 and tag in ("td", "th"):
            self._close_cell()
        elif self._depth == 0 and tag in self.BLOCK_TAGS:
            self._flush_text()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif self._skip:
            return
        elif self._depth == 0:
            self._text.append(data)
        elif self._cell is not None:
            self._cell.append(data)

    def close(self) -> None:
        super().close()
        if self._depth:  # unterminated table: keep what was read
            self._close_cell()
            self.tables.append((self._preamble, self._rows))
            self._depth = 0

    def _close_cell(self) -> None:
        if self._cell is not None:
            text = "\n".join(_squash(part) for part in "".join(self._cell).split("\n"))
            self._rows[-1].append((text.strip("\n"), *self._span))
            self._cell = None

    def _flush_text(self) -> None:
        text = _squash("".join(self._text))
        if text:
            self._preamble.append(text)
        self._text = []


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u3000", " ")).strip()


def _span(value: str | None) -> int:
    try:
        n = int((value or "1").strip())
    except ValueError:
        return 1
    return min(max(n, 1), MAX_SPAN)


def expand_spans(rows: list[list[tuple[str, int, int]]]) -> list[list[str]]:
    """Lay out HTML cells with rowspan/colspan on a grid; spanned cells repeat the text."""
    grid: dict[tuple[int, int], str] = {}
    for r, row in enumerate(rows):
        c = 0
        for text, rowspan, colspan in row:
            while (r, c) in grid:
                c += 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    grid.setdefault((r + dr, c + dc), text)
            c += colspan
    if not grid:
        return []
    n_rows = max(len(rows), max(r for r, _ in grid) + 1)
    n_cols = max(c for _, c in grid) + 1
    return [[grid.get((r, c), "") for c in range(n_cols)] for r in range(n_rows)]


def read_html_text(text: str, *, name: str = "") -> list[GridSheet]:
    """Every ``<table>`` of a page as a sheet; text before a table (headings) comes first as
    one-cell rows, so a title such as ``XX局2023年项目支出绩效目标表`` is found like in a sheet."""
    parser = _TableCollector()
    try:
        parser.feed(text)
        parser.close()
    except Exception as exc:  # html.parser is lenient; anything raised is a truly broken page
        raise TableFormatError(f"HTML 无法解析：{exc}") from None
    sheets = []
    title = _squash(parser.title)
    for index, (preamble, rows) in enumerate(parser.tables, start=1):
        grid = _trim(expand_spans(rows))
        if not grid:
            continue
        lead = [[line] for line in preamble]
        if title and title not in preamble:
            lead.append([title])  # the page's <title>: a title candidate after the headings
        sheets.append(
            GridSheet(name=name, rows=lead + grid, label=f"第{index}个表格", first_row=1 - len(lead))
        )
    return sheets


def read_html_bytes(data: bytes, *, filename: str = "") -> list[GridSheet]:
    """An ``.html`` page (UTF-8 or GBK, a ``<meta charset>`` is honoured) with its tables."""
    if not data.strip():
        raise TableFormatError(f"{_where(filename, 'HTML 文件')}是空文件")
    declared = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_-]+)", data[:4096], re.I)
    text = None
    if declared:
        try:
            text = data.decode(declared.group(1).decode("ascii").lower().replace("gbk", "gb18030"))
        except (LookupError, UnicodeDecodeError):
            text = None
    if text is None:
        text = decode_text(data, filename=filename)
    sheets = read_html_text(text.lstrip("\ufeff"), name=_stem(filename))
    if not sheets:
        raise TableFormatError(f"{_where(filename, 'HTML 文件')}中没有 <table> 表格")
    return sheets


# ---------------------------------------------------------------- helpers


def _trim(rows: list[list[str]]) -> list[list[str]]:
    """Drop trailing empty cells and trailing empty rows (keep inner empty rows: line numbers)."""
    out = [list(row) for row in rows]
    for row in out:
        while row and not row[-1].strip():
            row.pop()
    while out and not out[-1]:
        out.pop()
    return out


def _where(filename: str, generic: str) -> str:
    """How a message names the file: its name in quotes, or what it is (the CLI adds the path)."""
    return f"“{filename}”" if filename else generic


def _stem(filename: str) -> str:
    base = re.split(r"[\\/]", filename)[-1]
    return base.rsplit(".", 1)[0] if "." in base else base


# ---------------------------------------------------------------- whole tables


def read_sheets(sheets: list[GridSheet], *, filename: str = "", year: int | None = None) -> ParsedTable:
    """A table from grid sheets: the grid layout, or else the published layout
    (单位编码 | 单位及项目名称 | 金额 | 绩效目标 | 绩效指标, HTML fragments in the cells) saved as a
    spreadsheet or web table, which is handed to the text-layout parser row by row."""
    if not sheets:
        raise TableFormatError("文件中没有任何内容（没有非空的工作表或表格）")
    try:
        return read_grid(sheets, filename=filename, year=year)
    except TableFormatError:
        text = published_layout_text(sheets)
        if text is None:
            raise
    from app.targets.text_layout import parse_text_table

    return parse_text_table(text)


def published_layout_text(sheets: list[GridSheet]) -> str | None:
    """The first sheet holding the published layout, as the tab-separated text it was exported
    from; None when no sheet has its header (单位编码 … 绩效指标) in the first 20 rows."""
    from app.targets.text_layout import REQUIRED_ROLES, header_roles

    for sheet in sheets:
        head = sheet.rows[:HEADER_SEARCH_ROWS]
        if not any(all(r in header_roles(row) for r in REQUIRED_ROLES) for row in head):
            continue
        lines = []
        for row in sheet.rows:
            cells = [re.sub(r"[\t\r]+", " ", c).replace("\n", "<br>") for c in row]
            filled = {c for c in cells if c.strip()}
            if len(filled) == 1 and sum(1 for c in cells if c.strip()) > 1:
                cells = [next(iter(filled))]  # a merged title or note spread over the row
            lines.append("\t".join(cells))
        return "\n".join(lines) + "\n"
    return None


def read_xlsx_table(data: bytes, source: str = "") -> ParsedTable:
    """``READERS`` entry for ``.xlsx`` (``source`` is the file name: year and unit may be in it)."""
    return read_sheets(read_xlsx_bytes(data), filename=source)


def read_csv_table(data: bytes, source: str = "") -> ParsedTable:
    """``READERS`` entry for ``.csv`` (UTF-8, UTF-8 with BOM, UTF-16, GBK)."""
    return read_sheets(read_csv_bytes(data), filename=source)


def read_html_table(data: bytes, source: str = "") -> ParsedTable:
    """``READERS`` entry for ``.html`` pages with ``<table>``."""
    return read_sheets(read_html_bytes(data), filename=source)


GRID_READERS = {"xlsx": read_xlsx_table, "csv": read_csv_table, "html": read_html_table}


def sniff_format(data: bytes, filename: str = "") -> str:
    """The format of a file from its content: ZIP magic → ``xlsx``; an HTML page or ``<table`` →
    ``html``; otherwise a text, which is ``csv`` when its first 20 rows, split by the sniffed
    delimiter, hold a grid header (一级指标 … 指标值) and ``text`` (the published layout) when not.

    A legacy ``.xls`` (OLE) is reported as ``xlsx`` so its reader explains how to convert it.
    Government sites often serve HTML tables as ``.xls``: the content decides, not the name.
    """
    if data.startswith((XLSX_MAGIC, OLE_MAGIC)):
        return "xlsx"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    sample = data[:65536].lower()
    if head.startswith((b"<!doctype", b"<html", b"<table", b"<meta", b"<head", b"<body")) or (
        head.startswith(b"<") and b"<table" in sample
    ):
        return "html"
    try:
        text = decode_text(data)
    except TableFormatError:
        return "text"  # the text reader gives the precise message
    lines = text.splitlines()[: HEADER_SEARCH_ROWS + 5]
    sample_text = "\n".join(lines)
    delimiter = sniff_delimiter(sample_text)
    for row in csv.reader(io.StringIO(sample_text), delimiter=delimiter):
        if header_columns([clean(c) for c in row]) is not None:
            return "csv"
    return "text"


def read_table_bytes(data: bytes, *, filename: str = "", format: str = "auto") -> ParsedTable:
    """Any supported table from its bytes, as an upload page has it: the format detected from the
    content (``format`` forces one), the file name used for the year and unit a grid may lack.
    Same result as ``jixiao parse`` (it goes through :func:`app.targets.formats.parse_bytes`)."""
    from app.targets.formats import parse_bytes

    return parse_bytes(data, format=format, source=filename)
