"""Read a 绩效目标表 laid out as a grid. PURE: rows of cell strings in,
:class:`~app.targets.types.ParsedTable` out, whatever file format the rows came from.

The usual bureau layout::

    XX县应急管理局2023年项目支出绩效目标表                  ← title: unit and year
    项目名称 | 全县安全生产监管专项 | 资金总额(万元) | 50     ← project block (one or several a sheet)
    年度绩效目标 | 目标1：…… 目标2：……
    一级指标 | 二级指标 | 三级指标 | 符号 | 指标值 | 计量单位 | 分值   ← header, in the first 20 rows
    产出指标 | 数量指标 | 企业安全检查 | ≥ | 50 | 次 | 5
             |          | 第三方专家咨询 | ≥ | 2  | 次 | 5      ← blank (or merged) = same as above

Rules:
- the header row is the first of the first 20 rows naming an indicator column (三级指标/指标名称),
  a value column (指标值/目标值 …) and a level column (一级指标 or 二级指标); it may repeat later
  (a header per project);
- a row whose first cell is a block label (项目名称, 资金总额, 年度绩效目标, 单位名称 …) belongs
  to a project block; 项目名称 after indicators starts the next project. A 项目名称 column instead
  gives the project row by row (blank = same as above);
- the unit comes from the block (单位编码, 单位名称), else the title
  (``XX县应急管理局2023年…`` → 门源县应急管理局), else the file name; the year from the title,
  else the file name;
- an operator column (``≥``/``不低于``), the value and a unit column are joined into the raw text
  (``≥`` ``95`` ``%`` → ``≥95%``; ``=`` is not written, as in the published tables) and read by the
  value grammar; a direction word (正向/反向/定性) sets the indicator's direction instead;
- a row whose name cell holds only a level heading (``社会效益指标``, ``（一）数量目标``) and no
  value sets the levels of the rows below; with a value it is an indicator;
- a name or the value header printing the operator/unit as a placeholder (``苗木成活率(≥**%)``,
  ``开展修复工程(个)``, ``指标值(%)``) gives them to a bare value; the value's own win (warned);
- 分值/权重 are the table's points, read as printed (the scoring rules judge them, §1); a
  预算执行率 row is no indicator: its 分值 is the project's budget execution weight.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from app.targets.grammar import Template, fill_template, split_template
from app.targets.grid_labels import (
    BLOCK_LABELS,
    COLUMN_ROLES,
    CONTEXT_KEYS,
    NUMBER_RE,
    SIGNATURE_PREFIXES,
    SKIP_PREFIXES,
    TOTAL_PREFIXES,
    YEAR_BARE_RE,
    YEAR_RE,
    block_label,
    choose_title,
    clean,
    column_role,
    header_columns,
    inline_label,
    label_key,
    label_pairs,
    split_unit_code,
    title_text,
    title_unit,
)
from app.targets.grid_values import (
    DIRECTION_LABEL,
    compose_raw,
    parse_amount,
    parse_points,
    resolve_levels,
)
from app.targets.levels import standalone_heading
from app.targets.types import (
    ParsedIndicator,
    ParsedProject,
    ParsedTable,
    ParsedUnit,
    ParseWarning,
    TableFormatError,
    Target,
)

__all__ = [
    "BLOCK_LABELS",
    "COLUMN_ROLES",
    "GridSheet",
    "HEADER_SEARCH_ROWS",
    "block_label",
    "clean",
    "column_role",
    "compose_raw",
    "header_columns",
    "label_key",
    "parse_amount",
    "read_grid",
    "split_goals",
]

HEADER_SEARCH_ROWS = 20


@dataclass(slots=True)
class GridSheet:
    """One sheet (or HTML table, or CSV file) as rows of cell strings, merged cells expanded.

    ``label`` names the sheet in messages (``工作表“项目1”``); ``first_row`` is the number shown
    for ``rows[0]``; ``project_hint`` names the project of a sheet that does not say it.
    """

    name: str
    rows: list[list[str]]
    label: str = ""
    first_row: int = 1
    project_hint: str | None = None  # a worksheet named after its project (one project a sheet)

    def line(self, index: int) -> int:
        return self.first_row + index

    def where(self, index: int) -> str:
        return f"{self.label}第{self.line(index)}行"


@dataclass(slots=True)
class _Row:
    """One indicator row as written, parsed once the table's year is known."""

    line: int
    where: str
    level1: str
    level2: str
    name: str
    value: str
    operator: str
    unit: str
    points: str
    direction: str = ""
    column_template: Template | None = None  # the value header's placeholder (``指标值(%)``)


