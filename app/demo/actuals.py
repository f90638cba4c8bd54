"""Plausible year-end figures for a generated project: actuals, budget execution, status. PURE.

Actuals are written in the contract's forms (a number, sometimes with its unit; ``{"grade"}``;
``{"date"}``; ``{"baseline", "value"}``; ``{"not_applicable": true}``), mostly on or near the
target, some short of it or late, a few far over. Where the scoring engine then asks for a
deviation reason (§9) one is given, so submitted and approved projects are complete; draft
projects are partly filled, as mid-way through the entry weeks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.demo import vocab
from app.scoring.engine import Budget, ScoringError, score_project
from app.scoring.policy import Policy
from app.targets.types import ParsedIndicator, ParsedProject

Q2 = Decimal("0.01")
STATUS_WEIGHTS = {"draft": 10, "submitted": 45, "approved": 40, "returned": 5}
# How often a project's indicators fall short: most projects do well, some fairly, a few badly.
SHORTFALL = {0.05: 60, 0.3: 28, 0.6: 12}
_UNIT_TYPED = frozenset({"%", "次", "人次", "万元", "户", "人", "个", "项", "场", "家"})
_WHOLE_UNITS = frozenset({"次", "人次", "户", "人", "个", "项", "场", "家", "场次", "期", "名", "台", "套", "件", "份", "起"})  # fmt: skip


@dataclass
class ProjectFigures:
    """What a department enters for one project (indicator order as in the table)."""

    status: str
    full_year_wan: Decimal
    executed_wan: Decimal
    goal_actual: str | None
    budget_reason: str | None
    actuals: list[Any] = field(default_factory=list)  # contract form, None where not entered
    reasons: list[str | None] = field(default_factory=list)

    def api_body(self, version: int, indicator_ids: list[int]) -> dict[str, Any]:
        """The ``PUT /api/v1/projects/{id}/actuals`` body (contracts/README.md)."""
        return {
            "version": version,
            "budget": {"full_year_wan": str(self.full_year_wan), "executed_wan": str(self.executed_wan)},
            "actuals": [
                {"indicator_id": i, "actual": a, "reason": r}
                for i, a, r in zip(indicator_ids, self.actuals, self.reasons, strict=True)
                if a is not None
            ],
        }


def project_figures(
    rng: random.Random, project: ParsedProject, *, year: int, policy: Policy
) -> ProjectFigures:
    status = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0]
    amount = project.amount_wan or Decimal(10)
    full = amount if rng.random() < 0.6 else (amount * Decimal(rng.uniform(0.9, 1.15))).quantize(Q2)
    rate = rng.uniform(0.85, 1.0) if rng.random() < 0.93 else rng.uniform(0.5, 0.85)
    executed = min(full, (full * Decimal(rate)).quantize(Q2, ROUND_HALF_UP))
    if rng.random() < 0.4:
        executed = full
    filled = 1.0 if status != "draft" else rng.uniform(0.3, 0.9)
    short = rng.choices(list(SHORTFALL), list(SHORTFALL.values()))[0]
    actuals = [
        actual_for(rng, ind, year, short=short) if rng.random() < filled else None
        for ind in project.indicators
    ]
    figures = ProjectFigures(
        status=status,
        full_year_wan=full,
        executed_wan=executed,
        goal_actual=None
        if status == "draft"
        else "已完成年度绩效目标：" + (project.goals[0] if project.goals else ""),
        budget_reason=None,
        actuals=actuals,
        reasons=[None] * len(actuals),
    )
    if status != "draft":
        add_reasons(rng, figures, project.indicators, year=year, policy=policy)
    return figures


def add_reasons(
    rng: random.Random,
    figures: ProjectFigures,
    indicators: list[ParsedIndicator],
    *,
    year: int,
    policy: Policy,
) -> None:
    """A deviation reason wherever the engine asks for one (§9), and the budget's (§2)."""
    try:
        score = score_project(
            indicators, figures.actuals, Budget(figures.full_year_wan, figures.executed_wan), policy, year
        )
    except ScoringError:
        return
    for i, scored in enumerate(score.indicators):
        if scored.reason_required:
            figures.reasons[i] = rng.choice(vocab.REASONS)
        if isinstance(figures.actuals[i], dict) and figures.actuals[i].get("not_applicable"):
            figures.actuals[i] = {"not_applicable": True, "na_reason": "本年度该项工作由上级统一实施。"}
    if score.budget is not None and score.budget.reason_required:
        figures.budget_reason = "部分资金结余，按规定收回统筹；下一年度将细化预算编制。"


def actual_for(rng: random.Random, ind: ParsedIndicator, year: int, *, short: float = 0.05) -> Any:
    """A plausible actual for one indicator, in a form a clerk would type; ``short`` is the
    chance it falls short of its target (or is late)."""
    t = ind.target
    if rng.random() < 0.005:
        return {"not_applicable": True}
    miss = rng.random() < short
    direction = ind.direction
    if direction == "qualitative":
        if miss:
            return {"grade": "部分达成" if rng.random() < 0.8 else "未达成"}
        if rng.random() < 0.1 and t.expected:
            return t.expected  # typing the target's word counts as 达成
        return {"grade": "达成"}
    if direction == "deadline":
        assert t.deadline is not None
        shift = rng.randint(1, 75) if miss else -rng.randint(0, 45)
        return {"date": (t.deadline + timedelta(days=shift)).isoformat()}
    if direction == "reference":
        baseline = rng.randint(50, 5000)
        factor = rng.uniform(0.8, 0.99) if miss else rng.uniform(1.0, 1.25)
        return {"baseline": str(baseline), "value": str(int(baseline * factor))}
    if direction == "zero_target":
        return str(rng.randint(1, 3)) if miss else "0"
    value = t.value if t.value is not None else Decimal(0)
    if direction == "reverse":
        factor = rng.uniform(1.02, 1.3) if miss else rng.uniform(0.75, 1.0)
    elif value == 0:
        return str(rng.randint(0, 5))
    elif miss:
        factor = rng.uniform(0.5, 0.97)
    else:
        roll = rng.random()
        factor = 1.0 if roll < 0.4 else rng.uniform(1.0, 1.15) if roll < 0.97 else rng.uniform(1.3, 1.6)
    number = value * Decimal(factor)
    if t.unit == "%" and value <= 100:
        number = min(number, Decimal(100))
    places = (
        Decimal(1) if (t.unit in _WHOLE_UNITS or t.unit is None) else Q2 if t.unit != "%" else Decimal("0.1")
    )
    text = format(number.quantize(places, ROUND_HALF_UP).normalize(), "f")
    if t.unit in _UNIT_TYPED and rng.random() < 0.2:
        text += t.unit
    return text
