"""Level names: notes, aliases, the newer template, headings inside text."""

from __future__ import annotations

import pytest

from app.targets.levels import level1_of, normalise_level1, normalise_level2, split_heading


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("产出指标", "产出指标"),
        ("产出指标(50分)", "产出指标"),
        ("产出指标（50分）", "产出指标"),
        ("一、产出指标", "产出指标"),
        ("效益指标：", "效益指标"),
        ("效果指标", "效益指标"),
        ("满意度指标【10分】", "满意度指标"),
        ("成本指标", "成本指标"),
        ("数量指标", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_level1(text: str | None, expected: str | None) -> None:
    assert normalise_level1(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("数量指标", "数量指标"),
        ("数量指标 (必填)", "数量指标"),
        ("(一) 数量指标:", "数量指标"),
        ("产出数量", "数量指标"),
        ("产出质量指标", "质量指标"),
        ("时效", "时效指标"),
        ("社会公众或服务对象满意度指标", "服务对象满意度指标"),
        ("服务对象满意度", "服务对象满意度指标"),
        ("生态环境效益指标", "生态效益指标"),
        ("可持续影响", "可持续影响指标"),
        ("经济成本指标", "经济成本指标"),
        ("生态环境成本指标", "生态环境成本指标"),
        ("成本指标", "成本指标"),
        ("企业安全检查", None),
    ],
)
def test_normalise_level2(text: str, expected: str | None) -> None:
    assert normalise_level2(text) == expected


@pytest.mark.parametrize(
    ("level2", "level1"),
    [
        ("数量指标", "产出指标"),
        ("成本指标", "产出指标"),
        ("经济成本指标", "成本指标"),
        ("社会成本指标", "成本指标"),
        ("可持续影响指标", "效益指标"),
        ("服务对象满意度指标", "满意度指标"),
        ("不存在", None),
    ],
)
def test_level1_of(level2: str, level1: str | None) -> None:
    assert level1_of(level2) == level1


@pytest.mark.parametrize(
    ("text", "levels", "rest"),
    [
        ("一、产出指标", ("产出指标", None), ""),
        ("(一) 数量指标:", ("产出指标", "数量指标"), ""),
        ("（二）质量指标", ("产出指标", "质量指标"), ""),
        ("(三) 满意度指标", ("满意度指标", None), ""),  # a level 1 written as a level 2
        ("三、服务对象满意度指标", ("满意度指标", "服务对象满意度指标"), ""),  # a level 2 as a level 1
        ("1. 服务对象满意度指标", ("满意度指标", "服务对象满意度指标"), ""),  # a heading-only item
        ("质量指标 农村住房保险补贴覆盖率 ≥95%", ("产出指标", "质量指标"), "农村住房保险补贴覆盖率 ≥95%"),
        ("2. 社会效益指标 地震安全知识知晓率 ≥95%", ("效益指标", "社会效益指标"), "地震安全知识知晓率 ≥95%"),
        ("服务对象满意度指标 群众满意度 ≥95%", ("满意度指标", "服务对象满意度指标"), "群众满意度 ≥95%"),
        ("数量指标：企业检查 5次", ("产出指标", "数量指标"), "企业检查 5次"),
        ("产出指标(50分)", ("产出指标", None), ""),
        ("二、成本指标", ("成本指标", None), ""),  # the newer template: 成本指标 numbered as a level 1
        ("(四) 成本指标", ("产出指标", "成本指标"), ""),  # the older template: a level 2 under 产出
        ("(一) 经济成本指标", ("成本指标", "经济成本指标"), ""),
        ("一级指标：产出指标", ("产出指标", None), ""),
        ("【效益指标】", ("效益指标", None), ""),
        ("(二)【质量指标】 合格率 ≥98%", ("产出指标", "质量指标"), "合格率 ≥98%"),
    ],
)
def test_split_heading(text: str, levels: tuple[str, str | None], rest: str) -> None:
    heading, got_rest = split_heading(text)
    assert heading is not None
    assert (heading.level1, heading.level2) == levels
    assert got_rest == rest


@pytest.mark.parametrize(
    "text",
    [
        "企业安全检查 50次",
        "1. 群众满意度 ≥95%",
        "满意度 ≥95%",  # a short name, not a heading
        "数量指标完成率 100%",  # a name beginning with a level name
        "",
    ],
)
def test_not_a_heading(text: str) -> None:
    assert split_heading(text) == (None, text)
