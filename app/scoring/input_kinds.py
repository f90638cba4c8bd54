"""Input kinds: what an indicator row asks the clerk for, how each channel's raw input is read,
and what is plausible (docs/entry.md, docs/scoring-rules.md "Entry rules").

Every indicator has one kind, decided by :func:`kind_of` from its direction, its unit and its
name. The kind says which inputs the row offers (its ``shape``, whose name the API and the
form use: ``number`` | ``grade`` | ``date`` | ``reference``; it reads a typed string, a JSON
value and a workbook row, ``app.scoring.input_shapes``), how an Excel cell is read
(:func:`cell_text`: its value *and* number format) and which values are refused as impossible
(:func:`implausible`). The engine still scores whatever it is given (a published table may hold
such values, flagged); these rules stop only what a clerk enters.

Pure: no database or web import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal

from app.scoring.input_shapes import DATE_SHAPE, GRADE_SHAPE, NUMBER_SHAPE, REFERENCE_SHAPE, Shape
from app.scoring.policy import DEFAULT_SHARE_KEYWORDS, PolicySettings
from app.scoring.units import PREFIXES
from app.targets.types import decimal_str


@dataclass(frozen=True, slots=True)
class InputKind:
    """One kind of input: its label, the inputs it offers (``shape``: how each channel's raw input
    is read and shown, ``app.scoring.input_shapes``) and what is plausible (:meth:`refusal`)."""

    name: str
    label: str
    shape: Shape

    def refusal(self, **typed: Any) -> Refusal | None:
        """Why a number typed for a row of this kind cannot be right (:func:`implausible`)."""
        return implausible(self, **typed)


NUMBER = InputKind("number", "数值", NUMBER_SHAPE)
SHARE = InputKind("share", "比率", NUMBER_SHAPE)
GRADE = InputKind("grade", "评价等级", GRADE_SHAPE)
UNPARSED = InputKind("unparsed", "评价等级（指标值无法识别）", GRADE_SHAPE)
DATE = InputKind("date", "完成日期", DATE_SHAPE)
REFERENCE = InputKind("reference", "基数和实际值", REFERENCE_SHAPE)

INPUT_KINDS: dict[str, InputKind] = {k.name: k for k in (NUMBER, SHARE, GRADE, UNPARSED, DATE, REFERENCE)}

NUMBER_DIRECTIONS = frozenset({"positive", "reverse", "zero_target"})
_BY_DIRECTION = {"deadline": DATE, "reference": REFERENCE, "qualitative": GRADE, "unparsed": UNPARSED}


@dataclass(frozen=True, slots=True)
class EntryRules:
    """The policy's entry rules (``execution_above_budget``, ``share_over_100``, share detection)."""

    execution_above_budget: Literal["refuse", "warn"] = "refuse"
    share_over_100: Literal["refuse", "flag"] = "refuse"
    share_enabled: bool = True
    share_units: frozenset[str] = frozenset({"%"})
    share_keywords: tuple[str, ...] = DEFAULT_SHARE_KEYWORDS

    @classmethod
    def of(cls, settings: PolicySettings) -> EntryRules:
        return cls(
            execution_above_budget=settings.execution_above_budget,
            share_over_100=settings.share_over_100,
            share_enabled=settings.share_detection.enabled,
            share_units=frozenset(settings.share_detection.units),
            share_keywords=tuple(settings.share_detection.keywords),
        )


DEFAULT_RULES = EntryRules()


def kind_of(direction: str, unit: str | None, name: str, rules: EntryRules = DEFAULT_RULES) -> InputKind:
    """The row's kind: a number (a ``share`` when its unit and name say so, §4), a grade, a date,
    baseline + value, or a grade for a target the importer could not read."""
    if direction in NUMBER_DIRECTIONS:
        return SHARE if is_share(unit, name, rules) else NUMBER
    return _BY_DIRECTION.get(direction, GRADE)


def shape_of(direction: str) -> Shape:
    """The inputs a row of ``direction`` offers (a share and a count are both numbers)."""
    return kind_of(direction, None, "").shape


