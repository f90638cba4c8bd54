"""The entry fields: everything a clerk fills in a project's 自评表, declared once (docs/entry.md).

A **project field** (全年预算数, 全年执行数, 总体目标完成情况, 预算偏差原因) has one spelling per
place it appears: the form field name (also the ``ProjectEntry`` attribute and the page anchor),
the ``Project`` column, the label of messages, change lists and the audit page, where it sits in
the API body, and its label cell in the Excel workbook (its value is in the cell to the right).
Its ``kind`` says how typed text is read: an amount in 万元 or a text.

An **indicator field** (per indicator row, named ``<prefix>-<indicator id>``) has its prefix,
the ``ActualEntry`` attribute, its label, where it sits under ``actuals[]`` in the API body and
its workbook column.

The form view, the API schema, the workbook, the service (planning, audit labels, missing items)
and the merge of two tabs read these tuples; nothing adds to them at import time.

Pure: no database or web import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from app.scoring.actuals import ActualError, read_number
from app.scoring.input_shapes import EntryError, clean, fits
from app.targets.types import Target, decimal_str

TEXT_MAX = 4000
WAN = Target(raw="", kind="numeric", unit="万元")


def read_amount(name: str, text: str | None) -> Decimal | None:
    """An amount in 万元 (``85000元`` converts); empty → None; never negative; to the 元."""
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
    """A text box; empty → None; at most ``TEXT_MAX`` characters."""
    text = clean(name, text)
    if len(text) > TEXT_MAX:
        raise EntryError(name, f"内容过长：最多 {TEXT_MAX} 字，现有 {len(text)} 字", "too_long")
    return text or None


def _amount_shown(value: Any) -> str:
    return decimal_str(value) or ""


def _text_shown(value: Any) -> str:
    return value or ""


@dataclass(frozen=True, slots=True)
class FieldKind:
    """How a project field's typed text is read and its stored value shown."""

    name: Literal["amount", "text"]
    read: Callable[[str, str | None], Any]
    shown: Callable[[Any], str]
    api_type: type  # the API body's scalar besides ``str`` and ``null``


AMOUNT = FieldKind("amount", read_amount, _amount_shown, Decimal)
TEXT = FieldKind("text", read_text, _text_shown, str)


@dataclass(frozen=True, slots=True)
class ProjectField:
    name: str  # form field, ProjectEntry attribute, page anchor
    column: str  # Project column
    label: str  # messages, change lists, audit page
    kind: FieldKind
    api: tuple[str, ...]  # location in the API request body (``("budget", "executed_wan")``)
    api_out: tuple[str, ...]  # location in the API's project read
    form_label: str  # the form's column head or row label
    sheet_label: str  # the workbook's label cell text
    sheet_cell: str  # where that label sits (the value is the next cell to the right)
    sheet_merge: bool = False  # the value cell spans to the end of the row
    required: str | None = None  # submission needs it filled: the Missing code

    @property
    def api_key(self) -> str:
        return self.api[-1]

    @property
    def api_group(self) -> str | None:
        """The API body object holding it (``budget``), or None at the top level."""
        return self.api[0] if len(self.api) > 1 else None

    @property
    def is_amount(self) -> bool:
        return self.kind is AMOUNT


FULL_YEAR = ProjectField(
    "full_year_wan", "full_year_budget_wan", "全年预算数（万元）", AMOUNT,
    api=("budget", "full_year_wan"), api_out=("budget", "full_year_wan"),
    form_label="全年预算数", sheet_label="全年预算数（万元）", sheet_cell="A4",
)  # fmt: skip
EXECUTED = ProjectField(
    "executed_wan", "executed_wan", "全年执行数（万元）", AMOUNT,
    api=("budget", "executed_wan"), api_out=("budget", "executed_wan"),
    form_label="全年执行数", sheet_label="全年执行数（万元）", sheet_cell="C4",
)  # fmt: skip
GOAL_ACTUAL = ProjectField(
    "goal_actual", "goal_actual", "年度总体目标实际完成情况", TEXT,
    api=("goal_actual",), api_out=("goal_actual",),
    form_label="实际完成情况", sheet_label="实际完成情况", sheet_cell="A6", sheet_merge=True,
    required="goal_actual_missing",
)  # fmt: skip
BUDGET_REASON = ProjectField(
    "budget_reason", "budget_reason", "预算执行偏差原因", TEXT,
    api=("budget_reason",), api_out=("budget", "budget_reason"),
    form_label="执行率偏差原因", sheet_label="预算执行偏差原因", sheet_cell="E4", sheet_merge=True,
)  # fmt: skip

PROJECT_FIELDS: tuple[ProjectField, ...] = (FULL_YEAR, EXECUTED, GOAL_ACTUAL, BUDGET_REASON)
BY_NAME: dict[str, ProjectField] = {f.name: f for f in PROJECT_FIELDS}
ENTRY_COLUMNS = tuple(f.column for f in PROJECT_FIELDS)  # the Project columns a clerk fills


@dataclass(frozen=True, slots=True)
class IndicatorField:
    prefix: str  # form field ``<prefix>-<indicator id>``
    attr: str  # ActualEntry attribute
    label: str
    api: tuple[str, ...]  # location under ``("actuals", id)`` in the API body
    sheet: str  # workbook column key (``workbook.HEADERS``)

    def name(self, ident: int) -> str:
        return f"{self.prefix}-{ident}"


INDICATOR_FIELDS: tuple[IndicatorField, ...] = (
    IndicatorField("a", "value", "实际完成值", ("actual",), "actual"),
    IndicatorField("b", "baseline", "基数", ("actual", "baseline"), "baseline"),
    IndicatorField("g", "grade", "评价等级", ("actual",), "actual"),
    IndicatorField("s", "score", "评分", ("actual", "score"), "score"),
    IndicatorField("d", "date", "完成日期", ("actual",), "actual"),
    IndicatorField("na", "not_applicable", "不适用", ("actual",), "na"),
    IndicatorField("nr", "na_reason", "不适用理由", ("na_reason",), "na_reason"),
    IndicatorField("r", "reason", "偏差原因分析及改进措施", ("reason",), "reason"),
)
BY_PREFIX: dict[str, IndicatorField] = {f.prefix: f for f in INDICATOR_FIELDS}

# Stored IndicatorActual columns, for the audit page (a change lists the columns it touched).
ACTUAL_COLUMN_LABELS = {
    "raw": "填写内容",
    "value": "实际完成值",
    "grade": "评价等级",
    "manual_score": "评分",
    "completed_on": "完成日期",
    "baseline": "基数",
    "not_applicable": "不适用",
    "na_reason": "不适用理由",
    "reason": "偏差原因分析及改进措施",
}
AUDIT_LABELS = ACTUAL_COLUMN_LABELS | {f.column: f.label for f in PROJECT_FIELDS} | {"version": "版本"}


def field_label(name: str) -> str:
    """The label of a form field name (``executed_wan``, ``r-12``)."""
    if name in BY_NAME:
        return BY_NAME[name].label
    f = BY_PREFIX.get(name.split("-", 1)[0])
    return f.label if f else name


def api_loc(name: str) -> tuple[str | int, ...]:
    """Where a form field lives in the API body: ``("actuals", 12, "actual")``, ``("budget", …)``."""
    if name in BY_NAME:
        return BY_NAME[name].api
    prefix, _, ident = name.partition("-")
    f = BY_PREFIX.get(prefix)
    return ("actuals", int(ident), *(f.api if f else ("actual",)))
