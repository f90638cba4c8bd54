"""Import warnings over a parsed table (docs/scoring-rules.md §6 and §10).

Warnings never change what was read; they tell the clerk where the published table contradicts
itself. Pure functions over :class:`ParsedTable`, so every table layout shares them.

Codes: ``amounts_mismatch``, ``deadline_before_year``, ``cost_over_amount``,
``goal_contradicts_indicator``, ``level1_missing``, ``satisfaction_under_benefit``,
``unparsed_value``, ``value_corrected`` (a slip the value grammar read past, e.g. ``28.8万元%``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from app.targets.grammar import KNOWN_UNITS, format_target
from app.targets.levels import level1_of
from app.targets.types import (
    BENEFIT,
    COST_L1,
    OUTPUT,
    SATISFACTION,
    ParsedIndicator,
    ParsedProject,
    ParsedTable,
    ParseWarning,
    decimal_str,
    is_cost_level,
)

# Money units of a cost target, as a factor to 万元.
MONEY_TO_WAN = {
    "万元": Decimal(1),
    "万": Decimal(1),
    "元": Decimal("0.0001"),
    "千元": Decimal("0.1"),
    "亿元": Decimal(10000),
}


def check_table(table: ParsedTable) -> list[ParseWarning]:
    """All import warnings for ``table``: table-level amounts first, then project by project."""
    warnings = list(amounts_mismatch(table))
    required = [OUTPUT, BENEFIT, SATISFACTION]
    if any(i.level1 == COST_L1 for p in table.projects for i in p.indicators):
        required.insert(1, COST_L1)  # the newer template has 成本指标 as a level 1
    for project in table.projects:
        under_benefit = list(satisfaction_under_benefit(project))
        warnings += under_benefit
        warnings += level1_missing(project, required, said=SATISFACTION if under_benefit else None)
        warnings += unparsed_values(project)
        warnings += corrected_values(project)
        warnings += deadlines_before_year(project, table.year)
        warnings += cost_over_amount(project)
        warnings += goal_contradicts_indicator(project)
    return warnings


def _wan(value: Decimal | None) -> str:
    return f"{decimal_str(value)} 万元"


def amounts_mismatch(table: ParsedTable) -> Iterator[ParseWarning]:
    """Project amounts not summing to their unit's total; units not summing to 合计."""
    children: dict[str, list] = {}
    for unit in table.units:
        if unit.parent_code:
            children.setdefault(unit.parent_code, []).append(unit)
    by_unit: dict[str, list[ParsedProject]] = {}
    for project in table.projects:
        by_unit.setdefault(project.unit_code, []).append(project)
    for unit in table.units:
        if unit.amount_wan is None:
            continue
        parts = [p.amount_wan for p in by_unit.get(unit.code, [])]
        parts += [u.amount_wan for u in children.get(unit.code, [])]
        if not parts or any(a is None for a in parts):
            continue
        total = sum(parts, Decimal(0))
        if total != unit.amount_wan:
            what = "项目金额" if unit.code in by_unit else "下级单位金额"
            yield ParseWarning(
                code="amounts_mismatch",
                message=f"单位 {unit.code}「{unit.name}」的{what}合计 {_wan(total)}，"
                f"与单位金额 {_wan(unit.amount_wan)} 不符（相差 {_wan(unit.amount_wan - total)}）。",
            )
    if table.total_wan is None:
        return
    top = [u.amount_wan for u in table.units if not u.parent_code]
    if not top:
        top = [p.amount_wan for p in table.projects]
    if not top or any(a is None for a in top):
        return
    total = sum(top, Decimal(0))
    if total != table.total_wan:
        yield ParseWarning(
            code="amounts_mismatch",
            message=f"各单位金额合计 {_wan(total)}，与“合计”行 {_wan(table.total_wan)} 不符"
            f"（相差 {_wan(table.total_wan - total)}）。",
        )


def level1_missing(
    project: ParsedProject, required: list[str], *, said: str | None = None
) -> Iterator[ParseWarning]:
    """A standard level-1 group with no indicator (docs/scoring-rules.md §1: 满意度 missing is common).
    ``said``: a group another warning already names."""
    present = {i.level1 for i in project.indicators}
    for level1 in required:
        if level1 not in present and level1 != said:
            yield ParseWarning(
                code="level1_missing",
                message=f"项目“{project.name}”没有{level1}，评分时按评分办法处理该组权重。",
                project_seq=project.seq,
            )