@dataclass(slots=True)
class _Draft:
    where: str
    name: str | None = None
    amount: Decimal | None = None
    unit_code: str | None = None
    unit_name: str | None = None
    goals: list[str] = field(default_factory=list)
    goal_cells: set[str] = field(default_factory=set)  # a goal cell merged over rows counts once
    rows: list[_Row] = field(default_factory=list)
    labels: set[str] = field(default_factory=set)
    budget_points: Decimal | None = None  # 分值 of the 预算执行率 row (a 自评表's funds block)


@dataclass(slots=True)
class _Context:
    """What a sheet (or the file name) says about the whole table."""

    title: str | None = None
    year: int | None = None
    unit_code: str | None = None
    unit_name: str | None = None
    department: str | None = None
    money_scale: Decimal = Decimal(1)  # amounts in 万元; ``单位：元`` → 1/10000
    total: Decimal | None = None


def _warning(
    code: str, message: str, *, seq: int | None = None, row: _Row | None = None, name: str | None = None
) -> ParseWarning:
    return ParseWarning(
        code=code,
        message=message,
        project_seq=seq,
        indicator=name or (row.name if row else None),
        line=row.line if row else None,
    )


def read_grid(
    sheets: Sequence[GridSheet],
    *,
    filename: str = "",
    year: int | None = None,
    apply_checks: bool = True,
) -> ParsedTable:
    """Read grid sheets into a ParsedTable; raise TableFormatError when no indicator table is found.

    ``year`` overrides the year of the title or file name. Warnings: unreadable cells and the
    shared import checks of :mod:`app.targets.checks`.
    """
    warnings: list[ParseWarning] = []
    found: list[tuple[GridSheet, tuple[_Context, list[_Draft]]]] = []
    without_header: list[str] = []
    for sheet in sheets:
        result = _read_sheet(sheet, warnings)
        if result is None:
            without_header.append(sheet.label or "表格")
        else:
            found.append((sheet, result))
    if not found:
        where = "、".join(without_header) or "文件"
        raise TableFormatError(
            f"{where}：前{HEADER_SEARCH_ROWS}行中没有找到指标表头"
            "（需要“一级指标”或“二级指标”、“三级指标”或“指标名称”、“指标值”或“目标值”等列）"
        )
    if not any(d.rows for _, (_, drafts) in found for d in drafts):
        raise TableFormatError("找到了指标表头，但表头下没有任何指标行（每行应有指标名称和指标值）")

    table_ctx = _merge_contexts([ctx for _, (ctx, _) in found] + [_context_from_name(filename)])
    table_year = year or table_ctx.year
    if table_year is None:
        warnings.append(_warning("year_missing", "未能从标题或文件名中确定预算年度（如“2023年”）"))

    projects: list[ParsedProject] = []
    units: dict[str, ParsedUnit] = {}
    unit_amounts: dict[str, list[Decimal | None]] = defaultdict(list)
    parents: dict[str, str] = {}  # department code → name
    for sheet, (ctx, drafts) in found:
        if sheet.project_hint and len(drafts) == 1 and not drafts[0].name:
            drafts[0].name = sheet.project_hint
            warnings.append(
                _warning(
                    "project_name_from_sheet",
                    f"{drafts[0].where}：表中没有“项目名称”，以工作表名“{sheet.project_hint}”作为项目名称",
                )
            )
        for draft in drafts:
            seq = len(projects) + 1
            code, unit_name = _unit_of(draft, [ctx, table_ctx], seq, warnings)
            parent_code, parent_name = split_unit_code(ctx.department or table_ctx.department or "")
            if parent_code == code:
                parent_code = None
            name = draft.name
            if not name:
                name = f"未命名项目{seq}"
                warnings.append(
                    _warning("project_name_missing", f"{draft.where}：项目没有名称，暂记为“{name}”", seq=seq)
                )
            if not draft.rows:
                warnings.append(
                    _warning("project_without_indicators", f"{draft.where}：项目“{name}”下没有指标", seq=seq)
                )
            indicators = [_indicator(row, table_year, seq, warnings) for row in draft.rows]
            project = ParsedProject(
                seq=seq,
                unit_code=code,
                name=name,
                amount_wan=draft.amount,
                goals=draft.goals,
                indicators=indicators,
                budget_points=draft.budget_points,
            )
            projects.append(project)
            if parent_code and parent_code not in units:
                units[parent_code] = ParsedUnit(code=parent_code, name=parent_name)
                parents[parent_code] = parent_name
            units.setdefault(code, ParsedUnit(code=code, name=unit_name, parent_code=parent_code))
            unit_amounts[code].append(draft.amount)

    for code, amounts in unit_amounts.items():
        if all(a is not None for a in amounts):
            units[code].amount_wan = sum(amounts, Decimal(0))
    for code in parents:  # a department (主管部门及代码) totals its units
        children = [u.amount_wan for u in units.values() if u.parent_code == code]
        if children and all(a is not None for a in children):
            units[code].amount_wan = sum(children, Decimal(0))
    total = table_ctx.total
    if total is None and all(p.amount_wan is not None for p in projects):
        total = sum((p.amount_wan for p in projects), Decimal(0))

    table = ParsedTable(
        title=table_ctx.title,
        year=table_year,
        total_wan=total,
        units=list(units.values()),
        projects=projects,
        warnings=warnings,
    )
    if apply_checks:
        table.warnings.extend(shared_checks(table))
    return table


