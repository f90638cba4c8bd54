"""Input shapes: the inputs an indicator row offers and how each channel's raw input becomes them.

An :class:`~app.scoring.input_kinds.InputKind` (number, share, grade, unparsed, date, reference)
has one shape (``kind.shape``); the shape is what the form, the API, the workbook and the stored
row agree on:

============  =======  ==========================  ===================================
shape         primary  inputs (``ActualEntry``)     API dict keys
============  =======  ==========================  ===================================
number        ``a``    value                       ``value``
grade         ``g``    grade (+ score in its band)  ``grade``, ``score``
date          ``d``    date                        ``date``
reference     ``b``    baseline + value            ``baseline``, ``value``
============  =======  ==========================  ===================================

Each shape reads typed text into the stored columns (:meth:`Shape.read`, refusing with
:class:`EntryError` naming the form field), turns a scalar JSON ``actual`` or a workbook row into
an entry, shows an entry in one line, and says what the workbook cell holds. The row's *kind*
still decides what is plausible (``kind.refusal``): a share and a count are both ``number``.

Pure: no database or web import (docs/entry.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from app.scoring.actuals import (
    GRADE_LABELS,
    GRADES,
    ActualError,
    DateActual,
    GradeActual,
    NotApplicable,
    NumberActual,
    grade_of,
    read_actual,
    read_number,
    read_reference,
)
from app.targets.types import Target, decimal_str

if TYPE_CHECKING:
    from app.scoring.input_kinds import EntryRules, InputKind

VALUE_COLUMNS = ("raw", "value", "grade", "manual_score", "completed_on", "baseline", "not_applicable")
NO_UNIT = Target(raw="", kind="numeric", unit=None)
OPERATORS = {">=": "≥", "<=": "≤", ">": "＞", "<": "＜", "=": "＝"}
NOT_APPLICABLE_WORDS = ("不适用", "不涉及")


class EntryError(ValueError):
    """One refused input: ``field`` is the form field name (``a-12``, ``full_year_wan``)."""

    def __init__(self, field: str, message: str, code: str = "invalid_actual") -> None:
        super().__init__(message)
        self.field = field
        self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0])


@dataclass(slots=True)
class ActualEntry:
    """The inputs of one indicator row, as text."""

    value: str = ""
    baseline: str = ""
    grade: str = ""  # a grade code (the form's select) or text (达成, 健全 …)
    score: str = ""
    date: str = ""
    not_applicable: bool = False
    na_reason: str = ""
    reason: str = ""


VALUE_ATTRS = ("value", "baseline", "grade", "score", "date")  # the shape-dependent part
assert set(VALUE_ATTRS) < {f.name for f in fields(ActualEntry)}


@dataclass(frozen=True, slots=True)
class Reading:
    """What :meth:`Shape.read` needs besides the entry: the target scored against and its
    direction (a 调整后指标值 keeps the original's kind and unit), the year, the row's kind and
    name (plausibility), and the year's entry rules."""

    ident: int
    target: Target
    direction: str
    year: int
    kind: InputKind
    rules: EntryRules

    def field(self, prefix: str) -> str:
        return f"{prefix}-{self.ident}"


class Shape:
    """One input layout. Subclasses fill the per-shape parts; see the module docstring."""

    name: ClassVar[str]
    primary: ClassVar[str]  # the form-field prefix a missing actual links to
    api_keys: ClassVar[frozenset[str]]
    api_hint: ClassVar[str]
    how: ClassVar[str]  # the workbook's 填写说明 ({unit}, {reference} filled in)
    sheet_inputs: ClassVar[frozenset[str]] = frozenset()  # workbook columns besides 实际完成值
    sheet_format: ClassVar[str | None] = None  # number format of the 实际完成值 cell
    sheet_choices: ClassVar[bool] = False  # the 实际完成值 cell is a list of grades
    has_baseline: ClassVar[bool] = False

    # stored row → entry, and the checks on a stored row
    def stored(self, a: Any) -> dict[str, str]:
        """The value part of the form entry for a stored actual ``a`` (typed text where kept)."""
        raise NotImplementedError

    def filled(self, a: Any) -> bool:
        """A stored actual the engine can read."""
        return a.value is not None

    # entry → one line, and what identifies it
    def display(self, e: ActualEntry) -> str:
        return e.value

    def key(self, e: ActualEntry) -> tuple:
        return (self.name, norm(e.value))

    # typed text → stored columns
    def read(self, e: ActualEntry, r: Reading) -> dict[str, Any]:
        raise NotImplementedError

    # other channels → entry
    def from_api_text(self, text: str, field: str) -> dict[str, str] | None:
        """A scalar JSON ``actual`` as entry values; None: it says 不适用."""
        return {"value": text}

    def from_cells(self, actual: str, cell: Callable[[str], str]) -> dict[str, str]:
        """A workbook row as entry values: ``actual`` the 实际完成值 cell as read, ``cell(key)``
        reads another column (only those of :attr:`sheet_inputs`)."""
        return {"value": actual}

    def sheet_value(self, e: ActualEntry, raw: str | None) -> Any:
        """The 实际完成值 cell of a downloaded workbook (``raw``: the stored typed text)."""
        return excel_number(e.value) if re.fullmatch(r"-?\d+(\.\d+)?", e.value or "") else (e.value or None)

    def target_detail(self, ind: Any) -> str:
        """The parsed target shown under its raw text, so a clerk sees how it was read."""
        return ""


class NumberShape(Shape):
    name = "number"
    primary = "a"
    api_keys = frozenset({"value"})
    api_hint = "数字（或带单位的数值）"
    how = "填写数值（单位：{unit}）"

    def stored(self, a: Any) -> dict[str, str]:
        return {"value": a.raw or dstr(a.value)}

    def read(self, e: ActualEntry, r: Reading) -> dict[str, Any]:
        name = r.field("a")
        text = clean(name, e.value)
        if not text:
            return empty_columns()
        actual = read_as(name, text, r.target, r.direction, r.year)
        if isinstance(actual, NotApplicable):  # typed 不适用 / 不涉及
            return {"not_applicable": True}
        assert isinstance(actual, NumberActual)
        refusal = r.kind.refusal(
            value=actual.value,
            typed=text,
            typed_unit=actual.unit,
            unit=r.target.unit,
            target_value=r.target.value,
            rules=r.rules,
        )
        if refusal is not None:
            raise EntryError(name, refusal.message, refusal.code)
        return empty_columns(raw=text, value=fits(name, actual.value, 6, 24))

    def sheet_value(self, e: ActualEntry, raw: str | None) -> Any:
        if raw:
            return excel_number(raw) if re.fullmatch(r"-?\d+(\.\d+)?", raw) else raw
        return super().sheet_value(e, raw)

    def target_detail(self, ind: Any) -> str:
        if ind.value is None:
            return ""
        return f"{OPERATORS.get(ind.operator or '=', '')}{decimal_str(ind.value)}{ind.unit or ''}"


class GradeShape(Shape):
    name = "grade"
    primary = "g"
    api_keys = frozenset({"grade", "score"})
    api_hint = '评价等级 {"grade": "达成"}'
    how = "选择：达成 / 部分达成 / 未达成"
    sheet_inputs = frozenset({"score"})
    sheet_choices = True

    def stored(self, a: Any) -> dict[str, str]:
        return {"grade": a.grade or "", "score": dstr(a.manual_score)}

    def filled(self, a: Any) -> bool:
        return a.grade is not None

    def display(self, e: ActualEntry) -> str:
        code = grade_of(norm(e.grade)) if e.grade else None
        text = GRADE_LABELS.get(code or "", e.grade)
        return text + (f"（评分 {e.score}）" if e.score else "")

    def key(self, e: ActualEntry) -> tuple:
        text = norm(e.grade)
        return (self.name, grade_of(text) or text if text else "", norm(e.score))

    def read(self, e: ActualEntry, r: Reading) -> dict[str, Any]:
        grade_field, score_field = r.field("g"), r.field("s")
        text, score_text = clean(grade_field, e.grade), clean(score_field, e.score)
        if not text and not score_text:
            return empty_columns()
        score = None
        if score_text:
            score = plain_decimal(score_field, score_text, "评分")
            if score < 0:
                raise EntryError(score_field, f"评分不能为负数，收到“{score_text}”")
            score = fits(score_field, score, 2, 8)
        if not text:
            raise EntryError(grade_field, "请先选择评价等级，再填写评分")
        actual = read_as(grade_field, text, r.target, r.direction, r.year)
        if isinstance(actual, NotApplicable):
            return {"not_applicable": True}
        assert isinstance(actual, GradeActual)
        shown = GRADE_LABELS[actual.grade] if text in GRADES else text
        return empty_columns(raw=shown, grade=actual.grade, manual_score=score)

    def from_api_text(self, text: str, field: str) -> dict[str, str] | None:
        return {"grade": text}

    def from_cells(self, actual: str, cell: Callable[[str], str]) -> dict[str, str]:
        return {"grade": actual, "score": cell("score")}

    def sheet_value(self, e: ActualEntry, raw: str | None) -> Any:
        return GRADE_LABELS.get(e.grade, e.grade) or None


class DateShape(Shape):
    name = "date"
    primary = "d"
    api_keys = frozenset({"date"})
    api_hint = '完成日期 {"date": "YYYY-MM-DD"}'
    how = "填写完成日期，如 2023-12-20"
    sheet_format = "yyyy-mm-dd"

    def stored(self, a: Any) -> dict[str, str]:
        return {"date": a.completed_on.isoformat() if a.completed_on else ""}

    def filled(self, a: Any) -> bool:
        return a.completed_on is not None

    def display(self, e: ActualEntry) -> str:
        return e.date

    def key(self, e: ActualEntry) -> tuple:
        return (self.name, norm(e.date))

    def read(self, e: ActualEntry, r: Reading) -> dict[str, Any]:
        name = r.field("d")
        text = clean(name, e.date)
        if not text:
            return empty_columns()
        actual = read_as(name, text, r.target, "deadline", r.year)
        if isinstance(actual, NotApplicable):
            return {"not_applicable": True}
        assert isinstance(actual, DateActual)
        if not 2000 <= actual.date.year <= 2100:
            raise EntryError(name, f"完成日期“{text}”的年份不合理")
        return empty_columns(raw=text, completed_on=actual.date)

    def from_api_text(self, text: str, field: str) -> dict[str, str] | None:
        return {"date": text}

    def from_cells(self, actual: str, cell: Callable[[str], str]) -> dict[str, str]:
        return {"date": actual}

    def sheet_value(self, e: ActualEntry, raw: str | None) -> Any:
        return date.fromisoformat(e.date) if e.date else None

    def target_detail(self, ind: Any) -> str:
        return f"截止 {ind.deadline.isoformat()}" if ind.deadline else ""


class ReferenceShape(Shape):
    name = "reference"
    primary = "b"
    api_keys = frozenset({"baseline", "value"})
    api_hint = '基数和实际值 {"baseline": …, "value": …}'
    how = "填写基数（{reference}）和实际值"
    sheet_inputs = frozenset({"baseline"})
    has_baseline = True

    def stored(self, a: Any) -> dict[str, str]:
        return {"baseline": dstr(a.baseline), "value": a.raw or dstr(a.value)}

    def filled(self, a: Any) -> bool:
        return a.value is not None and a.baseline is not None

    def display(self, e: ActualEntry) -> str:
        if not (e.baseline or e.value):
            return ""
        return f"基数 {e.baseline or '（空）'}，实际 {e.value or '（空）'}"

    def key(self, e: ActualEntry) -> tuple:
        return (self.name, norm(e.baseline), norm(e.value))

    def read(self, e: ActualEntry, r: Reading) -> dict[str, Any]:
        base_field, value_field = r.field("b"), r.field("a")
        base_text, value_text = clean(base_field, e.baseline), clean(value_field, e.value)
        if not base_text and not value_text:
            return empty_columns()
        baseline = value = None
        if base_text:
            baseline = fits(base_field, self._number(base_field, base_text, r.target, "基数"), 6, 24)
        if value_text:
            value = fits(value_field, self._number(value_field, value_text, r.target, "实际值"), 6, 24)
        if base_text and value_text:  # the value is converted to the baseline's unit (§7)
            try:
                ref = read_reference({"baseline": base_text, "value": value_text}, r.target)
            except ActualError as exc:
                raise EntryError(value_field, exc.message, exc.code) from None
            baseline, value = ref.baseline, fits(value_field, ref.value, 6, 24)
        return empty_columns(raw=value_text or None, baseline=baseline, value=value)

    @staticmethod
    def _number(name: str, text: str, target: Target, what: str) -> Decimal:
        try:
            return read_number(text, NO_UNIT).value
        except ActualError as exc:
            hint = f"（{target.reference}）" if what == "基数" and target.reference else ""
            raise EntryError(name, f"{what}{hint}{exc.message}", exc.code) from None

    def from_api_text(self, text: str, field: str) -> dict[str, str] | None:
        if norm(text) in NOT_APPLICABLE_WORDS:
            return None
        raise EntryError(field, f"参照指标应填写{self.api_hint}", "missing_baseline")

    def from_cells(self, actual: str, cell: Callable[[str], str]) -> dict[str, str]:
        return {"value": actual, "baseline": cell("baseline")}

    def target_detail(self, ind: Any) -> str:
        return f"{OPERATORS.get(ind.operator or '>=', '')}{ind.reference}" if ind.reference else ""


NUMBER_SHAPE = NumberShape()
GRADE_SHAPE = GradeShape()
DATE_SHAPE = DateShape()
REFERENCE_SHAPE = ReferenceShape()
SHAPES: dict[str, Shape] = {s.name: s for s in (NUMBER_SHAPE, GRADE_SHAPE, DATE_SHAPE, REFERENCE_SHAPE)}


# ------------------------------------------------------------------------------ text helpers


def empty_columns(**values: Any) -> dict[str, Any]:
    """All value columns empty (an empty entry clears the actual), ``values`` set."""
    cols: dict[str, Any] = dict.fromkeys(VALUE_COLUMNS)
    cols["not_applicable"] = False
    cols.update(values)
    return cols


def clean(name: str, text: str | None) -> str:
    """Stripped text; control characters (a NUL byte cannot be stored) are refused."""
    text = (text or "").strip()
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise EntryError(name, "含有无法保存的控制字符，请删除后重新填写", "invalid_text")
    return text


def read_as(name: str, raw: Any, target: Target, direction: str, year: int) -> Any:
    try:
        return read_actual(raw, target, direction=direction, year=year)
    except ActualError as exc:
        raise EntryError(name, exc.message, exc.code) from None


def plain_decimal(name: str, text: str, what: str) -> Decimal:
    try:
        value = Decimal(norm(text).replace(",", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise EntryError(name, f"{what}应为数字，收到“{text}”")
    return value


def fits(
    name: str,
    value: Decimal,
    places: int,
    digits: int,
    *,
    places_message: str | None = None,
    code: str = "invalid_actual",
) -> Decimal:
    """The value fits its column (``Numeric(digits, places)``); a clerk's typo otherwise.
    The size first: quantizing a number of more than 28 digits raises (``InvalidOperation``)."""
    if abs(value) >= Decimal(10) ** (digits - places):
        raise EntryError(name, f"数值过大：{decimal_str(value)}", code)
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise EntryError(name, places_message or f"小数位数过多：最多 {places} 位", code)
    return value


def norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def dstr(value: Decimal | None) -> str:
    return decimal_str(value) if value is not None else ""


def excel_number(text: str | Decimal | None) -> Any:
    """A number for an Excel cell: an int, a float when it is exact as one, else the text."""
    if text is None or text == "":
        return None
    try:
        value = Decimal(text)
    except ArithmeticError:
        return text
    shown = decimal_str(value)
    if shown.lstrip("-").isdigit():
        return int(shown)
    return float(shown) if Decimal(repr(float(shown))) == value else shown
