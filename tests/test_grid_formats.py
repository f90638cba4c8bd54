"""The same table as text, XLSX, CSV and HTML gives the same ``jixiao parse`` output.

What is compared: everything the contract prints — title, year, total, units (with the
department as parent), projects with goals and every indicator field — exactly; warnings by
``(code, project_seq, indicator)`` only, because their ``line`` and ``message`` name a place
in the file (a text line, a worksheet row, the n-th HTML table), which differs by format.

The fixtures are built by ``tests/fixtures/make_grid_fixtures.py``; each grid uses different
bureau habits (merged cells and separate operator/unit columns; GBK with blanks for "same as
above"; rowspan with a unit column).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.targets.formats import detect_format, parse_bytes, read_table

FIXTURES = Path(__file__).parent / "fixtures"
SAME = ["grid_same.txt", "grid_same.xlsx", "grid_same.csv", "grid_same.html"]


def jixiao_parse(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> dict:
    code = main(["parse", str(path), *extra])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def comparable(parsed: dict) -> dict:
    out = {k: v for k, v in parsed.items() if k != "warnings"}
    out["warnings"] = sorted(
        (w["code"], w.get("project_seq") or 0, w.get("indicator") or "") for w in parsed["warnings"]
    )
    return out


def test_same_table_in_four_formats_parses_identically(capsys: pytest.CaptureFixture[str]) -> None:
    parsed = {name: jixiao_parse(capsys, FIXTURES / name) for name in SAME}
    text = parsed["grid_same.txt"]
    # The reference itself is a real parse, not an empty agreement.
    assert text["year"] == 2023
    assert [p["name"] for p in text["projects"]] == ["安全生产监管专项", "防震减灾工作经费", "退休人员慰问金"]
    assert sum(len(p["indicators"]) for p in text["projects"]) == 20
    assert {i["kind"] for p in text["projects"] for i in p["indicators"]} == {
        "numeric",
        "qualitative",
        "deadline",
        "reference",
    }
    for name in SAME[1:]:
        assert comparable(parsed[name]) == comparable(text), name


def test_same_table_indicators_are_read_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    """Operator and unit columns (XLSX) are joined the way the text writes them."""
    parsed = jixiao_parse(capsys, FIXTURES / "grid_same.xlsx")
    by_name = {i["name"]: i for p in parsed["projects"] for i in p["indicators"]}
    assert by_name["企业安全检查"]["raw"] == "40次"  # "=" in 计算符号 is not written
    assert by_name["监督检查企业覆盖率"]["raw"] == "≥95%"
    assert (by_name["专家咨询检查成本"]["operator"], by_name["专家咨询检查成本"]["value"]) == ("<=", "12.5")
    assert by_name["群众依法维权次数提升"]["kind"] == "reference"
    assert by_name["重大安全事故发生率"]["direction"] == "zero_target"
    assert parsed["units"] == [
        {"code": "409", "name": "高原县应急管理局", "amount_wan": "32.59", "parent_code": None},
        {"code": "409001", "name": "高原县应急管理局", "amount_wan": "32.59", "parent_code": "409"},
    ]
    assert parsed["projects"][0]["goals"] == [
        "完成全县企业安全检查40次，开展第三方专家咨询检查4次以上；",
        "安全生产宣传覆盖全县乡镇。",
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("grid_same.txt", "text"),
        ("grid_same.xlsx", "xlsx"),
        ("grid_same.csv", "csv"),
        ("grid_same.html", "html"),
        ("grid_bureau_rowspan.html", "html"),
        ("grid_bureau_bom_2024.csv", "csv"),
    ],
)
def test_format_is_detected_from_content(name: str, expected: str) -> None:
    data = (FIXTURES / name).read_bytes()
    assert detect_format(data, "upload") == expected  # no extension to go by
    assert detect_format(data, name) == expected


def test_misnamed_files_are_read_by_their_content(tmp_path: Path) -> None:
    """Sites serve HTML tables as .xls; a workbook renamed .csv is still a workbook."""
    html = tmp_path / "目标表.xls"
    html.write_bytes((FIXTURES / "grid_same.html").read_bytes())
    xlsx = tmp_path / "目标表.csv"
    xlsx.write_bytes((FIXTURES / "grid_same.xlsx").read_bytes())
    grid_as_txt = tmp_path / "目标表.txt"
    grid_as_txt.write_bytes((FIXTURES / "grid_same.csv").read_bytes())
    reference = read_table(FIXTURES / "grid_same.txt").to_json()["projects"]
    for path in (html, xlsx, grid_as_txt):
        assert read_table(path).to_json()["projects"] == reference, path.name


def test_format_can_be_forced(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    odd = tmp_path / "export.dat"
    odd.write_bytes((FIXTURES / "grid_same.csv").read_bytes())
    parsed = jixiao_parse(capsys, odd, "--format", "csv")
    assert len(parsed["projects"]) == 3
    # Forcing the wrong format fails with a message, not a traceback.
    assert main(["parse", str(odd), "--format", "xlsx"]) == 1
    err = capsys.readouterr().err
    assert "不是 .xlsx 文件" in err and str(odd) in err


def test_bytes_api_uses_the_file_name_for_the_year() -> None:
    """What an upload page calls: bytes plus the uploaded file's name."""
    data = (FIXTURES / "grid_bureau_bom_2024.csv").read_bytes()
    assert parse_bytes(data, source="溪口镇2024年目标.csv").year == 2024
    assert parse_bytes(data, source="溪口镇2025年目标.csv").year == 2025
    no_year = parse_bytes(data, source="upload.csv")
    assert no_year.year is None
    assert "year_missing" in {w.code for w in no_year.warnings}


