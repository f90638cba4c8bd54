"""Import warnings over a parsed table."""

from __future__ import annotations

from decimal import Decimal

from app.targets.checks import check_table, goal_contradicts_indicator
from app.targets.grammar import parse_target
from app.targets.types import ParsedIndicator, ParsedProject, ParsedTable, ParsedUnit

LEVEL1_OF = {
    "数量指标": "产出指标",
    "时效指标": "产出指标",
    "成本指标": "产出指标",
    "经济成本指标": "成本指标",
    "社会效益指标": "效益指标",
    "服务对象满意度指标": "满意度指标",
}


def ind(name: str, raw: str, level2: str = "数量指标") -> ParsedIndicator:
    return ParsedIndicator(
        level1=LEVEL1_OF[level2], level2=level2, name=name, target=parse_target(raw, level2=level2, year=2023)
    )


def complete(*extra: ParsedIndicator) -> list[ParsedIndicator]:
    """One indicator in each level-1 group, so only what a test adds can warn."""
    return [
        ind("检查次数", "≥5次"),
        ind("知晓率", "≥90%", "社会效益指标"),
        ind("群众满意度", "≥95%", "服务对象满意度指标"),
        *extra,
    ]


def project(
    seq: int = 1, amount: str = "10", goals: list[str] | None = None, indicators=None, unit: str = "900001"
):
    return ParsedProject(
        seq=seq,
        unit_code=unit,
        name=f"项目{seq}",
        amount_wan=Decimal(amount),
        goals=goals or [],
        indicators=complete() if indicators is None else indicators,
    )


def table(*projects: ParsedProject, total: str | None = None, units=None) -> ParsedTable:
    amount = sum((p.amount_wan for p in projects), Decimal(0))
    units = units or [
        ParsedUnit("900", "某局", amount, None),
        ParsedUnit("900001", "某局本级", amount, "900"),
    ]
    return ParsedTable(
        title="某局2023年表",
        year=2023,
        total_wan=Decimal(total) if total else amount,
        units=units,
        projects=list(projects),
    )


def codes(t: ParsedTable) -> list[tuple]:
    return [(w.code, w.project_seq, w.indicator) for w in check_table(t)]


def test_a_consistent_table_has_no_warning() -> None:
    assert codes(table(project(1), project(2, amount="5.5"))) == []


def test_project_amounts_not_summing_to_the_unit() -> None:
    units = [
        ParsedUnit("900", "某局", Decimal("20"), None),
        ParsedUnit("900001", "某局本级", Decimal("20"), "900"),
    ]
    t = table(project(1, amount="10"), project(2, amount="9.99"), units=units, total="20")
    warnings = [w for w in check_table(t) if w.code == "amounts_mismatch"]
    assert len(warnings) == 1
    assert (
        "900001" in warnings[0].message and "19.99" in warnings[0].message and "0.01" in warnings[0].message
    )


def test_units_not_summing_to_the_total_row() -> None:
    t = table(project(1, amount="10"), total="12")
    [warning] = check_table(t)
    assert warning.code == "amounts_mismatch"
    assert "合计" in warning.message and "12" in warning.message


def test_parent_unit_is_the_sum_of_its_children() -> None:
    units = [
        ParsedUnit("900", "某局", Decimal("16"), None),
        ParsedUnit("900001", "本级", Decimal("10"), "900"),
        ParsedUnit("900002", "中心", Decimal("5"), "900"),
    ]
    t = table(project(1, amount="10"), project(2, amount="5", unit="900002"), units=units, total="16")
    [warning] = check_table(t)  # 900 is 16 but its units 10 + 5; the 合计 agrees with 900
    assert warning.code == "amounts_mismatch"
    assert "900「某局」的下级单位金额合计 15 万元" in warning.message


def test_deadline_before_the_tables_year() -> None:
    p = project(
        indicators=complete(
            ind("咨询时间", "2022年12月底前", "时效指标"), ind("完成时间", "年底前", "时效指标")
        )
    )
    assert codes(table(p)) == [("deadline_before_year", 1, "咨询时间")]


def test_cost_targets_above_the_project_amount() -> None:
    costs = [ind("处置成本", "≤45万元", "成本指标"), ind("执勤成本", "≤30万元", "成本指标")]
    assert codes(table(project(amount="50", indicators=complete(*costs)))) == [("cost_over_amount", 1, None)]
    assert codes(table(project(amount="75", indicators=complete(*costs)))) == []


