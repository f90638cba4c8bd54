"""Labels of a grid 绩效目标表: which header names which column, which cell
labels a project block, and what a title says. PURE string work, used by :mod:`app.targets.grid`.

Headers are matched after dropping notes, spaces and colons (``资金总额（万元）：`` → 资金总额),
in their usual variants: 三级指标/指标名称, 指标值/年度指标值/指标值及单位/目标值,
计量单位/度量单位/单位, 指标性质/计算符号/符号 (operator), 指标方向 (正向/反向/定性), 分值/权重 …
"""

from __future__ import annotations

import re
from collections.abc import Sequence

COLUMN_ROLES: dict[str, frozenset[str]] = {
    "level1": frozenset({"一级指标", "一级指标名称"}),
    "level2": frozenset({"二级指标", "二级指标名称"}),
    "name": frozenset({"三级指标", "三级指标名称", "指标名称", "具体指标", "指标内容", "绩效指标名称"}),
    "value": frozenset(
        {
            "指标值",
            "年度指标值",
            "指标值及单位",
            "指标值含单位",
            "目标值",
            "年度目标值",
            "目标值及单位",
            "指标目标值",
            "预期目标值",
            "预期指标值",
            "绩效指标值",
            "年度绩效指标值",
        }
    ),
    "unit": frozenset({"计量单位", "度量单位", "单位", "指标单位", "指标值单位"}),
    "operator": frozenset({"指标性质", "计算符号", "符号", "运算符号", "比较符号", "指标符号", "指标值符号"}),
    "direction": frozenset({"指标方向", "方向", "正反向", "指标类型"}),
    "points": frozenset({"分值", "权重", "指标分值", "指标权重", "分数", "权重分值"}),
    "project": frozenset({"项目名称"}),
    "amount": frozenset(
        {"资金总额", "项目金额", "金额", "预算金额", "项目资金", "年度资金总额", "项目总金额"}
    ),
    "unit_code": frozenset({"单位编码", "单位代码", "预算单位编码", "单位编号"}),
    "unit_name": frozenset({"单位名称", "预算单位", "预算单位名称", "实施单位", "填报单位", "编制单位"}),
}
BLOCK_LABELS: dict[str, frozenset[str]] = {
    "project": COLUMN_ROLES["project"],
    "amount": COLUMN_ROLES["amount"] | {"预算资金", "资金合计", "项目资金总额", "年度预算", "年度预算资金"},
    "unit_code": COLUMN_ROLES["unit_code"],
    "unit_name": COLUMN_ROLES["unit_name"],
    "department": frozenset({"主管部门", "主管部门名称", "主管部门及代码", "主管部门及编码", "部门名称"}),
    "goals": frozenset(
        {"年度绩效目标", "绩效目标", "年度目标", "项目绩效目标", "总体目标", "年度总体目标", "预期目标"}
    ),
    "year": frozenset({"年度", "预算年度", "项目年度"}),
    "money_unit": frozenset({"单位", "金额单位"}),
}
CONTEXT_KEYS = frozenset({"year", "money_unit", "unit_code", "unit_name", "department"})
SKIP_PREFIXES = (
    "注",
    "备注",
    "说明",
    "填报说明",
    "填表说明",
    "合计",
    "总计",
    "小计",
    "总分",
)
# Signature lines under a table: skipped whatever their other cells hold, unless they give a value.
SIGNATURE_PREFIXES = (
    "填报人",
    "填表人",
    "制表",
    "联系人",
    "联系电话",
    "审核人",
    "负责人",
    "单位负责人",
    "财务负责人",
    "填报日期",
    "填表日期",
)
TOTAL_PREFIXES = ("合计", "总计")
_NOTE = re.compile(r"[（(\[【][^）)\]】]*[）)\]】]")
_SPACES = re.compile(r"[\s\u3000]+")
_WRAP = re.compile(r"(?<=[\u3400-\u9fff])[ \t\u3000]*[\r\n]+[ \t\u3000]*(?=[\u3400-\u9fff])")
YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
YEAR_BARE_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_TITLE_UNIT = re.compile(r"^(?P<unit>.+?)(?:(?:19|20)\d{2}\s*年度?|部门预算|部门整体|项目|预算|绩效)")
_NOT_UNIT = ("项目", "绩效", "目标", "申报", "支出", "预算", "关于", "附件", "附表")
_CODE_NAME = re.compile(r"^[\[【]?(?P<code>\d{3,})[\]】]?[\s\-_－—:：]*(?P<name>\D.*)$")
NUMBER_RE = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")


def clean(text: str | None) -> str:
    """A cell's text on one line: a line break between two Chinese characters (a wrapped cell)
    is dropped; other whitespace runs (full-width spaces too) become one space."""
    return _SPACES.sub(" ", _WRAP.sub("", text or "")).strip()


