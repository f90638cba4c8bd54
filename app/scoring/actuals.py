"""Reading an actual (实际完成值) the way clerks type it (docs/scoring-rules.md §4a).

``read_actual(raw, target)`` turns what was typed — a string, a number, or one of the contract's
dict forms (``{"grade", "score"?}``, ``{"date"}``, ``{"baseline", "value"}``,
``{"not_applicable": true}``) — into a typed actual in the target's unit, or raises
:class:`ActualError` whose Chinese message names what was expected.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from app.scoring.units import UnitMismatch, convert
from app.targets.types import Target, decimal_str

GRADES = ("achieved", "partial", "not_achieved")
GRADE_LABELS = {
    "achieved": "达成年度指标",
    "partial": "部分达成年度指标并具有一定效果",
    "not_achieved": "未达成年度指标且效果较差",
}
# Checked in this order with str.startswith, so 未达成… never reads as 达成….
_GRADE_PREFIXES = (
    ("not_achieved", ("未达成", "未达到", "未完成", "未实现", "没有达成", "不达标")),
    ("partial", ("部分达成", "部分达到", "部分完成", "部分实现", "基本达成", "基本达到", "基本完成", "基本实现")),
    ("achieved", ("达成", "已达成", "全部达成", "全面达成", "达到", "已达到", "完成", "已完成", "全部完成",
                  "实现", "已实现", "达标")),
)  # fmt: skip
_NOT_APPLICABLE = frozenset({"不适用", "不涉及", "n/a", "na", "无此项"})
MISSING = "missing_actual"
INVALID = "invalid_actual"
MISSING_BASELINE = "missing_baseline"


class ActualError(ValueError):
    """An actual that cannot be read. ``code``: missing_actual | invalid_actual | missing_baseline."""

    def __init__(self, message: str, code: str = INVALID) -> None:
        super().__init__(message)
        self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class NumberActual:
    """A number in the target's unit; ``text`` is what was typed (for the explanation)."""

    value: Decimal
    text: str = ""
    converted: bool = False  # written in another unit (85000元 against 万元) and converted
    unit: str | None = None  # the unit as written (``万``, ``元``), None for a bare number


@dataclass(frozen=True, slots=True)
class GradeActual:
    grade: str  # achieved | partial | not_achieved
    score: Decimal | None = None  # a hand-set score inside the grade's band (§5)
    text: str = ""


@dataclass(frozen=True, slots=True)
class DateActual:
    date: date
    text: str = ""


@dataclass(frozen=True, slots=True)
class ReferenceActual:
    """§7: the baseline the table did not give, and the actual, in one unit."""

    baseline: Decimal
    value: Decimal


@dataclass(frozen=True, slots=True)
class NotApplicable:
    """不适用: the indicator is excluded and its level's weight re-split (§1)."""


NOT_APPLICABLE = NotApplicable()
Actual = NumberActual | GradeActual | DateActual | ReferenceActual | NotApplicable
ACTUAL_TYPES = (NumberActual, GradeActual, DateActual, ReferenceActual, NotApplicable)

_PLAIN = re.compile(r"-?\d+(?:\.\d+)?")
_NUMBER = re.compile(
    r"(?:≥|≤|>=|<=|=>|=<|>|<|=|不低于|不少于|不小于|大于等于|大于|高于|不高于|不超过|不多于|不大于|小于等于|小于|低于|"
    r"达到|约|共|累计|实际)?"
    r"(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+)"
    r"(?P<unit>[^\d.,+\-]*?)"
    r"(?:及以上|及以下|以上|以下|以内|左右)?"
)
_SPACES = re.compile(r"\s+")


def read_actual(raw: Any, target: Target, *, direction: str | None = None, year: int | None = None) -> Actual:
    """Read one actual against its target. ``direction`` overrides the target's kind (§3)."""
    kind = _kind(target, direction)
    if type(raw) is str and kind == "numeric" and _PLAIN.fullmatch(raw):
        return NumberActual(Decimal(raw), raw)  # fast path: a bare number, as the form sends it
    if isinstance(raw, ACTUAL_TYPES):
        return raw
    if isinstance(raw, dict) and raw.get("not_applicable"):
        return NOT_APPLICABLE
    try:
        return _read(raw, target, kind, year)
    except ActualError:
        if isinstance(raw, str) and _normalize(raw).lower() in _NOT_APPLICABLE:  # 不适用, N/A …
            return NOT_APPLICABLE
        raise