def satisfaction_under_benefit(project: ParsedProject) -> Iterator[ParseWarning]:
    """满意度 indicators the table files under 效益指标 (the older template): read as filed, so they
    count within 效益指标 and the 满意度指标 group stays empty — said once per project."""
    names = [
        i.name for i in project.indicators if i.level1 == BENEFIT and level1_of(i.level2) == SATISFACTION
    ]
    if not names:
        return
    shown = "、".join(f"“{n}”" for n in names[:3]) + ("等" if len(names) > 3 else "")
    empty = (
        ""
        if any(i.level1 == SATISFACTION for i in project.indicators)
        else "；满意度指标组为空，评分时按评分办法处理该组权重"
    )
    yield ParseWarning(
        code="satisfaction_under_benefit",
        message=f"项目“{project.name}”的满意度指标 {shown} 在表中列于效益指标下，已按表中层级计入效益指标{empty}，请核对。",
        project_seq=project.seq,
        indicator=names[0],
    )


def unparsed_values(project: ParsedProject) -> Iterator[ParseWarning]:
    for ind in project.indicators:
        if ind.target.kind == "unparsed":
            raw = ind.target.raw
            message = (
                f"指标值“{raw}”无法识别，已按原文保留，请核对。"
                if raw
                else "没有读到该指标的指标值，请核对。"
            )
            yield ParseWarning(
                code="unparsed_value", message=message, project_seq=project.seq, indicator=ind.name
            )


NOTE_MESSAGES = {
    "stray_percent": "指标值“{raw}”的金额单位后多了“%”，已按 {value} 读取，请核对。",
}


def corrected_values(project: ParsedProject) -> Iterator[ParseWarning]:
    """Values read past a slip of the pen (``28.8万元%`` → 28.8万元): kept, and said."""
    for ind in project.indicators:
        t = ind.target
        if t.note in NOTE_MESSAGES:
            yield ParseWarning(
                code="value_corrected",
                message=NOTE_MESSAGES[t.note].format(raw=t.raw, value=format_target(t)),
                project_seq=project.seq,
                indicator=ind.name,
            )


def deadlines_before_year(project: ParsedProject, year: int | None) -> Iterator[ParseWarning]:
    """A deadline in a year before the table's budget year (docs/scoring-rules.md §6), kept as written."""
    if year is None:
        return
    for ind in project.indicators:
        d = ind.target.deadline
        if ind.target.kind == "deadline" and d is not None and d.year < year:
            yield ParseWarning(
                code="deadline_before_year",
                message=f"完成时限“{ind.target.raw}”（{d.isoformat()}）早于预算年度 {year} 年，已按原文保留，请核对。",
                project_seq=project.seq,
                indicator=ind.name,
            )


def cost_over_amount(project: ParsedProject) -> Iterator[ParseWarning]:
    """Cost targets in money (万元/元/亿元 under 成本指标) summing above the project amount.

    Per-unit standards (``元/户``) and counts are not sums of money and are left out. A row equal
    to the sum of the project's other cost rows is their subtotal and counted once.
    """
    if project.amount_wan is None:
        return
    amounts = [
        ind.target.value * MONEY_TO_WAN[ind.target.unit]
        for ind in project.indicators
        if ind.target.kind == "numeric"
        and ind.target.unit in MONEY_TO_WAN
        and ind.target.value is not None
        and _is_cost(ind)
    ]
    total = sum(amounts, Decimal(0))
    if len(amounts) > 2 and any(2 * a == total for a in amounts):
        total /= 2  # one row is the subtotal of the others (``项目总成本``): count it once
    if amounts and total > project.amount_wan:
        yield ParseWarning(
            code="cost_over_amount",
            message=f"成本指标合计 {_wan(total)}，超过项目金额 {_wan(project.amount_wan)}。",
            project_seq=project.seq,
        )


def _is_cost(ind: ParsedIndicator) -> bool:
    return is_cost_level(ind.level2) or ind.level1 == COST_L1


# --- goals naming numbers the indicators contradict -------------------------------------------

