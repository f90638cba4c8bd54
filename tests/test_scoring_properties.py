"""Hypothesis properties of the engine: 0 ≤ S ≤ W; S monotone in A; points sum to
100; totals are sums of their parts; re-scoring a snapshot's inputs gives the same numbers."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.scoring.case import inputs_hash, score_case, snapshot_inputs
from app.scoring.engine import Budget, score_project
from app.scoring.policy import CENTRAL_2020
from tests.scoring_builders import D, due, ind, num, qual, ref

LEVEL1 = ("产出指标", "成本指标", "效益指标", "满意度指标")
LEVEL2 = ("数量指标", "质量指标", "时效指标", "成本指标", "社会效益指标")

decimals = st.decimals(min_value=Decimal("-50"), max_value=Decimal("5000"), places=2, allow_nan=False)
positive_decimals = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)

policies = st.fixed_dictionaries(
    {
        "weight_split": st.sampled_from(["equal_within_level1", "equal_within_level2"]),
        "empty_level1": st.sampled_from(["move_to_benefit", "rescale_to_100"]),
        "reverse_formula": st.sampled_from(["ratio", "linear_deviation"]),
        "rounding": st.fixed_dictionaries(
            {"places": st.integers(0, 2), "mode": st.sampled_from(["half_up", "down"])}
        ),
        "late_policy": st.sampled_from(["partial", "zero", "per_month_minus_10pct"]),
        "qualitative_bands": st.sampled_from(["0.8/0.6", "0.8/0.5"]),
        "level1_weights": st.sampled_from(
            [
                {"budget": 10, "output": 50, "benefit": 30, "satisfaction": 10},
                {"budget": 20, "output": 40, "benefit": 30, "satisfaction": 10},
                {"budget": "12.5", "output": "37.5", "benefit": "33.33", "satisfaction": "16.67"},
            ]
        ),
    }
).map(CENTRAL_2020.with_overrides)


@st.composite
def indicator_and_actual(draw):
    level1 = draw(st.sampled_from(LEVEL1))
    level2 = draw(st.sampled_from(LEVEL2))
    kind = draw(st.sampled_from(["positive", "reverse", "zero", "qualitative", "deadline", "reference"]))
    if kind == "positive":
        target = num(draw(st.sampled_from([">=", "="])), str(draw(positive_decimals)), "%")
        actual = str(draw(decimals))
    elif kind == "reverse":
        target = num("<=", str(draw(positive_decimals)), "万元")
        actual = str(draw(decimals))
    elif kind == "zero":
        target = num("=", "0", "次")
        actual = str(draw(decimals))
    elif kind == "qualitative":
        target = qual()
        actual = draw(st.sampled_from(["健全", "达成", {"grade": "部分达成"}, {"grade": "未达成"}]))
    elif kind == "deadline":
        target = due(2023, 6, 30)
        actual = {"date": (date(2023, 1, 1) + timedelta(days=draw(st.integers(0, 900)))).isoformat()}
    else:
        target = ref()
        actual = {"baseline": str(draw(positive_decimals)), "value": str(draw(decimals))}
    if draw(st.integers(0, 9)) == 0:
        actual = {"not_applicable": True}
    return ind(level1, target, level2=level2, name=f"{kind}-{level2}"), actual


tables = st.lists(indicator_and_actual(), min_size=1, max_size=30).filter(
    lambda rows: any(not (isinstance(a, dict) and a.get("not_applicable")) for _, a in rows)
)
budgets = st.one_of(
    st.none(),
    st.builds(lambda full, pct: Budget(full, (full * pct / 100).quantize(D("0.01"))), positive_decimals,
              st.integers(0, 130)),
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=tables, budget=budgets, policy=policies)
def test_generated_tables(rows, budget, policy):
    inds = [r[0] for r in rows]
    actuals = [r[1] for r in rows]
    result = score_project(inds, actuals, budget, policy, 2023)
    cp = policy.compiled

    # 0 ≤ S ≤ W for every scored indicator.
    for r in result.indicators:
        if r.score is not None:
            assert 0 <= r.score <= r.points, r
        assert r.points >= 0

    # Points of the table sum to 100 with the budget (empty groups handled by the policy).
    assert sum(r.points for r in result.indicators) + cp.weights["budget"] == 100

    # Subtotals and total are sums of the rounded scores.
    for name, level in result.level1.items():
        members = [r for r in result.indicators if r.level1 == name]
        assert level.points == sum(r.points for r in members)
        assert level.score == sum(r.score for r in members if r.score is not None)
    expected_total = sum(v.score for v in result.level1.values())
    if budget is not None:
        assert 0 <= result.budget.score <= result.budget.points
        expected_total += result.budget.score
    assert result.total == expected_total
    assert result.total <= 100
    assert (result.grade is None) == (budget is None)

    # A snapshot of the inputs, stored as JSON and re-scored, gives the same numbers.
    snap = json.loads(json.dumps(snapshot_inputs(inds, actuals, budget, policy, 2023)))
    again = score_case(snap)
    assert again.to_json() == result.to_json()
    assert inputs_hash(snap) == inputs_hash(snapshot_inputs(inds, actuals, budget, policy, 2023))


def _single(target, actual, policy, level2="数量指标"):
    inds = [ind("产出指标", target, level2=level2), ind("效益指标"), ind("满意度指标")]
    return score_project(inds, [actual, "10", "10"], None, policy).indicators[0]


@settings(max_examples=300, deadline=None)
@given(t=positive_decimals, a1=decimals, a2=decimals, policy=policies)
def test_positive_score_is_non_decreasing_in_the_actual(t, a1, a2, policy):
    lo, hi = sorted((a1, a2))
    target = num(">=", str(t), "次")
    s_lo, s_hi = _single(target, str(lo), policy), _single(target, str(hi), policy)
    assert 0 <= s_lo.score <= s_hi.score <= s_hi.points


@settings(max_examples=300, deadline=None)
@given(t=positive_decimals, a1=decimals, a2=decimals, policy=policies)
def test_reverse_score_is_non_increasing_in_the_actual(t, a1, a2, policy):
    lo, hi = sorted((a1, a2))
    target = num("<=", str(t), "万元")
    s_lo, s_hi = _single(target, str(lo), policy, "成本指标"), _single(target, str(hi), policy, "成本指标")
    assert s_lo.points >= s_lo.score >= s_hi.score >= 0


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 400), total=st.decimals(min_value=0, max_value=100, places=2))
def test_equal_split_sums_exactly_and_is_never_negative(n, total):
    from app.scoring.engine import split_equal

    parts = split_equal(total, n)
    assert len(parts) == n and sum(parts) == total and min(parts) >= 0
