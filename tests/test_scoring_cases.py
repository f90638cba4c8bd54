"""The shared worked cases (../shared/spec/scoring-cases, copied to tests/data) and the
``jixiao score-case`` contract: exit codes, stderr, JSON shape."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from app.cli import main as jixiao
from app.scoring.case import CaseError, score_case

CASES = Path(__file__).parent / "data" / "scoring-cases"
INPUTS = sorted(CASES.glob("*.input.json"))


def test_all_five_cases_are_present():
    assert len(INPUTS) == 5


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name.split(".")[0])
def test_case_matches_expected_exactly(path: Path):
    got = score_case(path.read_text(encoding="utf-8")).to_json()
    exp = json.loads(path.with_name(path.name.replace(".input.", ".expected.")).read_text(encoding="utf-8"))
    assert [i["name"] for i in got["indicators"]] == [i["name"] for i in exp["indicators"]]
    for g, e in zip(got["indicators"], exp["indicators"], strict=True):
        for key in ("direction", "points", "completion", "score", "reason_required"):
            assert g[key] == e[key], (e["name"], key)
        assert sorted(g["flags"]) == sorted(e["flags"]), e["name"]
    assert got["level1"] == exp["level1"]
    assert {k: got["budget"][k] for k in ("rate", "points", "score")} == exp["budget"]
    assert got["total"] == exp["total"]
    assert got["grade"] == exp["grade"]
    assert got["policy"] == {"name": "central_2020", "version": 1}


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name.split(".")[0])
def test_total_is_budget_plus_level_subtotals(path: Path):
    got = score_case(path.read_text(encoding="utf-8")).to_json()
    levels = sum(Decimal(v["score"]) for v in got["level1"].values())
    assert Decimal(got["total"]) == levels + Decimal(got["budget"]["score"])
    for name, level in got["level1"].items():
        members = [i for i in got["indicators"] if i["level1"] == name]
        assert Decimal(level["score"]) == sum(Decimal(i["score"]) for i in members)
        assert Decimal(level["points"]) == sum(Decimal(i["points"]) for i in members)


def test_cli_prints_the_contract_json(capsys):
    assert jixiao(["score-case", str(INPUTS[1])]) == 0
    out = json.loads(capsys.readouterr().out)
    first = out["indicators"][0]
    assert first["explanation"] == "正向指标：实际 45次 < 目标 50次，得分 = 3.85 × 45 ÷ 50 = 3.47"
    cost = out["indicators"][8]
    assert cost["explanation"] == "反向指标：实际 12万元 > 目标 10万元，得分 = 3.85 × 10 ÷ 12 = 3.21"
    assert out["total"] == "86.74" and out["grade"] == "良"


def test_cli_exits_1_with_reasons_when_an_indicator_cannot_be_scored(tmp_path, capsys):
    case = json.loads(INPUTS[1].read_text(encoding="utf-8"))
    case["indicators"][8]["actual"] = "完成"
    case["indicators"][0]["actual"] = None
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    assert jixiao(["score-case", str(path)]) == 1
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["total"] is None and out["grade"] is None
    assert out["indicators"][8]["score"] is None
    assert out["indicators"][8]["flags"] == ["invalid_actual"]
    assert out["indicators"][0]["flags"] == ["missing_actual"]
    assert "安全生产宣传培训成本" in captured.err
    assert "应填写数字（单位：万元），收到“完成”" in captured.err


def test_cli_policy_overrides(tmp_path, capsys):
    case = json.loads(INPUTS[1].read_text(encoding="utf-8"))
    case["policy"] = {"rounding": {"places": 0, "mode": "half_up"}}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    assert jixiao(["score-case", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["policy"]["name"] == "central_2020+custom"
    assert out["policy"]["based_on"] == "central_2020 v1"
    assert out["indicators"][0]["score"] == "3"  # 3.465 → 3
    assert out["indicators"][1]["score"] == "3.85"  # full marks stay W


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "不是有效的 JSON"),
        ('{"indicators": []}', "indicators 应为非空的指标列表"),
        ('{"policy": "nope", "indicators": [{"level1": "产出指标", "name": "a", "target": "1次"}]}', "未知的评分政策"),
        ('{"policy": {"rounding": {"places": 5}}, "indicators": [{"level1": "产出指标", "name": "a", "target": "1次"}]}',
         "rounding.places"),
        ('{"indicators": [{"level1": "其他", "name": "a", "target": "1次", "actual": "1"}]}', "无法识别的一级指标"),
        ('{"indicators": [{"level1": "产出指标", "name": "a", "target": "1次", "points": "x"}]}', "points应为数字"),
    ],
)  # fmt: skip
def test_case_errors_are_refused_in_chinese(text, message):
    with pytest.raises(CaseError, match=message):
        score_case(text)


def test_cli_refuses_a_bad_file_with_exit_1(tmp_path, capsys):
    assert jixiao(["score-case", str(tmp_path / "missing.json")]) == 1
    assert "无法读取文件" in capsys.readouterr().err