def _read(raw: Any, target: Target, kind: str, year: int | None) -> Actual:
    if kind == "numeric":
        return read_number(raw, target)
    if kind == "qualitative":
        return read_grade(raw, target)
    if kind == "deadline":
        return read_date(raw, year=year or (target.deadline.year if target.deadline else None))
    if kind == "reference":
        return read_reference(raw, target)
    # An unparsed target can still be graded by hand (达成/部分达成/未达成).
    try:
        return read_grade(raw, target)
    except ActualError as exc:
        if exc.code == MISSING:
            raise
        raise ActualError(
            f"年度指标值“{target.raw}”无法识别，只能按评价等级（达成/部分达成/未达成）评分"
        ) from exc


def _kind(target: Target, direction: str | None) -> str:
    if direction in ("positive", "reverse", "zero_target"):
        return "numeric"
    if direction in ("qualitative", "deadline", "reference"):
        return direction
    return target.kind


def read_number(raw: Any, target: Target) -> NumberActual:
    """A number in the target's unit: ``96``, ``96%``, ``85000元`` (→ 8.5 万元), ``≥266米``, ``１,２００``."""
    if isinstance(raw, dict) and "value" in raw and "baseline" not in raw:
        raw = raw["value"]
    if isinstance(raw, bool | dict | list):
        raise ActualError(_expected_number(target, raw))
    if isinstance(raw, int | Decimal):
        if isinstance(raw, Decimal) and not raw.is_finite():
            raise ActualError(_expected_number(target, raw))
        return NumberActual(Decimal(raw), str(raw))
    if isinstance(raw, float):
        return NumberActual(Decimal(repr(raw)), repr(raw))
    if raw is None:
        raise ActualError(_expected_number(target, None), MISSING)
    text = str(raw)
    if _PLAIN.fullmatch(text):  # fast path: a bare number as the form sends it
        return NumberActual(Decimal(text), text)
    norm = _normalize(text)
    if not norm:
        raise ActualError(_expected_number(target, None), MISSING)
    m = _NUMBER.fullmatch(norm)
    if not m:
        raise ActualError(_expected_number(target, text))
    value = Decimal(m["num"].replace(",", ""))
    unit = m["unit"]
    try:
        return NumberActual(
            convert(value, unit, target.unit), text, bool(unit) and unit != target.unit, unit or None
        )
    except UnitMismatch as exc:
        raise ActualError(str(exc)) from None


def read_grade(raw: Any, target: Target) -> GradeActual:
    """§5: the grade, short or long; a text equal to the target text counts as 达成."""
    score: Decimal | None = None
    if isinstance(raw, dict):
        if raw.get("score") not in (None, ""):
            score = _decimal(raw["score"], "评分")
        raw = raw.get("grade")
    if raw is None:
        raise ActualError(_expected_grade(target, None), MISSING)
    text = str(raw)
    norm = _normalize(text)
    if not norm:
        raise ActualError(_expected_grade(target, None), MISSING)
    grade = grade_of(norm, target)
    if grade is None:
        raise ActualError(_expected_grade(target, text))
    return GradeActual(grade, score, text)


def grade_of(norm: str, target: Target | None = None) -> str | None:
    """The grade code of a normalised text, or None."""
    if norm in GRADES:
        return norm
    for grade, prefixes in _GRADE_PREFIXES:
        if norm.startswith(prefixes):
            return grade
    if target is not None and norm in {_normalize(t) for t in (target.expected, target.raw) if t}:
        return "achieved"
    return None


_DATE_YMD = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:前|完成|已完成)?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DATE_YM = re.compile(r"(\d{4})[-/.年](\d{1,2})月?(?:底|末|份)?(?:前|完成|已完成)?")
_DATE_MD = re.compile(r"(\d{1,2})月(\d{1,2})日?(?:前|完成|已完成)?")
_DATE_M = re.compile(r"(\d{1,2})月(?:底|末|份)?(?:前|完成|已完成)?")
_DATE_Y_END = re.compile(r"(\d{4})年(?:底|末)(?:前|完成|已完成)?")
DATE_HINT = "应填写完成日期（如 2024-01-15、2024年1月15日、7月）"