def _read_sheet(sheet: GridSheet, warnings: list[ParseWarning]) -> tuple[_Context, list[_Draft]] | None:
    """One sheet's context and project drafts; None when no header is found in its first 20 rows."""
    ctx = _Context()
    drafts: list[_Draft] = []
    header: dict[str, list[int]] | None = None
    header_cells: list[str] = []
    draft: _Draft | None = None
    above: dict[str, str] = {}  # "same as above" for the level-1, level-2 and project columns
    previous_label: str | None = None
    titles: list[str] = []  # one-text rows above the first header
    value_template: Template | None = None

    def start(index: int) -> _Draft:
        nonlocal draft
        draft = _Draft(where=sheet.where(index))
        drafts.append(draft)
        above.clear()
        return draft

    for index, raw in enumerate(sheet.rows):
        if header is None and index >= HEADER_SEARCH_ROWS:
            return None
        cells = [clean(c) for c in raw]
        if not any(cells):
            previous_label = None
            continue
        columns = header_columns(cells)
        if columns is not None:
            header, header_cells = columns, cells
            value_template = split_template(cells[columns["value"][0]])[1]
            above.pop("level1", None)
            above.pop("level2", None)
            previous_label = None
            continue
        first = next(c for c in cells if c)
        pairs = label_pairs(cells)
        if pairs and not block_label(inline_label(first) or first):
            # Labels beside a title (``XX表 | 单位：万元``): they describe the whole sheet.
            if header is None:
                for key, _label, value, _col in pairs:
                    if key in CONTEXT_KEYS:
                        _set_context(ctx, key, value)
            pairs = []
        if pairs:
            for key, label, value, col in pairs:
                if key == "goals" and col < len(raw):
                    value = _goal_text(raw[col], value)
                if key in ("year", "money_unit"):
                    _set_context(ctx, key, value)
                elif key == "project":
                    if draft is None or draft.rows or "project" in draft.labels:
                        start(index)
                    draft.name = value or None
                    draft.labels.add(key)
                elif draft is None and key in ("unit_code", "unit_name", "department"):
                    _set_context(ctx, key, value)  # before any project: the whole sheet's unit
                else:
                    if draft is None or draft.rows:
                        start(index)
                    _set_block(draft, ctx, key, label, value, sheet.where(index), warnings)
            previous_label = pairs[-1][0]
            continue
        if (
            previous_label == "goals"
            and draft is not None
            and not cells[0]
            and len(set(filter(None, cells))) == 1
        ):
            col = next(i for i, c in enumerate(cells) if c)
            draft.goals.extend(split_goals(raw[col]))  # a goal continued on the next row (CSV, no merge)
            continue
        previous_label = None
        if header is None:
            title = title_text(cells)
            if title:
                titles.append(title)
            continue
        if first.startswith(SIGNATURE_PREFIXES) and not _cell(cells, header, "value"):
            continue
        if first.startswith(SKIP_PREFIXES) and not _cell(cells, header, "name"):
            if first.startswith(TOTAL_PREFIXES) and not drafts and ctx.total is None:
                ctx.total = _first_amount(cells[1:], ctx.money_scale)
            continue
        project = _cell(cells, header, "project")
        if project and project != above.get("project"):
            start(index).name = project
            above["project"] = project
        if draft is None:
            start(index)
        _row_block_columns(draft, ctx, cells, header, header_cells, sheet.where(index), warnings)
        if first.startswith(BUDGET_ROW_PREFIXES):
            _budget_row(draft, _cell(cells, header, "points"), sheet.where(index), warnings)
            continue
        row = _indicator_cells(sheet, index, cells, header, above)
        row.column_template = value_template
        if _heading_row(row, above):
            continue
        if not row.name:
            if row.value:
                warnings.append(
                    _warning(
                        "indicator_name_missing",
                        f"{row.where}：有指标值“{row.value}”但没有指标名称，已跳过",
                        row=row,
                    )
                )
            continue
        draft.rows.append(row)
    if header is None:
        return None
    title = choose_title(titles)
    if title:
        ctx.title = title
        _context_from_title(ctx, title)
    for other in titles:  # a year on a line of its own: 项目支出绩效目标申报表 /（2023年度）
        m = YEAR_RE.search(other)
        if ctx.year is None and m:
            ctx.year = int(m.group(1))
    return ctx, drafts


