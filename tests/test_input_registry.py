"""The input-kind registry's contract: every kind reads a typed string, an Excel cell and a JSON
value into the same stored columns, and shows them back the same way (docs/entry.md)."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from app.scoring.input_kinds import (
    DATE,
    GRADE,
    INPUT_KINDS,
    NUMBER,
    REFERENCE,
    SHARE,
    UNPARSED,
    EntryRules,
    cell_text,
    kind_of,
)
from app.scoring.input_shapes import (
    SHAPES,
    VALUE_ATTRS,
    VALUE_COLUMNS,
    ActualEntry,
    EntryError,
)
from app.submissions import entries as E
from app.submissions.workbook import COLUMN
from app.targets.grammar import parse_target
from app.targets.types import Target

# kind → (name, target text, level2, direction, typed entry, JSON actual, the cell (value, format),
#         the column that must hold what was read, its value)
SAMPLES = {
    "number": ("培训人次", "≥50次", "数量指标", "positive", {"value": "52次"}, 52, (52, "General"),
               "value", Decimal(52)),
    "share": ("覆盖率", "≥95%", "数量指标", "positive", {"value": "96%"}, "96%", (0.96, "0%"),
              "value", Decimal(96)),
    "grade": ("制度健全性", "有效提升", "社会效益指标", "qualitative", {"grade": "达成"}, "达成",
              ("达成", "General"), "grade", "achieved"),
    "unparsed": ("其他", "???奇怪", "社会效益指标", "unparsed", {"grade": "部分达成"}, "部分达成",
                 ("部分达成", "General"), "grade", "partial"),
    "date": ("完成时间", "2023年12月底前", "时效指标", "deadline", {"date": "2023-12-20"}, "2023-12-20",
             (datetime(2023, 12, 20), "yyyy-mm-dd"), "completed_on", date(2023, 12, 20)),
    "reference": ("增长", "不低于上年", "数量指标", "reference", {"baseline": "100", "value": "110"},
                  {"baseline": 100, "value": 110}, (110, "General"), "value", Decimal(110)),
}  # fmt: skip


def _row(kind_name: str):
    name, raw, level2, direction, *_ = SAMPLES[kind_name]
    target = parse_target(raw, level2=level2, year=2023)
    ind = SimpleNamespace(id=7, name=name, direction=direction, unit=target.unit, actual=None)
    return ind, target


def _read(ind, target: Target, e: ActualEntry) -> dict:
    return E.read_value(ind, target, e, year=2023)


def test_every_kind_is_sampled_and_has_a_shape():
    assert set(SAMPLES) == set(INPUT_KINDS)
    for kind in INPUT_KINDS.values():
        shape = kind.shape
        assert SHAPES[shape.name] is shape
        assert shape.primary in E.FIELD_LABELS
        assert shape.api_keys <= set(VALUE_ATTRS)
        assert shape.sheet_inputs <= set(COLUMN)
        assert shape.how and shape.api_hint


@pytest.mark.parametrize("kind_name", list(SAMPLES))
def test_kind_of_finds_the_kind(kind_name):
    ind, target = _row(kind_name)
    assert kind_of(ind.direction, target.unit, ind.name, EntryRules()) is INPUT_KINDS[kind_name]


@pytest.mark.parametrize("kind_name", list(SAMPLES))
def test_string_cell_and_json_read_alike(kind_name):
    *_, typed, json_value, (cell_value, cell_format), column, expected = SAMPLES[kind_name]
    ind, target = _row(kind_name)
    shape = INPUT_KINDS[kind_name].shape

    from_string = _read(ind, target, ActualEntry(**typed))
    from_json = _read(ind, target, E.apply_api_actual(ind, ActualEntry(), json_value))
    cell = cell_text(cell_value, cell_format, target.unit)
    other = {k: v for k, v in typed.items() if k in ("baseline", "score")}
    from_cell = _read(ind, target, ActualEntry(**shape.from_cells(cell, lambda key: other.get(key, ""))))

    assert set(from_string) == set(VALUE_COLUMNS)
    assert from_string[column] == expected
    assert from_json[column] == expected
    assert from_cell[column] == expected
    # what was read, stored, is shown back as an entry that has not changed
    stored = SimpleNamespace(**from_string, na_reason=None, reason=None)
    ind.actual = stored
    assert E.is_filled(ind)
    again = E.stored_entry(ind)
    assert E.value_key(ind, again) == E.value_key(ind, ActualEntry(**typed))
    assert E.display_value(ind, again)
    assert shape.sheet_value(again, stored.raw) is not None


@pytest.mark.parametrize("kind_name", list(SAMPLES))
def test_empty_clears_and_not_applicable_is_only_the_flag(kind_name):
    ind, target = _row(kind_name)
    cleared = _read(ind, target, ActualEntry())
    assert cleared == dict.fromkeys(VALUE_COLUMNS) | {"not_applicable": False}
    assert _read(ind, target, ActualEntry(not_applicable=True)) == {"not_applicable": True}


@pytest.mark.parametrize("kind_name", list(SAMPLES))
def test_unreadable_input_is_refused_naming_the_field(kind_name):
    ind, target = _row(kind_name)
    shape = INPUT_KINDS[kind_name].shape
    bad = {"number": "很多", "grade": "还行吧", "date": "明年", "reference": "许多"}[shape.name]
    attr = {"a": "value", "g": "grade", "d": "date", "b": "baseline"}[shape.primary]
    with pytest.raises(EntryError) as caught:
        _read(ind, target, ActualEntry(**{attr: bad}))
    assert caught.value.field == f"{shape.primary}-{ind.id}"
    assert caught.value.message


@pytest.mark.parametrize("kind_name", list(SAMPLES))
def test_a_json_dict_of_another_shape_is_refused(kind_name):
    ind, _ = _row(kind_name)
    shape = INPUT_KINDS[kind_name].shape
    foreign = next(k for k in ("date", "grade", "value") if k not in shape.api_keys)
    with pytest.raises(EntryError) as caught:
        E.apply_api_actual(ind, ActualEntry(), {foreign: "x"})
    assert caught.value.code == "invalid_shape" and shape.api_hint in caught.value.message


def test_plausibility_belongs_to_the_kind_not_the_shape():
    """A share and a count share the number inputs; only the share refuses 120%."""
    assert SHARE.shape is NUMBER.shape and GRADE.shape is UNPARSED.shape
    typed = {
        "value": Decimal(120),
        "typed": "120",
        "typed_unit": None,
        "unit": "%",
        "target_value": Decimal(95),
    }
    assert SHARE.refusal(**typed).code == "share_over_100"
    assert NUMBER.refusal(**typed) is None
    assert DATE.shape.name == "date" and REFERENCE.shape.has_baseline


def test_entry_attributes_cover_every_shape_input():
    names = {f.name for f in fields(ActualEntry)}
    for shape in SHAPES.values():
        assert shape.api_keys <= names