def read_date(raw: Any, *, year: int | None = None) -> DateActual:
    """§6 completion date: ``2024-01-15``, ``2024年1月15日``, ``2024年1月`` / ``7月`` (last day of
    that month, in the budget year ``year``), ``2023年底``."""
    if isinstance(raw, dict):
        raw = raw.get("date")
    if isinstance(raw, date):
        return DateActual(raw, raw.isoformat())
    if raw is None or not _normalize(str(raw)):
        raise ActualError(DATE_HINT + "，未填写", MISSING)
    text = str(raw)
    norm = _normalize(text)
    try:
        if m := _DATE_YMD.fullmatch(norm) or _DATE_COMPACT.fullmatch(norm):
            return DateActual(date(int(m[1]), int(m[2]), int(m[3])), text)
        if m := _DATE_YM.fullmatch(norm):
            return DateActual(_month_end(int(m[1]), int(m[2])), text)
        if m := _DATE_Y_END.fullmatch(norm):
            return DateActual(date(int(m[1]), 12, 31), text)
        m = _DATE_MD.fullmatch(norm) or _DATE_M.fullmatch(norm)
        if m:
            if year is None:
                raise ActualError(f"日期“{text}”没有年份，请写明年份（如 2024年{m[1]}月）")
            if m.re is _DATE_MD:
                return DateActual(date(year, int(m[1]), int(m[2])), text)
            return DateActual(_month_end(year, int(m[1])), text)
    except ValueError as exc:
        if isinstance(exc, ActualError):
            raise
        raise ActualError(f"日期“{text}”不存在") from None
    raise ActualError(f"{DATE_HINT}，收到“{text}”")


def read_reference(raw: Any, target: Target) -> ReferenceActual:
    """§7: ``{"baseline": …, "value": …}``; the baseline may carry a unit the value converts to."""
    what = target.reference or "基数"
    hint = f"参照指标需填写基数（{what}）和实际值"
    if not isinstance(raw, dict):
        if raw is None or (isinstance(raw, str) and not _normalize(raw)):
            raise ActualError(hint + "，未填写", MISSING)
        raise ActualError(f"{hint}，收到“{raw}”", MISSING_BASELINE)
    if raw.get("baseline") in (None, ""):
        code = MISSING if raw.get("value") in (None, "") else MISSING_BASELINE
        raise ActualError(hint + "，基数未填写", code)
    base_target = Target(raw="", kind="numeric", unit=None)
    baseline = read_number(raw["baseline"], base_target)
    if raw.get("value") in (None, ""):
        raise ActualError(hint + "，实际值未填写", MISSING)
    base_unit = _unit_of(raw["baseline"])
    value = read_number(raw["value"], Target(raw="", kind="numeric", unit=base_unit))
    return ReferenceActual(baseline.value, value.value)


def _unit_of(raw: Any) -> str | None:
    if not isinstance(raw, str):
        return None
    m = _NUMBER.fullmatch(_normalize(raw))
    return (m["unit"] or None) if m else None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _normalize(text: str) -> str:
    """Full-width → half-width (NFKC), unicode minus → ``-``, no spaces or surrounding quotes."""
    text = unicodedata.normalize("NFKC", text).replace("−", "-").replace("—", "-")
    return _SPACES.sub("", text).strip("“”\"'").rstrip("。;；")


def _decimal(raw: Any, what: str) -> Decimal:
    try:
        value = Decimal(_normalize(str(raw)).replace(",", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise ActualError(f"{what}应为数字，收到“{raw}”")
    return value


def _expected_number(target: Target, got: Any) -> str:
    head = f"应填写数字（单位：{target.unit}）" if target.unit else "应填写数字"
    return head + ("，未填写" if got is None else f"，收到“{got}”")


def _expected_grade(target: Target, got: Any) -> str:
    head = "应选择评价等级（达成/部分达成/未达成）"
    if target.expected:
        head += f"或填写“{target.expected}”"
    return head + ("，未填写" if got is None else f"，收到“{got}”")


def describe(actual: Actual, unit: str | None = None) -> str:
    """How an actual reads in an explanation: ``12万元``, ``部分达成``, ``2024-01-15``."""
    if isinstance(actual, NumberActual):
        return f"{decimal_str(actual.value)}{unit or ''}"
    if isinstance(actual, GradeActual):
        return GRADE_LABELS[actual.grade]
    if isinstance(actual, DateActual):
        return actual.date.isoformat()
    if isinstance(actual, ReferenceActual):
        return f"基数 {decimal_str(actual.baseline)}，实际 {decimal_str(actual.value)}"
    return "不适用"