BUDGET_ROW_PREFIXES = ("预算执行率", "预算执行情况", "资金执行率")


def _budget_row(draft: _Draft, points: str, where: str, warnings: list[ParseWarning]) -> None:
    """A 预算执行率 row is not an indicator: its 分值 is the project's budget execution weight
    (scoring rules §1)."""
    if not points:
        return
    draft.budget_points = parse_points(points)
    if draft.budget_points is None:
        warnings.append(_warning("points_unreadable", f"{where}：预算执行率的分值“{points}”无法识别，已忽略"))


def _indicator_cells(
    sheet: GridSheet, index: int, cells: list[str], header: dict[str, list[int]], above: dict[str, str]
) -> _Row | None:
    level1 = _cell(cells, header, "level1")
    level2 = _cell(cells, header, "level2")
    if level1 and level1 != above.get("level1"):
        above.pop("level2", None)  # a new level-1 group does not inherit the previous level 2
        above["level1"] = level1
    if level2:
        above["level2"] = level2
    return _Row(
        line=sheet.line(index),
        where=sheet.where(index),
        level1=above.get("level1", ""),
        level2=above.get("level2", ""),
        name=_cell(cells, header, "name"),
        value=_cell(cells, header, "value"),
        operator=_cell(cells, header, "operator"),
        unit=_cell(cells, header, "unit"),
        points=_cell(cells, header, "points"),
        direction=_cell(cells, header, "direction"),
    )


def _heading_row(row: _Row, above: dict[str, str]) -> bool:
    """A row whose name cell holds only a level heading (``社会效益指标``, ``（一）数量目标``) and
    no value or points: it sets the levels of the rows below and is no indicator."""
    if row.value or row.operator or row.unit or row.points:
        return False
    heading = standalone_heading(row.name)
    if heading is None:
        return False
    if heading.level2 is None:
        above["level1"] = row.name
        above.pop("level2", None)
    else:
        above["level2"] = row.name
    return True


def _row_block_columns(
    draft: _Draft,
    ctx: _Context,
    cells: list[str],
    header: dict[str, list[int]],
    header_cells: list[str],
    where: str,
    warnings: list[ParseWarning],
) -> None:
    """Amount and unit given as columns of the indicator rows (first non-blank value wins); the
    header names the amount's unit (``资金总额（元）``)."""
    for key in ("amount", "unit_code", "unit_name"):
        value = _cell(cells, header, key)
        if value and key not in draft.labels:
            label = header_cells[header[key][0]]
            _set_block(draft, ctx, key, label, value, where, warnings)


