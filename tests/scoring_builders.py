"""Small builders for scoring tests: targets and indicators without the parser."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.scoring.engine import Budget, score_project
from app.scoring.policy import CENTRAL_2020, Policy
from app.targets.types import ParsedIndicator, Target

D = Decimal


def num(op: str, value: str, unit: str | None = None) -> Target:
    sym = {">=": "≥", "<=": "≤", "=": "", ">": ">", "<": "<"}[op]
    return Target(raw=f"{sym}{value}{unit or ''}", kind="numeric", operator=op, value=D(value), unit=unit)


def qual(expected: str = "健全") -> Target:
    return Target(raw=expected, kind="qualitative", expected=expected)


def due(y: int, m: int, d: int) -> Target:
    return Target(raw=f"{y}年{m}月{d}日前", kind="deadline", deadline=date(y, m, d))


def ref(op: str = ">=", what: str = "2022年依法维权次数") -> Target:
    return Target(raw=f"≥{what}", kind="reference", operator=op, reference=what)


def ind(
    level1: str = "产出指标",
    target: Target | None = None,
    *,
    level2: str = "数量指标",
    name: str = "指标",
    points: str | None = None,
    direction: str | None = None,
) -> ParsedIndicator:
    return ParsedIndicator(
        level1, level2, name, target or num(">=", "10", "次"), D(points) if points else None, direction
    )


def standard(actual_output="10", actual_benefit="健全", actual_satisfaction="95"):
    """A three-group table: 产出 ≥10次, 效益 健全, 满意度 ≥90%."""
    inds = [
        ind("产出指标", num(">=", "10", "次")),
        ind("效益指标", qual(), level2="可持续影响指标"),
        ind("满意度指标", num(">=", "90", "%"), level2="服务对象满意度指标", name="满意度"),
    ]
    return inds, [actual_output, actual_benefit, actual_satisfaction]


def score_one(target: Target, actual, *, policy: Policy = CENTRAL_2020, level2="数量指标", name="指标", **kw):
    """Score a single-indicator project: with no 效益指标 to move to, its group gets all 90 points."""
    result = score_project(
        [ind("产出指标", target, level2=level2, name=name, **kw)], [actual], Budget(D(10), D(10)), policy
    )
    return result.indicators[0]
