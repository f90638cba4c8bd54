"""What a clerk typed for a project, as text, and how it is read into stored columns.

One ``ActualEntry`` per indicator holds the inputs of the 自评表 row exactly as typed (so a refused
value stays on the page); ``ProjectEntry`` adds the funds block and the goal box. The web form, the
API body and the Excel workbook are all turned into these, and ``read_value`` / ``read_amount`` /
``read_text`` turn them into column values or raise :class:`EntryError` with a Chinese message
(docs/scoring-rules.md §4a via ``app.scoring.actuals.read_actual``).

Which inputs an indicator has depends on its direction (``input_kind``): a number in the target's
unit, a grade (+ optional score inside its band, §5), a completion date (§6), or baseline + value
(§7). Form field names: ``a-ID`` value, ``b-ID`` baseline, ``g-ID`` grade, ``s-ID`` score, ``d-ID``
date, ``na-ID`` 不适用, ``nr-ID`` its reason, ``r-ID`` 偏差原因分析及改进措施.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from app.db.models import Indicator, IndicatorActual
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
from app.scoring.input_kinds import DEFAULT_RULES, EntryRules, implausible, kind_of
from app.targets.types import Target, decimal_str

TEXT_MAX = 4000
NUMBER_DIRECTIONS = frozenset({"positive", "reverse", "zero_target"})
INPUT_KINDS = ("number", "grade", "date", "reference")
VALUE_COLUMNS = ("raw", "value", "grade", "manual_score", "completed_on", "baseline", "not_applicable")
TEXT_COLUMNS = ("na_reason", "reason")
ACTUAL_COLUMNS = VALUE_COLUMNS + TEXT_COLUMNS
WAN = Target(raw="", kind="numeric", unit="万元")
NO_UNIT = Target(raw="", kind="numeric", unit=None)

# Field prefix → what it is, for labels in messages, change lists and the audit page.
FIELD_LABELS = {
    "a": "实际完成值",
    "b": "基数",
    "g": "评价等级",
    "s": "评分",
    "d": "完成日期",
    "na": "不适用",
    "nr": "不适用理由",
    "r": "偏差原因分析及改进措施",
}
PROJECT_FIELDS = {
    "full_year_wan": "全年预算数（万元）",
    "executed_wan": "全年执行数（万元）",
    "goal_actual": "年度总体目标实际完成情况",
    "budget_reason": "预算执行偏差原因",
}
# API body location of a form field (contracts/README.md: ``actuals[].actual``, ``.reason``).
API_PART = {"a": "actual", "b": "actual", "g": "actual", "s": "actual", "d": "actual", "na": "actual",
            "nr": "na_reason", "r": "reason"}  # fmt: skip


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


@dataclass(slots=True)
class ProjectEntry:
    """A save: ``None`` leaves a project field as stored; ``actuals`` only the indicators sent."""

    version: int | None = None
    full_year_wan: str | None = None
    executed_wan: str | None = None
    goal_actual: str | None = None
    budget_reason: str | None = None
    actuals: dict[int, ActualEntry] = field(default_factory=dict)


def input_kind(ind: Indicator) -> str:
    """``number`` | ``grade`` | ``date`` | ``reference`` — which inputs the row offers."""
    direction = ind.direction
    if direction in NUMBER_DIRECTIONS:
        return "number"
    if direction == "deadline":
        return "date"
    if direction == "reference":
        return "reference"
    return "grade"  # qualitative, and an unparsed target graded by hand


def primary_field(ind: Indicator) -> str:
    """The form field a missing actual links to."""
    return {"number": "a", "grade": "g", "date": "d", "reference": "b"}[input_kind(ind)] + f"-{ind.id}"


def field_label(name: str) -> str:
    if name in PROJECT_FIELDS:
        return PROJECT_FIELDS[name]
    return FIELD_LABELS.get(name.split("-", 1)[0], name)


def api_loc(name: str) -> tuple[str | int, ...]:
    """Where a form field lives in the API body: ``("actuals", 12, "actual")``, ``("budget", …)``."""
    if name in ("full_year_wan", "executed_wan"):
        return ("budget", name)
    if name in PROJECT_FIELDS:
        return (name,)
    prefix, _, ident = name.partition("-")
    loc: tuple[str | int, ...] = ("actuals", int(ident), API_PART.get(prefix, "actual"))
    if prefix in ("b", "s"):
        loc += ({"b": "baseline", "s": "score"}[prefix],)
    return loc


# ------------------------------------------------------------------------------ stored → entry


def stored_entry(ind: Indicator) -> ActualEntry:
    """The row's stored actual as the form shows it (typed text where it was kept)."""
    a: IndicatorActual | None = ind.actual
    if a is None:
        return ActualEntry()
    kind = input_kind(ind)
    e = ActualEntry(not_applicable=bool(a.not_applicable), na_reason=a.na_reason or "", reason=a.reason or "")
    if kind == "number":
        e.value = a.raw or _d(a.value)
    elif kind == "grade":
        e.grade = a.grade or ""
        e.score = _d(a.manual_score)
    elif kind == "date":
        e.date = a.completed_on.isoformat() if a.completed_on else ""
    else:
        e.baseline = _d(a.baseline)
        e.value = a.raw or _d(a.value)
    return e