def _indicator(row: _Row, year: int | None, seq: int, warnings: list[ParseWarning]) -> ParsedIndicator:
    name, template = split_template(row.name)  # ``苗木成活率(≥**%)``: the placeholder leaves the name
    level1, level2, problem = resolve_levels(row.level1, row.level2)
    if problem:
        warnings.append(
            _warning("level_unknown", f"{row.where}：指标“{name}”{problem}", seq=seq, row=row, name=name)
        )
    raw, direction, note = compose_raw(row.value, row.operator, row.unit, row.direction)
    if note:
        warnings.append(
            _warning("operator_unknown", f"{row.where}：指标“{name}”{note}", seq=seq, row=row, name=name)
        )
    for tpl, source in ((template, "名称"), (row.column_template, "表头")):
        raw, remark = fill_template(raw, tpl, level2=level2 or None, year=year, source=source)
        if remark:
            warnings.append(
                _warning(
                    "template_conflict",
                    f"{row.where}：指标“{name}”{remark}，请核对",
                    seq=seq,
                    row=row,
                    name=name,
                )
            )
    target = parse_value(raw, level2=level2, year=year)
    if direction == "qualitative" and target.kind == "unparsed" and raw:
        target = Target(raw=raw, kind="qualitative", expected=raw)
    indicator = ParsedIndicator(level1=level1, level2=level2, name=name, target=target)
    if (
        direction in ("positive", "reverse")
        and target.kind == "numeric"
        and indicator.direction != "zero_target"
    ):
        if target.operator not in (None, "=") and direction != indicator.direction:
            warnings.append(
                _warning(
                    "direction_conflict",
                    f"{row.where}：指标“{name}”标为{DIRECTION_LABEL[direction]}，"
                    f"与指标值“{raw}”的符号不一致，按{DIRECTION_LABEL[direction]}处理",
                    seq=seq,
                    row=row,
                    name=name,
                )
            )
        indicator.direction = direction
    elif direction == "qualitative" and target.kind == "numeric":
        warnings.append(
            _warning(
                "direction_conflict",
                f"{row.where}：指标“{name}”标为定性，但指标值“{raw}”是数值，按数值指标处理",
                seq=seq,
                row=row,
                name=name,
            )
        )
    if row.points:
        indicator.points = parse_points(row.points)
        if indicator.points is None:
            warnings.append(
                _warning(
                    "points_unreadable",
                    f"{row.where}：指标“{name}”的分值“{row.points}”无法识别，已忽略",
                    seq=seq,
                    row=row,
                    name=name,
                )
            )
    return indicator


def _goal_text(raw_cell: str | None, cleaned: str) -> str:
    """Goals keep their line breaks (one goal a line) until split."""
    return raw_cell if raw_cell and clean(raw_cell) == cleaned else cleaned


def _set_context(ctx: _Context, key: str, value: str) -> None:
    if key == "year":
        m = YEAR_BARE_RE.search(value)
        if m:
            ctx.year = int(m.group(1))
    elif key == "money_unit":
        if value.startswith("元"):
            ctx.money_scale = Decimal("0.0001")
    elif key == "unit_code":
        ctx.unit_code = value or ctx.unit_code
    elif key == "unit_name":
        code, name = split_unit_code(value)
        ctx.unit_name = name or ctx.unit_name
        ctx.unit_code = ctx.unit_code or code
    elif key == "department":
        ctx.department = value or ctx.department


def _set_block(
    draft: _Draft, ctx: _Context, key: str, label: str, value: str, where: str, warnings: list[ParseWarning]
) -> None:
    draft.labels.add(key)
    if key == "amount":
        if draft.amount is None and value:
            draft.amount = parse_amount(value, label, ctx.money_scale)
            if draft.amount is None:
                warnings.append(_warning("amount_unreadable", f"{where}：金额“{value}”无法识别"))
    elif key == "unit_code":
        draft.unit_code = value or None
    elif key == "unit_name":
        code, name = split_unit_code(value)
        draft.unit_name = name or None
        draft.unit_code = draft.unit_code or code
    elif key == "department":
        ctx.department = ctx.department or value or None
    elif key == "goals" and value not in draft.goal_cells:
        draft.goal_cells.add(value)
        draft.goals.extend(split_goals(value))


