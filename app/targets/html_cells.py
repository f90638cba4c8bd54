"""Read the HTML fragments published in 绩效目标 / 绩效指标 cells into goals and indicators.

Shared by every table layout whose cells hold such fragments (the tab-separated text layout,
and HTML/XLSX exports of the same system). Pure.

Rules (all general, none for one file):
- block tags (``<p> <li> <ol> <br> <div> …``) and line breaks separate segments; other tags are
  dropped; entities are decoded (``&lt;5%`` → ``<5%``);
- inside a segment, numbered items run together on one line are split at ``N.`` / ``N、`` /
  ``(N)`` / ``①`` when N follows the previous number (so ``1.2万`` or a name containing ``3、``
  is not split), and at ``一、`` / ``(一)`` when a level name follows;
- a level heading may stand alone (``(一) 数量指标:``, ``三、服务对象满意度指标``, a heading-only
  item ``1. 服务对象满意度指标``) or open an item (``2. 社会效益指标 地震安全知识知晓率 ≥95%``,
  ``质量指标 农村住房保险补贴覆盖率 ≥95%``); either way it sets the levels of what follows;
- a level-1 name written as a level 2 (``(三) 满意度指标`` under 效益指标) switches the level 1:
  levels are always the standard names, the level 1 derived from the level 2.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from app.targets.grammar import split_name_target
from app.targets.levels import ALL_SPELLINGS, DEFAULT_LEVEL2, split_heading
from app.targets.types import ParsedIndicator, ParseWarning

_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "li",
        "ol",
        "ul",
        "br",
        "tr",
        "td",
        "th",
        "table",
        "tbody",
        "thead",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "dd",
        "dt",
        "dl",
        "section",
        "article",
        "blockquote",
        "hr",
        "pre",
    ]
)
_TAG_RE = re.compile(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>")
_SPACE_RE = re.compile(r"[ \t\u3000\xa0]+")

_LEVEL_NAME_ALT = "|".join(map(re.escape, ALL_SPELLINGS))
_MARKER_RE = re.compile(
    r"(?:^|(?<=\s))(?:"
    r"(?P<n>\d{1,2})\s*[.．、](?!\d)"
    r"|[(（](?P<p>\d{1,2})[)）]"
    r"|(?P<c>[①-⑳])"
    rf"|(?P<h>(?:[一二三四五六七八九十]+\s*[、.．]|[(（][一二三四五六七八九十]+[)）])\s*(?={_LEVEL_NAME_ALT}))"
    r")"
)
_GOAL_LABEL_RE = re.compile(
    r"(?:^|(?<=[\s。；;，,]))(?:年度|绩效|总体)?目标\s*(?:\d{1,2}|[一二三四五六七八九十]+)\s*[:：、.．]\s*"
)


def segments(fragment: str) -> list[str]:
    """The text segments of an HTML fragment, whitespace-collapsed, empty ones dropped."""
    if not fragment:
        return []

    def tag(m: re.Match[str]) -> str:
        return "\n" if m.group(1).lower() in _BLOCK_TAGS else ""

    text = html.unescape(_TAG_RE.sub(tag, fragment))
    out = []
    for line in text.splitlines():
        line = _SPACE_RE.sub(" ", line).strip()
        if line:
            out.append(line)
    return out


def _pieces(segment: str, state: list[int]) -> list[str]:
    """Split a segment at accepted markers; ``state[0]`` is the last item number seen."""
    cuts: list[int] = []
    for m in _MARKER_RE.finditer(segment):
        if m.group("h"):
            cuts.append(m.start())
            state[0] = 0
            continue
        n_text = m.group("n") or m.group("p")
        n = int(n_text) if n_text else ord(m.group("c")) - ord("①") + 1
        if m.start() == 0 or n == state[0] + 1:
            if m.start():
                cuts.append(m.start())
            state[0] = n
    if not cuts:
        return [segment]
    bounds = [0, *cuts, len(segment)]
    return [segment[a:b].strip() for a, b in zip(bounds, bounds[1:], strict=False) if segment[a:b].strip()]


_ITEM_MARKER_RE = re.compile(r"^\s*(?:\d{1,2}\s*[.．、](?!\d)|[(（]\d{1,2}[)）]|[①-⑳])\s*")


@dataclass
class IndicatorCell:
    indicators: list[ParsedIndicator] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)


def parse_indicator_cell(
    fragment: str, *, year: int | None, project_seq: int | None = None, line: int | None = None
) -> IndicatorCell:
    """Read the indicators of one 绩效指标 cell, with their standard level names."""
    out = IndicatorCell()
    levels: list[str | None] = [None, None]  # current level 1, level 2
    state = [0]
    for segment in segments(fragment):
        if split_heading(segment)[0] is not None:  # a heading opening a segment restarts numbering
            state[0] = 0
        for piece in _pieces(segment, state):
            _read_piece(piece, levels, out, year=year, project_seq=project_seq, line=line)
    return out


def _read_piece(piece: str, levels: list[str | None], out: IndicatorCell, **where) -> None:
    year = where.pop("year")
    heading, body = split_heading(piece)
    if heading is not None:
        _apply(heading, levels)
    else:
        body = _ITEM_MARKER_RE.sub("", piece, count=1)
    if not body:
        return
    level1, level2 = levels
    name, target = split_name_target(body, level2=level2, year=year)
    if not name and heading is not None:
        # ``服务对象满意度指标 ≥95%``: the level name is also the indicator's name
        name, target = split_name_target(_ITEM_MARKER_RE.sub("", piece, count=1), level2=level2, year=year)
    if level1 is None or level2 is None:
        which = "一级" if level1 is None else "二级"
        out.warnings.append(
            ParseWarning(
                code="level_unknown",
                message=f"指标“{name}”前没有可识别的{which}指标标题，请核对其所属层级。",
                indicator=name,
                **where,
            )
        )
    out.indicators.append(ParsedIndicator(level1=level1 or "", level2=level2 or "", name=name, target=target))


def _apply(heading, levels: list[str | None]) -> None:
    levels[0] = heading.level1
    levels[1] = heading.level2 or DEFAULT_LEVEL2.get(heading.level1)


def parse_goal_cell(fragment: str) -> list[str]:
    """The goals of one 绩效目标 cell: the texts of 目标1, 目标2 … without their labels.

    Without labels, numbered items or else paragraphs are the goals.
    """
    segs = segments(fragment)
    if not segs:
        return []
    text = "\n".join(segs)
    labels = list(_GOAL_LABEL_RE.finditer(text))
    if labels:
        goals = []
        preamble = text[: labels[0].start()].strip()
        if preamble and not preamble.endswith((":", "：")):
            goals.append(_one_line(preamble))
        for m, nxt in zip(labels, [*labels[1:], None], strict=False):
            chunk = text[m.end() : nxt.start() if nxt else len(text)]
            if chunk.strip():
                goals.append(_one_line(chunk))
        return goals
    state = [0]
    items: list[str] = []
    for seg in segs:
        for piece in _pieces(seg, state):
            body = _ITEM_MARKER_RE.sub("", piece, count=1).strip()
            if body:
                items.append(body)
    return items


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())
