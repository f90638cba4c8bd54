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
- a name printing its operator and unit as a placeholder (``苗木成活率(≥**%) 85``) gives them to
  a bare value (``≥85%``) and leaves the name (:func:`app.targets.grammar.split_template`);
- a level-1 name written as a level 2 (``(三) 满意度指标`` under 效益指标) switches the level 1:
  levels are always the standard names, the level 1 derived from the level 2 — except a 满意度
  level 2 filed under 效益指标, which keeps the level the table gives it (warned at import).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from app.targets.grammar import fill_template, parse_target, split_name_target, split_template
from app.targets.levels import ALL_SPELLINGS, DEFAULT_LEVEL2, Heading, split_heading
from app.targets.types import BENEFIT, SATISFACTION, ParsedIndicator, ParseWarning, Target

_BLOCK_TAGS = "p div li ol ul br tr td th table tbody thead tfoot h1 h2 h3 h4 h5 h6 dd dt dl section article blockquote hr pre"
_BLOCK_TAG_RE = re.compile(rf"<\s*/?\s*(?:{'|'.join(_BLOCK_TAGS.split())})\b[^<>]*>", re.I)
_OTHER_TAG_RE = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*\b[^<>]*>|<!--.*?-->", re.S)

_LEVEL_NAME_ALT = "|".join(map(re.escape, ALL_SPELLINGS))
_MARKER_RE = re.compile(
    r"(?<!\S)(?=[0-9(（①-⑳一二三四五六七八九十])(?:"
    r"(?P<n>\d{1,2})\s*[.．、)）](?!\d)"
    r"|[(（](?P<p>\d{1,2})[)）]"
    r"|(?P<c>[①-⑳])"
    rf"|(?P<h>(?:[一二三四五六七八九十]+\s*[、.．]|[(（][一二三四五六七八九十]+[)）])\s*(?={_LEVEL_NAME_ALT}))"
    r")"
)
_MARKER_FIRST = frozenset("0123456789(（一二三四五六七八九十") | {chr(c) for c in range(0x2460, 0x2474)}
_MID_MARKER_HINT = re.compile(
    r" (?:[0-9]{1,2}\s*[.．、)）](?![0-9])|[(（][0-9一二三四五六七八九十]{1,3}[)）]|[\u2460-\u2473]|[一二三四五六七八九十]+\s*[、.．])"
)
_GOAL_LABEL_RE = re.compile(
    r"(?:^|(?<=[\s。；;，,:：]))(?:年度|绩效|总体)?目标\s*(?:\d{1,2}|[一二三四五六七八九十]+)\s*[:：、.．]\s*"
)


def segments(fragment: str) -> list[str]:
    """The text segments of an HTML fragment, whitespace-collapsed, empty ones dropped."""
    if not fragment:
        return []

    text = _OTHER_TAG_RE.sub("", _BLOCK_TAG_RE.sub("\n", fragment))
    if "&" in text:
        text = html.unescape(text)
    out = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            out.append(line)
    return out


def _pieces(segment: str, state: list[int]) -> list[str]:
    """Split a segment at accepted markers; ``state[0]`` is the last item number seen.

    Segments are whitespace-collapsed, so a marker can only start the segment or follow a space.
    """
    if _MID_MARKER_HINT.search(segment) is None:  # fast path: at most a marker at the start
        if segment[0] in _MARKER_FIRST:
            m = _MARKER_RE.match(segment)
            if m is not None:
                kind = m.lastgroup
                state[0] = (
                    0 if kind == "h" else ord(m.group("c")) - 0x245F if kind == "c" else int(m.group(kind))
                )
        return [segment]
    cuts: list[int] = []
    pos = 0
    while True:
        if segment[pos] in _MARKER_FIRST:
            m = _MARKER_RE.match(segment, pos)
            if m is not None:
                kind = m.lastgroup
                if kind == "h":
                    cuts.append(pos)
                    state[0] = 0
                else:
                    n = ord(m.group("c")) - 0x245F if kind == "c" else int(m.group(kind))  # ① is U+2460
                    if pos == 0 or n == state[0] + 1:
                        cuts.append(pos)
                        state[0] = n
        pos = segment.find(" ", pos) + 1
        if pos == 0 or pos >= len(segment):
            break
    if not cuts or cuts == [0]:
        return [segment]
    if cuts[0] != 0:
        cuts.insert(0, 0)
    cuts.append(len(segment))
    pieces = [segment[a:b].strip() for a, b in zip(cuts, cuts[1:], strict=False)]
    return [p for p in pieces if p]