def label_key(text: str) -> str:
    """A header or label without notes, spaces and colons: ``资金总额（万元）：`` → ``资金总额``."""
    return re.sub(r"[\s\u3000:：*＊]", "", _NOTE.sub("", text or ""))


def _role(text: str, table: dict[str, frozenset[str]]) -> str | None:
    key = label_key(text)
    return next((role for role, names in table.items() if key in names), None)


def column_role(text: str) -> str | None:
    """The role of a header cell: ``年度指标值`` → ``value``, ``度量单位`` → ``unit`` …"""
    return _role(text, COLUMN_ROLES)


def block_label(text: str) -> str | None:
    """The role of a project-block label: ``资金总额(万元)`` → ``amount`` …"""
    return _role(text, BLOCK_LABELS)


def header_columns(cells: Sequence[str]) -> dict[str, list[int]] | None:
    """The columns of each role when ``cells`` is an indicator header row, else None.

    A header merged across adjacent columns (指标值 over value and unit) keeps all its columns;
    otherwise the first column of a role wins.
    """
    roles: dict[str, list[int]] = {}
    for col, cell in enumerate(cells):
        role = column_role(cell) if cell else None
        if role is None:
            continue
        cols = roles.setdefault(role, [])
        if not cols or (cols[-1] == col - 1 and cells[col - 1] == cell):
            cols.append(col)
    if "name" in roles and "value" in roles and ("level1" in roles or "level2" in roles):
        return roles
    return None


# ---------------------------------------------------------------- what a sheet holds


def inline_label(cell: str) -> str | None:
    """``填报单位：XX局`` → ``填报单位`` (a label and its value in one cell)."""
    m = re.match(r"^([^:：]{1,12})[:：]", cell)
    return m.group(1) if m and block_label(m.group(1)) else None


def label_pairs(cells: list[str]) -> list[tuple[str, str, str, int]]:
    """``(role, label, value, column of the value)`` of a block row: ``项目名称 | X | X | 资金总额(万元) | 50``, or
    ``填报单位：X`` in one cell. Merged copies of a label or a value are skipped."""
    out: list[tuple[str, str, str, int]] = []
    i, n = 0, len(cells)
    while i < n:
        cell = cells[i]
        role = block_label(cell) if cell else None
        if role is None:
            inline = inline_label(cell) if cell else None
            if inline:
                out.append((block_label(inline), inline, re.split(r"[:：]", cell, maxsplit=1)[1].strip(), -1))
            i += 1
            continue
        j = i + 1
        while j < n and (not cells[j] or cells[j] == cell):
            j += 1
        value, value_col = "", -1
        if j < n and block_label(cells[j]) is None and not inline_label(cells[j]):
            value, value_col = cells[j], j
            while j < n and cells[j] == value:
                j += 1
        out.append((role, cell, value, value_col))
        i = j
    return out


def split_unit_code(text: str) -> tuple[str | None, str]:
    """``309001 门源县应急管理局`` / ``[309001]门源县应急管理局`` → (``309001``, name)."""
    m = _CODE_NAME.match(clean(text))
    if m:
        return m.group("code"), m.group("name").strip()
    return None, clean(text)


def title_text(cells: list[str]) -> str | None:
    """The text of a row holding one text (merged across, or beside ``单位：万元``-style labels)."""
    texts = list(dict.fromkeys(c for c in cells if c and not inline_label(c)))
    if len(texts) == 1 and len(texts[0]) >= 6 and not NUMBER_RE.fullmatch(texts[0]):
        return texts[0]
    return None


def choose_title(candidates: list[str]) -> str | None:
    """The table's title among the one-text rows above the header: the first naming 绩效目标,
    else the first naming 绩效 or ending in 表, else the first."""
    for test in (lambda t: "绩效目标" in t, lambda t: "绩效" in t or t.endswith("表")):
        found = next((t for t in candidates if test(t)), None)
        if found:
            return found
    return candidates[0] if candidates else None


def title_unit(title: str) -> str | None:
    """The unit a title or file name starts with: ``XX县应急管理局2023年…`` → XX县应急管理局;
    None for a title that names no unit (``项目支出绩效目标申报表``, ``附件2``)."""
    m = _TITLE_UNIT.match(title or "")
    if m is None:
        return None
    unit = re.sub(r"^(?:附件|附表)\s*\d*\s*[:：.、]?", "", m.group("unit")).strip(" ：:-—_")
    if not unit or any(word in unit for word in _NOT_UNIT) or not re.search(r"[\u4e00-\u9fff]", unit):
        return None
    return unit