def test_cost_targets_in_yuan_and_per_unit_standards() -> None:
    costs = [
        ind("印制费", "12000元", "成本指标"),  # 1.2 万元
        ind("补贴标准", "10元/户", "成本指标"),  # a standard, not a sum
        ind("宣传展板", "1.2万", "成本指标"),  # 万 under 成本指标 is 万元
        ind("每人每年300元", "3*300", "成本指标"),  # no money unit
        ind("检查成本", "≤1万元", "经济成本指标"),  # the newer template
    ]
    # 1.2 + 1.2 + 1 = 3.4 万元 of cost targets
    assert codes(table(project(amount="3.4", indicators=complete(*costs)))) == []
    assert codes(table(project(amount="3.3", indicators=complete(*costs)))) == [("cost_over_amount", 1, None)]


def test_cost_subtotal_row_counts_once() -> None:
    costs = [
        ind("项目总成本", "≤75万元", "成本指标"),  # the sum of the two rows below
        ind("处置成本", "≤45万元", "成本指标"),
        ind("执勤成本", "300000元", "成本指标"),
    ]
    assert codes(table(project(amount="75", indicators=complete(*costs)))) == []
    assert codes(table(project(amount="74", indicators=complete(*costs)))) == [("cost_over_amount", 1, None)]
    not_a_sum = [*costs[:2], ind("执勤成本", "≤31万元", "成本指标")]  # 75 ≠ 45 + 31: three real rows
    assert codes(table(project(amount="100", indicators=complete(*not_a_sum)))) == [
        ("cost_over_amount", 1, None)
    ]


def test_stray_percent_after_money_is_warned() -> None:
    p = project(indicators=complete(ind("培训成本", "28.8万元%", "成本指标")), amount="30")
    warnings = check_table(table(p))
    assert [(w.code, w.indicator) for w in warnings] == [("value_corrected", "培训成本")]
    assert "28.8万元" in warnings[0].message


def test_newer_template_requires_a_cost_group_in_every_project() -> None:
    with_cost = project(1, indicators=complete(ind("检查成本", "≤1万元", "经济成本指标")))
    without = project(2)
    assert codes(table(with_cost, without)) == [("level1_missing", 2, None)]


def test_goal_contradicting_an_indicator() -> None:
    p = project(
        goals=["组织开展隐患排查治理, 实现省州级培训4次以上;"],
        indicators=complete(ind("省、州级培训", "≥8次")),
    )
    [warning] = check_table(table(p))
    assert (warning.code, warning.project_seq, warning.indicator) == (
        "goal_contradicts_indicator",
        1,
        "省、州级培训",
    )
    assert "实现省州级培训4次以上" in warning.message and "≥8次" in warning.message


def test_goal_agreeing_with_its_indicator() -> None:
    p = project(
        goals=["完成企业安全检查50次, 发放普法宣传资料5万余份, 群众满意度达到95%以上。"],
        indicators=complete(ind("企业安全检查", "50次"), ind("发放宣传资料数量", "≥5万份")),
    )
    assert codes(table(p)) == []


def test_goal_check_is_conservative() -> None:
    indicators = complete(ind("地震培训次数", "≥8次"), ind("开办讲座场次", "≥8场"))
    # a short shared word (培训) is not enough; another unit (场次 vs 场) is not compared; no unit, no check
    goals = ["完成培训2次以上, 开展法制讲座8余场次, 有责投诉数为0"]
    assert list(goal_contradicts_indicator(project(goals=goals, indicators=indicators))) == []


def test_goal_check_with_ten_thousands() -> None:
    p = project(
        goals=["实现农村住房保险补贴2万户"], indicators=complete(ind("农村住房保险补贴户数", "3.2 万户"))
    )
    assert codes(table(p)) == [("goal_contradicts_indicator", 1, "农村住房保险补贴户数")]


def test_level1_group_missing() -> None:
    p = project(indicators=[ind("检查次数", "≥5次"), ind("知晓率", "≥90%", "社会效益指标")])
    [warning] = check_table(table(p))
    assert (warning.code, warning.project_seq) == ("level1_missing", 1)
    assert "满意度指标" in warning.message


def test_each_unparsed_value() -> None:
    p = project(indicators=complete(ind("检查次数二", "详见附件"), ind("检查次数三", "若干")))
    assert codes(table(p)) == [("unparsed_value", 1, "检查次数二"), ("unparsed_value", 1, "检查次数三")]
