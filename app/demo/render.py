"""Write a generated table in the published tab-separated layout of the seed (text_layout.py).

Title, a header row repeated as page headers, 合计, the department and unit rows, then one row per
project whose 绩效目标 and 绩效指标 cells hold HTML fragments the way the publishing system
exports them. Like the seed, projects vary in how the fragment is written:

- items inside ``<ol style="list-style-type: none">`` run together (``1. … 2. …``), one ``<p>``
  per numbered item, or ``<p>`` items without numbers;
- level-2 numbering restarting under each level 1 or running on; ``(一) 数量指标:`` with or
  without the colon, full-width brackets;
- a level-2 name opening an item (``2. 社会效益指标 地震安全知识知晓率 ≥95%``, seed project 2),
  满意度 written as a level 2 under 效益指标 (seed project 3) or as ``三、服务对象满意度指标``;
- a value glued to its name (``业务工作经费1万元``), a full-width colon or ``&nbsp;`` between them,
  ``<`` and ``≥`` as entities.

The choices come from their own ``random.Random`` (seed, year, department): they change how the
table looks, never what it says. PURE.
"""

from __future__ import annotations

import random
from itertools import groupby

from app.targets.types import SATISFACTION, ParsedIndicator, ParsedProject, ParsedTable, decimal_str

HEADER = "单位编码\t单位及项目名称\t金额 (万元)\t绩效目标\t绩效指标"
OL = '<ol style="list-style-type: none">'
L1_NUMERALS = "一二三四五六七八九十"


def render_table(table: ParsedTable, *, seed: int = 0) -> str:
    rng = random.Random(f"render:{seed}:{table.year}:{table.units[0].code if table.units else ''}")
    lines = ["", "", table.title or "", "", HEADER, f"合计:\t\t{_amount(table.total_wan)}\t\t"]
    by_unit = {code: list(ps) for code, ps in groupby(table.projects, key=lambda p: p.unit_code)}
    page = 0
    for unit in table.units:
        lines.append(f"{unit.code}\t{unit.name}\t{_amount(unit.amount_wan)}\t\t")
        for project in by_unit.get(unit.code, []):
            page += 1
            if page % rng.randint(4, 9) == 0:  # a page break repeats the header
                lines += ["", HEADER]
            lines.append(
                f"{project.seq}\t{project.name}\t{_amount(project.amount_wan)}\t"
                f"{goal_cell(rng, project.goals)}\t{indicator_cell(rng, project)}"
            )
    return "\n".join(lines) + "\n"


def _amount(value) -> str:
    return "" if value is None else f"{value:.2f}"


def goal_cell(rng: random.Random, goals: list[str]) -> str:
    colon = rng.choice((":", ":", "："))
    return " ".join(f"<p>目标{i}{colon} {g}</p>" for i, g in enumerate(goals, start=1))


def indicator_cell(rng: random.Random, project: ParsedProject) -> str:
    style = rng.choices(("ol", "p", "plain"), (5, 4, 1))[0]
    restart = rng.random() < 0.5  # level-2 numbers restart under each level 1
    full_width = rng.random() < 0.2
    colon = rng.random() < 0.3
    sat_style = rng.choice(("l1_l2", "l1_l2", "l2_as_l1", "under_benefit"))
    parts: list[str] = []
    l2_number = 0
    level1_groups = [(l1, list(g)) for l1, g in groupby(project.indicators, key=lambda i: i.level1)]
    for n1, (level1, inds) in enumerate(level1_groups):
        level2_groups = [(l2, list(g)) for l2, g in groupby(inds, key=lambda i: i.level2)]
        if restart:
            l2_number = 0
        if level1 == SATISFACTION and sat_style == "l2_as_l1":
            parts.append(f"<p>{L1_NUMERALS[n1]}、{level2_groups[0][0]}</p>")
            parts.append(_items(rng, style, level2_groups[0][1], start=1))
            continue
        if not (level1 == SATISFACTION and sat_style == "under_benefit"):
            parts.append(f"<p>{L1_NUMERALS[n1]}、{level1}</p>")
        item = 0
        for n2, (level2, rows) in enumerate(level2_groups):
            l2_number += 1
            if level1 == SATISFACTION and sat_style == "under_benefit":
                parts.append(f"<p>{_l2_marker(l2_number, full_width)}满意度指标</p>")
                parts.append(_items(rng, style, rows, start=1))
                continue
            if style == "ol" and n2 > 0 and rng.random() < 0.08:
                # the level-2 name opens the next item, numbering runs on (seed project 2)
                first, *rest = rows
                item += 1
                parts[-1] += f" {item}. {level2} {_item_text(rng, first)}"
                if rest:
                    parts[-1] += " " + _items(rng, style, rest, start=item + 1, wrap=False)
                    item += len(rest)
                continue
            heading = f"{_l2_marker(l2_number, full_width)}{level2}{'：' if full_width and colon else ':' if colon else ''}"
            parts.append(f"<p>{heading}</p>")
            parts.append(_items(rng, style, rows, start=1))
            item = len(rows)
    return " ".join(parts)


def _l2_marker(n: int, full_width: bool) -> str:
    numeral = L1_NUMERALS[n - 1] if n <= 10 else "十" + L1_NUMERALS[n - 11]
    return f"（{numeral}）" if full_width else f"({numeral}) "


def _items(
    rng: random.Random, style: str, rows: list[ParsedIndicator], *, start: int, wrap: bool = True
) -> str:
    if style == "ol":
        body = " ".join(f"{start + k}. {_item_text(rng, r)}" for k, r in enumerate(rows))
        return f"{OL} {body}" if wrap else body
    if style == "p":
        return " ".join(f"<p>{start + k}. {_item_text(rng, r)}</p>" for k, r in enumerate(rows))
    return " ".join(f"<p>{_item_text(rng, r)}</p>" for r in rows)


def _item_text(rng: random.Random, row: ParsedIndicator) -> str:
    raw = row.target.raw
    sep = " "
    roll = rng.random()
    if roll < 0.06 and row.target.kind == "numeric" and raw[:1].isdigit() and " " not in raw:
        sep = ""  # 业务工作经费1万元
    elif roll < 0.09:
        sep = "："
    elif roll < 0.11:
        sep = "&nbsp;"
    value = raw.replace("<", "&lt;")
    if value.startswith("≥") and rng.random() < 0.05:
        value = "&ge;" + value[1:]
    return f"{row.name}{sep}{value}"


def amount_text(value) -> str:
    return decimal_str(value) or ""
