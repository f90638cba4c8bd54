"""Policies are data (scoring.md §11): validated settings, overrides, JSON round trip."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from app.scoring.policy import (
    CENTRAL_2020,
    Policy,
    PolicyError,
    PolicySettings,
    get_builtin_policy,
    merge_settings,
    policy_from_spec,
    validate_settings,
)


def test_central_2020_defaults_are_the_spec_defaults():
    s = CENTRAL_2020.settings
    assert (CENTRAL_2020.name, CENTRAL_2020.version) == ("central_2020", 1)
    w = s.level1_weights
    assert (w.budget, w.output, w.benefit, w.satisfaction, w.cost) == (10, 50, 30, 10, 0)
    assert s.cost_level1 == "share_output"
    assert s.weight_split == "equal_within_level1"
    assert s.empty_level1 == "move_to_benefit"
    assert s.budget_cap is True
    assert s.reverse_formula == "ratio"
    assert s.overachieve_ratio == Decimal("1.3") and s.overachieve_penalty == "none"
    assert s.qualitative_bands == "0.8/0.6"
    assert (s.qualitative_scores.achieved, s.qualitative_scores.partial, s.qualitative_scores.not_achieved) == (
        1, Decimal("0.7"), Decimal("0.3"))  # fmt: skip
    assert s.late_policy == "partial" and s.late_partial_fraction == Decimal("0.7")
    assert (s.rounding.places, s.rounding.mode) == (2, "half_up")
    assert s.grades == "90/80/60"
    assert s.share_detection.enabled and "覆盖率" in s.share_detection.keywords


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"level1_weights": {"budget": 20}}, "合计应为100"),
        ({"level1_weights": {"output": "49.995", "budget": "10.005"}}, "两位小数"),
        ({"weight_split": "random"}, "weight_split"),
        ({"empty_level1": "ignore"}, "empty_level1"),
        ({"reverse_formula": "square"}, "reverse_formula"),
        ({"overachieve_ratio": "1"}, "overachieve_ratio"),
        ({"qualitative_bands": "0.5/0.8"}, "0 < 部分达成下限 < 达成下限"),
        ({"qualitative_bands": "high"}, "0.8/0.6"),
        ({"qualitative_scores": {"partial": "0.9"}}, "部分达成"),
        ({"qualitative_bands": "0.8/0.5", "qualitative_scores": {"not_achieved": "0.55"}}, "未达成"),
        ({"late_policy": "half"}, "late_policy"),
        ({"rounding": {"places": 3}}, "rounding.places"),
        ({"rounding": {"mode": "up"}}, "rounding.mode"),
        ({"grades": "80/90/60"}, "优 > 良 > 中"),
        ({"cost_level1": "own_weight"}, "level1_weights.cost"),
        ({"level1_weights": {"cost": 10, "output": 40}}, "成本指标权重应为0"),
        ({"colour": "red"}, "colour：未知的设置项"),
    ],
)
def test_invalid_settings_are_refused_in_chinese(overrides, message):
    with pytest.raises(PolicyError, match="评分政策设置无效") as info:
        CENTRAL_2020.with_overrides(overrides)
    assert message in str(info.value)


def test_every_named_alternative_is_accepted():
    for overrides in (
        {"level1_weights": {"budget": 20, "output": 40, "benefit": 30, "satisfaction": 10}},
        {"weight_split": "equal_within_level2"},
        {"weight_split": "manual"},
        {"empty_level1": "rescale_to_100"},
        {"empty_level1": "error"},
        {"budget_cap": False},
        {"reverse_formula": "linear_deviation"},
        {"overachieve_penalty": "reviewer_adjusts"},
        {"qualitative_bands": "0.8/0.5"},
        {"late_policy": "zero"},
        {"late_policy": "per_month_minus_10pct"},
        {"rounding": {"places": 0, "mode": "down"}},
        {"grades": [85, 75, 60]},
        {"cost_level1": "own_weight", "level1_weights": {"output": 40, "cost": 10}},
    ):
        CENTRAL_2020.with_overrides(overrides)


def test_overrides_merge_into_the_defaults_nested_or_dotted():
    p = CENTRAL_2020.with_overrides({"rounding": {"places": 0}, "level1_weights.budget": 20,
                                     "level1_weights.output": 40})  # fmt: skip
    assert (p.settings.rounding.places, p.settings.rounding.mode) == (0, "half_up")
    assert p.settings.level1_weights.budget == 20 and p.settings.level1_weights.benefit == 30
    assert (p.name, p.version, p.based_on) == ("central_2020+custom", 1, "central_2020 v1")
    named = CENTRAL_2020.with_overrides({"grades": "85/75/60"}, name="qinghai", version=3)
    assert (named.name, named.version, named.based_on) == ("qinghai", 3, None)
    assert CENTRAL_2020.with_overrides({}) is CENTRAL_2020


def test_merge_settings_does_not_touch_its_input():
    base = {"rounding": {"places": 2, "mode": "half_up"}}
    merged = merge_settings(base, {"rounding": {"places": 1}})
    assert base["rounding"]["places"] == 2 and merged["rounding"] == {"places": 1, "mode": "half_up"}


def test_policy_json_round_trip_and_fingerprint():
    p = CENTRAL_2020.with_overrides(
        {"late_policy": "zero", "qualitative_bands": "0.8/0.5"}, name="x", version=2
    )
    data = json.loads(json.dumps(p.to_json()))
    assert data["settings"]["qualitative_bands"] == "0.8/0.5"
    assert data["settings"]["overachieve_ratio"] == "1.3"
    back = Policy.from_json(data)
    assert back == p and back.fingerprint == p.fingerprint
    assert p.fingerprint != CENTRAL_2020.fingerprint
    assert Policy.from_json(CENTRAL_2020.to_json()).fingerprint == CENTRAL_2020.fingerprint


def test_policy_from_spec():
    assert policy_from_spec("central_2020") is CENTRAL_2020
    assert policy_from_spec(None) is CENTRAL_2020
    assert policy_from_spec({"budget_cap": False}).settings.budget_cap is False
    full = CENTRAL_2020.with_overrides({"budget_cap": False}, name="y", version=5).to_json()
    assert policy_from_spec(full).version == 5
    with pytest.raises(PolicyError, match="未知的评分政策“nope”"):
        get_builtin_policy("nope")
    with pytest.raises(PolicyError, match="name、version"):
        Policy.from_json({"settings": {}})


def test_string_forms_of_bands_and_grades_are_normalised():
    s = validate_settings({"qualitative_bands": "0.80／0.50", "grades": " 90 / 80 / 60 "})
    assert (s.qualitative_bands, s.grades) == ("0.8/0.5", "90/80/60")
    assert PolicySettings().bands == (Decimal("0.8"), Decimal("0.6"))
