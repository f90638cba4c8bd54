"""Unit tests of the grid layout (app/targets/grid.py): rows of cell strings in, a table out."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.scoring.engine import points_warnings
from app.scoring.policy import CENTRAL_2020, Policy, PolicySettings
from app.targets.grid import (
    GridSheet,
    compose_raw,
    header_columns,
    parse_amount,
    read_grid,
    split_unit_code,
)
from app.targets.types import ParsedIndicator, ParsedProject, ParsedTable, TableFormatError, Target

TITLE = "门源县应急管理局2023年项目支出绩效目标表"


def sheet(*rows: list[str], label: str = "") -> GridSheet:
    return GridSheet(name="", rows=[list(r) for r in rows], label=label)


def read(*rows: list[str], filename: str = "", **kw):  # noqa: ANN003, ANN201
    return read_grid([sheet(*rows)], filename=filename, **kw)


def codes(table) -> list[str]:  # noqa: ANN001
    return [w.code for w in table.warnings]


# ---------------------------------------------------------------- header detection


@pytest.mark.parametrize(
    "header",
    [
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["一级指标", "二级指标", "指标名称", "年度指标值"],
        ["一级指标", "二级指标", "三级指标", "指标值及单位"],
        ["二级指标", "三级指标", "目标值"],
        [" 一级指标 ", "二级\n指标", "三级指标（必填）", "年度指标值(含单位)"],
        ["序号", "一级指标", "二级指标", "三级指标名称", "预期目标值", "备注"],
    ],
)
def test_header_variants(header: list[str]) -> None:
    def cell_for(column: str) -> str:
        key = column.replace(" ", "").replace("\n", "")
        if key.startswith("一级"):
            return "产出指标"
        if key.startswith("二级"):
            return "数量指标"
        if key.startswith(("三级", "指标名称")):
            return "企业安全检查"
        return "≥50次" if "值" in key else ""

    table = read([TITLE], header, [cell_for(c) for c in header])
    (ind,) = table.projects[0].indicators
    assert (ind.level1, ind.level2, ind.name, ind.target.raw, ind.target.value) == (
        "产出指标",
        "数量指标",
        "企业安全检查",
        "≥50次",
        Decimal(50),
    )


def test_header_is_found_below_a_long_preamble_but_only_in_the_first_20_rows() -> None:
    header = ["一级指标", "二级指标", "三级指标", "指标值"]
    row = ["产出指标", "数量指标", "企业安全检查", "50次"]
    filler = [["说明文字"] for _ in range(18)]
    assert len(read([TITLE], *filler, header, row).projects[0].indicators) == 1  # header on row 20
    with pytest.raises(TableFormatError, match="前20行中没有找到指标表头"):
        read([TITLE], *filler, ["再一行"], header, row)  # header on row 21


def test_a_header_needs_name_value_and_a_level_column() -> None:
    assert header_columns(["三级指标", "指标值"]) is None
    assert header_columns(["一级指标", "二级指标", "指标值"]) is None
    cols = header_columns(["一级指标", "二级指标", "三级指标", "计算符号", "指标值", "计量单位", "分值"])
    assert cols == {
        "level1": [0],
        "level2": [1],
        "name": [2],
        "operator": [3],
        "value": [4],
        "unit": [5],
        "points": [6],
    }
    # 指标值 merged over two columns (value, unit) keeps both.
    assert header_columns(["二级指标", "三级指标", "指标值", "指标值"])["value"] == [2, 3]


def test_merged_value_header_joins_its_columns() -> None:
    table = read([TITLE], ["二级指标", "三级指标", "指标值", "指标值"], ["数量指标", "检查次数", "≥50", "次"])
    assert table.projects[0].indicators[0].target.raw == "≥50次"


# ---------------------------------------------------------------- same as above, projects


def test_blank_cells_mean_same_as_above_but_a_new_level1_resets_level2() -> None:
    table = read(
        [TITLE],
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "甲", "1次"],
        ["", "", "乙", "2次"],
        ["", "质量指标", "丙", "≥95%"],
        ["满意度指标", "", "丁", "≥90%"],
        ["效益指标", "", "戊", "健全"],
    )
    got = [(i.level1, i.level2, i.name) for i in table.projects[0].indicators]
    assert got == [
        ("产出指标", "数量指标", "甲"),
        ("产出指标", "数量指标", "乙"),
        ("产出指标", "质量指标", "丙"),
        ("满意度指标", "服务对象满意度指标", "丁"),  # the only level 2 of 满意度
        ("效益指标", "", "戊"),
    ]
    assert "level_unknown" in codes(table)  # 戊 has no level 2 and none can be assumed


def test_levels_are_normalised_and_a_misplaced_level2_moves_its_level1() -> None:
    table = read(
        [TITLE],
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标(50分)", "产出数量", "甲", "1次"],
        ["效果指标", "社会效益", "乙", "健全"],
        ["产出指标", "生态效益指标", "丙", "≥90%"],
    )
    got = [(i.level1, i.level2) for i in table.projects[0].indicators]
    assert got == [
        ("产出指标", "数量指标"),
        ("效益指标", "社会效益指标"),
        ("效益指标", "生态效益指标"),
    ]
    assert "satisfaction_under_benefit" not in codes(table)


def test_satisfaction_filed_under_benefit_keeps_the_tables_level_with_a_warning() -> None:
    table = read(
        [TITLE],
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "甲", "1次"],
        ["效益指标", "社会效益指标", "乙", "健全"],
        ["效益指标", "服务对象满意度", "丙", "≥90%"],
        ["", "", "丁", "≥95%"],
    )
    got = [(i.level1, i.level2, i.name) for i in table.projects[0].indicators]
    assert got[2:] == [("效益指标", "服务对象满意度指标", "丙"), ("效益指标", "服务对象满意度指标", "丁")]
    (warning,) = [w for w in table.warnings if w.code == "satisfaction_under_benefit"]
    assert "“丙”、“丁”" in warning.message and "计入效益指标" in warning.message
    assert "满意度指标组为空" in warning.message
    # the same warning names the empty group: no second level1_missing for 满意度指标
    assert not [w for w in table.warnings if w.code == "level1_missing"]


def test_several_projects_in_one_sheet_with_blocks() -> None:
    table = read(
        [TITLE, TITLE, TITLE],
        ["单位编码", "309001", "单位名称", "门源县应急管理局"],
        ["项目名称", "项目甲", "项目甲", "资金总额(万元)", "50"],
        ["年度绩效目标", "目标1：检查50次；目标2：培训4次以上。"],
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "检查", "50次"],
        [],
        ["项目名称", "项目乙", "资金总额(万元)", "1.70"],
        ["产出指标", "数量指标", "培训", "≥2次"],
        ["合计", "", "", ""],
    )
    first, second = table.projects
    assert (first.seq, first.name, first.amount_wan, first.unit_code) == (1, "项目甲", Decimal(50), "309001")
    assert first.goals == ["检查50次；", "培训4次以上。"]
    assert (second.seq, second.name, second.amount_wan) == (2, "项目乙", Decimal("1.70"))
    assert [i.name for i in second.indicators] == ["培训"]  # the header above still applies
    assert (table.title, table.year, table.total_wan) == (TITLE, 2023, Decimal("51.70"))
    assert [(u.code, u.name, u.amount_wan) for u in table.units] == [
        ("309001", "门源县应急管理局", Decimal("51.70"))
    ]


def test_project_column_with_blanks() -> None:
    table = read(
        [TITLE],
        ["项目名称", "金额", "一级指标", "二级指标", "三级指标", "指标值"],
        ["项目甲", "10", "产出指标", "数量指标", "检查", "5次"],
        ["", "", "", "", "培训", "2次"],
        ["项目乙", "20", "产出指标", "数量指标", "宣传", "3次"],
    )
    assert [(p.name, p.amount_wan, [i.name for i in p.indicators]) for p in table.projects] == [
        ("项目甲", Decimal(10), ["检查", "培训"]),
        ("项目乙", Decimal(20), ["宣传"]),
    ]


def test_project_block_label_and_value_in_one_cell() -> None:
    table = read(
        ["填报单位：[309001]门源县应急管理局", "", "单位：元"],
        ["项目名称：项目甲", "", "资金总额：500000"],
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "检查", "5次"],
        filename="2023年目标.xlsx",
    )
    (project,) = table.projects
    assert (project.name, project.amount_wan, project.unit_code) == ("项目甲", Decimal(50), "309001")
    assert table.units[0].name == "门源县应急管理局"
    assert table.year == 2023  # from the file name: the sheet has no title with a year


def test_title_beside_labels_signature_lines_and_amount_columns_in_yuan() -> None:
    table = read(
        ["", "湟源县民政局2023年项目支出绩效目标表", "", "单位：元"],
        ["项目名称", "资金总额（元）", "二级指标", "三级指标", "指标值"],
        ["低保救助", "1,250,000", "数量指标", "救助人数", "≥300人"],
        ["", "", "", "救助资金发放", ""],
        ["填报人：张三", "", "", "联系电话：0971-1234567", ""],
    )
    assert (table.title, table.year, table.units[0].name) == (
        "湟源县民政局2023年项目支出绩效目标表",
        2023,
        "湟源县民政局",
    )
    (project,) = table.projects
    assert (project.name, project.amount_wan) == ("低保救助", Decimal(125))
    assert [i.name for i in project.indicators] == ["救助人数", "救助资金发放"]  # a named row is kept …
    assert project.indicators[1].target.kind == "unparsed"  # … and flagged, never dropped
    block = read(
        ["湟源县民政局2023年项目支出绩效目标表", "", "单位：元"],
        ["项目名称", "低保救助", "资金总额", "1250000"],
        ["二级指标", "三级指标", "指标值"],
        ["数量指标", "救助人数", "≥300人"],
    )
    assert block.projects[0].amount_wan == Decimal(125)  # 单位：元 beside the title


def test_unit_and_year_from_title_or_file_name() -> None:
    rows = (["一级指标", "二级指标", "三级指标", "指标值"], ["产出指标", "数量指标", "检查", "5次"])
    table = read(["祁连县林业和草原局2024年度部门预算项目绩效目标表"], ["项目名称", "护林"], *rows)
    assert (table.year, table.units[0].name, table.units[0].code) == (
        2024,
        "祁连县林业和草原局",
        "祁连县林业和草原局",
    )
    assert "unit_code_missing" in codes(table)
    from_file = read(["项目名称", "护林"], *rows, filename="uploads/海晏县教育局2022年项目绩效目标.csv")
    assert (from_file.year, from_file.units[0].name) == (2022, "海晏县教育局")
    explicit = read(["项目名称", "护林"], *rows, filename="x.csv", year=2021)
    assert explicit.year == 2021
    nothing = read(["项目名称", "护林"], *rows)
    assert nothing.year is None and {"year_missing", "unit_missing"} <= set(codes(nothing))


def test_department_with_code_becomes_the_parent_unit() -> None:
    table = read(
        [TITLE],
        ["主管部门及代码", "[309]门源县应急管理局"],
        ["实施单位", "309001 门源县应急管理局本级"],
        ["项目名称", "项目甲", "资金总额（万元）", "3"],
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "检查", "5次"],
    )
    assert [(u.code, u.name, u.parent_code, u.amount_wan) for u in table.units] == [
        ("309", "门源县应急管理局", None, Decimal(3)),
        ("309001", "门源县应急管理局本级", "309", Decimal(3)),
    ]


# ---------------------------------------------------------------- operator, unit and direction columns


@pytest.mark.parametrize(
    ("value", "operator", "unit", "raw"),
    [
        ("95", "≥", "%", "≥95%"),
        ("50", "=", "次", "50次"),  # "=" is how a table says "no operator"
        ("50", "＝", "次", "50次"),
        ("10", "≤", "万元", "≤10万元"),
        ("95%", "≥", "%", "≥95%"),  # the unit is not written twice
        ("≥95", "≥", "%", "≥95%"),  # nor the operator
        ("90", "不低于", "百分比", "不低于90%"),
        ("健全", "=", "", "健全"),
        ("2022年依法维权次数", "≥", "", "≥2022年依法维权次数"),
        ("2023年12月底前", "", "", "2023年12月底前"),
        ("3*300", "", "元", "3*300元"),
        ("100", "", "/", "100"),  # a placeholder unit
    ],
)
def test_compose_raw(value: str, operator: str, unit: str, raw: str) -> None:
    assert compose_raw(value, operator, unit)[0] == raw


def test_compose_raw_direction_words_and_unknown_operators() -> None:
    assert compose_raw("95", "正向", "%") == ("95%", "positive", None)
    assert compose_raw("5", "反向指标", "次") == ("5次", "reverse", None)
    assert compose_raw("健全", "定性", "") == ("健全", "qualitative", None)
    assert compose_raw("95", "≥", "%", "正向") == ("≥95%", "positive", None)
    raw, direction, note = compose_raw("95", "约束性", "%")
    assert (raw, direction) == ("95%", None) and "约束性" in note


def test_operator_unit_direction_and_points_columns() -> None:
    header = ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "指标方向", "分值"]
    table = read(
        [TITLE],
        header,
        ["产出指标", "数量指标", "检查", "≥", "50", "次", "正向", "30"],
        ["", "成本指标", "培训成本", "=", "2", "万元", "", "10"],
        ["", "质量指标", "投诉率", "", "5", "%", "反向", "10"],
        ["效益指标", "社会效益指标", "事故率", "", "0", "%", "反向", "20"],
        ["", "可持续影响指标", "长效机制", "定性", "逐步完善", "", "", "10"],
        ["满意度指标", "服务对象满意度指标", "满意度", "≥", "90", "%", "反向", "10"],
    )
    inds = {i.name: i for i in table.projects[0].indicators}
    assert (inds["检查"].target.raw, inds["检查"].direction, inds["检查"].points) == (
        "≥50次",
        "positive",
        Decimal(30),
    )
    assert inds["培训成本"].direction == "reverse"  # = under 成本指标 (scoring.md §3)
    assert (inds["投诉率"].target.operator, inds["投诉率"].direction) == (
        "=",
        "reverse",
    )  # the column decides
    assert inds["事故率"].direction == "zero_target"  # a target of 0 stays zero-target
    assert inds["长效机制"].target.kind == "qualitative" and inds["长效机制"].direction == "qualitative"
    assert inds["满意度"].direction == "reverse"
    conflict = [w for w in table.warnings if w.code == "direction_conflict"]
    assert [w.indicator for w in conflict] == ["满意度"]  # ≥ but marked 反向
    assert conflict[0].project_seq == 1 and conflict[0].line == 8
    assert "level_weights_differ" not in {w.code for w in points_warnings(table)}  # 50 / 30 / 10


def test_unreadable_values_are_kept_as_unparsed_with_a_warning() -> None:
    table = read(
        [TITLE],
        ["一级指标", "二级指标", "三级指标", "指标值", "分值"],
        ["产出指标", "数量指标", "检查", "详见附件", "五分"],
        ["", "", "", "孤立的值", ""],
    )
    (ind,) = table.projects[0].indicators
    assert (ind.target.kind, ind.target.raw, ind.points) == ("unparsed", "详见附件", None)
    assert {"unparsed_value", "points_unreadable", "indicator_name_missing"} <= set(codes(table))


# ---------------------------------------------------------------- points


def _project(*points: tuple[str, str | None]) -> ParsedProject:
    level2 = {
        "产出指标": "数量指标",
        "效益指标": "社会效益指标",
        "满意度指标": "服务对象满意度指标",
        "成本指标": "经济成本指标",
    }
    return ParsedProject(
        seq=1,
        unit_code="1",
        name="项目",
        amount_wan=None,
        indicators=[
            ParsedIndicator(
                level1=l1,
                level2=level2[l1],
                name=f"指标{k}",
                target=Target(raw="健全", kind="qualitative", expected="健全"),
                points=Decimal(p) if p is not None else None,
            )
            for k, (l1, p) in enumerate(points)
        ],
    )


def check_points(project: ParsedProject, policy: Policy = CENTRAL_2020):  # noqa: ANN201
    return points_warnings(ParsedTable(None, 2023, None, projects=[project]), policy)


def test_points_matching_the_level1_weights_give_no_warning() -> None:
    good = _project(("产出指标", "25"), ("产出指标", "25"), ("效益指标", "30"), ("满意度指标", "10"))
    assert check_points(good) == []
    assert check_points(_project(("产出指标", None))) == []  # no points: nothing to check
    # Newer template: 成本指标 as a level 1 counts with 产出; no 满意度 → 效益 may carry 40.
    newer = _project(("产出指标", "40"), ("成本指标", "10"), ("效益指标", "40"))
    assert check_points(newer) == []


def test_points_of_another_split_are_a_warning_naming_the_levels() -> None:
    bad = _project(("产出指标", "20"), ("产出指标", "25.5"), ("效益指标", "30"), ("满意度指标", "10"))
    (warning,) = check_points(bad)
    assert warning.code == "level_weights_differ" and warning.project_seq == 1
    # every indicator has points: the budget weight is 100 − 85.5
    assert (
        warning.message == "一级指标分值与评分规则不同：产出指标 45.5（规则 50）、预算执行率 14.5（规则 10）"
    )
    partial = _project(("产出指标", "50"), ("效益指标", None), ("满意度指标", "10"))
    assert [w.code for w in check_points(partial)] == ["points_incomplete"]  # 效益 gets the policy's 30
    nothing_left = _project(("产出指标", "50"), ("产出指标", None), ("效益指标", "30"), ("满意度指标", "10"))
    assert [w.code for w in check_points(nothing_left)] == ["points_incomplete", "points_unusable"]
    other = CENTRAL_2020.with_overrides({"level1_weights": {"output": 40, "benefit": 40}})
    assert [w.code for w in check_points(bad, other)] == ["level_weights_differ"]


@pytest.mark.parametrize("label", ["预算执行率", "预算执行情况（10分）", "资金执行率"])
def test_budget_row_gives_the_budget_weight_and_is_no_indicator(label: str) -> None:
    table = read(
        [TITLE],
        ["一级指标", "二级指标", "三级指标", "指标值", "分值"],
        ["产出指标", "数量指标", "检查", "5次", "40"],
        ["效益指标", "社会效益指标", "效果", "健全", "20"],
        ["满意度指标", "服务对象满意度指标", "满意度", "≥90%", "20"],
        [label, "", "", "", "20"],
    )
    project = table.projects[0]
    assert [i.name for i in project.indicators] == ["检查", "效果", "满意度"]
    assert project.budget_points == Decimal(20)
    assert project.to_json()["budget_points"] == "20"
    unreadable = read(
        [TITLE],
        ["一级指标", "二级指标", "三级指标", "指标值", "分值"],
        ["产出指标", "数量指标", "检查", "5次", "40"],
        ["预算执行率", "", "", "", "二十"],
    )
    assert unreadable.projects[0].budget_points is None
    assert "points_unreadable" in codes(unreadable)


def test_points_column_as_weights_percent() -> None:
    table = read(
        [TITLE],
        ["一级指标", "二级指标", "三级指标", "指标值", "权重(%)"],
        ["产出指标", "数量指标", "检查", "5次", "50%"],
        ["效益指标", "社会效益指标", "效果", "健全", "30"],
        ["满意度指标", "服务对象满意度指标", "满意度", "≥90%", "10分"],
    )
    assert [i.points for i in table.projects[0].indicators] == [Decimal(50), Decimal(30), Decimal(10)]
    assert points_warnings(table) == []


# ---------------------------------------------------------------- small helpers


@pytest.mark.parametrize(
    ("text", "label", "expected"),
    [
        ("50", "资金总额（万元）", "50"),
        ("50.00万元", "金额", "50.00"),
        ("1,200,000", "资金总额（元）", "120"),
        ("356000元", "金额", "35.6"),
        ("无", "金额", None),
    ],
)
def test_parse_amount(text: str, label: str, expected: str | None) -> None:
    got = parse_amount(text, label)
    assert got == (Decimal(expected) if expected else None)


def test_split_unit_code() -> None:
    assert split_unit_code("[309001]门源县应急管理局") == ("309001", "门源县应急管理局")
    assert split_unit_code("309001-门源县应急管理局") == ("309001", "门源县应急管理局")
    assert split_unit_code("门源县应急管理局") == (None, "门源县应急管理局")


def test_a_sheet_without_header_is_skipped_when_another_has_one() -> None:
    notes = sheet(["填表说明"], ["请按模板填写"], label="工作表“说明”")
    data = sheet(
        [TITLE], ["二级指标", "三级指标", "指标值"], ["数量指标", "检查", "5次"], label="工作表“项目”"
    )
    table = read_grid([notes, data])
    assert table.projects[0].indicators[0].name == "检查"
    with pytest.raises(TableFormatError, match="工作表“说明”"):
        read_grid([notes])


def test_the_declaration_form_template() -> None:
    """The 项目支出绩效目标申报表 form: year on its own line, 主管部门及代码, 项目资金 rows,
    a goal cell merged over two rows, a 绩效指标 column on the left of the header."""
    goals = "目标1：开展防火宣传；目标2：扑救及时。"
    table = read(
        ["项目支出绩效目标申报表"] * 5,
        ["（2023年度）"] * 5,
        ["项目名称", "森林防火工作经费", "森林防火工作经费", "森林防火工作经费", ""],
        ["主管部门及代码", "[309]门源县应急管理局", "实施单位", "门源县应急管理局", ""],
        ["项目属性", "经常性项目", "项目期", "一年", ""],
        ["项目资金（万元）", "年度资金总额", "4", "", ""],
        ["项目资金（万元）", "其中：财政拨款", "4", "", ""],
        ["年度绩效目标", goals, goals, "", ""],
        ["年度绩效目标", goals, goals, "", ""],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "指标值"],
        ["绩效指标", "产出指标", "数量指标", "防火宣传", "≥10次"],
        ["绩效指标", "效益指标", "社会效益指标", "森林火灾受害率", "≤0.9‰"],
    )
    (project,) = table.projects
    assert (table.title, table.year) == ("项目支出绩效目标申报表", 2023)
    assert (project.name, project.amount_wan, project.goals) == (
        "森林防火工作经费",
        Decimal(4),
        ["开展防火宣传；", "扑救及时。"],
    )
    # The 实施单位 is the department itself: it takes the department's code, no parent.
    assert [(u.code, u.name, u.parent_code) for u in table.units] == [("309", "门源县应急管理局", None)]
    assert project.unit_code == "309"
    assert not {"unit_code_missing", "amount_unreadable"} & set(codes(table))
    assert [i.target.raw for i in project.indicators] == ["≥10次", "≤0.9‰"]


def test_a_cost_level1_with_its_own_weight_is_checked_on_its_own() -> None:
    own_cost = Policy(
        "own",
        1,
        PolicySettings(
            level1_weights={"budget": 10, "output": 40, "cost": 10, "benefit": 30, "satisfaction": 10},
            cost_level1="own_weight",
        ),
    )
    project = _project(("产出指标", "40"), ("成本指标", "10"), ("效益指标", "30"), ("满意度指标", "10"))
    assert check_points(project, own_cost) == []
    assert check_points(project) == []  # 40 + 10 share 产出
    wrong = _project(("产出指标", "45"), ("成本指标", "5"), ("效益指标", "30"), ("满意度指标", "10"))
    assert [w.message for w in check_points(wrong, own_cost)] == [
        "一级指标分值与评分规则不同：产出指标 45（规则 40）、成本指标 5（规则 10）"
    ]
