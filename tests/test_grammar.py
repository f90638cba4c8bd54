"""The value grammar: every written form, and round trips as property tests."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.targets.grammar import format_target, parse_target, split_by_rules, split_name_target

# --- operators ---------------------------------------------------------------------------------

SYMBOLS = {
    "≥": ">=",
    "≧": ">=",
    ">=": ">=",
    "＞＝": ">=",
    "≤": "<=",
    "≦": "<=",
    "<=": "<=",
    ">": ">",
    "＞": ">",
    "<": "<",
    "＜": "<",
    "=": "=",
    "﹦": "=",
    "＝": "=",
}
PREFIX_WORDS = {
    "不低于": ">=",
    "不少于": ">=",
    "大于等于": ">=",
    "达到": ">=",
    "不高于": "<=",
    "不超过": "<=",
    "小于等于": "<=",
    "小于": "<",
    "大于": ">",
}
SUFFIX_WORDS = {"以上": ">=", "及以上": ">=", "以内": "<=", "以下": "<=", "及其以下": "<="}


@pytest.mark.parametrize(("symbol", "op"), SYMBOLS.items())
def test_operator_symbols(symbol: str, op: str) -> None:
    t = parse_target(f"{symbol}95%")
    assert (t.kind, t.operator, t.value, t.unit) == ("numeric", op, Decimal(95), "%")


@pytest.mark.parametrize(("word", "op"), PREFIX_WORDS.items())
def test_operator_words_before(word: str, op: str) -> None:
    t = parse_target(f"{word}8次")
    assert (t.kind, t.operator, t.value, t.unit) == ("numeric", op, Decimal(8), "次")


@pytest.mark.parametrize(("word", "op"), SUFFIX_WORDS.items())
def test_operator_words_after(word: str, op: str) -> None:
    t = parse_target(f"10万元{word}")
    assert (t.kind, t.operator, t.value, t.unit) == ("numeric", op, Decimal(10), "万元")


def test_no_operator_means_equal() -> None:
    t = parse_target("50次")
    assert (t.operator, t.value, t.unit) == ("=", Decimal(50), "次")


def test_soft_word_yields_to_suffix() -> None:
    assert parse_target("达到95%以上").operator == ">="
    assert parse_target("控制在5%以内").operator == "<="
    assert parse_target("控制在10万元").operator == "<="


def test_contradictory_operators_are_unparsed() -> None:
    assert parse_target("≥5次以下").kind == "unparsed"


# --- numbers and units -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "unit"),
    [
        ("0.7万元", "0.7", "万元"),
        ("３.５万元", "3.5", "万元"),  # full-width digits
        ("１２０人", "120", "人"),
        ("1,200户", "1200", "户"),  # thousands separator
        ("1，200，000元", "1200000", "元"),  # full-width separator
        ("3*300", "900", None),  # a product, unit as written (none)
        ("3×300元", "900", "元"),
        ("3.2 万户", "3.2", "万户"),  # a space before the unit
        ("95 %", "95", "%"),
        ("95％", "95", "%"),
        ("5‰", "5", "‰"),
        ("10元/户", "10", "元/户"),
        ("10元/每户", "10", "元/每户"),
        ("2次/月", "2", "次/月"),
        ("1.5万平方米", "1.5", "万平方米"),
        ("2亿元", "2", "亿元"),
        ("12个月", "12", "个月"),
        ("90百分比", "90", "%"),
        ("1.2万", "1.2", "万"),
        ("0", "0", None),
        ("≥-5%", "-5", "%"),
    ],
)
def test_numbers_and_units(raw: str, value: str, unit: str | None) -> None:
    t = parse_target(raw)
    assert t.kind == "numeric"
    assert (t.value, t.unit) == (Decimal(value), unit)


def test_value_is_decimal_not_float() -> None:
    assert isinstance(parse_target("0.1万元").value, Decimal)
    assert parse_target("0.1万元").value == Decimal("0.1")


@pytest.mark.parametrize("raw", ["≤ 0.7万元;", "≤1万元。", "≤2万元、", "4.1万元；", "50次,", "1.2万。"])
def test_trailing_punctuation_parsed_away_but_raw_kept(raw: str) -> None:
    t = parse_target(raw)
    assert t.kind == "numeric"
    assert t.raw == raw
    assert t.unit in ("万元", "次", "万")


def test_bracketed_note_is_ignored() -> None:
    t = parse_target("≥95%(含)")
    assert (t.operator, t.value, t.unit, t.raw) == (">=", Decimal(95), "%", "≥95%(含)")


# --- qualitative -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "健全",
        "完备",
        "合理",
        "达标",
        "优良",
        "显著提升",
        "是",
        "否",
        "有效",
        "较上年有所提高",
        "逐步完善",
        "达到预期目标",
    ],
)
def test_qualitative_words_and_phrases(raw: str) -> None:
    t = parse_target(raw)
    assert (t.kind, t.expected) == ("qualitative", raw)


def test_qualitative_expected_drops_trailing_punctuation() -> None:
    t = parse_target("健全。")
    assert (t.kind, t.expected, t.raw) == ("qualitative", "健全", "健全。")


# --- deadlines -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "year", "expected"),
    [
        ("2022年12月底前", None, date(2022, 12, 31)),
        ("2023年底前", None, date(2023, 12, 31)),
        ("2023年年底前", None, date(2023, 12, 31)),
        ("2023年6月30日前", None, date(2023, 6, 30)),
        ("2024年2月底前", None, date(2024, 2, 29)),  # leap year
        ("2023年12月", None, date(2023, 12, 31)),
        ("2023-12-31", None, date(2023, 12, 31)),
        ("2023.6.30前", None, date(2023, 6, 30)),
        ("年底前", 2023, date(2023, 12, 31)),
        ("年内完成", 2023, date(2023, 12, 31)),
        ("9月前", 2023, date(2023, 9, 30)),  # read as the end of September
        ("9月底前", 2023, date(2023, 9, 30)),
        ("6月15日前", 2023, date(2023, 6, 15)),
        ("上半年", 2023, date(2023, 6, 30)),
        ("第三季度末", 2023, date(2023, 9, 30)),
        ("2023年1-12月", None, date(2023, 12, 31)),
        ("≤2023年11月30日", None, date(2023, 11, 30)),
        ("本年度内", 2023, date(2023, 12, 31)),
        ("当年完成", 2023, date(2023, 12, 31)),
    ],
)
def test_deadlines(raw: str, year: int | None, expected: date) -> None:
    t = parse_target(raw, year=year)
    assert (t.kind, t.deadline) == ("deadline", expected)


def test_deadline_needs_a_year_from_text_or_table() -> None:
    assert parse_target("年底前").kind == "unparsed"
    assert parse_target("9月前").kind == "unparsed"


def test_impossible_date_is_unparsed() -> None:
    assert parse_target("2023年2月30日前").kind == "unparsed"


def test_bare_month_is_a_deadline_only_under_time_indicators() -> None:
    assert parse_target("12月", level2="时效指标", year=2023).deadline == date(2023, 12, 31)
    t = parse_target("12月", level2="数量指标", year=2023)
    assert (t.kind, t.value, t.unit) == ("numeric", Decimal(12), "月")


def test_bare_year_is_a_deadline_only_under_time_indicators() -> None:
    assert parse_target("2023年", level2="时效指标").deadline == date(2023, 12, 31)
    assert parse_target("2023年", level2="数量指标").kind == "numeric"


def test_duration_is_numeric() -> None:
    t = parse_target("≥12个月", level2="时效指标", year=2023)
    assert (t.kind, t.operator, t.value, t.unit) == ("numeric", ">=", Decimal(12), "个月")


def test_year_number_without_more_text_stays_numeric() -> None:
    assert parse_target("2023.5").kind == "numeric"


# --- references -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "op", "reference"),
    [
        ("≥2022年依法维权次数", ">=", "2022年依法维权次数"),
        ("≥ 2022年依法维权次数", ">=", "2022年依法维权次数"),
        ("不低于上年", ">=", "上年"),
        ("≤去年同期水平", "<=", "去年同期水平"),
        ("＞全省平均水平", ">", "全省平均水平"),
        ("2022年水平", "=", "2022年水平"),
    ],
)
def test_reference_targets(raw: str, op: str, reference: str) -> None:
    t = parse_target(raw)
    assert (t.kind, t.operator, t.reference) == ("reference", op, reference)


# --- anything else ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["", "   ", "三次", "详见附件", "见附表", "≥", "95%完成", "1,2", "≥**%", "XX万元", "5次%", "≥±3%"]
)
def test_anything_else_is_kept_unparsed(raw: str) -> None:
    t = parse_target(raw)
    assert t.kind == "unparsed"
    assert t.raw == raw.strip()


def test_json_shape() -> None:
    assert parse_target("≤ 0.7万元;").to_json() == {
        "raw": "≤ 0.7万元;",
        "kind": "numeric",
        "operator": "<=",
        "value": "0.7",
        "unit": "万元",
    }
    assert parse_target("2022年12月底前").to_json() == {
        "raw": "2022年12月底前",
        "kind": "deadline",
        "date": "2022-12-31",
    }


# --- format_target ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("≥95%", "≥95%"),
        ("不超过10万元", "≤10万元"),
        ("50次", "50次"),
        ("3.20 万户", "3.20万户"),
        ("2022年12月底前", "2022年12月底前"),
        ("2023年6月15日前", "2023年6月15日前"),
        ("≥2022年依法维权次数", "≥2022年依法维权次数"),
        ("健全", "健全"),
        ("详见附件", "详见附件"),
    ],
)
def test_format_target(raw: str, text: str) -> None:
    assert format_target(parse_target(raw)) == text


# --- name and value in one cell -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "raw", "kind"),
    [
        ("企业安全检查 50次", "企业安全检查", "50次", "numeric"),
        ("地震灾害调查、评估、应急处置 ≤ 0.7万元;", "地震灾害调查、评估、应急处置", "≤ 0.7万元;", "numeric"),
        ("农村住房保险补贴户数 3.2 万户", "农村住房保险补贴户数", "3.2 万户", "numeric"),
        ("业务工作经费1万元", "业务工作经费", "1万元", "numeric"),
        ("法制培训全年三次2万元。", "法制培训全年三次", "2万元。", "numeric"),
        ("保障33名退休干部工作的正常开展 ≥3人", "保障33名退休干部工作的正常开展", "≥3人", "numeric"),
        ("2023年01月--12月 ≥12个月", "2023年01月--12月", "≥12个月", "numeric"),
        ("每人每年300元 3*300", "每人每年300元", "3*300", "numeric"),
        ("覆盖率达到95%以上", "覆盖率", "达到95%以上", "numeric"),
        ("维权次数≥2022年水平", "维权次数", "≥2022年水平", "reference"),
        ("提供法律咨询时间 2022年12月底前", "提供法律咨询时间", "2022年12月底前", "deadline"),
        ("完成时间2023年底前", "完成时间", "2023年底前", "deadline"),
        ("安全事故应急预案健全性 健全", "安全事故应急预案健全性", "健全", "qualitative"),
        ("制度健全性健全", "制度健全性", "健全", "qualitative"),
        ("群众满意度：≥95%", "群众满意度", "≥95%", "numeric"),
        ("系统 运行 很多", "系统 运行", "很多", "qualitative"),
        ("群众满意度", "群众满意度", "", "unparsed"),
        ("≥95%", "", "≥95%", "numeric"),
    ],
)
def test_split_name_target(text: str, name: str, raw: str, kind: str) -> None:
    got_name, target = split_name_target(text, year=2023)
    assert (got_name, target.raw, target.kind) == (name, raw, kind)


# --- property tests ------------------------------------------------------------------------------

CANONICAL = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": ""}
UNITS = [
    "",
    "%",
    "‰",
    "次",
    "万元",
    "元",
    "亿元",
    "元/户",
    "次/月",
    "万平方米",
    "个月",
    "人",
    "万份",
    "km",
    "场次",
]
numbers = st.builds(
    lambda whole, frac: f"{whole}.{frac}" if frac else str(whole),
    st.integers(min_value=0, max_value=10**9),
    st.one_of(st.just(""), st.from_regex(r"[0-9]{1,3}", fullmatch=True)),
)


@settings(max_examples=300, deadline=None)
@given(
    op=st.sampled_from(sorted(set(SYMBOLS) | {""})),
    number=numbers,
    space=st.sampled_from(["", " "]),
    unit=st.sampled_from(UNITS),
)
def test_generated_targets_keep_operator_number_and_unit(op: str, number: str, space: str, unit: str) -> None:
    t = parse_target(f"{op}{space}{number}{space if unit else ''}{unit}")
    assert t.kind == "numeric"
    assert t.operator == SYMBOLS.get(op, "=")
    assert t.value == Decimal(number)
    assert str(t.value) == number  # the number exactly as written (no float, no normalising)
    assert t.unit == (unit or None)


@settings(max_examples=300, deadline=None)
@given(op=st.sampled_from(list(CANONICAL)), number=numbers, unit=st.sampled_from(UNITS))
def test_round_trip_text_target_text(op: str, number: str, unit: str) -> None:
    text = f"{CANONICAL[op]}{number}{unit}"
    t = parse_target(text)
    assert format_target(t) == text
    again = parse_target(format_target(t))
    assert (again.operator, again.value, again.unit) == (t.operator, t.value, t.unit)


@settings(max_examples=200, deadline=None)
@given(
    whole=st.integers(min_value=1000, max_value=10**12),
    unit=st.sampled_from(["元", "人", "户", ""]),
)
def test_thousands_separators(whole: int, unit: str) -> None:
    assert parse_target(f"{whole:,}{unit}").value == Decimal(whole)
    wide = f"{whole:,}".translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789,"})
    assert parse_target(f"{wide}{unit}").value == Decimal(whole)


@settings(max_examples=200, deadline=None)
@given(
    y=st.integers(min_value=2000, max_value=2099),
    m=st.integers(min_value=1, max_value=12),
    d=st.integers(min_value=1, max_value=31),
)
def test_deadline_round_trip(y: int, m: int, d: int) -> None:
    try:
        expected = date(y, m, d)
    except ValueError:
        assert parse_target(f"{y}年{m}月{d}日前").kind == "unparsed"
        return
    t = parse_target(f"{y}年{m}月{d}日前")
    assert t.deadline == expected
    assert parse_target(format_target(t)).deadline == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_parses_without_error_and_keeps_raw(text: str) -> None:
    t = parse_target(text, year=2023)
    assert t.raw == text.strip()
    assert t.kind in ("numeric", "qualitative", "deadline", "reference", "unparsed")


NAME_CHARS = st.text(alphabet="安全检查培训率满意度群众经费成本宣传覆盖次号2023年", min_size=1, max_size=12)


@settings(max_examples=400, deadline=None)
@given(
    name=NAME_CHARS,
    sep=st.sampled_from([" ", "  ", "：", " : "]),
    value=st.one_of(
        st.builds(
            lambda op, n, u, p: f"{op}{n}{u}{p}",
            st.sampled_from(["", "≥", "≤", ">", "<", "=", "≥ "]),
            numbers,
            st.sampled_from(["", "%", "次", "万元", "个月", "元/户", "月", "年"]),
            st.sampled_from(["", "。", ";", "、"]),
        ),
        st.sampled_from(["健全", "完备", "是", "有效", "2023年底前", "显著提升", "三次"]),
    ),
)
def test_fast_path_agrees_with_general_rules(name: str, sep: str, value: str) -> None:
    text = f"{name}{sep}{value}"
    for level2 in (None, "时效指标"):
        assert split_name_target.__wrapped__(text, level2=level2, year=2023) == split_by_rules(
            text, level2=level2, year=2023
        )


# --- forms of real published tables ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "严格执行相关制度规定",
        "控制在预算内",
        "参照政府采购成本控制",
        "不超预算",
        "应保尽保",
        "应改尽改",
        "按月安排",
        "合规",
        "按实际",
        "1-6期培训结束后及时考核",
    ],
)
def test_prose_targets_are_qualitative(raw: str) -> None:
    t = parse_target(raw, year=2023)
    assert (t.kind, t.expected) == ("qualitative", raw)


@pytest.mark.parametrize(
    ("raw", "op", "value", "unit"),
    [
        ("⩾90%", ">=", "90", "%"),
        ("⩽3次", "<=", "3", "次"),
        ("═100%", "=", "100", "%"),
        ("=>95%", ">=", "95", "%"),
        ("=<5万元", "<=", "5", "万元"),
        ("不低于95%", ">=", "95", "%"),
        ("不少于3次", ">=", "3", "次"),
        ("达到90%", ">=", "90", "%"),
        ("90%以上", ">=", "90", "%"),
        ("不高于5万元", "<=", "5", "万元"),
        ("不超过5万元", "<=", "5", "万元"),
        ("不超5万元", "<=", "5", "万元"),
        ("5万元以内", "<=", "5", "万元"),
        ("3次以下", "<=", "3", "次"),
        ("控制在5万元以内", "<=", "5", "万元"),
        ("100%达标", "=", "100", "%"),
        ("≥95%达标", ">=", "95", "%"),
        ("±3%以内", "<=", "3", "%"),
        ("±3%", "<=", "3", "%"),
        ("1,000元", "=", "1000", "元"),
        ("１，２３４.５万元", "=", "1234.5", "万元"),
        ("500元/人*月", "=", "500", "元/人·月"),
        ("500元/人×月", "=", "500", "元/人·月"),
        ("500元/人・月", "=", "500", "元/人·月"),
        ("≥500元/人·月", ">=", "500", "元/人·月"),
    ],
)
def test_operators_and_numbers_as_printed(raw: str, op: str, value: str, unit: str) -> None:
    t = parse_target(raw)
    assert (t.kind, t.operator, t.value, t.unit, t.note) == ("numeric", op, Decimal(value), unit, None)


def test_stray_percent_after_money_is_read_with_a_note() -> None:
    t = parse_target("28.8万元%")
    assert (t.kind, t.value, t.unit, t.note) == ("numeric", Decimal("28.8"), "万元", "stray_percent")
    assert parse_target("5次%").kind == "unparsed"  # not money: the % is not obviously a slip


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021.1.1-12.31", date(2021, 12, 31)),
        ("2020年1月--2020年11月", date(2020, 11, 30)),
        ("2021年1月1日至2021年12月31日", date(2021, 12, 31)),
        ("2021年1月-6月", date(2021, 6, 30)),
        ("2021.3-2021.9", date(2021, 9, 30)),
        ("2024.1.1～2.29", date(2024, 2, 29)),
    ],
)
def test_date_ranges_end_at_the_deadline(raw: str, expected: date) -> None:
    t = parse_target(raw, year=2023)
    assert (t.kind, t.deadline) == ("deadline", expected)


@pytest.mark.parametrize("raw", ["2021.1.1-13.31", "5-10次", "2023.2.1-2.30"])
def test_impossible_or_numeric_ranges_are_no_deadline(raw: str) -> None:
    assert parse_target(raw, year=2023).kind != "deadline"


@settings(max_examples=200, deadline=None)
@given(
    op=st.sampled_from(["⩾", "⩽", "═", "=>", "=<", "≧", "≦", "＝"]),
    number=numbers,
    unit=st.sampled_from(["%", "万元", "次", "元/人·月", ""]),
)
def test_generated_look_alike_operators(op: str, number: str, unit: str) -> None:
    expected = {"⩾": ">=", "⩽": "<=", "═": "=", "=>": ">=", "=<": "<=", "≧": ">=", "≦": "<=", "＝": "="}
    t = parse_target(f"{op}{number}{unit}")
    assert (t.kind, t.operator, t.value, t.unit) == ("numeric", expected[op], Decimal(number), unit or None)


@settings(max_examples=200, deadline=None)
@given(
    word=st.sampled_from(["元/人", "元/户", "次/人"]),
    joint=st.sampled_from(["*", "×", "·", "・"]),
    per=st.sampled_from(["月", "年", "天"]),
    number=numbers,
)
def test_generated_compound_units_are_one_spelling(word: str, joint: str, per: str, number: str) -> None:
    t = parse_target(f"{number}{word}{joint}{per}")
    assert (t.kind, t.value, t.unit) == ("numeric", Decimal(number), f"{word}·{per}")


@settings(max_examples=200, deadline=None)
@given(
    y=st.integers(min_value=2000, max_value=2099),
    m1=st.integers(min_value=1, max_value=12),
    m2=st.integers(min_value=1, max_value=12),
    sep=st.sampled_from(["-", "--", "—", "至", "~"]),
    repeat_year=st.booleans(),
)
def test_generated_month_ranges_end_at_the_last_month(
    y: int, m1: int, m2: int, sep: str, repeat_year: bool
) -> None:
    end = f"{y}年{m2}月" if repeat_year else f"{m2}月"
    t = parse_target(f"{y}年{m1}月{sep}{end}")
    assert (t.kind, t.deadline) == ("deadline", date(y, m2, calendar.monthrange(y, m2)[1]))


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet="严格执行相关制度规定控制在预算内参照政府采购应保尽改按月安排合规", min_size=1, max_size=30
    )
)
def test_generated_prose_is_qualitative(text: str) -> None:
    t = parse_target(text, year=2023)
    assert (t.kind, t.expected) == ("qualitative", text)