def stored_columns(ind: Indicator) -> dict[str, Any]:
    a = ind.actual
    if a is None:
        return {c: (False if c == "not_applicable" else None) for c in ACTUAL_COLUMNS}
    return {c: getattr(a, c) for c in ACTUAL_COLUMNS}


def is_filled(ind: Indicator) -> bool:
    """An actual the engine can read (a value, a grade, a date, a baseline + value) or 不适用."""
    a = ind.actual
    if a is None:
        return False
    if a.not_applicable:
        return True
    kind = input_kind(ind)
    if kind == "grade":
        return a.grade is not None
    if kind == "date":
        return a.completed_on is not None
    if kind == "reference":
        return a.value is not None and a.baseline is not None
    return a.value is not None


def display_value(ind: Indicator, e: ActualEntry) -> str:
    """One line for change lists and conflict messages: ``52次``, ``部分达成…（评分 2.8）``, ``不适用``."""
    if e.not_applicable:
        return "不适用"
    kind = input_kind(ind)
    if kind == "grade":
        code = grade_of(_norm(e.grade)) if e.grade else None
        text = GRADE_LABELS.get(code or "", e.grade)
        return text + (f"（评分 {e.score}）" if e.score else "")
    if kind == "date":
        return e.date
    if kind == "reference":
        if not (e.baseline or e.value):
            return ""
        return f"基数 {e.baseline or '（空）'}，实际 {e.value or '（空）'}"
    return e.value


def value_key(ind: Indicator, e: ActualEntry) -> tuple:
    """What identifies the value part of an entry, for "did it change" (normalised text)."""
    if e.not_applicable:
        return ("na",)
    kind = input_kind(ind)
    if kind == "grade":
        text = _norm(e.grade)
        return ("grade", grade_of(text) or text if text else "", _norm(e.score))
    if kind == "date":
        return ("date", _norm(e.date))
    if kind == "reference":
        return ("reference", _norm(e.baseline), _norm(e.value))
    return ("number", _norm(e.value))


# ------------------------------------------------------------------------------ reading inputs


