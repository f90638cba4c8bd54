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

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from app.db.models import Indicator, IndicatorActual
from app.scoring.actuals import ActualError, read_number
from app.scoring.input_kinds import DEFAULT_RULES, EntryRules, kind_of, shape_of
from app.scoring.input_shapes import (
    VALUE_ATTRS,
    VALUE_COLUMNS,
    ActualEntry,
    EntryError,
    Reading,
    Shape,
    clean,
    fits,
)
from app.targets.types import Target

__all__ = ["ActualEntry", "EntryError", "VALUE_COLUMNS"]  # re-exported: the entry's vocabulary

TEXT_MAX = 4000
INPUT_KINDS = ("number", "grade", "date", "reference")
TEXT_COLUMNS = ("na_reason", "reason")
ACTUAL_COLUMNS = VALUE_COLUMNS + TEXT_COLUMNS
WAN = Target(raw="", kind="numeric", unit="万元")

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


@dataclass(slots=True)
class ProjectEntry:
    """A save: ``None`` leaves a project field as stored; ``actuals`` only the indicators sent."""

    version: int | None = None
    full_year_wan: str | None = None
    executed_wan: str | None = None
    goal_actual: str | None = None
    budget_reason: str | None = None
    actuals: dict[int, ActualEntry] = field(default_factory=dict)


def shape(ind: Indicator) -> Shape:
    """The inputs the row offers (``app.scoring.input_shapes``), from its direction."""
    return shape_of(ind.direction)


def input_kind(ind: Indicator) -> str:
    """``number`` | ``grade`` | ``date`` | ``reference`` — which inputs the row offers."""
    return shape(ind).name


def primary_field(ind: Indicator) -> str:
    """The form field a missing actual links to."""
    return f"{shape(ind).primary}-{ind.id}"


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
    e = ActualEntry(not_applicable=bool(a.not_applicable), na_reason=a.na_reason or "", reason=a.reason or "")
    for attr, text in shape(ind).stored(a).items():
        setattr(e, attr, text)
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
    return bool(a.not_applicable) or shape(ind).filled(a)


def display_value(ind: Indicator, e: ActualEntry) -> str:
    """One line for change lists and conflict messages: ``52次``, ``部分达成…（评分 2.8）``, ``不适用``."""
    return "不适用" if e.not_applicable else shape(ind).display(e)


def value_key(ind: Indicator, e: ActualEntry) -> tuple:
    """What identifies the value part of an entry, for "did it change" (normalised text)."""
    return ("na",) if e.not_applicable else shape(ind).key(e)


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
    refused, ``InputKind.refusal``). The row's shape reads the inputs. Raises
    :class:`EntryError` naming the field.
    """
    if e.not_applicable:
        return {"not_applicable": True}
    direction = direction or ind.direction
    reading = Reading(
        ident=ind.id,
        target=target,
        direction=direction,
        year=year,
        kind=kind_of(direction, target.unit, ind.name, rules),
        rules=rules,
    )
    return shape(ind).read(e, reading)


def read_amount(name: str, text: str | None) -> Decimal | None:
    """全年预算数 / 全年执行数 in 万元 (``85000元`` converts); empty → None; never negative."""
    text = clean(name, text)
    if not text:
        return None
    try:
        value = read_number(text, WAN).value
    except ActualError as exc:
        raise EntryError(name, exc.message.replace("应填写数字", "应填写金额"), "invalid_amount") from None
    if value < 0:
        raise EntryError(name, f"金额不能为负数，收到“{text}”", "invalid_amount")
    return fits(
        name, value, 4, 18, places_message="金额最多精确到 0.0001 万元（1 元）", code="invalid_amount"
    )


def read_text(name: str, text: str | None) -> str | None:
    text = clean(name, text)
    if len(text) > TEXT_MAX:
        raise EntryError(name, f"内容过长：最多 {TEXT_MAX} 字，现有 {len(text)} 字", "too_long")
    return text or None


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
    kind = shape(ind)
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
        if not keys or not keys <= kind.api_keys:
            raise EntryError(
                primary_field(ind), f"该指标应填写{kind.api_hint}，收到字段 {sorted(keys)}", "invalid_shape"
            )
        for attr in VALUE_ATTRS:
            setattr(e, attr, api_text(actual.get(attr)))
        return e
    if isinstance(actual, list | bool):
        raise EntryError(primary_field(ind), f"该指标应填写{kind.api_hint}", "invalid_shape")
    values = kind.from_api_text(api_text(actual), primary_field(ind))
    if values is None:  # typed 不适用
        return replace(base, not_applicable=True)
    for attr, text in values.items():
        setattr(e, attr, text)
    return e