def is_share(unit: str | None, name: str, rules: EntryRules = DEFAULT_RULES) -> bool:
    return (
        rules.share_enabled
        and (unit or "") in rules.share_units
        and any(k in name for k in rules.share_keywords)
    )


# ------------------------------------------------------------------------------ Excel cells

PERCENT_UNITS = frozenset({"%", "‰"})


def cell_text(value: object, number_format: str | None, unit: str | None) -> str:
    """A cell as the clerk meant it, in the indicator's unit.

    A number under a percent format (``0.85`` shown as ``85%``) is that percent; a date serial
    under a date format (openpyxl gives a ``datetime``) is that date; a number stored as text is
    that text; an integral float has no ``.0`` and no float noise. ``unit``: the indicator's.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0, 0) else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if "%" in (number_format or "").replace('"%"', ""):
            shown = decimal_str(number * (1000 if unit == "‰" else 100)) or "0"
            return shown + ("‰" if unit == "‰" else "%")
        return decimal_str(number) or "0"
    return str(value).strip()


def cell_shown(value: object, number_format: str | None) -> str:
    """The cell as Excel stores it, for the preview beside the value as read: ``0.85（百分比格式）``."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return cell_text(value, None, None)
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    text = decimal_str(number) or "0"
    return f"{text}（百分比格式）" if "%" in (number_format or "") else text


# ------------------------------------------------------------------------------ plausibility

_MAGNITUDES = tuple(p for p, _ in PREFIXES)
_MONEY = frozenset({"元", "万元", "亿元", "千元", "百万元"})
_SIGNED_UNITS = frozenset({"℃", "摄氏度", "°C"})  # a temperature may be below zero


@dataclass(frozen=True, slots=True)
class Refusal:
    message: str
    code: str


def implausible(
    kind: InputKind,
    *,
    value: Decimal,
    typed: str,
    typed_unit: str | None,
    unit: str | None,
    target_value: Decimal | None,
    rules: EntryRules = DEFAULT_RULES,
) -> Refusal | None:
    """Why a number typed for a row cannot be right, or None.

    ``value`` is in the row's ``unit``; ``typed``/``typed_unit`` are what the clerk wrote.
    """
    percent = (unit or "") in PERCENT_UNITS
    if percent and typed_unit and typed_unit.startswith(_MAGNITUDES):
        return Refusal(
            f"“{typed}”带有数量单位“{typed_unit}”，而本指标的单位是“{unit}”：请填写百分比数值（如 85 或 85%）",
            "unit_implausible",
        )
    if percent and "," in typed.replace("，", ","):
        return Refusal(
            f"“{typed}”是带千位分隔符的数，不像百分比（本指标单位“{unit}”）：请核对是否填错了指标",
            "unit_implausible",
        )
    if value < 0 and not (percent and kind is not SHARE) and (unit or "") not in _SIGNED_UNITS:
        what = "金额" if (unit or "") in _MONEY else ("比率" if kind is SHARE else "数量")
        return Refusal(f"{what}不能为负数，收到“{typed}”", "negative_value")
    if kind is SHARE and rules.share_over_100 == "refuse":
        limit = Decimal(1000) if unit == "‰" else Decimal(100)
        if value > limit and (target_value is None or target_value <= limit):
            return Refusal(f"比率不能超过 {decimal_str(limit)}{unit}，收到“{typed}”", "share_over_100")
    return None


def execution_refusal(
    full_year: Decimal | None, executed: Decimal | None, rules: EntryRules
) -> Refusal | None:
    """全年执行数 above 全年预算数 (``execution_above_budget = refuse``)."""
    if rules.execution_above_budget != "refuse" or full_year is None or executed is None:
        return None
    if full_year > 0 and executed > full_year:
        return Refusal(
            f"全年执行数 {decimal_str(executed)} 万元超过全年预算数 {decimal_str(full_year)} 万元，请核对"
            "（执行数不能大于预算数）",
            "execution_above_budget",
        )
    return None