_ITEM_MARKER_RE = re.compile(
    r"^\s*(?:\d{1,2}\s*[.．、)）](?!\d)|[(（]\d{1,2}[)）]|[①-⑳])?\s*(?:[一二三]级指标\s*[:：]\s*)?"
)
# Several indicators run together with ；/; (``检查 5次；培训 2次``): split only when every part reads.
_RUN_SEP_RE = re.compile(r"\s*[；;]\s*(?=\S)")


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
        split = split_heading(segment)
        if split[0] is not None:  # a heading opening a segment restarts the numbering
            state[0] = 0
        pieces = _pieces(segment, state)
        if len(pieces) == 1 and pieces[0] == segment:
            _read_piece(segment, split, levels, out, year, project_seq, line)
        else:
            for piece in pieces:
                _read_piece(piece, split_heading(piece), levels, out, year, project_seq, line)
    return out


def _strip_marker(piece: str) -> str:
    m = _ITEM_MARKER_RE.match(piece)
    return piece[m.end() :] if m is not None else piece


def _read_piece(
    piece: str,
    split: tuple[Heading | None, str],
    levels: list[str | None],
    out: IndicatorCell,
    year: int | None,
    project_seq: int | None,
    line: int | None,
) -> None:
    heading, body = split
    if heading is not None:
        _apply(heading, levels)
    else:
        body = _strip_marker(piece)
    if not body:
        return
    level1, level2 = levels
    name, target = split_name_target(body, level2=level2, year=year)
    if not name and heading is not None:
        # ``服务对象满意度指标 ≥95%``: the level name is also the indicator's name
        name, target = split_name_target(_strip_marker(piece), level2=level2, year=year)
    found = [(name, target)]
    if ";" in body or "；" in body:
        found = _run_together(body, level2, year) or found
    for name, target in found:
        name, template = split_template(name)
        problems: list[tuple[str, str]] = []
        if template is not None:  # ``苗木成活率(≥**%) 85``: the name prints the operator and unit
            raw, remark = fill_template(target.raw, template, level2=level2, year=year)
            target = parse_target(raw, level2=level2, year=year)
            if remark:
                problems.append(("template_conflict", f"指标“{name}”：{remark}，请核对。"))
        if level1 is None or level2 is None:
            which = "一级" if level1 is None else "二级"
            problems.append(
                ("level_unknown", f"指标“{name}”前没有可识别的{which}指标标题，请核对其所属层级。")
            )
        for code, message in problems:
            out.warnings.append(
                ParseWarning(code=code, message=message, project_seq=project_seq, indicator=name, line=line)
            )
        out.indicators.append(
            ParsedIndicator(level1=level1 or "", level2=level2 or "", name=name, target=target)
        )


def _run_together(body: str, level2: str | None, year: int | None) -> list[tuple[str, Target]] | None:
    """``检查 5次；培训 2次`` → two indicators, when every part has a name and a readable value."""
    parts = _RUN_SEP_RE.split(body)
    if len(parts) < 2:
        return None
    found = [split_name_target(part, level2=level2, year=year) for part in parts]
    if all(name and target.kind != "unparsed" for name, target in found):
        return found
    return None


def _apply(heading: Heading, levels: list[str | None]) -> None:
    if not satisfaction_kept_under_benefit(levels[0], heading):
        levels[0] = heading.level1
    levels[1] = heading.level2 or DEFAULT_LEVEL2.get(heading.level1)


def satisfaction_kept_under_benefit(level1: str | None, heading: Heading) -> bool:
    """A 满意度 level 2 (``(四) 服务对象满意度指标``) under 效益指标 stays there: the table files
    satisfaction within benefits (the older template) and the import warns. A level-1 name
    (``(三) 满意度指标``) or a level-1 number (``三、服务对象满意度指标``) opens 满意度指标."""
    return (
        level1 == BENEFIT
        and heading.level1 == SATISFACTION
        and heading.level2 is not None
        and not heading.chinese_marker
    )


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
            body = _strip_marker(piece).strip()
            if body:
                items.append(body)
    return items


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())
