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
from dataclasses import replace
from decimal import Decimal
from typing import Any

from app.core.errors import Unprocessable
from app.core.params import parse_id
from app.db.models import Indicator, IndicatorActual
from app.scoring.input_kinds import DEFAULT_RULES, EntryRules, kind_of, shape_of
from app.scoring.input_shapes import (
    VALUE_ATTRS,
    VALUE_COLUMNS,
    ActualEntry,
    EntryError,
    Reading,
    Shape,
)
from app.submissions import fields as F
from app.submissions.fields import INDICATOR_FIELDS, TEXT_MAX, api_loc, field_label, read_amount, read_text
from app.targets.types import Target

# re-exported: the entry's vocabulary
__all__ = [
    "TEXT_MAX",
    "VALUE_COLUMNS",
    "ActualEntry",
    "EntryError",
    "api_loc",
    "field_label",
    "read_amount",
    "read_text",
]

INPUT_KINDS = ("number", "grade", "date", "reference")
TEXT_COLUMNS = ("na_reason", "reason")
ACTUAL_COLUMNS = VALUE_COLUMNS + TEXT_COLUMNS
BAD_VERSION = "版本号无效（应为正整数）：请重新打开此页，再填写保存"
FIELD_LABELS = {f.prefix: f.label for f in INDICATOR_FIELDS}  # form-field prefix → label
PROJECT_FIELDS = {f.name: f.label for f in F.PROJECT_FIELDS}  # project form field → label
_FIELD_NAMES = frozenset(PROJECT_FIELDS)


class ProjectEntry:
    """A save: ``None`` leaves a project field as stored; ``actuals`` only the indicators sent.

    The project fields (``app.submissions.fields.PROJECT_FIELDS``) are attributes by their form
    name: ``entry.executed_wan``; ``ProjectEntry(version=3, goal_actual="…")``.
    """

    __slots__ = ("version", "actuals", "values")

    def __init__(
        self, version: int | None = None, actuals: dict[int, ActualEntry] | None = None, **values: str | None
    ) -> None:
        unknown = set(values) - _FIELD_NAMES
        if unknown:
            raise TypeError(f"unknown entry fields: {sorted(unknown)}")
        object.__setattr__(self, "version", version)
        object.__setattr__(self, "actuals", {} if actuals is None else actuals)
        object.__setattr__(self, "values", dict.fromkeys(PROJECT_FIELDS) | values)

    def __getattr__(self, name: str) -> Any:
        if name != "values" and name in _FIELD_NAMES:
            return self.values[name]
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FIELD_NAMES:
            self.values[name] = value
        else:
            object.__setattr__(self, name, value)

    def copy(self, *, actuals: dict[int, ActualEntry] | None = None) -> ProjectEntry:
        """A copy with its own field values (and ``actuals`` when given, else the same dict)."""
        return ProjectEntry(self.version, self.actuals if actuals is None else actuals, **self.values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProjectEntry):
            return NotImplemented
        return (self.version, self.values, self.actuals) == (other.version, other.values, other.actuals)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ProjectEntry(version={self.version!r}, {self.values!r}, actuals={self.actuals!r})"


def shape(ind: Indicator) -> Shape:
    """The inputs the row offers (``app.scoring.input_shapes``), from its direction."""
    return shape_of(ind.direction)


def input_kind(ind: Indicator) -> str:
    """``number`` | ``grade`` | ``date`` | ``reference`` — which inputs the row offers."""
    return shape(ind).name


def primary_field(ind: Indicator) -> str:
    """The form field a missing actual links to."""
    return f"{shape(ind).primary}-{ind.id}"


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


# ------------------------------------------------------------------------------ inputs → entries


def entry_from_form(form: Mapping[str, Any], indicators: list[Indicator]) -> ProjectEntry:
    """A posted 自评表 form. Only indicators whose inputs are on the form are included."""

    def get(key: str) -> str | None:
        value = form.get(key)
        return value if isinstance(value, str) else None

    version = get("version")
    number = parse_id(version)
    if version and version.strip() and number is None:
        raise Unprocessable(BAD_VERSION, code="invalid_version", loc=("version",))
    entry = ProjectEntry(version=number)
    for f in F.PROJECT_FIELDS:
        setattr(entry, f.name, get(f.name))
    for ind in indicators:
        i = ind.id
        keys = (f"a-{i}", f"b-{i}", f"g-{i}", f"d-{i}", f"r-{i}")
        if not any(k in form for k in keys):
            continue
        typed = ActualEntry()
        for f in INDICATOR_FIELDS:
            text = get(f.name(i))
            setattr(typed, f.attr, bool(text) if f.attr == "not_applicable" else text or "")
        entry.actuals[i] = typed
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