def read_value(
    ind: Indicator,
    target: Target,
    e: ActualEntry,
    *,
    year: int,
    direction: str | None = None,
    rules: EntryRules = DEFAULT_RULES,
) -> dict[str, Any]:
    """The value columns for an entry (``VALUE_COLUMNS``; all empty clears the actual).

    不适用 sets only the flag: the values underneath are kept for when it is switched off again.
    ``target``/``direction``: what the indicator is scored against (a 调整后指标值 keeps the
    original's kind and unit); ``rules``: the year's entry rules (an implausible number is
    refused, ``app.scoring.input_kinds.implausible``). Raises :class:`EntryError` naming the field.
    """
    if e.not_applicable:
        return {"not_applicable": True}
    cols: dict[str, Any] = dict.fromkeys(VALUE_COLUMNS)
    cols["not_applicable"] = False
    kind = input_kind(ind)
    i = ind.id
    if kind == "number":
        text = _clean(f"a-{i}", e.value)
        if not text:
            return cols
        actual = _read(f"a-{i}", text, target, direction or ind.direction, year)
        if isinstance(actual, NotApplicable):  # typed 不适用 / 不涉及
            return {"not_applicable": True}
        assert isinstance(actual, NumberActual)
        row_kind = kind_of(direction or ind.direction, target.unit, ind.name, rules)
        refusal = implausible(
            row_kind,
            value=actual.value,
            typed=text,
            typed_unit=actual.unit,
            unit=target.unit,
            target_value=target.value,
            rules=rules,
        )
        if refusal is not None:
            raise EntryError(f"a-{i}", refusal.message, refusal.code)
        cols.update(raw=text, value=_fits(f"a-{i}", actual.value, 6, 24))
    elif kind == "grade":
        text, score_text = _clean(f"g-{i}", e.grade), _clean(f"s-{i}", e.score)
        if not text and not score_text:
            return cols
        score = None
        if score_text:
            score = _number(f"s-{i}", score_text, "评分")
            if score < 0:
                raise EntryError(f"s-{i}", f"评分不能为负数，收到“{score_text}”")
            score = _fits(f"s-{i}", score, 2, 8)
        if not text:
            raise EntryError(f"g-{i}", "请先选择评价等级，再填写评分")
        actual = _read(f"g-{i}", text, target, direction or ind.direction, year)
        if isinstance(actual, NotApplicable):
            return {"not_applicable": True}
        assert isinstance(actual, GradeActual)
        shown = GRADE_LABELS[actual.grade] if text in GRADES else text
        cols.update(raw=shown, grade=actual.grade, manual_score=score)
    elif kind == "date":
        text = _clean(f"d-{i}", e.date)
        if not text:
            return cols
        actual = _read(f"d-{i}", text, target, "deadline", year)
        if isinstance(actual, NotApplicable):
            return {"not_applicable": True}
        assert isinstance(actual, DateActual)
        if not 2000 <= actual.date.year <= 2100:
            raise EntryError(f"d-{i}", f"完成日期“{text}”的年份不合理")
        cols.update(raw=text, completed_on=actual.date)
    else:
        base_text, value_text = _clean(f"b-{i}", e.baseline), _clean(f"a-{i}", e.value)
        if not base_text and not value_text:
            return cols
        baseline = value = None
        if base_text:
            baseline = _fits(f"b-{i}", _plain_number(f"b-{i}", base_text, target, "基数"), 6, 24)
        if value_text:
            value = _fits(f"a-{i}", _plain_number(f"a-{i}", value_text, target, "实际值"), 6, 24)
        if base_text and value_text:  # the value is converted to the baseline's unit (§7)
            try:
                ref = read_reference({"baseline": base_text, "value": value_text}, target)
            except ActualError as exc:
                raise EntryError(f"a-{i}", exc.message, exc.code) from None
            baseline, value = ref.baseline, _fits(f"a-{i}", ref.value, 6, 24)
        cols.update(raw=value_text or None, baseline=baseline, value=value)
    return cols


def read_amount(name: str, text: str | None) -> Decimal | None:
    """全年预算数 / 全年执行数 in 万元 (``85000元`` converts); empty → None; never negative."""
    text = _clean(name, text)
    if not text:
        return None
    try:
        value = read_number(text, WAN).value
    except ActualError as exc:
        raise EntryError(name, exc.message.replace("应填写数字", "应填写金额"), "invalid_amount") from None
    if value < 0:
        raise EntryError(name, f"金额不能为负数，收到“{text}”", "invalid_amount")
    return _fits(
        name, value, 4, 18, places_message="金额最多精确到 0.0001 万元（1 元）", code="invalid_amount"
    )


def read_text(name: str, text: str | None) -> str | None:
    text = _clean(name, text)
    if len(text) > TEXT_MAX:
        raise EntryError(name, f"内容过长：最多 {TEXT_MAX} 字，现有 {len(text)} 字", "too_long")
    return text or None


def _clean(name: str, text: str | None) -> str:
    """Stripped text; control characters (a NUL byte cannot be stored) are refused."""
    text = (text or "").strip()
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise EntryError(name, "含有无法保存的控制字符，请删除后重新填写", "invalid_text")
    return text


def _read(name: str, raw: Any, target: Target, direction: str, year: int) -> Any:
    try:
        return read_actual(raw, target, direction=direction, year=year)
    except ActualError as exc:
        raise EntryError(name, exc.message, exc.code) from None


