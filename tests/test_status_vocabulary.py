"""One vocabulary of statuses: 未填报 (``not_started``, a draft nothing was entered in yet) is a
status wherever one is shown, filtered or exported — not only on ``/entry``."""

from __future__ import annotations

import csv
import re
from io import BytesIO, StringIO

import openpyxl
import pytest

from app.submissions.status import STATUS_LABELS, display_status
from tests.accounts_support import logged_in
from tests.entry_support import api_client, make_entry_world


@pytest.fixture
def world(db, app):
    world = make_entry_world(db)
    started = world.project()
    client = api_client(app, db, world.dept)
    r = client.put(
        f"/api/v1/projects/{started.id}/actuals", json={"version": started.version, "goal_actual": "进行中"}
    )
    assert r.status_code == 200, r.text
    return world, started, client


def test_display_status_is_not_started_until_something_is_entered(db, world):
    w, started, _ = world
    others = [p for p in w.projects.values() if p.unit.code == started.unit.code and p.id != started.id]
    assert display_status(started) == "draft"
    assert others and {display_status(p) for p in others} == {"not_started"}


def test_summaries_json_csv_xlsx_say_not_started(app, db, world):
    w, started, client = world
    rows = client.get("/api/v1/summaries", params={"year": 2023, "unit": "309001", "group": "unit"}).json()
    by_id = {r["project_id"]: r for r in rows["items"]}
    assert by_id[started.id]["status"] == "draft"
    untouched = [r for r in rows["items"] if r["project_id"] != started.id]
    assert {(r["status"], r["status_label"]) for r in untouched} == {("not_started", "未填报")}
    unit = rows["units"][0]
    assert unit["statuses"]["not_started"] == len(untouched) and unit["statuses"]["draft"] == 1

    filtered = client.get("/api/v1/summaries", params={"year": 2023, "status": "not_started"}).json()
    assert {r["project_id"] for r in filtered["items"]} == {r["project_id"] for r in untouched}
    drafts = client.get("/api/v1/summaries", params={"year": 2023, "status": "draft"}).json()
    assert [r["project_id"] for r in drafts["items"]] == [started.id]

    text = client.get("/api/v1/summaries", params={"year": 2023, "format": "csv"}).content.decode("utf-8-sig")
    table = list(csv.reader(StringIO(text)))
    column = table[0].index("状态")
    assert {r[column] for r in table[1:]} == {"未填报", "填报中"}

    data = client.get("/api/v1/summaries", params={"year": 2023, "format": "xlsx"}).content
    ws = openpyxl.load_workbook(BytesIO(data)).worksheets[0]
    header = [c.value for c in ws[1]]
    column = header.index("状态")
    values = {row[column] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert values == {"未填报", "填报中"}


def test_entry_api_list_and_schema_document_not_started(app, world):
    w, started, client = world
    items = client.get("/api/v1/projects", params={"year": 2023}).json()["items"]
    assert {p["status"] for p in items} == {"not_started", "draft"}
    schema = app.openapi()["components"]["schemas"]
    summary = next(s for s in schema.values() if "indicators_filled" in s.get("properties", {}))
    status = summary["properties"]["status"]
    assert "not_started" in status["enum"] and "未填报" in status["description"]


def test_overview_and_printed_form_show_not_started(app, db, world):
    w, started, _ = world
    finance = logged_in(app, w.finance)
    overview = finance.get("/finance", params={"year": 2023}).text
    head = re.search(r"<thead><tr><th>单位</th>.*?</thead>", overview, re.S)[0]
    assert "未填报" in head and "填报中" in head
    untouched = next(
        p for p in w.projects.values() if p.id != started.id and p.unit.code == started.unit.code
    )
    printed = finance.get(f"/projects/{untouched.id}/report").text
    assert f">{STATUS_LABELS['not_started']}</span>" in printed
    assert ">填报中</span>" in finance.get(f"/projects/{started.id}/report").text


def test_the_entry_workbook_status_cell_says_not_started(app, world):
    w, started, client = world
    clerk = logged_in(app, w.dept)
    untouched = next(
        p for p in w.projects.values() if p.id != started.id and p.unit.code == started.unit.code
    )
    for project, label in ((untouched, "未填报"), (started, "填报中")):
        r = clerk.get(f"/entry/projects/{project.id}/workbook.xlsx")
        assert r.status_code == 200
        book = openpyxl.load_workbook(BytesIO(r.content))
        sheet = next(ws for ws in book.worksheets if ws["G3"].value == "状态")
        assert sheet["H3"].value == label
        assert f"{project.name}（{project.unit.name}，{label}）" in "\n".join(
            str(c.value) for c in book.worksheets[0]["A"] if c.value
        )
