"""Numbers and text no column can hold answer 404/422/400 with a Chinese message, never 500:
ids past 2³¹ and 2⁶³, ``year=1e30``, huge page numbers, non-ASCII digits in a form or a
workbook's hidden ids, a lone surrogate in a JSON save (regressions: each was a 500)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.accounts import security
from app.core.params import MAX_ID, lone_surrogate_path, parse_id, parse_int
from app.db.models import IndicatorActual
from app.submissions import workbook
from tests.accounts_support import csrf, logged_in
from tests.entry_support import RETIREES, api_client, complete_body, indicators, make_entry_world
from tests.test_entry_workbook import _label_cell

HUGE_IDS = ("2147483648", "9223372036854775807", "9223372036854775808", "99999999999999999999")


@pytest.fixture
def world(db):
    return make_entry_world(db)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("²", None),
        ("٣", None),
        ("１", None),
        ("1e3", None),
        ("1.0", None),
        ("", None),
        (None, None),
        ("0", None),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("9" * 5000, None),
    ],
)
def test_parse_id_takes_ascii_digits_within_the_column(text, expected):
    assert parse_id(text) == expected


def test_parse_int_bounds():
    assert parse_int("-3") == -3 and parse_int("2023", low=2000, high=2100) == 2023
    assert parse_int("1999", low=2000) is None and parse_int("²") is None


def test_lone_surrogate_path():
    assert lone_surrogate_path({"a": [1, {"b": "ok\ud800"}]}) == ("a", 1, "b")
    assert lone_surrogate_path({"a": ["😀", "中文"]}) is None


@pytest.mark.parametrize("ident", HUGE_IDS)
def test_an_id_past_the_column_is_not_found(app, db, world, ident):
    api = api_client(app, db, world.dept)
    for path in (f"/api/v1/projects/{ident}", f"/api/v1/projects/{ident}/score"):
        answer = api.get(path)
        assert answer.status_code == 404, answer.text
        assert answer.json()["detail"] == [
            {
                "loc": ["project_id"],
                "msg": "项目不存在，或不在您负责的单位范围内",
                "code": "project_not_found",
            }
        ]
    clerk = logged_in(app, world.dept)
    for path in (f"/projects/{ident}", f"/entry/projects/{ident}", f"/projects/{ident}/report"):
        page = clerk.get(path)
        assert page.status_code == 404 and "项目不存在" in page.text and "<!doctype html>" in page.text


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/api/v1/projects?year=1e30", "year"),
        ("/api/v1/projects?year=99999999999999999999", "year"),
        ("/api/v1/projects?year=1999", "year"),
        ("/api/v1/projects?offset=99999999999999999999", "offset"),
        ("/api/v1/projects/²", "project_id"),
    ],
)
def test_api_bounds_answer_422_with_loc_and_a_chinese_message(app, db, world, path, param):
    answer = api_client(app, db, world.dept).get(path)
    assert answer.status_code == 422, answer.text
    (item,) = answer.json()["detail"]
    assert item["loc"][-1] == param and not item["msg"].isascii()


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/?year=1e30", "预算年度"),
        ("/?year=9223372036854775808", "预算年度"),
        ("/entry?page=99999999999999999999", "页码"),
        ("/entry/workbook.xlsx?year=99999999999999999999", "预算年度"),
        ("/audit?page=9223372036854775807", "页码"),
        ("/admin/policies/central_2020?version=99999999999999999999", "版本号"),
    ],
)
def test_web_bounds_answer_the_friendly_422_page(app, db, world, path, label):
    admin = logged_in(app, world.admin)
    page = admin.get(path)
    assert page.status_code == 422, page.text[:300]
    assert any(
        f"{label}：{message}" in page.text for message in ("应不大于", "应不小于", "应为整数", "数值过大")
    )


@pytest.mark.parametrize("version", ["²", "٣", "1e30", "99999999999999999999"])
@pytest.mark.parametrize("action", ["", "/submit", "/preview"])
def test_a_form_version_that_is_no_number_is_a_422(app, world, version, action):
    project = world.project(RETIREES)
    clerk = logged_in(app, world.dept)
    answer = clerk.post(
        f"/entry/projects/{project.id}{action}", data={"version": version, security.CSRF_FIELD: csrf(clerk)}
    )
    assert answer.status_code == 422 and "版本号无效" in answer.text


def test_a_lone_surrogate_in_a_json_save_is_a_400_naming_the_field(app, db, world):
    project = world.project(RETIREES)
    api = api_client(app, db, world.dept)
    body = complete_body(project)
    first = body["actuals"][0]["indicator_id"]
    raw = (
        f'{{"version": {project.version}, "actuals": [{{"indicator_id": {first}, "actual": "5\\ud800"}}], '
        '"goal_actual": "ok"}'
    )
    answer = api.put(
        f"/api/v1/projects/{project.id}/actuals", content=raw, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    (item,) = answer.json()["detail"]
    assert item["loc"] == ["body", "actuals", 0, "actual"] and "Unicode" in item["msg"]
    assert item["code"] == "invalid_unicode"
    # an emoji (a surrogate pair in JSON) is text like any other
    raw = raw.replace("5\\ud800", "5").replace('"ok"', '"\\ud83d\\ude00 完成"')
    assert (
        api.put(
            f"/api/v1/projects/{project.id}/actuals",
            content=raw,
            headers={"Content-Type": "application/json"},
        ).status_code
        == 200
    )


@pytest.mark.parametrize("ident", ["²", "٣", "99999999999999999999", "9223372036854775808"])
def test_workbook_hidden_ids_that_are_no_number_are_refused_per_cell(app, db, world, ident):
    project = world.project(RETIREES)
    clerk = logged_in(app, world.dept)
    wb = load_workbook(io.BytesIO(clerk.get(f"/entry/projects/{project.id}/workbook.xlsx").content))
    ws = wb[wb.sheetnames[1]]
    head = next(r for r in range(1, 40) if ws.cell(row=r, column=1).value == workbook.HEADER_ID)
    ws.cell(row=head + 1, column=1).value = ident  # an indicator's hidden id
    out = io.BytesIO()
    wb.save(out)
    files = {"file": ("填报表.xlsx", out.getvalue(), workbook.XLSX_MEDIA_TYPE)}
    answer = clerk.post("/entry/upload", data={security.CSRF_FIELD: csrf(clerk)}, files=files)
    assert answer.status_code == 422 and f"指标ID“{ident}”不属于此项目" in answer.text

    _label_cell(ws, "项目编号").value = ident
    out = io.BytesIO()
    wb.save(out)
    files = {"file": ("填报表.xlsx", out.getvalue(), workbook.XLSX_MEDIA_TYPE)}
    answer = clerk.post("/entry/upload", data={security.CSRF_FIELD: csrf(clerk)}, files=files)
    assert answer.status_code == 422 and f"项目编号“{ident}”无效" in answer.text
    ids = [i.id for i in indicators(project)]
    assert not db.scalar(
        select(func.count()).select_from(IndicatorActual).where(IndicatorActual.indicator_id.in_(ids))
    )


def test_a_query_parameter_with_nul_is_a_422(app, db, world):
    """PostgreSQL text cannot hold NUL: the audit filters answered 500 there."""
    admin = logged_in(app, world.admin)
    page = admin.get("/audit", params={"username": "ad\x00min"})
    assert page.status_code == 422 and "不能包含空字符" in page.text
    answer = api_client(app, db, world.dept).get("/api/v1/projects", params={"unit": "\x00"})
    assert answer.status_code == 422
    assert answer.json()["detail"] == [
        {"loc": ["query", "unit"], "msg": "不能包含空字符（NUL）", "code": "invalid_text"}
    ]