def _plain_number(name: str, text: str, target: Target, what: str) -> Decimal:
    try:
        return read_number(text, NO_UNIT).value
    except ActualError as exc:
        hint = f"（{target.reference}）" if what == "基数" and target.reference else ""
        raise EntryError(name, f"{what}{hint}{exc.message}", exc.code) from None


def _number(name: str, text: str, what: str) -> Decimal:
    try:
        value = Decimal(_norm(text).replace(",", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise EntryError(name, f"{what}应为数字，收到“{text}”")
    return value


def _fits(
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


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def _d(value: Decimal | None) -> str:
    return decimal_str(value) if value is not None else ""


# ------------------------------------------------------------------------------ inputs → entries


def entry_from_form(form: Mapping[str, Any], indicators: list[Indicator]) -> ProjectEntry:
    """A posted 自评表 form. Only indicators whose inputs are on the form are included."""

    def get(key: str) -> str | None:
        value = form.get(key)
        return value if isinstance(value, str) else None

    version = get("version")
    entry = ProjectEntry(
        version=int(version) if version and version.strip().isdigit() else None,
        full_year_wan=get("full_year_wan"),
        executed_wan=get("executed_wan"),
        goal_actual=get("goal_actual"),
        budget_reason=get("budget_reason"),
    )
    for ind in indicators:
        i = ind.id
        keys = (f"a-{i}", f"b-{i}", f"g-{i}", f"d-{i}", f"r-{i}")
        if not any(k in form for k in keys):
            continue
        entry.actuals[i] = ActualEntry(
            value=get(f"a-{i}") or "",
            baseline=get(f"b-{i}") or "",
            grade=get(f"g-{i}") or "",
            score=get(f"s-{i}") or "",
            date=get(f"d-{i}") or "",
            not_applicable=bool(get(f"na-{i}")),
            na_reason=get(f"nr-{i}") or "",
            reason=get(f"r-{i}") or "",
        )
    return entry


_KIND_KEYS = {
    "number": {"value"},
    "grade": {"grade", "score"},
    "date": {"date"},
    "reference": {"baseline", "value"},
}
_KIND_HINT = {
    "number": "数字（或带单位的数值）",
    "grade": '评价等级 {"grade": "达成"}',
    "date": '完成日期 {"date": "YYYY-MM-DD"}',
    "reference": '基数和实际值 {"baseline": …, "value": …}',
}


def api_text(value: Any) -> str:
    """A JSON scalar as typed text; numbers keep their digits (no float arithmetic)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def apply_api_actual(ind: Indicator, base: ActualEntry, actual: Any) -> ActualEntry:
    """``base`` with its value part replaced by a contract ``actual`` (number/text or one of the
    dict forms). ``None`` clears it. A dict that does not fit the indicator raises EntryError."""
    kind = input_kind(ind)
    e = replace(base, value="", baseline="", grade="", score="", date="", not_applicable=False)
    if actual is None:
        return e
    if isinstance(actual, dict):
        if actual.get("not_applicable") is True:
            keep = replace(base, not_applicable=True)
            reason = actual.get("na_reason", actual.get("reason"))
            if reason is not None:
                keep.na_reason = api_text(reason)
            return keep
        keys = set(actual) - {"not_applicable"}
        if not keys or not keys <= _KIND_KEYS[kind]:
            raise EntryError(
                primary_field(ind),
                f"该指标应填写{_KIND_HINT[kind]}，收到字段 {sorted(keys)}",
                "invalid_shape",
            )
        e.value = api_text(actual.get("value"))
        e.baseline = api_text(actual.get("baseline"))
        e.grade = api_text(actual.get("grade"))
        e.score = api_text(actual.get("score"))
        e.date = api_text(actual.get("date"))
        return e
    if isinstance(actual, list | bool):
        raise EntryError(primary_field(ind), f"该指标应填写{_KIND_HINT[kind]}", "invalid_shape")
    text = api_text(actual)
    if kind == "grade":
        e.grade = text
    elif kind == "date":
        e.date = text
    elif kind == "reference":
        if _norm(text) in ("不适用", "不涉及"):
            return replace(base, not_applicable=True)
        raise EntryError(primary_field(ind), f"参照指标应填写{_KIND_HINT[kind]}", "missing_baseline")
    else:
        e.value = text
    return e
