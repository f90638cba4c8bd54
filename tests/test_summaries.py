"""GET /api/v1/summaries: rows from the latest snapshots, filters, stable order, pagination,
ETag / If-None-Match, CSV with BOM, XLSX, per-unit aggregates, scoping."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete

from app.accounts import service as accounts
from app.db.models import ScoreSnapshot
from app.scoring.service import compute_project_score
from tests.accounts_support import make_user
from tests.review_support import demo_year

URL = "/api/v1/summaries"


@pytest.fixture
def county(db):
    projects = demo_year(db)
    users = {
        "fin": make_user(db, "fin", "finance"),
        "dept": make_user(db, "dept311", "department", ("311",)),
    }
    headers = {}
    for name, user in users.items():
        token = accounts.create_token(session=db, actor="test", user=user, scope="read")
        headers[name] = {"Authorization": f"Bearer {token.plaintext}"}
    return projects, headers


def test_rows_carry_the_contract_fields_in_a_stable_order(client, db, county):
    projects, h = county
    body = client.get(URL, params={"year": 2023, "limit": 1000}, headers=h["fin"]).json()
    assert body["count"] == 32 and len(body["items"]) == 32
    keys = [(r["year"], r["unit_code"], r["seq"], r["project_id"]) for r in body["items"]]
    assert keys == sorted(keys)
    row = next(r for r in body["items"] if r["project_id"] == projects["309001"][0].id)
    for field in (
        "unit",
        "project",
        "amount_wan",
        "budget_rate",
        "budget_score",
        "level1",
        "total",
        "grade",
        "status",
        "policy",
    ):
        assert field in row
    live = compute_project_score(session=db, project=projects["309001"][0])
    assert row["total"] == str(live.total) and row["grade"] == live.grade
    assert row["budget_rate"] == str(live.budget.rate) and row["budget_score"] == str(live.budget.score)
    assert row["level1"]["产出指标"] == str(live.level1["产出指标"].score)
    assert row["policy"] == {"name": "central_2020", "version": 1}
    assert row["status"] == "approved" and row["unit"] == "门源县应急管理局"


def test_filters(client, county):
    _, h = county

    def count(**params):
        return client.get(URL, params={"year": 2023, **params}, headers=h["fin"]).json()["count"]

    assert count(unit="311") == 8  # the department code covers its unit 311001
    assert count(unit="311001") == 8
    assert count(status="approved") == 11
    assert count(unit="311", status="returned") == 3
    by_grade = {g: count(grade=g) for g in ("优", "良", "中", "差")}
    scored = [
        r
        for r in client.get(URL, params={"year": 2023, "limit": 1000}, headers=h["fin"]).json()["items"]
        if r["grade"]
    ]
    assert sum(by_grade.values()) == len(scored)
    assert count(unit="999") == 0
    assert client.get(URL, params={"year": 2022}, headers=h["fin"]).json()["count"] == 8
    assert client.get(URL, params={"status": "lost"}, headers=h["fin"]).status_code == 422


def test_pagination_limit_offset_and_pages(client, county):
    _, h = county
    whole = client.get(URL, params={"year": 2023, "limit": 1000}, headers=h["fin"]).json()["items"]
    first = client.get(URL, params={"year": 2023, "limit": 10}, headers=h["fin"])
    assert first.headers["x-total-count"] == "32"
    body = first.json()
    assert [r["project_id"] for r in body["items"]] == [r["project_id"] for r in whole[:10]]
    assert body["next_offset"] == 10
    third = client.get(URL, params={"year": 2023, "page": 3, "page_size": 10}, headers=h["fin"]).json()
    assert [r["project_id"] for r in third["items"]] == [r["project_id"] for r in whole[20:30]]
    last = client.get(URL, params={"year": 2023, "limit": 10, "offset": 30}, headers=h["fin"]).json()
    assert len(last["items"]) == 2 and last["next_offset"] is None


def test_etag_round_trip_gives_304_and_changes_with_the_data(client, db, county):
    projects, h = county
    params = {"year": 2023, "unit": "310"}
    first = client.get(URL, params=params, headers=h["fin"])
    etag = first.headers["etag"]
    again = client.get(URL, params=params, headers={**h["fin"], "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    # Another format or filter is another representation.
    assert (
        client.get(
            URL, params={**params, "format": "csv"}, headers={**h["fin"], "If-None-Match": etag}
        ).status_code
        == 200
    )
    # A decision changes the rows, so the old ETag no longer matches.
    from app.review.service import decide

    decide(session=db, project=projects["310001"][0], actor="fin", decision="approve")
    changed = client.get(URL, params=params, headers={**h["fin"], "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_csv_has_a_bom_and_chinese_intact(client, county):
    _, h = county
    r = client.get(URL, params={"year": 2023, "unit": "309", "format": "csv"}, headers=h["fin"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["年度", "单位编码", "单位名称", "序号", "项目名称"]
    assert len(rows) == 1 + 8
    assert rows[1][2] == "门源县应急管理局" and rows[1][4] == "全县安全生产监管专项"
    assert rows[1][rows[0].index("状态")] == "已审核"


def test_xlsx_matches_json(client, county):
    _, h = county
    params = {"year": 2023, "unit": "311"}
    items = client.get(URL, params=params, headers=h["fin"]).json()["items"]
    r = client.get(URL, params={**params, "format": "xlsx", "group": "unit"}, headers=h["fin"])
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["项目", "单位汇总"]
    ws = wb["项目"]
    header = [c.value for c in ws[1]]
    totals = [row[header.index("总分")] for row in ws.iter_rows(min_row=2, values_only=True)]
    expected = [Decimal(i["total"]) if i["total"] else None for i in items]
    assert [None if t is None else Decimal(str(t)).quantize(Decimal("0.01")) for t in totals] == expected
    unit = list(wb["单位汇总"].iter_rows(min_row=2, values_only=True))
    assert len(unit) == 1 and unit[0][0] == "311001"


def test_group_unit_aggregates(client, county):
    _, h = county
    body = client.get(URL, params={"year": 2023, "group": "unit", "limit": 1000}, headers=h["fin"]).json()
    units = {u["unit_code"]: u for u in body["units"]}
    assert set(units) == {"309001", "310001", "311001", "312001"}
    u = units["311001"]
    assert u["projects"] == 8 and u["statuses"] == {
        "not_started": 0,
        "draft": 0,
        "submitted": 2,
        "returned": 3,
        "approved": 3,
    }
    counted = [
        r
        for r in body["items"]
        if r["unit_code"] == "311001" and r["status"] in ("submitted", "approved") and r["total"]
    ]
    weights = [Decimal(r["amount_wan"]) for r in counted]
    expected = sum(Decimal(r["total"]) * w for r, w in zip(counted, weights, strict=True)) / sum(weights)
    assert Decimal(u["average_total"]) == expected.quantize(Decimal("0.01"))
    assert sum(u["grades"].values()) == len(counted)


def test_department_sees_only_its_units(client, county):
    _, h = county
    body = client.get(URL, params={"year": 2023, "limit": 1000}, headers=h["dept"]).json()
    assert body["count"] == 8 and {r["unit_code"] for r in body["items"]} == {"311001"}
    assert client.get(URL, params={"unit": "309"}, headers=h["dept"]).json()["count"] == 0
    assert client.get(URL).status_code == 401


def test_projects_without_a_snapshot_are_scored_live(client, db, county):
    projects, h = county
    p = projects["309001"][0]
    db.execute(delete(ScoreSnapshot).where(ScoreSnapshot.project_id == p.id))
    db.expire_all()
    live = compute_project_score(session=db, project=p)
    body = client.get(URL, params={"year": 2023, "grade": live.grade, "limit": 1000}, headers=h["fin"]).json()
    row = next(r for r in body["items"] if r["project_id"] == p.id)
    assert row["total"] == str(live.total) and row["computed_at"] is None
    assert body["count"] == len(body["items"])
