"""Level headings as real tables write them (numbering, spaces, 目标 for 指标, older and local
names): headings, never indicators, never swallowing the rows after them — in the level names
(levels.py), the published text layout and the grid layout (rows, CSV, XLSX)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from app.targets.grid import GridSheet, read_grid
from app.targets.levels import normalise_level1, normalise_level2, split_heading, standalone_heading
from app.targets.readers import read_table_bytes
from app.targets.text_layout import parse_text_table
from app.targets.types import ParsedTable
from tests.test_text_layout import table_text

OUT, COST, BEN, SAT = "产出指标", "成本指标", "效益指标", "满意度指标"
SAT2 = "服务对象满意度指标"

# (heading as written, level 1, level 2 or None for a level-1 heading)
FORMS = [
    ("经济效益 指标", BEN, "经济效益指标"),
    ("（五）经济效益", BEN, "经济效益指标"),
    ("项目完成指标", OUT, None),
    ("项目效益指标", BEN, None),
    ("产出目标", OUT, None),
    ("数量目标", OUT, "数量指标"),
    ("质量目标", OUT, "质量指标"),
    ("时效目标", OUT, "时效指标"),
    ("成本目标", OUT, "成本指标"),
    ("可持续性发展影响指标", BEN, "可持续影响指标"),
    ("服务对象或受益者满意度指标", SAT, SAT2),
    ("服务对象满意度指标等", SAT, SAT2),
    ("社会公众满意度", SAT, SAT2),
    ("二、成本指标", COST, None),  # the 2021 template: 成本指标 numbered as a level 1
    ("经济成本指标", COST, "经济成本指标"),
    ("社会成本指标", COST, "社会成本指标"),
    ("生态环境成本指标", COST, "生态环境成本指标"),
    ("一 、产出 指标", OUT, None),
    ("(1)质量目标：", OUT, "质量指标"),
]


@pytest.mark.parametrize(("text", "level1", "level2"), FORMS)
def test_split_heading_reads_every_form(text: str, level1: str, level2: str | None) -> None:
    heading, rest = split_heading(text)
    assert heading is not None, text
    assert (heading.level1, heading.level2, rest) == (level1, level2, "")


@pytest.mark.parametrize(("text", "level1", "level2"), FORMS)
def test_level_cells_normalise_every_form(text: str, level1: str, level2: str | None) -> None:
    if level2 is None:
        assert normalise_level1(text) == level1
    else:
        assert normalise_level2(text) == level2


@pytest.mark.parametrize(
    "text",
    ["社会公众满意度 ≥95%", "数量目标完成率 100%", "绩效目标", "年度目标", "项目名称", "满意度"],
)
def test_a_name_with_a_value_or_another_word_is_no_standalone_heading(text: str) -> None:
    assert standalone_heading(text) is None


# ---------------------------------------------------------------- the published text layout


def _text(indicators: str) -> ParsedTable:
    return parse_text_table(table_text((1, "测试项目", "10.00", "<p>目标1: 完成工作。</p>", indicators)))


def _levels(table: ParsedTable) -> list[tuple[str, str, str]]:
    return [(i.level1, i.level2, i.name) for i in table.projects[0].indicators]


@pytest.mark.parametrize(("text", "level1", "level2"), FORMS)
def test_text_layout_heading_sets_the_levels_of_the_items_after_it(
    text: str, level1: str, level2: str | None
) -> None:
    t = _text(
        f"<p>一、产出指标</p><p>(一) 数量指标</p><p>1. 前项 1次</p><p>{text}</p><p>1. 检查 5次</p><p>2. 培训 ≥2次</p>"
    )
    got = _levels(t)
    assert [name for _, _, name in got] == ["前项", "检查", "培训"]  # the heading is no indicator
    for l1, l2, _ in got[1:]:  # … and the items after it are not swallowed
        assert l1 == level1
        if level2 is not None:
            assert l2 == level2
    assert not [w for w in t.warnings if w.code == "unparsed_value"]


def test_text_layout_2021_template_cost_as_level1_with_spaced_and_target_names() -> None:
    t = _text(
        "<p>一、产出目标</p><p>（一）数量目标</p><p>1. 检查 ≥5次</p>"
        "<p>二、成本指标</p><p>（一）经济成本 指标</p><p>1. 检查成本 ≤3万元</p><p>（二）生态环境成本指标</p>"
        "<p>1. 占用林地 0亩</p><p>三、效益目标</p><p>（一）可持续性发展影响指标</p><p>1. 机制健全性 健全</p>"
        "<p>四、满意度目标</p><p>（一）服务对象满意度指标等</p><p>1. 群众满意度 ≥90%</p>"
    )
    assert _levels(t) == [
        (OUT, "数量指标", "检查"),
        (COST, "经济成本指标", "检查成本"),
        (COST, "生态环境成本指标", "占用林地"),
        (BEN, "可持续影响指标", "机制健全性"),
        (SAT, SAT2, "群众满意度"),
    ]
    assert not [w for w in t.warnings if w.code in ("level_unknown", "level1_missing")]


def test_text_layout_a_name_equal_to_a_heading_with_a_value_is_an_indicator() -> None:
    t = _text("<p>三、满意度指标</p><p>社会公众满意度 ≥95%</p><p>服务对象满意度指标 ≥90%</p>")
    got = [(i.level1, i.name, i.target.value) for i in t.projects[0].indicators]
    assert got == [(SAT, "社会公众满意度", Decimal(95)), (SAT, "服务对象满意度指标", Decimal(90))]


def test_text_layout_satisfaction_under_benefit_keeps_the_tables_level_with_a_warning() -> None:
    t = _text(
        "<p>一、项目完成指标</p><p>（一）数量指标</p><p>1. 检查 5次</p>"
        "<p>二、项目效益指标</p><p>（一）社会效益指标</p><p>1. 知晓率 ≥90%</p>"
        "<p>（二）服务对象满意度指标</p><p>1. 群众满意度 ≥95%</p>"
    )
    assert _levels(t)[1:] == [(BEN, "社会效益指标", "知晓率"), (BEN, SAT2, "群众满意度")]
    (w,) = [w for w in t.warnings if w.code == "satisfaction_under_benefit"]
    assert "“群众满意度”" in w.message and "满意度指标组为空" in w.message
    # a level-1 name or a level-1 number opens 满意度指标 as before
    for heading in ("（三）满意度指标", "三、服务对象满意度指标"):
        t = _text(
            f"<p>二、效益指标</p><p>（一）社会效益指标</p><p>1. 知晓率 ≥90%</p><p>{heading}</p><p>1. 群众满意度 ≥95%</p>"
        )
        assert _levels(t)[-1] == (SAT, SAT2, "群众满意度")
        assert "satisfaction_under_benefit" not in {w.code for w in t.warnings}


# ---------------------------------------------------------------- the grid layout

HEADER = ["一级指标", "二级指标", "三级指标", "指标值"]
TITLE = "某县应急管理局2023年项目支出绩效目标表"


def _grid(*rows: list[str]) -> ParsedTable:
    return read_grid([GridSheet(name="", rows=[[TITLE], HEADER, *map(list, rows)])])


@pytest.mark.parametrize(("text", "level1", "level2"), FORMS)
def test_grid_level_cells_in_every_form(text: str, level1: str, level2: str | None) -> None:
    if level2 is None:
        second = {OUT: "数量指标", BEN: "社会效益指标", COST: "经济成本指标"}[level1]
        row = [text, second, "检查", "5次"]
    else:
        row = [level1, text, "检查", "5次"]
    t = _grid(row)
    (ind,) = t.projects[0].indicators
    assert (ind.level1, ind.level2 if level2 else None) == (level1, level2)
    assert "level_unknown" not in {w.code for w in t.warnings}


@pytest.mark.parametrize(("text", "level1", "level2"), [f for f in FORMS if f[0] != "社会公众满意度"])
def test_grid_heading_in_the_name_column_sets_the_levels_below(
    text: str, level1: str, level2: str | None
) -> None:
    t = _grid(["产出指标", "数量指标", "前项", "1次"], ["", "", text, ""], ["", "", "检查", "5次"])
    got = _levels(t)
    assert [name for _, _, name in got] == ["前项", "检查"]
    assert got[1][0] == level1
    if level2 is not None:
        assert got[1][1] == level2


def test_grid_a_name_equal_to_a_heading_with_a_value_is_an_indicator() -> None:
    t = _grid(["效益指标", "社会效益指标", "社会效益指标", "≥1次"], ["满意度指标", "", "社会公众满意度", ""])
    assert [i.name for i in t.projects[0].indicators] == ["社会效益指标", "社会公众满意度"]  # bare name: kept


def test_csv_2021_template_with_cost_as_level1() -> None:
    csv = "\n".join(
        [
            TITLE,
            "项目名称,安全监管,资金总额(万元),10",
            ",".join(HEADER),
            "一、产出目标,（一）数量目标,检查,≥5次",
            "二、成本指标,经济成本指标,检查成本,≤3万元",
            ",社会成本指标,占用道路,0处",
            ",生态环境成本 指标,占用林地,0亩",
            "三、效益目标,可持续性发展影响指标,机制健全性,健全",
            "四、满意度指标,社会公众满意度,群众满意度,≥90%",
        ]
    )
    t = read_table_bytes(csv.encode("utf-8"), filename="t.csv")
    assert _levels(t) == [
        (OUT, "数量指标", "检查"),
        (COST, "经济成本指标", "检查成本"),
        (COST, "社会成本指标", "占用道路"),
        (COST, "生态环境成本指标", "占用林地"),
        (BEN, "可持续影响指标", "机制健全性"),
        (SAT, SAT2, "群众满意度"),
    ]
    assert not [w for w in t.warnings if w.code in ("level_unknown", "level1_missing")]


def test_xlsx_older_template_with_merged_levels_and_satisfaction_under_benefit() -> None:
    wb = Workbook()
    ws = wb.active
    for row in [
        [TITLE],
        HEADER,
        ["项目完成指标", "数量指标", "检查", "5次"],
        [None, "（二）质量 指标", "合格率", "≥95%"],
        ["项目效益指标", "社会效益指标", "知晓率", "≥90%"],
        [None, "服务对象或受益者满意度指标", "群众满意度", "≥95%"],
    ]:
        ws.append(row)
    ws.merge_cells("A3:A4")
    ws.merge_cells("A5:A6")
    buffer = io.BytesIO()
    wb.save(buffer)
    t = read_table_bytes(buffer.getvalue(), filename="t.xlsx")
    assert _levels(t) == [
        (OUT, "数量指标", "检查"),
        (OUT, "质量指标", "合格率"),
        (BEN, "社会效益指标", "知晓率"),
        (BEN, SAT2, "群众满意度"),
    ]
    assert "satisfaction_under_benefit" in {w.code for w in t.warnings}


# ---------------------------------------------------------------- generated variants

MARKERS = ["", "（一）", "(一)", "（五）", "一、", "二、", "1.", "1、", "(1)", "（1）", "①", "3．"]
LEVEL2_STEMS = [
    ("数量", OUT, "数量指标"),
    ("质量", OUT, "质量指标"),
    ("时效", OUT, "时效指标"),
    ("经济效益", BEN, "经济效益指标"),
    ("社会效益", BEN, "社会效益指标"),
    ("生态效益", BEN, "生态效益指标"),
    ("可持续影响", BEN, "可持续影响指标"),
    ("可持续性发展影响", BEN, "可持续影响指标"),
    ("经济成本", COST, "经济成本指标"),
    ("社会成本", COST, "社会成本指标"),
    ("生态环境成本", COST, "生态环境成本指标"),
    ("服务对象满意度", SAT, SAT2),
    ("社会公众满意度", SAT, SAT2),
    ("服务对象或受益者满意度", SAT, SAT2),
    ("产出", OUT, None),
    ("效益", BEN, None),
    ("项目完成", OUT, None),
    ("项目效益", BEN, None),
    ("满意度", SAT, None),
]


@settings(max_examples=300, deadline=None)
@given(
    marker=st.sampled_from(MARKERS),
    gap=st.sampled_from(["", " ", "\u3000"]),
    stem=st.sampled_from(LEVEL2_STEMS),
    cut=st.integers(min_value=0, max_value=12),
    inner=st.sampled_from(["", " "]),
    suffix=st.sampled_from(["指标", "目标", " 指标", ""]),
    tail=st.sampled_from(["", ":", "：", "（10分）", "等"]),
)
def test_generated_heading_variants_are_headings(
    marker: str, gap: str, stem: tuple, cut: int, inner: str, suffix: str, tail: str
) -> None:
    name, level1, level2 = stem
    cut = min(cut, len(name))
    written = f"{marker}{gap}{name[:cut]}{inner if 0 < cut < len(name) else ''}{name[cut:]}{suffix}{tail}"
    heading, rest = split_heading(written)
    assert heading is not None, written
    assert (heading.level1, heading.level2, rest) == (level1, level2, ""), written
    t = _text(f"<p>{written}</p><p>1. 检查 5次</p>")
    ((l1, l2, ind_name),) = _levels(t)  # the heading is no indicator; the item keeps its levels
    assert (l1, ind_name) == (level1, "检查"), written
    if level2 is not None:
        assert l2 == level2, written