def test_bureau_workbook_two_projects_points_and_directions(capsys: pytest.CaptureFixture[str]) -> None:
    parsed = jixiao_parse(capsys, FIXTURES / "grid_bureau_two_projects.xlsx")
    assert parsed["year"] == 2024
    assert parsed["units"] == [
        {"code": "512003", "name": "青山县疾病预防控制中心", "amount_wan": "155.6", "parent_code": None}
    ]
    first, second = parsed["projects"]
    assert (first["name"], first["amount_wan"], second["name"], second["amount_wan"]) == (
        "基本公共卫生服务项目",
        "120",
        "重大传染病防控经费",
        "35.6",
    )
    assert len(first["indicators"]) == 8 and len(second["indicators"]) == 6
    by_name = {i["name"]: i for p in parsed["projects"] for i in p["indicators"]}
    assert by_name["电子健康档案建档率"]["raw"] == "≥90%"  # 0.9 formatted 0% in Excel
    assert by_name["人均补助标准"]["direction"] == "reverse"  # 指标方向 反向
    assert by_name["居民健康素养水平"]["kind"] == "qualitative"  # 指标性质 定性
    assert by_name["防控效果"]["kind"] == "unparsed"
    assert sum(int(i["points"]) for i in first["indicators"]) == 90
    codes = [(w["code"], w.get("project_seq")) for w in parsed["warnings"]]
    assert ("level_weights_differ", 2) in codes and ("level_weights_differ", 1) not in codes
    assert ("unparsed_value", 2) in codes


def test_bureau_gbk_csv_with_project_column(capsys: pytest.CaptureFixture[str]) -> None:
    parsed = jixiao_parse(capsys, FIXTURES / "grid_bureau_gbk.csv")
    assert (parsed["title"], parsed["year"], parsed["total_wan"]) == (
        "河谷县农业农村局2022年项目支出绩效目标表",
        2022,
        "902.3",
    )
    assert [(p["name"], p["amount_wan"], len(p["indicators"])) for p in parsed["projects"]] == [
        ("高标准农田建设", "860", 6),
        ("动物防疫补助", "42.3", 4),
    ]
    levels = [(i["level1"], i["level2"]) for i in parsed["projects"][0]["indicators"]]
    assert levels[0] == ("产出指标", "数量指标") and levels[-1] == ("满意度指标", "服务对象满意度指标")
    assert all(not w["code"].startswith("points") for w in parsed["warnings"])


def test_bureau_rowspan_page(capsys: pytest.CaptureFixture[str]) -> None:
    parsed = jixiao_parse(capsys, FIXTURES / "grid_bureau_rowspan.html")
    assert parsed["title"] == "河谷县水利局2023年项目支出绩效目标表"
    (project,) = parsed["projects"]
    assert project["goals"] == ["新建和改造供水工程；", "提升农村自来水普及率。"]
    rows = [(i["level1"], i["level2"], i["name"], i["raw"]) for i in project["indicators"]]
    assert rows[1] == ("产出指标", "数量指标", "改造供水管网", "≥35.5公里")  # under a rowspan of 2
    assert rows[4] == ("效益指标", "社会效益指标", "农村自来水普及率", "≥88%")  # <br> inside a name
    assert rows[6][:2] == ("满意度指标", "服务对象满意度指标")


def test_one_project_per_sheet(capsys: pytest.CaptureFixture[str]) -> None:
    parsed = jixiao_parse(capsys, FIXTURES / "grid_bureau_sheets.xlsx")
    assert [(p["name"], p["amount_wan"]) for p in parsed["projects"]] == [
        ("基本公共卫生服务项目", "120"),  # 资金总额（元）1200000
        ("重大传染病防控经费", "35.6"),
    ]
    assert {w["code"] for w in parsed["warnings"]} >= {"project_name_from_sheet", "level_weights_differ"}


@pytest.mark.parametrize(
    ("data", "fmt", "message"),
    [
        (b"", "csv", "空文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "xlsx", "旧版 Excel"),
        (b"PK\x03\x04broken", "xlsx", "已损坏"),
        (b"<html><body><p>no table</p></body></html>", "html", "没有 <table>"),
        ("名称,数值\n甲,1\n".encode(), "csv", "没有找到指标表头"),
        ("一级指标,二级指标,三级指标,指标值\n".encode(), "csv", "没有任何指标行"),
    ],
)
def test_unreadable_input_says_what_and_where(data: bytes, fmt: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / f"bad.{fmt}"
    path.write_bytes(data)
    from app.targets.types import TableFormatError

    with pytest.raises(TableFormatError, match=message):
        read_table(path)


def test_committed_fixtures_are_what_the_generator_writes(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_grid_fixtures", FIXTURES / "make_grid_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for name in module.FILES:
        assert (tmp_path / name).read_bytes() == (FIXTURES / name).read_bytes(), (
            f"rerun the generator: {name}"
        )


def test_same_table_imported_from_any_format_is_unchanged(db) -> None:  # noqa: ANN001
    """Through the import service: the text table after its XLSX, CSV and HTML twins changes nothing
    (same units, projects and indicator identities, same targets)."""
    from app.targets.service import import_table

    outcomes = []
    for name in ["grid_same.xlsx", "grid_same.txt", "grid_same.csv", "grid_same.html"]:
        table = read_table(FIXTURES / name)
        result = import_table(session=db, table=table, source_name=name, sha256=name.ljust(64, "0"))
        outcomes.append(result.outcome)
    assert outcomes == ["created", "unchanged", "unchanged", "unchanged"]