_CLAUSE_RE = re.compile(r"[，,；;。！!？?\n]")
_GOAL_UNITS = sorted({u for u in KNOWN_UNITS if u not in ("万", "年", "月", "日")}, key=len, reverse=True)
_MENTION_RE = re.compile(
    r"(?<![\d.])(?P<num>\d+(?:\.\d+)?)\s*(?P<wan>万)?余?\s*(?P<unit>"
    + "|".join(map(re.escape, _GOAL_UNITS))
    + r")(?P<suf>以上|及以上|以下|以内)?"
)
_NAME_NOISE_RE = re.compile(r"[\s、，,；;。:：()（）《》“”\"']")
_UNIT_SAME = {"万": "万元", "元/每户": "元/户"}
_MIN_SHARED = 4  # characters a goal's subject and an indicator name must share …
_MIN_SHARED_SHORT = 3  # … or this many when that is at least half the indicator's name


def goal_contradicts_indicator(project: ParsedProject) -> Iterator[ParseWarning]:
    """A goal naming a number (``培训4次以上``) that the matching indicator contradicts (``≥8次``).

    Conservative: the goal's number must carry a unit; the indicator must have the same unit and
    share a keyword with the text before the number (≥4 characters in common, or ≥3 covering half
    the indicator's name); a warning only when no equally good match has the goal's number.
    """
    mentions = [
        (clause, m)
        for goal in project.goals
        for clause in _CLAUSE_RE.split(goal)
        for m in _MENTION_RE.finditer(clause)
    ]
    if not mentions:
        return
    units = {_unit_key(("万" if m.group("wan") else "") + m.group("unit")) for _, m in mentions}
    numeric = []
    for ind in project.indicators:
        key = _unit_key(ind.target.unit)
        if ind.target.kind == "numeric" and ind.target.value is not None and key in units:
            name = _NAME_NOISE_RE.sub("", ind.name)
            numeric.append((ind, key, name, _grams(name)))
    if not numeric:
        return
    seen: set[tuple[str, str]] = set()
    start, last_clause = 0, None
    for clause, m in mentions:
        if clause is not last_clause:
            start, last_clause = 0, clause
        subject = _NAME_NOISE_RE.sub("", clause[start : m.start()])
        mention = clause[start : m.end()].strip()
        start = m.end()
        unit = _unit_key(("万" if m.group("wan") else "") + m.group("unit"))
        value = Decimal(m.group("num"))
        best, matches = 0, []
        subject_grams = _grams(subject)
        for ind, key, name, grams in numeric:
            if key != unit or grams.isdisjoint(subject_grams):
                continue
            shared = _shared_length(subject, name)
            ok = shared >= _MIN_SHARED or (shared >= _MIN_SHARED_SHORT and 2 * shared >= len(name))
            if not ok or shared < best:
                continue
            if shared > best:
                best, matches = shared, []
            matches.append(ind)
        if not matches or any(i.target.value == value for i in matches):
            continue
        ind = matches[0]
        if (mention, ind.name) in seen:
            continue
        seen.add((mention, ind.name))
        yield ParseWarning(
            code="goal_contradicts_indicator",
            message=f"绩效目标写“{mention}”，指标“{ind.name}”的指标值为 {format_target(ind.target)}，"
            "数字不一致，请核对。",
            project_seq=project.seq,
            indicator=ind.name,
        )


def _unit_key(unit: str | None) -> str:
    unit = unit or ""
    return _UNIT_SAME.get(unit, unit)


def _grams(text: str) -> set[str]:
    """The substrings of ``_MIN_SHARED_SHORT`` characters: a quick test before the exact length."""
    n = _MIN_SHARED_SHORT
    return {text[i : i + n] for i in range(len(text) - n + 1)}


def _shared_length(a: str, b: str) -> int:
    """Length of the longest common substring of ``a`` and ``b`` (short texts)."""
    if len(a) > len(b):
        a, b = b, a
    lo, hi = 0, len(a)  # a common substring of length k implies one of every shorter length
    while lo < hi:
        k = (lo + hi + 1) // 2
        if any(a[i : i + k] in b for i in range(len(a) - k + 1)):
            lo = k
        else:
            hi = k - 1
    return lo
