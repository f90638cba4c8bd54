"""Values of a grid 绩效目标表. PURE.

- :func:`compose_raw` joins separate operator, value and unit cells into the target text as a
  published table writes it, so the stored raw reads naturally and the value grammar parses it;
- :func:`resolve_levels` gives the standard level names (levels.py) of the cells as written;
- :func:`parse_points` reads 分值/权重 as printed (the scoring rules judge them, docs/scoring-rules.md
  §1); :func:`parse_amount` reads 万元 or 元.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from app.targets.grid_labels import NUMBER_RE, clean
from app.targets.levels import DEFAULT_LEVEL2, level1_of, normalise_level1, normalise_level2, split_heading
from app.targets.types import BENEFIT, COST_L1, SATISFACTION

_DIGIT_START = re.compile(r"^[0-9０-９.]")
_DIGIT_END = re.compile(r"[0-9０-９]$")
_LEAD_OPERATOR = re.compile(
    r"^(?:[≥≤<>=＝＞＜≧≦﹦]|不低于|不少于|不高于|不超过|不大于|不小于|大于|小于|高于|低于|达到|超过|至少)"
)
_SYMBOLS = frozenset({"≥", "≤", ">", "<", ">=", "<=", "≧", "≦", "＞", "＜", "＞＝", "＜＝"})
_EQUALS = frozenset({"=", "＝", "﹦", "==", "等于"})
_OPERATOR_WORDS = frozenset(
    {
        "大于等于",
        "小于等于",
        "大于",
        "小于",
        "不低于",
        "不少于",
        "不高于",
        "不超过",
        "不大于",
        "不小于",
        "达到",
        "至少",
    }
)
_DIRECTION_WORDS: dict[str, str | None] = {
    "正向": "positive",
    "反向": "reverse",
    "定性": "qualitative",
    "定量": None,
}
DIRECTION_LABEL = {"positive": "正向", "reverse": "反向", "qualitative": "定性"}
_EMPTY_UNIT = frozenset({"", "-", "—", "/", "无", "--", "——", "、"})


def resolve_levels(level1_text: str, level2_text: str) -> tuple[str, str, str | None]:
    """Standard level names from the cells as written, and a remark when one is not recognised.

    The level 2 decides the level 1 where both are known and disagree (a 社会效益指标 under
    产出指标), except a cost level 2 under the newer template's level-1 成本指标 and a 满意度 level 2
    under 效益指标 (the older template files satisfaction within benefits; warned at import).
    """
    level1 = _level1(level1_text)
    level2 = normalise_level2(level2_text)
    if level2 is None and level2_text:
        heading, rest = split_heading(level2_text)
        if heading is not None and not rest:
            level1 = level1 or heading.level1
            level2 = heading.level2
    parent = level1_of(level2) if level2 else None
    if parent and level1 != parent and not _kept(level1, level2, parent):
        level1 = parent
    if level1 and not level2:
        level2 = DEFAULT_LEVEL2.get(level1)
    problem = None
    if not level1:
        problem = f"的一级指标“{level1_text}”无法识别" if level1_text else "缺少一级指标"
    elif not level2:
        problem = f"的二级指标“{level2_text}”无法识别" if level2_text else "缺少二级指标"
    return level1 or clean(level1_text), level2 or clean(level2_text), problem


def _kept(level1: str | None, level2: str, parent: str) -> bool:
    """A level 2 filed under another level 1 that keeps the table's level 1."""
    cost = level1 == COST_L1 and level2.endswith("成本指标")
    return cost or (level1 == BENEFIT and parent == SATISFACTION)


def _level1(text: str) -> str | None:
    if not text:
        return None
    level1 = normalise_level1(text)
    if level1 is None:
        heading, rest = split_heading(text)
        if heading is not None and not rest:
            level1 = heading.level1
    return level1


def compose_raw(
    value: str, operator: str = "", unit: str = "", direction: str = ""
) -> tuple[str, str | None, str | None]:
    """Join separate operator, value and unit cells into the target text as a table writes it.

    Returns ``(raw, direction, note)``: ``direction`` from a 正向/反向/定性 word (in the operator
    or the direction column), ``note`` a Chinese remark when a cell cannot be read. ``=`` is not
    written (no operator means ``=``); an operator goes only before a value starting with a digit
    and carrying none; a unit only after a value ending in a digit (``百分比`` written ``%``).
    """
    raw = clean(value)
    found: str | None = None
    notes: list[str] = []
    for text in (operator, direction):
        op = clean(text).replace(" ", "")
        word = op.removesuffix("指标")
        if word in _DIRECTION_WORDS:
            found = found or _DIRECTION_WORDS[word]
        elif op in _SYMBOLS or op in _OPERATOR_WORDS:
            if _DIGIT_START.match(raw) and not _LEAD_OPERATOR.match(raw):
                raw = op + raw
        elif op and op not in _EQUALS:
            notes.append(f"“{op}”")
    unit_text = clean(unit)
    if unit_text == "百分比":
        unit_text = "%"
    if unit_text not in _EMPTY_UNIT and _DIGIT_END.search(raw):
        raw += unit_text
    note = f"的计算符号/指标方向{'、'.join(notes)}无法识别，已忽略" if notes else None
    return raw, found, note


def parse_points(text: str) -> Decimal | None:
    """``5`` / ``5分`` / ``5.5`` → Decimal; anything else None."""
    m = NUMBER_RE.fullmatch(clean(text).rstrip("分%％ "))
    if not m:
        return None
    try:
        return Decimal(m.group(0).replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern only matches numbers
        return None


def parse_amount(text: str, label: str = "", scale: Decimal = Decimal(1)) -> Decimal | None:
    """An amount in 万元: ``50`` / ``50.00万元`` / ``500,000元`` (or a label saying ``(元)``)."""
    text = text.replace("，", ",")
    m = NUMBER_RE.search(text)
    if not m:
        return None
    try:
        value = Decimal(m.group(0).replace(",", ""))
    except InvalidOperation:  # pragma: no cover
        return None
    unit = text[m.end() :] + label
    if "万元" in unit:
        return value
    if "元" in unit:
        return value / 10000
    return value * scale