def _context_from_title(ctx: _Context, title: str) -> None:
    m = YEAR_RE.search(title)
    if m and ctx.year is None:
        ctx.year = int(m.group(1))
    unit = title_unit(title)
    if unit and ctx.unit_name is None:
        code, ctx.unit_name = split_unit_code(unit)
        ctx.unit_code = ctx.unit_code or code


def _context_from_name(filename: str) -> _Context:
    """A file name such as ``门源县应急管理局2023年绩效目标.xlsx`` gives the unit and the year."""
    ctx = _Context()
    stem = re.split(r"[\\/]", filename or "")[-1].rsplit(".", 1)[0]
    m = YEAR_RE.search(stem) or YEAR_BARE_RE.search(stem)
    if m:
        ctx.year = int(m.group(1))
    unit = title_unit(stem)
    if unit:
        ctx.unit_code, ctx.unit_name = split_unit_code(unit)
    return ctx


def _merge_contexts(contexts: list[_Context]) -> _Context:
    """The table's context: the first sheet that says something wins, the file name comes last.
    A unit's code and name are taken together from one place."""
    merged = _Context()
    for ctx in contexts:
        for attr in ("title", "year", "department", "total"):
            if getattr(merged, attr) is None and getattr(ctx, attr) is not None:
                setattr(merged, attr, getattr(ctx, attr))
        if merged.unit_code is None and merged.unit_name is None:
            merged.unit_code, merged.unit_name = ctx.unit_code, ctx.unit_name
    return merged


def _unit_of(
    draft: _Draft, contexts: list[_Context], seq: int, warnings: list[ParseWarning]
) -> tuple[str, str]:
    """Unit code and name of a project: its block or columns, else its sheet, else the table
    (title, then file name). A code without a name borrows the name given with that code."""
    code, name = draft.unit_code, draft.unit_name
    if code is None and name is None:
        source = next((c for c in contexts if c.unit_code or c.unit_name), None)
        if source is not None:
            code, name = source.unit_code, source.unit_name
    if code is None or name is None:
        for ctx in contexts:
            dept_code, dept_name = split_unit_code(ctx.department or "")
            for other_code, other_name in ((ctx.unit_code, ctx.unit_name), (dept_code, dept_name)):
                if code is None and other_name and other_name == name and other_code:
                    code = other_code  # the unit is the department itself, or named elsewhere
                if name is None and other_code and other_code == code and other_name:
                    name = other_name
    if not name and not code:
        department = next((ctx.department for ctx in contexts if ctx.department), None)
        code, name = split_unit_code(department or "")
    if not name and not code:
        name = "未注明单位"
        warnings.append(
            _warning(
                "unit_missing",
                f"{draft.where}：未能确定项目所属单位（标题、表中和文件名都没有单位名称）",
                seq=seq,
            )
        )
    if not code:
        code = name[:32]
        if any(w.code == "unit_code_missing" and f"“{name}”" in w.message for w in warnings):
            return code, name
        warnings.append(
            _warning(
                "unit_code_missing", f"{draft.where}：单位“{name}”没有单位编码，暂以单位名称作为编码", seq=seq
            )
        )
    return code, name or code


def split_goals(text: str) -> list[str]:
    """The goals of a 年度绩效目标 cell, read as the published layout reads them
    (:func:`app.targets.html_cells.parse_goal_cell`): ``目标1：A；目标2：B`` → ``["A；", "B"]``,
    else numbered items, else one goal a line."""
    from app.targets.html_cells import parse_goal_cell

    return parse_goal_cell(text or "")


def _first_amount(cells: list[str], scale: Decimal) -> Decimal | None:
    return next((parse_amount(c, "", scale) for c in cells if c and NUMBER_RE.search(c)), None)


def _cell(cells: list[str], header: dict[str, list[int]], role: str) -> str:
    """The text of a role's column(s); merged copies of one text are not repeated."""
    parts: list[str] = []
    for col in header.get(role, ()):
        if col < len(cells) and cells[col] and (not parts or parts[-1] != cells[col]):
            parts.append(cells[col])
    return "".join(parts)


def parse_value(raw: str, *, level2: str | None, year: int | None) -> Target:
    from app.targets.grammar import parse_target

    return parse_target(raw, level2=level2 or None, year=year)


def shared_checks(table: ParsedTable) -> list[ParseWarning]:
    from app.targets.checks import check_table

    return list(check_table(table))
