"""The published tab-separated layout: the seed exactly, each oddity as a general
rule on small synthetic tables, and malformed files refused with what and where."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from app.cli import main
from app.targets.formats import decode_text, detect_format, parse_bytes, read_table
from app.targets.text_layout import parse_text_table
from app.targets.types import ParsedTable, TableFormatError

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "menyuan-emergency-2023.txt"
EXPECTED = Path(__file__).parent / "data" / "menyuan-emergency-2023.expected.json"

HEADER = "单位编码\t单位及项目名称\t金额 (万元)\t绩效目标\t绩效指标"


def table_text(*projects: tuple, title: str = "某县应急管理局2023年部门预算项目支出绩效目标公开表") -> str:
    """A small table in the published layout: ``projects`` are (seq, name, amount, goals, indicators)."""
    total = sum(Decimal(p[2]) for p in projects)
    rows = ["", title, "", HEADER, f"合计:\t\t{total}\t\t", f"900\t某县应急管理局\t{total}\t\t"]
    rows.append(f"900001\t某县应急管理局\t{total}\t\t")
    rows += ["\t".join(str(c) for c in p) for p in projects]
    return "\n".join(rows) + "\n"


def parse(indicators: str, goals: str = "<p>目标1: 完成工作。</p>", amount: str = "10.00") -> ParsedTable:
    return parse_text_table(table_text((1, "测试项目", amount, goals, indicators)))


def levels(table: ParsedTable) -> list[tuple[str, str, str]]:
    return [(i.level1, i.level2, i.name) for i in table.projects[0].indicators]


# --- the seed -------------------------------------------------------------------------------------


def _num(v: object) -> Decimal | None:
    return None if v is None else Decimal(str(v))


def test_seed_parses_to_exactly_the_expected_table() -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    got = read_table(SEED).to_json()
    assert (got["title"], got["year"], _num(got["total_wan"])) == (
        expected["title"],
        expected["year"],
        _num(expected["total_wan"]),
    )
    assert [(u["code"], u["name"], _num(u["amount_wan"]), u["parent_code"]) for u in got["units"]] == [
        (u["code"], u["name"], _num(u["amount_wan"]), u["parent_code"]) for u in expected["units"]
    ]
    assert [p["seq"] for p in got["projects"]] == [p["seq"] for p in expected["projects"]]
    count = 0
    for gp, ep in zip(got["projects"], expected["projects"], strict=True):
        assert (gp["name"], _num(gp["amount_wan"]), gp["unit_code"]) == (
            ep["name"],
            _num(ep["amount_wan"]),
            ep["unit_code"],
        )
        assert len(gp["goals"]) == ep["goal_count"]
        assert len(gp["indicators"]) == len(ep["indicators"]), ep["name"]
        for gi, ei in zip(gp["indicators"], ep["indicators"], strict=True):
            where = f"project {ep['seq']} {ei['name']}"
            for key in ("level1", "level2", "name", "raw", "kind", "expected", "date", "reference"):
                assert gi.get(key) == ei.get(key), f"{where}: {key}"
            if ei["kind"] in ("numeric", "reference"):
                assert gi["operator"] == ei["operator"], where
            if ei["kind"] == "numeric":
                assert (_num(gi["value"]), gi["unit"]) == (_num(ei["value"]), ei["unit"]), where
            count += 1
    assert count == 137


def test_seed_goals_are_the_texts_without_labels() -> None:
    goals = read_table(SEED).projects[0].goals
    assert goals[0].startswith("力争完成州政府、州安委下达的各项安全考核目标")
    assert goals[3] == "安全生产委员会办公室工作经费。"
    assert not any(g.startswith("目标") for g in goals)


def test_seed_warnings() -> None:
    got = {(w.code, w.project_seq, w.indicator) for w in read_table(SEED).warnings}
    assert got == {
        ("goal_contradicts_indicator", 1, "第三方专家咨询和检查"),  # goal 4次以上, indicator ≥2次
        ("goal_contradicts_indicator", 1, "省、州级培训"),  # goal 4次以上, indicator ≥8次
        ("deadline_before_year", 3, "提供法律咨询时间"),  # 2022年12月底前 in a 2023 table
        ("goal_contradicts_indicator", 4, "农村住房保险补贴户数"),  # goal 2万户, indicator 3.2万户
        ("level1_missing", 5, None),  # no 满意度指标
        ("cost_over_amount", 8, None),  # 135万 of cost targets in a 50万 project
    }


def test_jixiao_parse_prints_the_contract_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(SEED)]) == 0
    out = capsys.readouterr().out
    assert "门源县应急管理局" in out  # ensure_ascii=False
    assert out.startswith('{\n  "title"')  # indent 2
    parsed = json.loads(out)
    assert parsed["year"] == 2023
    assert sum(len(p["indicators"]) for p in parsed["projects"]) == 137
    assert parsed["projects"][1]["indicators"][9]["value"] == "0.7"  # decimals as strings


def test_jixiao_parse_unreadable_file_exits_1_with_a_chinese_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["parse", str(tmp_path / "missing.txt")]) == 1
    assert "文件不存在" in capsys.readouterr().err
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert main(["parse", str(empty), "--format", "text"]) == 1
    err = capsys.readouterr()
    assert err.out == ""
    assert "文件为空" in err.err


# --- oddities, each by a general rule ----------------------------------------------------------


def test_level2_heading_inside_an_item_moves_the_following_items() -> None:
    t = parse(
        "<p>二、效益指标</p> <p>(一) 经济效益指标</p> <ol> 1. 损失降低率 ≥0 "
        "2. 社会效益指标 知识知晓率 ≥95% 3. 事故发生次数 0次 </ol>"
    )
    assert levels(t) == [
        ("效益指标", "经济效益指标", "损失降低率"),
        ("效益指标", "社会效益指标", "知识知晓率"),
        ("效益指标", "社会效益指标", "事故发生次数"),
    ]


def test_level1_name_written_as_level2_switches_level1() -> None:
    t = parse(
        "<p>二、效益指标</p> <p>(一) 社会效益指标</p> <ol> 1. 知晓率 ≥90% <p>(三) 满意度指标</p> <ol> 1. 群众满意度 ≥95%"
    )
    assert levels(t)[-1] == ("满意度指标", "服务对象满意度指标", "群众满意度")


def test_level2_name_as_level1_heading() -> None:
    t = parse("<p>三、服务对象满意度指标</p> <p>1. 退休人员满意度 ≥95%</p>")
    assert levels(t) == [("满意度指标", "服务对象满意度指标", "退休人员满意度")]


def test_heading_only_item_and_inline_heading_item() -> None:
    t = parse(
        "<p>(四) 满意度指标</p> <ol> 1. 服务对象满意度指标 2. 参保农民满意度 ≥95% 3. 受灾农民满意度 ≥90% "
        "<p>(五) 满意度指标</p> <ol> 1. 服务对象满意度指标 群众满意度 ≥85%"
    )
    assert [(i.name, i.target.value) for i in t.projects[0].indicators] == [
        ("参保农民满意度", Decimal(95)),
        ("受灾农民满意度", Decimal(90)),
        ("群众满意度", Decimal(85)),
    ]
    assert {i.level2 for i in t.projects[0].indicators} == {"服务对象满意度指标"}


def test_level2_heading_without_brackets_opens_a_paragraph() -> None:
    t = parse(
        "<p>一、产出指标</p> <p>(一) 数量指标</p> <p>补贴户数 3.2 万户</p> "
        "<p>质量指标 补贴覆盖率 ≥95%</p> <p>定损准确率 100%</p>"
    )
    assert levels(t) == [
        ("产出指标", "数量指标", "补贴户数"),
        ("产出指标", "质量指标", "补贴覆盖率"),
        ("产出指标", "质量指标", "定损准确率"),
    ]


def test_repeated_heading_numbers_do_not_matter() -> None:
    t = parse(
        "<p>(二) 时效指标</p> <ol> 1. 办理及时率 100% <p>(二) 成本指标</p> <ol> 1. 总成本 20万 2. 补贴标准 10元/每户"
    )
    assert levels(t) == [
        ("产出指标", "时效指标", "办理及时率"),
        ("产出指标", "成本指标", "总成本"),
        ("产出指标", "成本指标", "补贴标准"),
    ]
    assert t.projects[0].indicators[2].target.unit == "元/每户"


def test_no_space_between_name_and_value() -> None:
    t = parse("<p>(四) 成本指标</p> <ol> 1. 业务工作经费1万元 2. 法制培训全年三次2万元。 3. 宣传展板 1.2万。")
    got = [(i.name, i.target.raw, i.target.value, i.target.unit) for i in t.projects[0].indicators]
    assert got == [
        ("业务工作经费", "1万元", Decimal(1), "万元"),
        ("法制培训全年三次", "2万元。", Decimal(2), "万元"),
        ("宣传展板", "1.2万。", Decimal("1.2"), "万"),
    ]


def test_names_containing_numbers() -> None:
    t = parse(
        "<p>(一) 数量指标</p> <p>1. 保障33名退休干部工作的正常开展 ≥3人</p> "
        "<p>(三) 时效指标</p> <p>1. 2023年01月--12月 ≥12个月</p> <p>(四) 成本指标</p> <p>1. 每人每年300元 3*300</p>"
    )
    got = [(i.name, i.target.operator, i.target.value, i.target.unit) for i in t.projects[0].indicators]
    assert got == [
        ("保障33名退休干部工作的正常开展", ">=", Decimal(3), "人"),
        ("2023年01月--12月", ">=", Decimal(12), "个月"),
        ("每人每年300元", "=", Decimal(900), None),
    ]


def test_numbered_items_run_together_split_only_in_sequence() -> None:
    t = parse(
        "<p>(一) 数量指标</p> <ol> 1. 检查 50次 2. 咨询 ≥2次 3. 培训 ≥8次 4. 成本 ≤ 0.7万元; 5. 演练 ≥1次。"
    )
    assert [i.name for i in t.projects[0].indicators] == ["检查", "咨询", "培训", "成本", "演练"]
    # ``1.2万`` and ``0.7`` are numbers, not item markers; an out-of-sequence ``9.`` is text
    t = parse("<p>(一) 数量指标</p> <p>1. 印制手册 1.2万份 2. 第 9. 期培训 5次</p>")
    assert [(i.name, i.target.raw) for i in t.projects[0].indicators] == [
        ("印制手册", "1.2万份"),
        ("第 9. 期培训", "5次"),
    ]


def test_items_in_list_elements_and_line_breaks() -> None:
    t = parse(
        "<p><strong>一、产出指标</strong></p><ul><li>数量指标：检查 ≥5次</li><li>质量指标：合格率 &ge;98%</li></ul>"
        "<div>二、效益指标<br/>社会效益指标<br>知晓率 &lt;5%</div>"
    )
    got = [(i.level2, i.name, i.target.operator, i.target.value) for i in t.projects[0].indicators]
    assert got == [
        ("数量指标", "检查", ">=", Decimal(5)),
        ("质量指标", "合格率", ">=", Decimal(98)),
        ("社会效益指标", "知晓率", "<", Decimal(5)),
    ]


def test_level_labels_brackets_and_closing_paren_numbers() -> None:
    t = parse(
        "<p>一级指标：产出指标</p><p>二级指标：数量指标</p><p>三级指标：企业检查 5次</p>"
        "<p>【效益指标】</p><p>(一)【社会效益指标】</p><p>1）知晓率 ≥90% 2）事故 0次</p>"
    )
    assert levels(t) == [
        ("产出指标", "数量指标", "企业检查"),
        ("效益指标", "社会效益指标", "知晓率"),
        ("效益指标", "社会效益指标", "事故"),
    ]


def test_indicators_run_together_with_semicolons() -> None:
    t = parse("<p>(一) 数量指标</p><p>1. 检查 5次；培训 ≥2次; 演练 1次</p><p>2. 保障工资；日常运行 ≥5次</p>")
    got = [(i.name, i.target.raw) for i in t.projects[0].indicators]
    # split only when every part has a name and a value; otherwise the ； belongs to the name
    assert got == [("检查", "5次"), ("培训", "≥2次"), ("演练", "1次"), ("保障工资；日常运行", "≥5次")]


def test_amount_written_with_its_unit() -> None:
    t = parse_text_table(
        table_text((1, "项目", "5", "目标1: a", "<p>(一) 数量指标</p><p>检查 5次</p>")).replace(
            "1\t项目\t5\t", "1\t项目\t5.00万元\t"
        )
    )
    assert t.projects[0].amount_wan == Decimal("5.00")


def test_trailing_punctuation_kept_in_raw_only() -> None:
    t = parse("<p>(四) 成本指标</p> <p>全县会务费、办公经费 ≤2万元、</p> <p>培训费 2万元。</p>")
    got = [(i.name, i.target.raw, i.target.value) for i in t.projects[0].indicators]
    assert got == [("全县会务费、办公经费", "≤2万元、", Decimal(2)), ("培训费", "2万元。", Decimal(2))]


def test_newer_template_with_cost_as_level1() -> None:
    t = parse(
        "<p>一、产出指标</p><p>(一) 数量指标</p><p>1. 检查 ≥5次</p>"
        "<p>二、成本指标</p><p>(一) 经济成本指标</p><p>1. 检查成本 ≤3万元</p><p>(二) 社会成本指标</p><p>1. 占用道路 0处</p>"
        "<p>三、效益指标</p><p>(一) 社会效益指标</p><p>1. 知晓率 ≥90%</p>"
        "<p>四、满意度指标</p><p>1. 群众满意度 ≥90%</p>"
    )
    assert levels(t) == [
        ("产出指标", "数量指标", "检查"),
        ("成本指标", "经济成本指标", "检查成本"),
        ("成本指标", "社会成本指标", "占用道路"),
        ("效益指标", "社会效益指标", "知晓率"),
        ("满意度指标", "服务对象满意度指标", "群众满意度"),
    ]
    assert t.projects[0].indicators[1].direction == "reverse"
    assert not [w for w in t.warnings if w.code == "level1_missing"]


def test_aliases_and_notes_in_headings() -> None:
    t = parse(
        "<p>产出指标(50分)</p><p>产出数量 (必填)</p><p>检查 5次</p>"
        "<p>效果指标</p><p>社会公众或服务对象满意度指标</p><p>满意度 ≥90%</p>"
    )
    # the older template files 社会公众或服务对象满意度指标 as a level 2 of 效益指标: kept, and warned
    assert levels(t) == [("产出指标", "数量指标", "检查"), ("效益指标", "服务对象满意度指标", "满意度")]
    assert "satisfaction_under_benefit" in {w.code for w in t.warnings}


def test_project_with_no_satisfaction_group_is_read_and_warned() -> None:
    t = parse(
        "<p>一、产出指标</p><p>(一) 数量指标</p><p>1. 检查 ≥5次</p><p>二、效益指标</p><p>(一) 社会效益指标</p><p>1. 知晓率 ≥90%</p>"
    )
    assert len(t.projects[0].indicators) == 2
    assert [(w.code, w.project_seq) for w in t.warnings] == [("level1_missing", 1)]


def test_items_before_any_heading_are_kept_with_a_warning() -> None:
    t = parse("<p>1. 检查 ≥5次</p><p>一、产出指标</p><p>2. 覆盖率 100%</p>")
    assert [(i.level1, i.level2, i.name) for i in t.projects[0].indicators] == [
        ("", "", "检查"),
        ("产出指标", "", "覆盖率"),
    ]
    assert [w.code for w in t.warnings if w.code == "level_unknown"] == ["level_unknown", "level_unknown"]


def test_unparsed_value_is_kept_with_a_warning() -> None:
    t = parse("<p>一、产出指标</p><p>(一) 数量指标</p><p>1. 检查次数 详见附件</p>")
    ind = t.projects[0].indicators[0]
    assert (ind.name, ind.target.kind, ind.target.raw) == ("检查次数", "unparsed", "详见附件")
    assert ("unparsed_value", "检查次数") in {(w.code, w.indicator) for w in t.warnings}


def test_goals_without_labels_are_numbered_items_or_paragraphs() -> None:
    t = parse("<p>一、产出指标</p><p>(一) 数量指标</p><p>检查 5次</p>", goals="1. 完成检查; 2. 开展培训")
    assert t.projects[0].goals == ["完成检查;", "开展培训"]
    t = parse(
        "<p>一、产出指标</p><p>(一) 数量指标</p><p>检查 5次</p>", goals="<p>完成检查</p><p>开展培训</p>"
    )
    assert t.projects[0].goals == ["完成检查", "开展培训"]
    t = parse(
        "<p>一、产出指标</p><p>(一) 数量指标</p><p>检查 5次</p>",
        goals="年度目标：目标一：完成检查 目标二：开展培训",
    )
    assert t.projects[0].goals == ["完成检查", "开展培训"]


def test_page_headers_repeated_mid_file_and_units() -> None:
    text = "\n".join(
        [
            "某县2024年部门预算项目支出绩效目标公开表",
            HEADER,
            "合计:\t\t3\t\t",
            "901\t某县甲局\t3\t\t",
            "901001\t某县甲局本级\t1\t\t",
            "1\t项目一\t1\t目标1: 甲\t<p>(一) 数量指标</p><p>1. 检查 5次</p>",
            "",
            HEADER,
            "901002\t某县甲局下属中心\t2\t\t",
            "2\t项目二\t2\t目标1: 乙\t<p>(一) 数量指标</p><p>1. 检查 6次</p>",
        ]
    )
    t = parse_text_table(text)
    assert t.year == 2024
    assert [(u.code, u.parent_code) for u in t.units] == [("901", None), ("901001", "901"), ("901002", "901")]
    assert [(p.seq, p.unit_code) for p in t.projects] == [(1, "901001"), (2, "901002")]
    assert not [w for w in t.warnings if w.code == "amounts_mismatch"]


def test_columns_found_by_header_names_in_any_order_and_crlf() -> None:
    text = (
        "某县2023年项目支出绩效目标表\r\n"
        "绩效指标\t单位编码\t单位及项目名称\t绩效目标\t金额（万元）\r\n"
        "\t合计\t\t\t5\r\n"
        "\t900\t某局\t\t5\r\n"
        "<p>(一) 数量指标</p><p>1. 检查 5次</p>\t1\t项目\t目标1: 完成\t5\r\n"
    )
    t = parse_text_table(text)
    assert (t.year, t.total_wan, t.units[0].code) == (2023, Decimal(5), "900")
    p = t.projects[0]
    assert (p.seq, p.name, p.amount_wan, p.goals, p.unit_code) == (1, "项目", Decimal(5), ["完成"], "900")
    assert [(i.level2, i.name) for i in p.indicators] == [("数量指标", "检查")]


def test_cell_broken_over_lines_is_joined() -> None:
    broken_last_cell = (
        1,
        "项目",
        "5",
        "<p>目标1: 完成</p>",
        "<p>(一) 数量指标</p>\n<p>1. 检查 5次</p>\n2. 培训 2次",
    )
    broken_goal_cell = (
        2,
        "项目二",
        "5",
        "<p>目标1: 完成</p>\n<p>目标2: 培训</p>",
        "<p>(一) 数量指标</p><p>1. 检查 6次</p>",
    )
    text = table_text(broken_last_cell, broken_goal_cell) + "注：本表金额单位为万元。\n"
    t = parse_text_table(text)
    assert [i.name for i in t.projects[0].indicators] == ["检查", "培训"]
    assert t.projects[1].goals == ["完成", "培训"]
    assert [i.name for i in t.projects[1].indicators] == ["检查"]  # the footnote is not an indicator


def test_unicode_line_separator_inside_a_cell_does_not_break_the_row() -> None:
    t = parse("<p>(一) 数量指标</p>1. 检查 5次\u20282. 培训 2次")
    assert [i.name for i in t.projects[0].indicators] == ["检查", "培训"]


def test_project_with_empty_goal_and_indicator_cells() -> None:
    t = parse_text_table(table_text((1, "项目", "5", "", "")))
    assert t.projects[0].indicators == []
    assert {w.code for w in t.warnings} == {"level1_missing"}


def test_deadline_resolved_in_the_tables_year() -> None:
    t = parse("<p>(三) 时效指标</p><p>1. 完成时间 年底前</p><p>2. 验收时间 9月前</p>")
    assert [i.target.deadline for i in t.projects[0].indicators] == [date(2023, 12, 31), date(2023, 9, 30)]


# --- malformed files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "文件为空"),
        ("  \n\t\n", "文件为空"),
        ("标题\n" + HEADER + "\n1\t项目\t5\t目标\x00\x01\x02", "第3行起含有二进制内容"),
        (
            "某县2023年表\n单位编码\t单位及项目名称\t金额\t绩效目标\n1\t项目\t5\t目标",
            "第2行：表头缺少列：绩效指标",
        ),
        ("某县2023年表\n1\t项目\t5\t目标1: a\t<p>检查 5次</p>", "第2行：在表头之前出现了数据行"),
        ("只有一行文字\n没有表头", "没有找到表头"),
        (table_text() + "1\t项目\t5\t<p>目标1: 保障", "第8行：项目“项目”的行不完整"),
        (table_text() + "1\t项目\t五万\t目标\t<p>检查 5次</p>", "第8行：金额“五万”不是数字"),
        (table_text() + "1\t项目\t5\t目标\t<p>检查 5次</p>\t多余", "第8行：有 6 列，多于表头的 5 列"),
        (table_text(), "没有任何项目行"),
    ],
)
def test_malformed_text_is_refused_saying_what_and_where(text: str, message: str) -> None:
    with pytest.raises(TableFormatError, match=message):
        parse_text_table(text)


def test_garbage_collector_is_resumed_after_a_refused_file() -> None:
    import gc

    assert gc.isenabled()
    with pytest.raises(TableFormatError):
        parse_text_table("只有一行文字")
    assert gc.isenabled()


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "table.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(TableFormatError, match="二进制"):
        read_table(path)


# --- encodings and dispatch --------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_encodings(encoding: str) -> None:
    data = SEED.read_text(encoding="utf-8").encode(encoding)
    t = parse_bytes(data, format="text")
    assert sum(len(p.indicators) for p in t.projects) == 137
    assert t.title == "门源县应急管理局2023年部门预算项目支出绩效目标公开表"


def test_undecodable_bytes_are_refused_with_the_line() -> None:
    data = "标题\n".encode() + b"\x81\x20\xff\xfe\xfd\n"
    with pytest.raises(TableFormatError, match="第2行：无法识别文件编码"):
        decode_text(data)


def test_format_detection() -> None:
    assert detect_format(b"abc", "x.txt") == "text"
    assert detect_format(SEED.read_bytes(), "seed") == "text"
    assert detect_format(b"PK\x03\x04rest", "upload") == "xlsx"


def test_explicit_text_format_and_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "table.dat"
    path.write_bytes(SEED.read_bytes())
    assert len(read_table(path, format="text").projects) == 8
    with pytest.raises(TableFormatError, match="暂不支持 pdf 格式"):
        read_table(path, format="pdf")
