"""Reading actuals as clerks type them (scoring.md §4a) and the unit table."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.scoring.actuals import (
    NOT_APPLICABLE,
    ActualError,
    DateActual,
    GradeActual,
    NumberActual,
    ReferenceActual,
    read_actual,
)
from app.scoring.units import UnitMismatch, convert, unit_info
from app.targets.types import Target
from tests.scoring_builders import D, due, num, qual, ref


@pytest.mark.parametrize(
    ("raw", "target", "value"),
    [
        ("96", num(">=", "95", "%"), "96"),
        ("96%", num(">=", "95", "%"), "96"),
        ("９６％", num(">=", "95", "%"), "96"),
        (" 96 % ", num(">=", "95", "%"), "96"),
        ("5‰", num("<=", "1", "%"), "0.5"),
        ("12万元", num("<=", "10", "万元"), "12"),
        ("85000元", num("<=", "10", "万元"), "8.5"),
        ("85,000元", num("<=", "10", "万元"), "8.5"),
        ("８５，０００元", num("<=", "10", "万元"), "8.5"),
        ("1.2万", num("=", "10000", "元"), "12000"),
        ("1.2万", num("=", "2", "万元"), "1.2"),
        ("0.3亿元", num("=", "2", "万元"), "3000"),
        ("≥266米", num(">=", "266", "米"), "266"),
        ("不低于266米", num(">=", "266", "米"), "266"),
        ("266米以上", num(">=", "266", "米"), "266"),
        ("1.5公里", num(">=", "1000", "米"), "1500"),
        ("1500米", num(">=", "1", "公里"), "1.5"),
        ("6.5万份", num(">=", "5", "万份"), "6.5"),
        ("65000份", num(">=", "5", "万份"), "6.5"),
        ("1年", num(">=", "12", "个月"), "12"),
        ("12", num(">=", "12", "个月"), "12"),
        ("-1", num(">=", "0", "%"), "-1"),
        ("−1%", num(">=", "0", "%"), "-1"),
        (".5", num("=", "1", "次"), "0.5"),
        ("3.5吨", num("=", "1000", "公斤"), "3500"),
        ("2万元/公里", num("<=", "30000", "元/公里"), "20000"),
        ("900元", Target(raw="3*300", kind="numeric", operator="=", value=D(900)), "900"),
        (52, num("=", "50", "次"), "52"),
        (Decimal("52.5"), num("=", "50", "次"), "52.5"),
        (0.5, num("=", "1", "次"), "0.5"),
        ({"value": "52"}, num("=", "50", "次"), "52"),
    ],
)
def test_numbers_are_read_in_the_targets_unit(raw, target, value):
    actual = read_actual(raw, target)
    assert isinstance(actual, NumberActual) and actual.value == Decimal(value)


@pytest.mark.parametrize(
    ("raw", "target", "message", "code"),
    [
        ("完成", num("<=", "30", "万元"), "应填写数字（单位：万元），收到“完成”", "invalid_actual"),
        ("3人", num("<=", "30", "万元"), "单位“人”无法换算为“万元”", "invalid_actual"),
        ("3人次", num(">=", "3", "人"), "单位“人次”无法换算为“人”", "invalid_actual"),
        ("5天", num(">=", "1", "个月"), "单位“天”无法换算为“个月”", "invalid_actual"),
        ("96", num(">=", "1", "万元"), None, None),
        ("", num("<=", "30", "万元"), "应填写数字（单位：万元），未填写", "missing_actual"),
        ("   ", num("<=", "30", "万元"), "未填写", "missing_actual"),
        (None, num("<=", "30", "万元"), "未填写", "missing_actual"),
        ("12,34", num("=", "1", "次"), "应填写数字（单位：次），收到“12,34”", "invalid_actual"),
        ("3*300", num("=", "1", "次"), "应填写数字", "invalid_actual"),
        ("NaN", num("=", "1", "次"), "应填写数字", "invalid_actual"),
        (Decimal("Infinity"), num("=", "1", "次"), "应填写数字", "invalid_actual"),
        (True, num("=", "1", "次"), "应填写数字", "invalid_actual"),
        ({"grade": "达成"}, num("=", "1", "次"), "应填写数字", "invalid_actual"),
    ],
)
def test_numbers_refused_with_a_message_naming_what_was_expected(raw, target, message, code):
    if message is None:
        assert read_actual(raw, target).value == 96
        return
    with pytest.raises(ActualError) as info:
        read_actual(raw, target)
    assert message in info.value.message and info.value.code == code


@pytest.mark.parametrize(
    ("raw", "grade"),
    [
        ("达成", "achieved"),
        ("达成年度指标", "achieved"),
        ("达成预期指标", "achieved"),
        ("已完成", "achieved"),
        ("健全", "achieved"),
        ("“健全”", "achieved"),
        ("部分达成", "partial"),
        ("部分达成年度指标并具有一定效果", "partial"),
        ("基本达成", "partial"),
        ("未达成", "not_achieved"),
        ("未达成年度指标且效果较差", "not_achieved"),
        ("未完成", "not_achieved"),
        ({"grade": "部分达成"}, "partial"),
        ({"grade": "partial"}, "partial"),
    ],
)
def test_grades_short_or_long_and_the_target_text(raw, grade):
    actual = read_actual(raw, qual("健全"))
    assert isinstance(actual, GradeActual) and actual.grade == grade


def test_grade_with_score_and_refusals():
    assert read_actual({"grade": "部分达成", "score": "7.8"}, qual()).score == D("7.8")
    with pytest.raises(ActualError, match="评分应为数字"):
        read_actual({"grade": "部分达成", "score": "七"}, qual())
    with pytest.raises(ActualError, match="应选择评价等级（达成/部分达成/未达成）或填写“健全”，收到“不健全”"):
        read_actual("不健全", qual())
    with pytest.raises(ActualError) as info:
        read_actual({"grade": ""}, qual())
    assert info.value.code == "missing_actual"


@pytest.mark.parametrize(
    ("raw", "year", "expected"),
    [
        ("2024-01-15", None, date(2024, 1, 15)),
        ({"date": "2024-01-15"}, None, date(2024, 1, 15)),
        ("2024/1/5", None, date(2024, 1, 5)),
        ("2024.1.5", None, date(2024, 1, 5)),
        ("20240115", None, date(2024, 1, 15)),
        ("2024年1月15日", None, date(2024, 1, 15)),
        ("２０２４年１月１５日", None, date(2024, 1, 15)),
        ("2024年1月", None, date(2024, 1, 31)),
        ("2024年2月底", None, date(2024, 2, 29)),
        ("2023年底", None, date(2023, 12, 31)),
        ("7月", 2023, date(2023, 7, 31)),
        ("7月15日", 2023, date(2023, 7, 15)),
        (date(2023, 5, 1), None, date(2023, 5, 1)),
    ],
)
def test_dates(raw, year, expected):
    actual = read_actual(raw, due(2023, 12, 31), year=year)
    assert isinstance(actual, DateActual) and actual.date == expected


def test_month_without_year_defaults_to_the_deadlines_year():
    assert read_actual("7月", due(2022, 12, 31)).date == date(2022, 7, 31)
    no_date = Target(raw="年底前", kind="deadline")
    with pytest.raises(ActualError, match="请写明年份"):
        read_actual("7月", no_date)


@pytest.mark.parametrize(("raw", "message"), [("2024-02-30", "不存在"), ("按时完成", "应填写完成日期"),
                                              ("", "未填写")])  # fmt: skip
def test_bad_dates(raw, message):
    with pytest.raises(ActualError, match=message):
        read_actual(raw, due(2023, 12, 31))


def test_reference_baseline_and_value():
    actual = read_actual({"baseline": "40", "value": "34"}, ref())
    assert actual == ReferenceActual(D(40), D(34))
    assert read_actual({"baseline": "4万次", "value": "38000次"}, ref()) == ReferenceActual(D(4), D("3.8"))
    for raw, code in (("34", "missing_baseline"), ({"value": "34"}, "missing_baseline"), (None, "missing_actual"),
                      ({"baseline": "40"}, "missing_actual")):  # fmt: skip
        with pytest.raises(ActualError) as info:
            read_actual(raw, ref())
        assert info.value.code == code and "2022年依法维权次数" in info.value.message


@pytest.mark.parametrize("raw", [{"not_applicable": True}, "不适用", "不涉及", "N/A"])
def test_not_applicable(raw):
    assert read_actual(raw, num("=", "1", "次")) is NOT_APPLICABLE
    assert read_actual(raw, qual()) is NOT_APPLICABLE


def test_direction_overrides_the_target_kind():
    assert isinstance(read_actual("达成", num("=", "1", "次"), direction="qualitative"), GradeActual)


def test_unit_table():
    assert unit_info("万元") == ("元", D(10000))
    assert unit_info("千米") == unit_info("公里") == ("米", D(1000))
    assert unit_info("万人次") == ("人次", D(10000))
    assert unit_info("元/人")[0] == "元/人"
    assert convert(D(35000), "元", "万元") == D("3.5")
    assert convert(D(5), None, "万元") == D(5)
    assert convert(D("1.2"), "万", None) == D(12000)
    with pytest.raises(UnitMismatch, match="单位“人”无法换算为“万元”"):
        convert(D(3), "人", "万元")
