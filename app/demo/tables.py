"""Generated 绩效目标表: departments with their units, projects and indicators, as ``ParsedTable``.

One table per department (部门), as published: the department row, its units (本级 first), each
unit's projects. Everything is drawn from a ``random.Random`` seeded with (seed, year,
department), so the same arguments give the same tables, and a department's table does not
depend on how many others are generated. PURE.

Shapes covered: both templates (成本指标 under 产出指标, and 成本指标 as a level 1 with
经济/社会/生态环境成本指标), every standard level 2, every kind of target, projects without
满意度指标 (about one in seven), goals that quote an indicator's value.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from app.demo import vocab
from app.demo.values import draw
from app.targets.types import (
    BENEFIT,
    COST_L1,
    OUTPUT,
    SATISFACTION,
    ParsedIndicator,
    ParsedProject,
    ParsedTable,
    ParsedUnit,
)

Q2 = Decimal("0.01")
UNITS_PER_DEPARTMENT = 5
NO_SATISFACTION = 0.15  # share of projects published without 满意度指标
NEW_TEMPLATE = 0.15  # share of departments using 成本指标 as a level 1

# Level 2 groups in table order: (level 1, level 2, minimum when present, weight for the rest).
OLD_GROUPS = (
    (OUTPUT, "数量指标", 1, 4),
    (OUTPUT, "质量指标", 1, 3),
    (OUTPUT, "时效指标", 1, 2),
    (OUTPUT, "成本指标", 1, 2),
)
NEW_GROUPS = (
    (OUTPUT, "数量指标", 1, 4),
    (OUTPUT, "质量指标", 1, 3),
    (OUTPUT, "时效指标", 1, 2),
    (COST_L1, "经济成本指标", 1, 2),
    (COST_L1, "社会成本指标", 0, 1),
    (COST_L1, "生态环境成本指标", 0, 1),
)
BENEFIT_GROUPS = (
    (BENEFIT, "经济效益指标", 0, 1),
    (BENEFIT, "社会效益指标", 1, 3),
    (BENEFIT, "生态效益指标", 0, 1),
    (BENEFIT, "可持续影响指标", 1, 2),
)
SATISFACTION_GROUP = (SATISFACTION, "服务对象满意度指标", 1, 1)
_SPARE_SUFFIXES = "甲乙丙丁戊己庚辛"


@dataclass(frozen=True)
class Department:
    index: int
    code: str
    name: str
    county: str
    bureau: str
    themes: tuple[str, ...]
    subunits: tuple[str, ...]
    new_template: bool


def departments(units: int, *, per_department: int = UNITS_PER_DEPARTMENT) -> Iterator[tuple[int, int]]:
    """``(department index, its number of units)`` covering ``units`` units."""
    full, rest = divmod(units, per_department)
    for d in range(full):
        yield d, per_department
    if rest:
        yield full, rest


def department(index: int, *, seed: int, year: int, count: int) -> Department:
    rng = random.Random(f"dept:{seed}:{index}")
    county = vocab.COUNTIES[index % len(vocab.COUNTIES)]
    bureau, themes, subunits = vocab.BUREAUS[(index // len(vocab.COUNTIES)) % len(vocab.BUREAUS)]
    # codes from 400 up (the seed's department is 309); wider when there are many departments
    width = 3 if count <= 600 else 4 if count <= 6000 else 5
    code = str(4 * 10 ** (width - 1) + index)
    return Department(
        index, code, county + bureau, county, bureau, themes, subunits, rng.random() < NEW_TEMPLATE
    )


def generate_table(
    dept: Department, *, year: int, units: int, projects: int, indicators: int, seed: int
) -> ParsedTable:
    """The published table of one department: ``units`` units of ``projects`` projects each."""
    rng = random.Random(f"table:{seed}:{year}:{dept.index}")
    stem = dept.bureau.removesuffix("局").removesuffix("委员会")
    unit_rows: list[ParsedUnit] = []
    project_rows: list[ParsedProject] = []
    for u in range(units):
        if u == 0:
            name = dept.name
        else:
            sub = dept.subunits[(u - 1) % len(dept.subunits)]
            name = dept.county + sub if u <= len(dept.subunits) else f"{dept.county}{stem}第{u}服务站"
        code = f"{dept.code}{u + 1:03d}"
        mine = [
            make_project(rng, dept, year=year, seq=k + 1, unit_code=code, indicators=indicators)
            for k in range(projects)
        ]
        _unique_names(mine)
        unit_rows.append(ParsedUnit(code=code, name=name, amount_wan=_sum(p.amount_wan for p in mine)))
        project_rows += mine
    for unit in unit_rows:
        unit.parent_code = dept.code
    total = _sum(u.amount_wan for u in unit_rows)
    head = ParsedUnit(code=dept.code, name=dept.name, amount_wan=total)
    return ParsedTable(
        title=f"{dept.name}{year}年部门预算项目支出绩效目标公开表",
        year=year,
        total_wan=total,
        units=[head, *unit_rows],
        projects=project_rows,
    )


def _sum(values) -> Decimal:
    return sum((v or Decimal(0) for v in values), Decimal("0.00"))


def _unique_names(projects: list[ParsedProject]) -> None:
    seen: dict[str, int] = {}
    for p in projects:
        n = seen.get(p.name, 0)
        seen[p.name] = n + 1
        if n:
            p.name = f"{p.name}（{_chinese(n + 1)}期）"


def _chinese(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return (digits[tens] if tens > 1 else "") + "十" + (digits[ones] if ones else "")


def make_project(
    rng: random.Random,
    dept: Department,
    *,
    year: int,
    seq: int,
    unit_code: str,
    indicators: int,
) -> ParsedProject:
    theme = rng.choice(dept.themes)
    name = theme + rng.choice(vocab.PROJECT_KINDS)
    # 0.5 to 500 万元, most between 5 and 100
    amount = (Decimal(10) ** Decimal(rng.uniform(-0.3, 2.7))).quantize(Q2)
    with_satisfaction = rng.random() >= NO_SATISFACTION
    groups = _allocate(rng, dept.new_template, with_satisfaction, indicators)
    rows: list[ParsedIndicator] = []
    for level1, level2, n in groups:
        templates = list(vocab.NAMES[level2])
        rng.shuffle(templates)
        for i in range(n):
            template, family = templates[i % len(templates)]
            ind_name = template.format(t=theme)
            if i >= len(templates):
                ind_name += _SPARE_SUFFIXES[(i // len(templates) - 1) % len(_SPARE_SUFFIXES)]
            target = draw(family, rng, year, amount)
            rows.append(ParsedIndicator(level1=level1, level2=level2, name=ind_name, target=target))
    return ParsedProject(
        seq=seq,
        unit_code=unit_code,
        name=name,
        amount_wan=amount,
        goals=_goals(rng, theme, rows),
        indicators=rows,
    )


def _allocate(
    rng: random.Random, new_template: bool, with_satisfaction: bool, total: int
) -> list[tuple[str, str, int]]:
    """How many indicators each level 2 gets (in table order), ``total`` in all."""
    groups = [*(NEW_GROUPS if new_template else OLD_GROUPS), *BENEFIT_GROUPS]
    if with_satisfaction:
        groups.append(SATISFACTION_GROUP)
    counts = {g[1]: g[2] for g in groups}
    for g in groups:  # optional groups present in about half the projects
        if g[2] == 0 and rng.random() < 0.5:
            counts[g[1]] = 1
    while sum(counts.values()) > total:  # very small projects: drop from the end
        for g in reversed(groups):
            if counts[g[1]] and sum(counts.values()) > total:
                counts[g[1]] -= 1
    names = [g[1] for g in groups]
    weights = [g[3] for g in groups]
    while sum(counts.values()) < total:
        counts[rng.choices(names, weights)[0]] += 1
    return [(g[0], g[1], counts[g[1]]) for g in groups if counts[g[1]]]


def _goals(rng: random.Random, theme: str, rows: list[ParsedIndicator]) -> list[str]:
    quoted = next(
        (
            r
            for r in rows
            if r.level2 == "数量指标" and r.target.operator == ">=" and r.target.raw.startswith("≥")
        ),
        None,
    )
    templates = [t for t in vocab.GOAL_TEMPLATES if "{item}" not in t or quoted is not None]
    chosen = rng.sample(templates, k=min(len(templates), rng.randint(2, 4)))
    out = []
    for t in sorted(chosen, key=vocab.GOAL_TEMPLATES.index):
        if "{item}" in t:
            assert quoted is not None
            value = f"{format(quoted.target.value, 'f')}{quoted.target.unit or ''}"
            t = t.replace("{item}", quoted.name.replace(theme, "", 1) or quoted.name).replace(
                "{value}", value
            )
        out.append(t.format(t=theme))
    return out
