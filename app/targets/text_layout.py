"""The published tab-separated layout of a 项目支出绩效目标公开表 (the seed's layout).

::

    <title with the budget year>
    单位编码 ⇥ 单位及项目名称 ⇥ 金额 (万元) ⇥ 绩效目标 ⇥ 绩效指标      (repeated as page headers)
    合计: ⇥ ⇥ 135.99 ⇥ ⇥
    309 ⇥ 门源县应急管理局 ⇥ 135.99 ⇥ ⇥                                  (unit; 309001 is its child)
    1 ⇥ 全县安全生产监管专项 ⇥ 50.00 ⇥ <p>目标1: …</p> ⇥ <p>一、产出指标</p> …  (project)

Columns are found by their header names, not their position. A row is a project when its goal or
indicator cell has content (or its code is a short sequence number), otherwise a unit; a project
belongs to the unit row above it; a unit's parent is the nearest earlier unit whose code is a
prefix of its own. A row cut by a line break inside a cell is joined with the lines that follow.
What the cells hold is read by :mod:`app.targets.html_cells`; the warnings come from
:mod:`app.targets.checks`.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation

from app.targets.checks import check_table
from app.targets.grammar import normalise_text
from app.targets.html_cells import parse_goal_cell, parse_indicator_cell
from app.targets.levels import split_heading
from app.targets.types import ParsedProject, ParsedTable, ParsedUnit, ParseWarning, TableFormatError

# Header cell → column role; the first role whose keyword the cell contains wins.
COLUMN_ROLES = (
    ("indicators", ("绩效指标", "指标")),
    ("goals", ("绩效目标", "目标")),
    ("amount", ("金额", "资金", "预算", "万元")),
    ("code", ("编码", "代码", "序号", "编号")),
    ("name", ("名称", "项目")),
)
ROLE_LABELS = {
    "code": "单位编码",
    "name": "单位及项目名称",
    "amount": "金额",
    "goals": "绩效目标",
    "indicators": "绩效指标",
}
REQUIRED_ROLES = ("code", "name", "indicators")

_CODE_RE = re.compile(r"\d{1,20}")
_TOTAL_RE = re.compile(r"(?:合计|总计)\s*[:：]?")
_ROW_START_RE = re.compile(r"\s*(?:\d{1,20}|合计|总计)\s*[:：]?\s*\t")
_CONTINUES_RE = re.compile(
    r"(?:\d{1,2}\s*[.．、)）](?!\d)|[(（][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]+\s*[、.．]|[①-⑳])"
)
_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffd]")
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")  # not str.splitlines(): it also splits at \x1c, \u2028 …
_SHORT_CODE = 2  # codes of at most this many digits are project sequence numbers


def parse_text_table(text: str, *, source: str = "") -> ParsedTable:
    """Parse the tab-separated layout. Raises :class:`TableFormatError` (Chinese, with the line)
    for an empty or binary text, a missing or wrong header, or a truncated project row.
    """
    with _gc_paused():
        return _Reader(text, source).read()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a table is read.

    Parsing creates many small objects that all live on in the result; without the pause the
    collector rescans them again and again (about an eighth of the time on a large table).
    Reference counting still frees everything; the collector resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def header_roles(cells: list[str]) -> dict[str, int]:
    """Map column roles to indices for a header row (empty when nothing is recognised)."""
    roles: dict[str, int] = {}
    for idx, cell in enumerate(cells):
        c = re.sub(r"\s+", "", cell)
        if not c or len(c) > 20:
            continue
        for role, keys in COLUMN_ROLES:
            if any(k in c for k in keys):
                roles.setdefault(role, idx)
                break
    return roles


def _looks_like_header(cells: list[str]) -> bool:
    """Column names in (nearly) every filled cell, at least two of them."""
    filled = sum(1 for c in cells if c.strip())
    roles = header_roles(cells)
    return len(roles) >= 2 and len(roles) >= filled - 1


def refuse_non_text(text: str, where: str = "") -> None:
    """Raise for an empty text or one with binary content (NUL or many control characters)."""
    if not text.strip():
        raise TableFormatError(f"{where}文件为空，没有可读取的内容。")
    sample = text[:65536]
    bad = _CONTROL_RE.findall(sample)
    if bad and ("\x00" in sample or len(bad) * 100 > len(sample)):
        line = sample.count("\n", 0, _CONTROL_RE.search(sample).start()) + 1
        raise TableFormatError(f"{where}第{line}行起含有二进制内容（控制字符），不是文本格式的绩效目标表。")


class _Reader:
    def __init__(self, text: str, source: str) -> None:
        self.where = f"{source} " if source else ""
        refuse_non_text(text, self.where)
        self.lines = _LINE_BREAK_RE.split(text.lstrip("\ufeff"))
        self.cols: dict[str, int] | None = None
        self.width = 0
        self.titles: list[str] = []
        self.table = ParsedTable(title=None, year=None, total_wan=None)
        self.notes: list[ParseWarning] = []
        self.current_unit: str | None = None
        self.unit_codes: set[str] = set()

    def error(self, line: int, message: str) -> TableFormatError:
        return TableFormatError(f"{self.where}第{line}行：{message}")

    def read(self) -> ParsedTable:
        i = 0
        while i < len(self.lines):
            n = i + 1
            cells = self.lines[i].split("\t")
            filled = [c for c in cells if c.strip()]
            i += 1
            if not filled:
                continue
            if self._header(cells, filled, n):
                continue
            if self.cols is None:
                if len(filled) >= 2:
                    raise self.error(
                        n,
                        "在表头之前出现了数据行。应先有一行以制表符分隔的表头"
                        "（单位编码、单位及项目名称、金额、绩效目标、绩效指标）。",
                    )
                self.titles.append(filled[0].strip())
                if self.table.title is None:
                    self._set_title()
                continue
            code = self._cell(cells, "code")
            if _TOTAL_RE.fullmatch(code) or (not code and _TOTAL_RE.fullmatch(self._cell(cells, "name"))):
                self.table.total_wan = self._amount(cells, n)
            elif _CODE_RE.fullmatch(code):
                i = self._join_continuation(cells, i)
                self._row(cells, n)
            elif len(filled) > 1:
                self.notes.append(
                    ParseWarning(
                        code="row_skipped",
                        message=f"第{n}行既不是单位行也不是项目行（编码列“{code}”不是数字编码），已跳过。",
                        line=n,
                    )
                )
            # a single filled cell after the header: a repeated page title or a footnote
        if self.cols is None:
            raise TableFormatError(
                f"{self.where}在全部 {len(self.lines)} 行中没有找到表头：应有一行以制表符分隔的列名"
                "（单位编码、单位及项目名称、金额、绩效目标、绩效指标）。"
            )
        if not self.table.projects:
            raise TableFormatError(f"{self.where}表头之后没有任何项目行（共 {len(self.lines)} 行）。")
        self.table.warnings = [*self.notes, *check_table(self.table)]
        return self.table

    def _set_title(self) -> None:
        for title in self.titles:
            m = _YEAR_RE.search(normalise_text(title))
            if m is not None:
                self.table.title, self.table.year = title, int(m.group(1))
                return

    def _header(self, cells: list[str], filled: list[str], n: int) -> bool:
        if len(filled) < 2 or _ROW_START_RE.match(cells[0] + "\t"):
            return False
        if not _looks_like_header(cells):
            return False
        roles = header_roles(cells)
        missing = [ROLE_LABELS[r] for r in REQUIRED_ROLES if r not in roles]
        if missing:
            raise self.error(
                n, f"表头缺少列：{'、'.join(missing)}（读到的列：{'、'.join(c.strip() for c in filled)}）。"
            )
        self.cols = roles
        self.width = len(cells)
        while self.width and not cells[self.width - 1].strip():
            self.width -= 1
        if self.table.title is None and self.titles:
            self.table.title = self.titles[0]
        return True

    def _needed(self) -> int:
        assert self.cols is not None
        return max(self.cols.values()) + 1

    def _content_start(self) -> int:
        assert self.cols is not None
        return min(self.cols.get("goals", self.cols["indicators"]), self.cols["indicators"])

    def _starts_row(self, line: str) -> bool:
        if "\t" not in line:
            return False
        cells = line.split("\t")
        code = self._cell(cells, "code")
        return bool(_CODE_RE.fullmatch(code) or _TOTAL_RE.fullmatch(code) or _looks_like_header(cells))

    def _join_continuation(self, cells: list[str], i: int) -> int:
        """Join the lines of a row broken inside a cell; return the next line index.

        A row short of columns takes the following lines until it is complete; a complete row
        whose last cell is a goal or indicator cell takes the following lines that continue
        such a cell (they open with a tag, an item number or a level heading).
        """
        assert self.cols is not None
        while len(cells) < self._needed() and len(cells) > self._content_start() and i < len(self.lines):
            nxt = self.lines[i]
            if self._starts_row(nxt):
                break
            more = nxt.split("\t")
            cells[-1] += "\n" + more[0]
            cells.extend(more[1:])
            i += 1
        last_role = next((r for r, idx in self.cols.items() if idx == len(cells) - 1), None)
        if last_role in ("goals", "indicators") and cells[-1].strip():
            while i < len(self.lines) and "\t" not in self.lines[i]:
                nxt = self.lines[i].strip()
                if not nxt or not (nxt[0] == "<" or _CONTINUES_RE.match(nxt) or split_heading(nxt)[0]):
                    break
                cells[-1] += "\n" + nxt
                i += 1
        return i

    def _cell(self, cells: list[str], role: str) -> str:
        assert self.cols is not None
        idx = self.cols.get(role)
        return cells[idx].strip() if idx is not None and idx < len(cells) else ""

    def _amount(self, cells: list[str], n: int) -> Decimal | None:
        text = normalise_text(self._cell(cells, "amount")).replace(",", "").replace(" ", "")
        text = text.removesuffix("万元").removesuffix("万")  # 135.99万元: the column is in 万元
        if not text:
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            raise self.error(n, f"金额“{self._cell(cells, 'amount')}”不是数字（应为万元数）。") from None

    def _row(self, cells: list[str], n: int) -> None:
        code = self._cell(cells, "code")
        extra = [c for c in cells[self.width :] if c.strip()]
        if extra:
            raise self.error(n, f"有 {len(cells)} 列，多于表头的 {self.width} 列。")
        name = self._cell(cells, "name")
        content = self._cell(cells, "goals") or self._cell(cells, "indicators")
        if not content and len(code) > _SHORT_CODE:
            self._unit(code, name, cells, n)
            return
        if len(cells) < self._needed():
            raise self.error(
                n,
                f"项目“{name or code}”的行不完整（只有 {len(cells)} 列，应有 {self._needed()} 列），"
                "文件可能被截断。",
            )
        self._project(int(code), name, cells, n)

    def _unit(self, code: str, name: str, cells: list[str], n: int) -> None:
        parent = next((code[:k] for k in range(len(code) - 1, 0, -1) if code[:k] in self.unit_codes), None)
        self.table.units.append(
            ParsedUnit(code=code, name=name, amount_wan=self._amount(cells, n), parent_code=parent)
        )
        self.unit_codes.add(code)
        self.current_unit = code

    def _project(self, seq: int, name: str, cells: list[str], n: int) -> None:
        if self.current_unit is None:
            self.notes.append(
                ParseWarning(
                    code="unit_missing",
                    message=f"项目“{name}”之前没有单位行，无法确定所属单位。",
                    project_seq=seq,
                    line=n,
                )
            )
        cell = parse_indicator_cell(
            self._cell(cells, "indicators"), year=self.table.year, project_seq=seq, line=n
        )
        self.notes.extend(cell.warnings)
        self.table.projects.append(
            ParsedProject(
                seq=seq,
                unit_code=self.current_unit or "",
                name=name,
                amount_wan=self._amount(cells, n),
                goals=parse_goal_cell(self._cell(cells, "goals")),
                indicators=cell.indicators,
            )
        )
