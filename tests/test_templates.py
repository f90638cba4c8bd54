"""Header templates: a name or value header printing the operator/unit as a placeholder
(``苗木成活率(≥**%)``, ``开展修复工程(个)``, ``指标值(%)``) supplies them to a bare value; the value's
own operator and unit win (warned); a placeholder never makes a ``reference`` target."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.targets.grammar import Template, fill_template, parse_target, split_name_target, split_template
from app.targets.grid import GridSheet, read_grid
from app.targets.text_layout import parse_text_table
from tests.test_text_layout import table_text


@pytest.mark.parametrize(
    ("name", "stem", "op", "unit"),
    [
        ("苗木成活率(≥**%)", "苗木成活率", ">=", "%"),
        ("项目总投入(≥**万元)", "项目总投入", ">=", "万元"),
        ("开展修复工程(个)", "开展修复工程", None, "个"),
        ("人均补助(≥**元/人·月)", "人均补助", ">=", "元/人·月"),
        ("人均补助（≥＊＊元/人*月）", "人均补助", ">=", "元/人·月"),
        ("成活率(不低于**%)", "成活率", ">=", "%"),
        ("投诉率（≤xx%）", "投诉率", "<=", "%"),
        ("完成率 ( ≥ ** % )", "完成率", ">=", "%"),
        ("覆盖率(≥%)", "覆盖率", ">=", "%"),
        ("检查次数(≥)", "检查次数", ">=", None),
        ("资金(万元)", "资金", None, "万元"),
        ("指标值(%)", "指标值", None, "%"),
    ],
)
def test_split_template(name: str, stem: str, op: str | None, unit: str | None) -> None:
    assert split_template(name) == (stem, Template(operator=op, unit=unit))


@pytest.mark.parametrize(
    "name",
    [
        "数量指标 (必填)",
        "年度指标值(含单位)",
        "产出指标(50分)",
        "说明(xx)",
        "(个)",
        "培训(一期)",
        "企业安全检查",
    ],
)
def test_a_note_is_no_template(name: str) -> None:
    assert split_template(name) == (name, None)


TPL = Template(operator=">=", unit="%")


@pytest.mark.parametrize(
    ("raw", "filled", "remark"),
    [
        ("85", "≥85%", None),
        ("85。", "≥85%。", None),
        ("85%", "≥85%", None),
        ("≥85", "≥85%", None),
        ("90以上", "90%以上", None),
        ("≤85", "≤85%", "名称标明“≥”，指标值写“≤”，按指标值“≤85”读取"),
        ("85个", "≥85个", "名称标明单位“%”，指标值的单位是“个”，按指标值“85个”读取"),
        ("健全", "健全", None),
        ("上年", "上年", None),
        ("2023年底前", "2023年底前", None),
        ("", "", None),
    ],
)
def test_fill_template(raw: str, filled: str, remark: str | None) -> None:
    assert fill_template(raw, TPL, year=2023) == (filled, remark)


def test_a_placeholder_never_makes_a_reference_target() -> None:
    for raw in ("上年", "上年水平", "2022年", "同期"):
        filled, _ = fill_template(raw, TPL)
        assert parse_target(filled).kind != "reference"
    # and an unfilled template stays unparsed, with the placeholder gone from the name
    name, target = split_name_target("苗木成活率(≥**%)")
    assert split_template(name)[0] == "苗木成活率"
    assert target.kind == "unparsed"


def test_money_units_written_two_ways_agree() -> None:
    assert fill_template("120万", Template(operator=">=", unit="万元")) == ("≥120万", None)


# ---------------------------------------------------------------- in the layouts


def _text(indicators: str):  # noqa: ANN202
    return parse_text_table(table_text((1, "测试项目", "10.00", "<p>目标1: 完成工作。</p>", indicators)))


def test_text_layout_name_templates() -> None:
    t = _text(
        "<p>一、产出指标</p><p>(一) 数量指标</p><p>1. 开展修复工程(个) 3</p><p>2. 苗木成活率(≥**%) 85</p>"
        "<p>3. 人均补助(≥**元/人·月) 300</p><p>4. 项目总投入(≥**万元) 2台</p>"
    )
    got = [
        (i.name, i.target.raw, i.target.operator, i.target.value, i.target.unit)
        for i in t.projects[0].indicators
    ]
    assert got == [
        ("开展修复工程", "3个", "=", Decimal(3), "个"),
        ("苗木成活率", "≥85%", ">=", Decimal(85), "%"),
        ("人均补助", "≥300元/人·月", ">=", Decimal(300), "元/人·月"),
        ("项目总投入", "≥2台", ">=", Decimal(2), "台"),
    ]
    (w,) = [w for w in t.warnings if w.code == "template_conflict"]
    assert w.indicator == "项目总投入" and "“万元”" in w.message and "“台”" in w.message


HEADER = ["一级指标", "二级指标", "三级指标", "指标值"]
TITLE = "某县林业局2023年项目支出绩效目标表"


def test_grid_name_and_value_header_templates() -> None:
    rows = [
        [TITLE],
        ["一级指标", "二级指标", "三级指标", "指标值(%)"],
        ["产出指标", "质量指标", "苗木成活率", "85"],
        ["", "", "开展修复工程(个)", "3"],
        ["", "", "验收合格率(≥**%)", "≤90"],
        ["", "", "完成时间", "2023年底前"],
        ["效益指标", "社会效益指标", "群众知晓率", "较上年提高"],
    ]
    t = read_grid([GridSheet(name="", rows=rows)])
    got = [(i.name, i.target.raw, i.target.kind, i.target.unit) for i in t.projects[0].indicators]
    assert got == [
        ("苗木成活率", "85%", "numeric", "%"),
        ("开展修复工程", "3个", "numeric", "个"),  # the name's unit wins over the header's
        ("验收合格率", "≤90%", "numeric", "%"),
        ("完成时间", "2023年底前", "deadline", None),
        ("群众知晓率", "较上年提高", "qualitative", None),
    ]
    conflicts = [w for w in t.warnings if w.code == "template_conflict"]
    assert [w.indicator for w in conflicts] == ["开展修复工程", "验收合格率"]
    assert "表头标明单位“%”" in conflicts[0].message and "名称标明“≥”" in conflicts[1].message


# ---------------------------------------------------------------- generated templates × values

OPS = {"≥": ">=", "≤": "<=", "不低于": ">=", "不超过": "<=", ">": ">", "<": "<", "": None}
UNITS = ["%", "万元", "元", "个", "次", "人", "元/人·月", "元/户", "亩", "公里", ""]
PLACEHOLDERS = ["**", "*", "＊＊", "xx", "X", "__", "…", ""]


@settings(max_examples=300, deadline=None)
@given(
    stem=st.text(alphabet="苗木成活率项目总投入开展修复工程人均补助", min_size=2, max_size=8),
    op=st.sampled_from(sorted(OPS)),
    placeholder=st.sampled_from(PLACEHOLDERS),
    unit=st.sampled_from(UNITS),
    brackets=st.sampled_from(["()", "（）"]),
    number=st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
    own=st.sampled_from(["", "op", "unit"]),
)
def test_generated_templates_fill_bare_values_and_keep_the_values_own(
    stem: str, op: str, placeholder: str, unit: str, brackets: str, number: Decimal, own: str
) -> None:
    if not op and not unit:
        return  # nothing to print
    if not placeholder and op and unit == "":
        placeholder = "**"
    name, template = split_template(f"{stem}{brackets[0]}{op}{placeholder}{unit}{brackets[1]}")
    assert name == stem
    assert template == Template(operator=OPS[op], unit=unit or None)
    value = format(number, "f")
    raw = {"": value, "op": f"={value}", "unit": f"{value}台"}[own]
    filled, remark = fill_template(raw, template)
    t = parse_target(filled)
    assert (t.kind, t.value) == ("numeric", number)
    assert t.operator == ("=" if own == "op" or not op else OPS[op])
    assert t.unit == ("台" if own == "unit" else unit or None)
    conflict = (own == "op" and OPS[op] not in (None, "=")) or (own == "unit" and unit not in ("", "台"))
    assert (remark is not None) == conflict
