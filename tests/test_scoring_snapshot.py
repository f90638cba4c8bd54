"""Score snapshots (§11): inputs stored as case JSON with the full policy re-score identically,
also after the policy has moved on to a new version."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from app.scoring.actuals import DateActual, GradeActual, NumberActual
from app.scoring.case import actual_to_json, inputs_hash, load_case, score_case, snapshot_inputs
from app.scoring.engine import Adjustment
from app.scoring.policy import CENTRAL_2020, Policy

CASE = Path(__file__).parent / "data" / "scoring-cases" / "02_safety_mixed_results.input.json"


def _snapshot(policy: Policy):
    case = load_case(CASE.read_text(encoding="utf-8"))
    case.policy = policy
    result = case.score()
    inputs = snapshot_inputs(case.indicators, case.actuals, case.budget, policy, case.year)
    return json.loads(json.dumps(inputs, ensure_ascii=False)), result


def test_rescoring_a_snapshot_gives_the_same_numbers():
    stored, result = _snapshot(CENTRAL_2020)
    assert stored["policy"]["name"] == "central_2020" and "settings" in stored["policy"]
    assert stored["indicators"][0]["target"] == {"raw": "50次", "kind": "numeric", "operator": "=", "value": "50",
                                                 "unit": "次"}  # fmt: skip
    assert score_case(stored).to_json() == result.to_json()


def test_a_policy_change_leaves_old_snapshots_reproducible():
    v1 = CENTRAL_2020.with_overrides({}, name="province", version=1)
    stored, _ = _snapshot(v1)
    old = score_case(stored).to_json()
    v2 = v1.with_overrides({"rounding": {"places": 0}, "reverse_formula": "linear_deviation"}, name="province",
                           version=2)  # fmt: skip
    case = load_case(CASE.read_text(encoding="utf-8"))
    case.policy = v2
    new = case.score().to_json()
    assert new["total"] != old["total"] and new["policy"]["version"] == 2
    # The stored snapshot still carries version 1 and its settings.
    again = score_case(stored).to_json()
    assert again == old and again["policy"] == {"name": "province", "version": 1}


def test_adjustments_are_part_of_the_snapshot():
    case = load_case(CASE.read_text(encoding="utf-8"))
    adjustments = {1: Adjustment(Decimal("3"), "超额过多")}
    inputs = snapshot_inputs(case.indicators, case.actuals, case.budget, CENTRAL_2020, None, adjustments)
    assert inputs["indicators"][1]["adjustment"] == {"score": "3", "reason": "超额过多"}
    result = score_case(json.loads(json.dumps(inputs, ensure_ascii=False)))
    assert result.indicators[1].adjusted_score == 3 and result.total == Decimal("85.89")


def test_inputs_hash_is_canonical_and_sensitive():
    stored, _ = _snapshot(CENTRAL_2020)
    reordered = json.loads(json.dumps(stored, sort_keys=True))
    assert inputs_hash(reordered) == inputs_hash(stored)
    stored["indicators"][0]["actual"] = "46"
    assert inputs_hash(reordered) != inputs_hash(stored)


def test_typed_actuals_are_written_in_contract_form():
    assert actual_to_json(NumberActual(Decimal("8.50"))) == "8.5"
    assert actual_to_json(GradeActual("partial", Decimal("7.8"))) == {"grade": "partial", "score": "7.8"}
    assert actual_to_json(DateActual(date(2024, 1, 15))) == {"date": "2024-01-15"}
    assert actual_to_json({"baseline": "1", "value": "2"}) == {"baseline": "1", "value": "2"}
