"""Pure domain objects for a parsed 绩效目标表 (no database, no web).

The JSON shape produced by ``ParsedTable.to_json`` is the contract of ``jixiao parse``
(../shared/contracts/README.md): decimals are printed as strings so nothing passes through a float.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

TargetKind = Literal["numeric", "qualitative", "deadline", "reference", "unparsed"]
Operator = Literal[">=", "<=", "=", ">", "<"]
Direction = Literal["positive", "reverse", "zero_target", "qualitative", "deadline", "reference", "unparsed"]

# Standard level-1 names (一级指标).
OUTPUT = "产出指标"
BENEFIT = "效益指标"
SATISFACTION = "满意度指标"
COST_L1 = "成本指标"  # newer template: 成本指标 as a level 1 (经济/社会/生态环境成本指标)
LEVEL1_ORDER = (OUTPUT, COST_L1, BENEFIT, SATISFACTION)
COST_L2 = "成本指标"


@dataclass(frozen=True, slots=True)
class Target:
    """One 年度指标值 as written, with its parsed parts."""

    raw: str
    kind: TargetKind
    operator: Operator | None = None
    value: Decimal | None = None
    unit: str | None = None
    expected: str | None = None  # qualitative: the word/phrase expected (健全, 完备 …)
    deadline: date | None = None
    reference: str | None = None  # reference target: what the baseline is (2022年依法维权次数)
    note: str | None = None  # a correction the grammar made (``stray_percent``), warned at import

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"raw": self.raw, "kind": self.kind}
        if self.kind in ("numeric", "reference"):
            out["operator"] = self.operator
        if self.kind == "numeric":
            out["value"] = decimal_str(self.value)
            out["unit"] = self.unit
        elif self.kind == "qualitative":
            out["expected"] = self.expected
        elif self.kind == "deadline":
            out["date"] = self.deadline.isoformat() if self.deadline else None
        elif self.kind == "reference":
            out["reference"] = self.reference
        return out


def direction_of(target: Target, level2: str | None) -> Direction:
    """Direction of an indicator (docs/scoring-rules.md §3).

    ``≥``/``>`` → positive; ``≤``/``<`` → reverse; ``=`` or none → positive, except under
    成本指标 (reverse) and a target of 0 (zero_target, also ``≤0``).
    """
    if target.kind != "numeric":
        return target.kind  # qualitative / deadline / reference / unparsed
    op, value = target.operator or "=", target.value
    if value is not None and value == 0 and op in ("=", "<=", "<"):
        return "zero_target"
    if op in (">=", ">"):
        return "positive"
    if op in ("<=", "<"):
        return "reverse"
    return "reverse" if is_cost_level(level2) else "positive"


def is_cost_level(level2: str | None) -> bool:
    return bool(level2) and level2.endswith("成本指标")


def decimal_str(value: Decimal | None) -> str | None:
    """Print a Decimal without exponent and without a trailing ``.0`` noise (``900``, ``0.7``)."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


@dataclass(slots=True)
class ParsedIndicator:
    level1: str
    level2: str
    name: str
    target: Target
    points: Decimal | None = None  # 分值 when the table gives it
    direction: Direction | None = None  # set from direction_of unless the table says otherwise

    def __post_init__(self) -> None:
        if self.direction is None:
            self.direction = direction_of(self.target, self.level2)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"level1": self.level1, "level2": self.level2, "name": self.name}
        out.update(self.target.to_json())
        out["direction"] = self.direction
        if self.points is not None:
            out["points"] = decimal_str(self.points)
        return out


@dataclass(slots=True)
class ParsedUnit:
    code: str
    name: str
    amount_wan: Decimal | None = None
    parent_code: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "amount_wan": decimal_str(self.amount_wan),
            "parent_code": self.parent_code,
        }


@dataclass(slots=True)
class ParsedProject:
    seq: int
    unit_code: str
    name: str
    amount_wan: Decimal | None
    goals: list[str] = field(default_factory=list)
    indicators: list[ParsedIndicator] = field(default_factory=list)
    budget_points: Decimal | None = None  # 分值 of 预算执行率 when the table prints it

    def to_json(self) -> dict[str, Any]:
        out = {
            "seq": self.seq,
            "unit_code": self.unit_code,
            "name": self.name,
            "amount_wan": decimal_str(self.amount_wan),
            "goals": list(self.goals),
            "indicators": [i.to_json() for i in self.indicators],
        }
        if self.budget_points is not None:
            out["budget_points"] = decimal_str(self.budget_points)
        return out


@dataclass(frozen=True, slots=True)
class ParseWarning:
    """Something a clerk should look at. ``code`` is machine-readable; ``message`` is Chinese."""

    code: str
    message: str
    project_seq: int | None = None
    indicator: str | None = None
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.project_seq is not None:
            out["project_seq"] = self.project_seq
        if self.indicator is not None:
            out["indicator"] = self.indicator
        if self.line is not None:
            out["line"] = self.line
        return out


@dataclass(slots=True)
class ParsedTable:
    title: str | None
    year: int | None
    total_wan: Decimal | None
    units: list[ParsedUnit] = field(default_factory=list)
    projects: list[ParsedProject] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "year": self.year,
            "total_wan": decimal_str(self.total_wan),
            "units": [u.to_json() for u in self.units],
            "projects": [p.to_json() for p in self.projects],
            "warnings": [w.to_json() for w in self.warnings],
        }


class TableFormatError(ValueError):
    """The file cannot be read as a target table at all (empty, binary, wrong columns …).

    The message says what and where, in Chinese, for the clerk.
    """
