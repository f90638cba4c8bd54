"""The scoring engine, rule by rule (scoring.md §1–§10, §12) and setting by setting."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.scoring.actuals import GradeActual
from app.scoring.engine import (
    Adjustment,
    Budget,
    ScoringError,
    months_late,
    score_project,
    split_equal,
    split_proportional,
)
from app.scoring.policy import CENTRAL_2020
from tests.scoring_builders import D, due, ind, num, qual, ref, score_one, standard


def custom(**overrides):
    return CENTRAL_2020.with_overrides(overrides)


def points_of(result):
    return [str(i.points) for i in result.indicators]


# --- §1 points ------------------------------------------------------------------------------


def test_equal_split_puts_the_remainder_on_the_last():
    assert split_equal(D(50), 13) == [D("3.85")] * 12 + [D("3.80")]
    assert split_equal(D(40), 6) == [D("6.67")] * 5 + [D("6.65")]
    assert split_equal(D(10), 3) == [D("3.33"), D("3.33"), D("3.34")]


def test_equal_split_never_gives_a_negative_last_part():
    parts = split_equal(D(10), 57)  # 0.18 × 56 would exceed 10
    assert sum(parts) == 10 and min(parts) >= 0 and max(parts) - min(parts) == D("0.01")


def test_proportional_split_sums_exactly():
    assert split_proportional(D(90), [D(50), D(30)]) == [D("56.25"), D("33.75")]
    assert sum(split_proportional(D(40), [D(1), D(1), D(1)])) == 40
    assert split_proportional(D(10), [D(0), D(0)]) == [D(5), D(5)]


def test_level1_weights_are_split_equally_within_each_level():
    inds = [ind("产出指标") for _ in range(13)] + [ind("效益指标") for _ in range(6)] + [ind("满意度指标")]
    r = score_project(inds, ["10"] * 20, Budget(D(1), D(1)))
    assert points_of(r)[:13] == ["3.85"] * 12 + ["3.80"]
    assert points_of(r)[13:] == ["5.00"] * 6 + ["10.00"]
    assert sum(i.points for i in r.indicators) == 90


def test_equal_within_level2_splits_the_level_over_its_level2_groups_first():
    inds = [
        ind(level2="数量指标"),
        ind(level2="数量指标"),
        ind(level2="质量指标"),
        ind("效益指标"),
        ind("满意度指标"),
    ]
    r = score_project(inds, ["10"] * 5, None, custom(weight_split="equal_within_level2"))
    assert points_of(r) == ["12.50", "12.50", "25.00", "30.00", "10.00"]


def test_points_given_for_every_indicator_are_used_as_written():
    inds = [ind(points="30"), ind(points="20"), ind("效益指标", points="30"), ind("满意度指标", points="10")]
    r = score_project(inds, ["10"] * 4, None)
    assert points_of(r) == ["30.00", "20.00", "30.00", "10.00"]


def test_points_given_for_only_some_indicators_share_what_is_left_of_the_group():
    inds = [ind(points="30"), ind(), ind("效益指标"), ind("满意度指标")]
    r = score_project(inds, ["10"] * 4, None)
    assert points_of(r) == ["30.00", "20.00", "30.00", "10.00"]
    assert "level_weights_differ" not in [w.code for w in r.warnings]  # the split follows the policy


def test_points_missing_where_nothing_is_left_name_the_indicators():
    inds = [ind(points="50"), ind(name="培训次数"), ind(name="验收"), ind("效益指标"), ind("满意度指标")]
    with pytest.raises(ScoringError, match="指标“培训次数”、“验收”没有分值，产出指标的规则分值 50 已被"):
        score_project(inds, ["10"] * 5, None)


def test_printed_points_are_authoritative_and_a_different_split_is_a_warning():
    """§1: a table printing 产出 45 / 效益 35 scores with its own points; the level weights that
    differ from the policy are a warning, never a refusal."""
    inds = [ind(points="30"), ind(points="15"), ind("效益指标", points="35"), ind("满意度指标", points="10")]
    r = score_project(inds, ["10"] * 4, Budget(D(100), D(100)))
    assert points_of(r) == ["30.00", "15.00", "35.00", "10.00"]
    assert r.level1["产出指标"].points == D(45) and r.budget.points == D(10)
    assert r.total == D("100.00")
    assert r.warnings[0].code == "level_weights_differ"
    assert (
        r.warnings[0].message == "一级指标分值与评分规则不同：产出指标 45（规则 50）、效益指标 35（规则 30）"
    )


def test_budget_weight_is_100_minus_the_printed_points_or_the_funds_block():
    inds = [ind(points="40"), ind("效益指标", points="20"), ind("满意度指标", points="20")]
    r = score_project(inds, ["10"] * 3, Budget(D(100), D(80)))
    assert r.budget.points == D(20) and r.budget.score == D("16.00") and r.total == D("96.00")
    assert "预算执行率 20（规则 10）" in r.warnings[0].message
    printed = score_project(inds, ["10"] * 3, Budget(D(100), D(80), points=D(15)))
    assert printed.budget.points == D(15) and printed.total == D("92.00")
    assert "合计 95（规则 100）" in printed.warnings[0].message
    # some indicators without points: the budget keeps the policy's weight
    mixed = score_project([*inds, ind("效益指标")], ["10"] * 4, Budget(D(100), D(80)))
    assert mixed.budget.points == D(10)


def test_must_match_refuses_printed_points_that_differ():
    inds = [ind(points="30"), ind(points="15"), ind("效益指标", points="35"), ind("满意度指标", points="10")]
    with pytest.raises(ScoringError, match=r"must_match.*产出指标 45（规则 50）"):
        score_project(inds, ["10"] * 4, None, custom(printed_points="must_match"))
    same = [ind(points="30"), ind(points="20"), ind("效益指标", points="30"), ind("满意度指标", points="10")]
    r = score_project(same, ["10"] * 4, None, custom(printed_points="must_match"))
    assert "level_weights_differ" not in [w.code for w in r.warnings]


def test_cost_rows_sharing_the_output_weight_are_labelled_in_the_warning():
    inds = [ind(points="40"), ind("成本指标", num("<=", "10", "万元"), points="20"), ind("效益指标", points="20"),
            ind("满意度指标", points="10")]  # fmt: skip
    r = score_project(inds, ["10"] * 4, None)
    assert r.warnings[0].message.startswith(
        "一级指标分值与评分规则不同：产出指标（含成本指标） 60（规则 50）"
    )


def test_manual_weight_split_requires_every_points():
    inds = [ind(points="50"), ind("效益指标", name="制度"), ind("满意度指标", points="10")]
    with pytest.raises(ScoringError, match="未给出：制度"):
        score_project(inds, ["10"] * 3, None, custom(weight_split="manual"))


def test_empty_level1_moves_to_benefit_by_default():
    inds = [ind(), ind("效益指标"), ind("效益指标")]
    r = score_project(inds, ["10"] * 3, None)
    assert points_of(r) == ["50.00", "20.00", "20.00"]
    assert "满意度指标" not in r.level1


def test_empty_level1_rescale_to_100():
    r = score_project([ind(), ind("效益指标")], ["10", "10"], None, custom(empty_level1="rescale_to_100"))
    assert points_of(r) == ["56.25", "33.75"]


def test_empty_level1_error():
    with pytest.raises(ScoringError, match="项目缺少满意度指标"):
        score_project([ind(), ind("效益指标")], ["10", "10"], None, custom(empty_level1="error"))


def test_move_to_benefit_without_benefit_rescales_the_rest():
    r = score_project([ind(), ind("满意度指标")], ["10", "10"], None)
    assert points_of(r) == ["75.00", "15.00"]


def test_a_project_without_indicators_cannot_be_scored():
    with pytest.raises(ScoringError, match="没有可评分的绩效指标"):
        score_project([], [], None)


def test_not_applicable_is_excluded_and_the_level_re_split():
    inds = [ind(), ind(), ind(), ind("效益指标"), ind("满意度指标")]
    r = score_project(inds, ["10", {"not_applicable": True}, "不适用", "10", "10"], Budget(D(1), D(1)))
    assert points_of(r) == ["50.00", "0.00", "0.00", "30.00", "10.00"]
    assert r.indicators[1].score is None and r.indicators[1].flags == ["not_applicable"]
    assert r.indicators[1].reason_required  # §9: a flag needs a reason (why it does not apply)
    assert r.total == D("100.00")


def test_not_applicable_with_points_by_hand_re_splits_proportionally():
    inds = [ind(points="30"), ind(points="10"), ind(points="10"), ind("效益指标", points="30"),
            ind("满意度指标", points="10")]  # fmt: skip
    r = score_project(inds, ["10", "10", {"not_applicable": True}, "10", "10"], None)
    assert points_of(r) == ["37.50", "12.50", "0.00", "30.00", "10.00"]


def test_cost_level1_shares_the_output_weight_by_default():
    inds = [ind(), ind(), ind("成本指标", num("<=", "10", "万元"), level2="经济成本指标"), ind("效益指标"),
            ind("满意度指标")]  # fmt: skip
    r = score_project(inds, ["10", "10", "10", "10", "10"], None)
    assert points_of(r)[:3] == ["16.67", "16.67", "16.66"]
    assert r.level1["产出指标"].points == D("33.34") and r.level1["成本指标"].points == D("16.66")
    assert r.indicators[2].direction == "reverse"


def test_cost_level1_with_its_own_weight():
    policy = custom(cost_level1="own_weight", level1_weights={"output": 40, "cost": 10})
    inds = [ind(), ind("成本指标", num("<=", "10", "万元")), ind("效益指标"), ind("满意度指标")]
    assert points_of(score_project(inds, ["10"] * 4, None, policy)) == ["40.00", "10.00", "30.00", "10.00"]
    # An older-template table without a level-1 成本指标: the cost weight goes back to 产出.
    assert points_of(score_project([ind(), ind("效益指标"), ind("满意度指标")], ["10"] * 3, None, policy)) == [
        "50.00", "30.00", "10.00"]  # fmt: skip


def test_other_level1_weights_20_40_40():
    policy = custom(level1_weights={"budget": 20, "output": 40, "benefit": 30, "satisfaction": 10})
    inds, actuals = standard()
    r = score_project(inds, actuals, Budget(D(100), D(50)), policy)
    assert points_of(r) == ["40.00", "30.00", "10.00"]
    assert r.budget.points == D("20.00") and r.budget.score == D("10.00")
    assert r.total == D("90.00")


# --- §2 budget ------------------------------------------------------------------------------


def test_budget_rate_and_score():
    inds, actuals = standard()
    r = score_project(inds, actuals, Budget(D("50.00"), D("48.50")))
    assert (r.budget.rate, r.budget.score) == (D("0.9700"), D("9.70"))
    assert r.budget.reason_required  # §9: below 100%
    assert r.budget.explanation == "预算执行率 = 48.5 ÷ 50 = 97%，得分 = 10.00 × 48.5 ÷ 50 = 9.70"


def test_budget_is_capped_at_its_points_unless_budget_cap_is_false():
    inds, actuals = standard()
    capped = score_project(inds, actuals, Budget(D(10), D(12)))
    assert (capped.budget.rate, capped.budget.score, capped.budget.reason_required) == (
        D("1.2000"),
        D("10.00"),
        False,
    )
    uncapped = score_project(inds, actuals, Budget(D(10), D(12)), custom(budget_cap=False))
    assert uncapped.budget.score == D("12.00")


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        (Budget(D(0), D(1)), "全年预算数为 0"),
        (Budget(None, D(1)), "未填写全年预算数"),
        (Budget(D(10), None), "未填写全年执行数"),
    ],
)
def test_a_zero_or_missing_budget_gives_no_score_and_blocks(budget, message):
    inds, actuals = standard()
    r = score_project(inds, actuals, budget)
    assert r.budget.score is None and message in r.budget.error
    assert r.total is None and r.grade is None
    assert [e.code for e in r.errors] == ["budget_invalid"]


def test_without_budget_the_total_covers_the_rest_and_has_no_grade():
    inds, actuals = standard()
    r = score_project(inds, actuals, None)
    assert r.budget is None and r.total == D("90.00") and r.grade is None
    assert "budget_missing" in [w.code for w in r.warnings]


# --- §3/§4 numeric --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "score", "completion"),
    [("50", "90.00", "1.0000"), ("52", "90.00", "1.0400"), ("45", "81.00", "0.9000"), ("0", "0.00", "0.0000"),
     ("-3", "0.00", "-0.0600")],
)  # fmt: skip
def test_positive(actual, score, completion):
    r = score_one(num("=", "50", "次"), actual)
    assert (r.direction, str(r.score), str(r.completion)) == ("positive", score, completion)


@pytest.mark.parametrize(("actual", "score"), [("0", "90.00"), ("5", "90.00"), ("-1", "0.00")])
def test_positive_with_target_zero(actual, score):
    r = score_one(num(">=", "0", "%"), actual)
    assert (r.direction, str(r.score), r.completion) == ("positive", score, None)


@pytest.mark.parametrize(
    ("actual", "score", "completion"),
    [("8", "90.00", "1.2500"), ("10", "90.00", "1.0000"), ("12", "75.00", "0.8333"), ("0", "90.00", None)],
)
def test_reverse_ratio(actual, score, completion):
    r = score_one(num("<=", "10", "万元"), actual, level2="成本指标")
    assert (r.direction, str(r.score), r.completion and str(r.completion)) == ("reverse", score, completion)


@pytest.mark.parametrize(
    ("actual", "score"), [("10", "90.00"), ("12", "72.00"), ("19", "9.00"), ("25", "0.00")]
)
def test_reverse_linear_deviation(actual, score):
    r = score_one(num("<=", "10", "万元"), actual, policy=custom(reverse_formula="linear_deviation"))
    assert str(r.score) == score
    if actual == "12":
        assert r.explanation.endswith("得分 = 90.00 × max(0, 1 − (12 − 10) ÷ 10) = 72.00")


def test_cost_target_without_operator_is_reverse():
    r = score_one(num("=", "4.1", "万元"), "4.3", level2="成本指标")
    assert r.direction == "reverse" and r.score == D("85.81")


@pytest.mark.parametrize(("target", "actual", "score"), [
    (num("=", "0", "次"), "0", "90.00"), (num("=", "0", "%"), "0.5", "0.00"), (num("<=", "0", "次"), "-1", "90.00"),
])  # fmt: skip
def test_zero_target(target, actual, score):
    r = score_one(target, actual)
    assert (r.direction, str(r.score), r.completion) == ("zero_target", score, None)
    assert r.reason_required == (score == "0.00")


def test_the_spec_explanation_example():
    inds = [ind(level2="成本指标", target=num("<=", "10", "万元"))] + [ind(name=f"n{i}") for i in range(12)]
    r = score_project(
        inds + [ind("效益指标"), ind("满意度指标")], ["12万元"] + ["10"] * 12 + ["1", "1"], None
    )
    assert r.indicators[0].explanation == "反向指标：实际 12万元 > 目标 10万元，得分 = 3.85 × 10 ÷ 12 = 3.21"


def test_a_converted_unit_is_shown_as_written():
    r = score_one(num("<=", "3", "万元"), "35000元", level2="成本指标")
    assert (
        r.explanation
        == "反向指标：实际 3.5万元（填报“35000元”） > 目标 3万元，得分 = 90.00 × 3 ÷ 3.5 = 77.14"
    )


def test_overachievement_is_flagged_at_1_3_inclusive_with_full_marks():
    assert score_one(num(">=", "10", "次"), "12.9").flags == []
    r = score_one(num(">=", "10", "次"), "13")
    assert (r.flags, r.score, r.reason_required) == (["overachieved"], D("90.00"), True)
    assert "属超额完成" in r.explanation
    assert score_one(num(">=", "10", "次"), "13", policy=custom(overachieve_ratio="1.5")).flags == []


def test_overachievement_is_not_flagged_for_reverse_or_zero_target():
    assert score_one(num("<=", "10", "万元"), "2").flags == []
    assert score_one(num("=", "0", "次"), "0").flags == []


def test_overachieve_penalty_reviewer_adjusts_asks_for_a_review():
    policy = custom(overachieve_penalty="reviewer_adjusts")
    r = score_one(num(">=", "10", "次"), "20", policy=policy)
    assert r.flags == ["overachieved", "review_required"] and r.score == D("90.00")
    inds = [ind(target=num(">=", "10", "次")), ind("效益指标"), ind("满意度指标")]
    adjusted = score_project(
        inds, ["20", "10", "10"], None, policy, adjustments={0: Adjustment(D(40), "目标定得过低")}
    )
    assert adjusted.indicators[0].flags == ["overachieved"]
    assert adjusted.indicators[0].adjusted_score == D("40.00")


def test_a_share_above_100_percent_scores_full_and_is_flagged():
    r = score_one(num(">=", "95", "%"), "103", name="群众受益覆盖率")
    assert (r.flags, r.score, str(r.completion)) == (["share_over_100"], D("90.00"), "1.0842")
    assert score_one(num(">=", "95", "%"), "100", name="群众受益覆盖率").flags == []
    assert score_one(num(">=", "10", "%"), "11", name="产值增长率").flags == []  # not a share, not > 100
    assert score_one(num(">=", "100", "%"), "120", name="产值增长率").flags == []  # a growth rate is no share
    off = custom(share_detection={"enabled": False})
    assert score_one(num(">=", "95", "%"), "103", name="覆盖率", policy=off).flags == []


def test_flags_make_a_reason_required_even_at_full_marks():
    r = score_one(num(">=", "95", "%"), "101", name="合格率")
    assert r.score == r.points and r.reason_required


# --- §5 qualitative -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "score", "completion"),
    [("健全", "10.00", "1.0000"), ("达成", "10.00", "1.0000"), ({"grade": "部分达成"}, "7.00", "0.7000"),
     ("部分达成年度指标并具有一定效果", "7.00", "0.7000"), ("未达成年度指标且效果较差", "3.00", "0.3000"),
     ({"grade": "未达成"}, "3.00", "0.3000")],
)  # fmt: skip
def test_qualitative_grades(actual, score, completion):
    r = _qual_score(actual)
    assert (r.direction, str(r.score), str(r.completion)) == ("qualitative", score, completion)


def _qual_score(actual, policy=CENTRAL_2020):
    inds = [ind("满意度指标", qual(), points="10"), ind(points="50"), ind("效益指标", points="30")]
    return score_project(inds, [actual, "10", "10"], None, policy).indicators[0]


@pytest.mark.parametrize(
    ("grade", "score", "ok"),
    [("达成", "8", True), ("达成", "10", True), ("达成", "7.99", False), ("部分达成", "6", True),
     ("部分达成", "7.99", True), ("部分达成", "8", False), ("部分达成", "5.99", False), ("未达成", "0", True),
     ("未达成", "5.99", True), ("未达成", "6", False)],
)  # fmt: skip
def test_a_hand_set_qualitative_score_must_stay_in_its_band(grade, score, ok):
    r = _qual_score({"grade": grade, "score": score})
    if ok:
        assert r.score == D(score).quantize(D("0.01")) and r.error is None
    else:
        assert r.score is None and r.flags == ["invalid_actual"] and "之间" in r.error


def test_qualitative_bands_setting():
    policy = custom(qualitative_bands="0.8/0.5")
    assert _qual_score({"grade": "部分达成", "score": "5.5"}, policy).score == D("5.50")
    assert _qual_score({"grade": "未达成", "score": "5.5"}, policy).score is None


def test_default_grade_fractions_are_settings():
    policy = custom(qualitative_scores={"partial": "0.65"})
    assert _qual_score({"grade": "部分达成"}, policy).score == D("6.50")


def test_text_equal_to_the_target_counts_as_achieved():
    r = score_project([ind("效益指标", qual("完备")), ind(), ind("满意度指标")], ["完备", "10", "10"], None)
    assert r.indicators[0].score == r.indicators[0].points


def test_unparsed_target_can_be_graded():
    unparsed = ind(
        "效益指标", __import__("app.targets.types", fromlist=["Target"]).Target(raw="???", kind="unparsed")
    )
    r = score_project([unparsed, ind(), ind("满意度指标")], [{"grade": "部分达成"}, "10", "10"], None)
    assert r.indicators[0].direction == "qualitative" and r.indicators[0].score == D("21.00")
    r = score_project([unparsed, ind(), ind("满意度指标")], ["12", "10", "10"], None)
    assert "无法识别" in r.indicators[0].error


# --- §6 deadlines ---------------------------------------------------------------------------


def _deadline(actual, policy=CENTRAL_2020, year=None):
    inds = [ind(target=due(2023, 12, 31), level2="时效指标", points="50"), ind("效益指标", points="30"),
            ind("满意度指标", points="10")]  # fmt: skip
    return score_project(inds, [actual, "10", "10"], None, policy, year).indicators[0]


@pytest.mark.parametrize(
    ("actual", "score", "flags"),
    [({"date": "2023-12-31"}, "50.00", []), ("2023年11月5日", "50.00", []), ("2024-01-01", "35.00", ["late"]),
     ({"date": "2024-03-15"}, "35.00", ["late"])],
)  # fmt: skip
def test_deadline_partial(actual, score, flags):
    r = _deadline(actual)
    assert (r.direction, str(r.score), r.flags) == ("deadline", score, flags)


def test_late_policy_zero_and_per_month():
    assert _deadline("2024-01-01", custom(late_policy="zero")).score == D("0.00")
    r = _deadline("2024-02-01", custom(late_policy="per_month_minus_10pct"))
    assert (r.score, str(r.completion)) == (D("40.00"), "0.8000")
    assert "逾期 2 个月" in r.explanation
    assert _deadline("2025-12-31", custom(late_policy="per_month_minus_10pct")).score == D("0.00")


def test_a_month_without_year_is_in_the_budget_year():
    assert _deadline("7月", year=2023).flags == []
    assert _deadline("7月", year=2024).flags == ["late"]


def test_months_late():
    assert months_late(date(2024, 1, 1), date(2023, 12, 31)) == 1
    assert months_late(date(2024, 1, 31), date(2023, 12, 31)) == 1
    assert months_late(date(2024, 2, 1), date(2023, 12, 31)) == 2
    assert months_late(date(2023, 12, 31), date(2023, 11, 30)) == 1  # month end to month end
    assert months_late(date(2023, 7, 16), date(2023, 6, 15)) == 2


# --- §7 reference ---------------------------------------------------------------------------


def test_reference_scores_as_positive_against_the_entered_baseline():
    r = score_one(ref(), {"baseline": "40", "value": "34"})
    assert (r.direction, str(r.completion), str(r.score)) == ("reference", "0.8500", "76.50")
    assert "基数：2022年依法维权次数" in r.explanation


def test_reference_with_le_operator_is_reverse():
    r = score_one(ref("<=", "上年支出"), {"baseline": "10万元", "value": "120000元"})
    assert (str(r.completion), str(r.score)) == ("0.8333", "75.00")


def test_reference_without_baseline_is_unscored_and_blocks():
    inds = [ind(target=ref()), ind("效益指标"), ind("满意度指标")]
    r = score_project(inds, [{"value": "34"}, "1", "1"], Budget(D(1), D(1)))
    assert r.indicators[0].flags == ["missing_baseline"] and r.total is None
    assert r.errors[0].code == "missing_baseline" and "基数" in r.errors[0].message


# --- unscorable indicators, §9 --------------------------------------------------------------


def test_missing_actual_leaves_the_project_without_total():
    inds, actuals = standard(actual_output=None)
    r = score_project(inds, actuals, Budget(D(1), D(1)))
    first = r.indicators[0]
    assert (first.score, first.flags, first.reason_required) == (None, ["missing_actual"], False)
    assert r.total is None and r.grade is None and r.level1["产出指标"].score is None
    assert r.level1["效益指标"].score == D("30.00")


def test_reason_required_only_when_points_lost_or_flagged():
    inds, actuals = standard(actual_output="9")
    r = score_project(inds, actuals, Budget(D(1), D(1)))
    assert [i.reason_required for i in r.indicators] == [True, False, False]


# --- §8 rounding and grades -----------------------------------------------------------------


def test_rounding_half_up_two_places_by_default():
    inds = [ind(target=num(">=", "8", "场"), points="5"), ind(points="45"), ind("效益指标", points="30"),
            ind("满意度指标", points="10")]  # fmt: skip
    assert score_project(inds, ["7", "1", "1", "1"], None).indicators[0].score == D("4.38")  # 4.375


def test_rounding_down_and_whole_points():
    assert score_one(num(">=", "8", "场"), "7", policy=custom(rounding={"mode": "down"})).score == D("78.75")
    r = score_one(num(">=", "3", "次"), "2", policy=custom(rounding={"places": 1, "mode": "down"}))
    assert r.score == D("60.0")
    r = score_one(num(">=", "9", "次"), "7", policy=custom(rounding={"places": 0}))
    assert r.score == D("70")


def test_rounded_score_never_exceeds_points_and_full_marks_stay_points():
    policy = custom(rounding={"places": 0})
    inds = [ind(name=str(i)) for i in range(13)] + [ind("效益指标"), ind("满意度指标")]
    r = score_project(inds, ["10"] * 12 + ["9.99", "10", "10"], None, policy)
    assert r.indicators[0].score == D("3.85")
    assert r.indicators[12].score <= r.indicators[12].points


@pytest.mark.parametrize(("executed", "grade"), [("100", "优"), ("0", "优"), ("-", "良")])
def test_grades(executed, grade):
    inds, actuals = standard()
    budget = Budget(D(100), D(executed)) if executed != "-" else Budget(D(100), D(0))
    policy = CENTRAL_2020 if executed != "-" else custom(grades="95/80/60")
    assert score_project(inds, actuals, budget, policy).grade == grade


@pytest.mark.parametrize(("output_actual", "grade"), [("6", "良"), ("2", "中"), ("0", "差")])
def test_grade_bands(output_actual, grade):
    inds, actuals = standard(actual_output=output_actual)
    assert score_project(inds, actuals, Budget(D(1), D(1))).grade == grade


# --- §5a reviewer adjustments ---------------------------------------------------------------


def test_adjustment_is_kept_beside_the_computed_score_and_used_in_totals():
    inds, actuals = standard()
    r = score_project(
        inds, actuals, Budget(D(1), D(1)), adjustments=[None, Adjustment(D(27), "制度执行不到位")]
    )
    b = r.indicators[1]
    assert (b.score, b.adjusted_score, b.final_score) == (D("30.00"), D("27.00"), D("27.00"))
    assert b.adjustment_reason == "制度执行不到位" and "复核调整为 27.00" in b.explanation
    assert r.level1["效益指标"].score == D("27.00") and r.total == D("97.00")
    j = r.to_json()["indicators"][1]
    assert (j["score"], j["adjusted_score"], j["final_score"]) == ("30.00", "27.00", "27.00")


@pytest.mark.parametrize(
    ("adjustment", "message"),
    [
        (Adjustment(D(31), "x"), "0–30.00"),
        (Adjustment(D(-1), "x"), "0–30.00"),
        (Adjustment(D(20), " "), "理由"),
    ],
)
def test_bad_adjustments_are_refused(adjustment, message):
    inds, actuals = standard()
    with pytest.raises(ScoringError, match=message):
        score_project(inds, actuals, None, adjustments={1: adjustment})


def test_an_unscored_indicator_cannot_be_adjusted():
    inds, actuals = standard(actual_output="")
    with pytest.raises(ScoringError, match="尚未评分"):
        score_project(inds, actuals, None, adjustments={0: Adjustment(D(20), "x")})


# --- §10 consistency warnings ---------------------------------------------------------------


def test_performance_ahead_of_spending_and_low_execution_are_warned():
    inds, actuals = standard()
    codes = [w.code for w in score_project(inds, actuals, Budget(D(100), D(70))).warnings]
    assert codes == ["ahead_of_spending", "low_execution_rate"]
    codes = [w.code for w in score_project(inds, actuals, Budget(D(100), D(96))).warnings]
    assert codes == []
    codes = [w.code for w in score_project(inds, actuals, Budget(D(100), D(94))).warnings]
    assert codes == ["ahead_of_spending"]  # (1 − 0.94) / 1 = 6% > 5%


def test_warning_thresholds_are_settings():
    inds, actuals = standard()
    policy = custom(consistency={"ahead_of_spending": "0.5", "low_execution_rate": "0.6"})
    assert score_project(inds, actuals, Budget(D(100), D(70)), policy).warnings == []


# --- misc -----------------------------------------------------------------------------------


def test_typed_actuals_pass_through():
    r = score_project([ind("效益指标", qual()), ind(), ind("满意度指标")],
                      [GradeActual("partial"), "10", "10"], None)  # fmt: skip
    assert r.indicators[0].score == D("21.00")


def test_actuals_must_match_indicators():
    with pytest.raises(ScoringError, match="一一对应"):
        score_project([ind()], [], None)


def test_direction_set_by_hand_wins():
    r = score_project([ind(target=num("=", "10", "次"), direction="reverse"), ind("效益指标"), ind("满意度指标")],
                      ["12", "1", "1"], None)  # fmt: skip
    assert r.indicators[0].direction == "reverse" and r.indicators[0].score == D("41.67")


def test_result_json_uses_decimal_strings():
    inds, actuals = standard()
    j = score_project(inds, actuals, Budget(D(3), D(2))).to_json()
    assert j["budget"]["rate"] == "0.6667" and j["budget"]["score"] == "6.67"
    assert all(isinstance(i["points"], str) and isinstance(i["score"], str) for i in j["indicators"])
    assert j["level1"]["产出指标"] == {"points": "50.00", "score": "50.00"}
    assert Decimal(j["total"]) == Decimal("96.67")
