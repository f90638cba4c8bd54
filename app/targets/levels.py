"""Level names (一级指标 / 二级指标): normalise what tables write to the standard names.

Tables abbreviate (``产出数量``), annotate (``产出指标(50分)``, ``数量指标 (必填)``), number
(``（五）经济效益``, ``1.数量目标``), space (``经济效益 指标``), use older or local names
(``效果指标``, ``项目完成指标``, ``社会公众或服务对象满意度指标``, ``服务对象满意度指标等``) and, in the
newer template, put 成本指标 at level 1 with 经济/社会/生态环境成本指标 under it.

Every spelling of a level name is derived from the base names below by general rules
(:func:`_variants`): ``…指标`` may be written ``…目标`` or without the suffix, and a level-1 name
may carry a ``项目`` prefix. Everything here is pure string work.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from app.targets.types import BENEFIT, COST_L1, COST_L2, OUTPUT, SATISFACTION

# Standard level-2 names with their level 1.
LEVEL2_PARENT: dict[str, str] = {
    "数量指标": OUTPUT,
    "质量指标": OUTPUT,
    "时效指标": OUTPUT,
    COST_L2: OUTPUT,  # the older template: 成本指标 under 产出指标
    "经济成本指标": COST_L1,
    "社会成本指标": COST_L1,
    "生态环境成本指标": COST_L1,
    "经济效益指标": BENEFIT,
    "社会效益指标": BENEFIT,
    "生态效益指标": BENEFIT,
    "可持续影响指标": BENEFIT,
    "服务对象满意度指标": SATISFACTION,
}
LEVEL1_NAMES = (OUTPUT, COST_L1, BENEFIT, SATISFACTION)

# The level 2 assumed when items follow a level-1 heading directly (only where there is one
# obvious choice: 满意度 has a single standard level 2; 成本 at level 1 is mostly money).
DEFAULT_LEVEL2 = {SATISFACTION: "服务对象满意度指标", COST_L1: "经济成本指标"}

_L1_ALIASES = {
    "产出指标": OUTPUT,
    "产出": OUTPUT,
    "效益指标": BENEFIT,
    "效果指标": BENEFIT,
    "效益": BENEFIT,
    "满意度指标": SATISFACTION,
    "满意度": SATISFACTION,
    "成本指标": COST_L1,
    "成本": COST_L1,
    "项目完成指标": OUTPUT,  # the older template: 项目完成指标 / 项目效益指标
}
_L2_ALIASES = {
    **{name: name for name in LEVEL2_PARENT},
    "产出数量": "数量指标",
    "产出数量指标": "数量指标",
    "产出质量": "质量指标",
    "产出质量指标": "质量指标",
    "产出时效": "时效指标",
    "产出时效指标": "时效指标",
    "产出成本": COST_L2,
    "产出成本指标": COST_L2,
    "数量": "数量指标",
    "质量": "质量指标",
    "时效": "时效指标",
    "成本": COST_L2,
    "经济成本": "经济成本指标",
    "社会成本": "社会成本指标",
    "生态成本指标": "生态环境成本指标",
    "生态环境成本": "生态环境成本指标",
    "经济效益": "经济效益指标",
    "社会效益": "社会效益指标",
    "生态效益": "生态效益指标",
    "生态环境效益指标": "生态效益指标",
    "可持续影响": "可持续影响指标",
    "可持续发展指标": "可持续影响指标",
    "可持续效益指标": "可持续影响指标",
    "服务对象满意度": "服务对象满意度指标",
    "社会公众满意度指标": "服务对象满意度指标",
    "社会公众或服务对象满意度指标": "服务对象满意度指标",
    "社会公众或服务对象满意度": "服务对象满意度指标",
    "服务对象或社会公众满意度指标": "服务对象满意度指标",
    "群众满意度指标": "服务对象满意度指标",
    "服务对象或受益者满意度指标": "服务对象满意度指标",
    "受益者满意度指标": "服务对象满意度指标",
    "受益对象满意度指标": "服务对象满意度指标",
    "受益群众满意度指标": "服务对象满意度指标",
    "服务对象及社会公众满意度指标": "服务对象满意度指标",
    "可持续性影响指标": "可持续影响指标",
    "可持续发展影响指标": "可持续影响指标",
    "可持续性发展影响指标": "可持续影响指标",
}
# 成本指标 is a level 1 in the newer template and a level 2 under 产出指标 in the older one.
_COST_NAMES = frozenset({"成本指标", "成本"})
_SUFFIXES = ("指标", "目标")


def _variants(name: str, level1: bool) -> Iterator[str]:
    """The spellings of one base name: ``…指标`` also as ``…目标`` and without the suffix (产出目标,
    社会公众满意度); a level-1 name also with a ``项目`` prefix (项目效益指标)."""
    names = [name, "项目" + name] if level1 and not name.startswith("项目") else [name]
    for n in names:
        yield n
        if n.endswith("指标"):
            yield n[:-2] + "目标"
            yield n[:-2]


# Every spelling → its base name; a base name is never shadowed by another's variant.
_BASE: dict[str, str] = {name: name for name in (*_L1_ALIASES, *_L2_ALIASES)}
for _name in list(_BASE):
    for _spelling in _variants(_name, _name in _L1_ALIASES):
        _BASE.setdefault(_spelling, _name)

# Markers numbering a heading: 一、 (一) （一） 1. 1、 (1) ①, and a 第一部分-style prefix.
_MARKER = r"(?:[一二三四五六七八九十]+\s*[、.．]|[(（]\s*[一二三四五六七八九十\d]+\s*[)）]|\d{1,2}\s*[.．、)）]|[①-⑳])"
_MARKER_RE = re.compile(rf"^\s*{_MARKER}\s*")
# After a level name: a 等 (``服务对象满意度指标等``), notes (产出指标(50分), 数量指标 (必填), 【必填】).
_NOTE = r"(?:\s*[(（【\[][^)）】\]]{0,20}[)）】\]])*"
_TAIL_RE = re.compile(rf"\s*等?{_NOTE}\s*[:：]?\s*$")


def _clean(text: str) -> str:
    text = _MARKER_RE.sub("", text, count=1)
    text = _TAIL_RE.sub("", text)
    return re.sub(r"\s+", "", text)


def base_name(text: str | None) -> str | None:
    """The base name of a level name as written (``（一）产出目标：`` → 产出指标), or None."""
    return _BASE.get(_clean(text)) if text else None


def normalise_level1(text: str | None) -> str | None:
    """Standard level-1 name for ``text`` (``产出指标(50分)`` → 产出指标), or None.

    A level-2 name is not a level-1 name: use :func:`heading_levels` to read any heading.
    """
    return _L1_ALIASES.get(base_name(text) or "")


def normalise_level2(text: str | None) -> str | None:
    """Standard level-2 name for ``text`` (``数量指标 (必填)`` → 数量指标), or None.

    ``成本指标`` is returned as the older template's level 2; the newer template's level-2 cost
    names are 经济/社会/生态环境成本指标.
    """
    return _L2_ALIASES.get(base_name(text) or "")


def level1_of(level2: str) -> str | None:
    """The level 1 a standard level 2 belongs to (``服务对象满意度指标`` → 满意度指标)."""
    return LEVEL2_PARENT.get(level2)


@dataclass(frozen=True, slots=True)
class Heading:
    """A level heading read from text: ``level2`` is None for a level-1-only heading."""

    level1: str
    level2: str | None
    marker: bool = False  # the heading was numbered (一、 (一) 1. …)
    chinese_marker: bool = False  # numbered 一、 (level-1 style)


def heading_levels(name: str, *, level1_style: bool = False) -> Heading | None:
    """Interpret a bare level name (already cleaned) as a heading.

    ``成本指标`` is ambiguous: a level 1 in the newer template (numbered ``二、``), a level 2
    under 产出指标 in the older one. ``level1_style`` says the heading was numbered as a level 1.
    """
    name = _BASE.get(name, name)
    if name in _COST_NAMES:
        return Heading(COST_L1, None) if level1_style else Heading(OUTPUT, COST_L2)
    l2 = _L2_ALIASES.get(name)
    if l2 is not None:
        return Heading(LEVEL2_PARENT[l2], l2)
    l1 = _L1_ALIASES.get(name)
    if l1 is not None:
        return Heading(l1, None)
    return None


# Level names that may open a line followed by more text. Only full names (ending in 指标/目标,
# or the long compounds) so that an indicator named ``满意度 ≥95%`` is not taken for a heading.
ALL_SPELLINGS = sorted(_BASE, key=len, reverse=True)
_INLINE_SET = frozenset(k for k in _BASE if k.endswith(_SUFFIXES) or k.startswith("产出"))
_NAME_FIRST = frozenset(name[0] for name in ALL_SPELLINGS)
_LONGEST = len(ALL_SPELLINGS[0])
# before the name: a number, a ``一级指标：`` label, an opening 【 (``(一)【数量指标】``)
_LEAD_RE = re.compile(rf"\s*(?P<marker>{_MARKER})?\s*(?:[一二三]级指标\s*[:：]?\s*)?[【\[]?\s*")
_NAME_RE = re.compile("|".join(map(re.escape, ALL_SPELLINGS)))
# A name may be written with spaces inside (``经济效益 指标``, ``产出 指标``): tried after the above.
_SPACED_NAME_RE = re.compile("|".join(r"\s*".join(map(re.escape, name)) for name in ALL_SPELLINGS))
_ONLY_TAIL_RE = re.compile(rf"[】\]]?\s*等?{_NOTE}\s*[:：]?\s*$")
_PREFIX_TAIL_RE = re.compile(rf"[】\]]?{_NOTE}(?:\s*[:：]\s*|\s+)(?P<rest>\S.*)$", re.S)
_CHINESE_MARKER_RE = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]")


def split_heading(text: str) -> tuple[Heading | None, str]:
    """Recognise a level heading at the start of ``text``; return it and the rest.

    ``(三) 满意度指标`` → (满意度指标, None); ``三、服务对象满意度指标`` → (满意度指标,
    服务对象满意度指标); ``质量指标 农村住房保险补贴覆盖率 ≥95%`` → (产出指标, 质量指标) and
    the indicator text. Text that is not a heading comes back as (None, text).
    """
    lead = _LEAD_RE.match(text)
    pos = lead.end()
    if pos >= len(text) or text[pos] not in _NAME_FIRST:  # fast path: most items
        return None, text
    m = _NAME_RE.match(text, pos)
    if m is None or (text[m.end() : m.end() + 1].isspace() and _ONLY_TAIL_RE.match(text, m.end()) is None):
        window = text[pos + 1 : pos + _LONGEST]
        if " " in window or "\u3000" in window:  # a space inside the name: ``经济效益 指标``
            m = _SPACED_NAME_RE.match(text, pos) or m
    if m is None:
        return None, text
    spelling = re.sub(r"\s+", "", m.group())
    rest = ""
    if _ONLY_TAIL_RE.match(text, m.end()) is None:
        tail = _PREFIX_TAIL_RE.match(text, m.end()) if spelling in _INLINE_SET else None
        if tail is None:
            return None, text
        rest = tail.group("rest").strip()
    marker = lead.group("marker") or ""
    chinese = bool(marker) and _CHINESE_MARKER_RE.match(marker) is not None
    heading = heading_levels(spelling, level1_style=chinese)
    if heading is None:  # pragma: no cover - every alternative is a known name
        return None, text
    return Heading(heading.level1, heading.level2, bool(marker), chinese), rest


def standalone_heading(text: str) -> Heading | None:
    """A cell holding nothing but a level heading written in full (``…指标``/``…目标``) or
    numbered (``（五）经济效益``); a bare ``满意度`` may be an indicator's name and is not one."""
    heading, rest = split_heading(text)
    if heading is None or rest:
        return None
    return heading if heading.marker or _clean(text).endswith(_SUFFIXES) else None
