"""API of entry (contracts/README.md): partial drafts, atomic saves, submission, stale versions,
scoping, audit, the score endpoint."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db.models import AuditLog, IndicatorActual
from app.submissions.status import change_status
from tests.entry_support import (
    FLOOD,
    RETIREES,
    api_client,
    complete_body,
    indicators,
    make_entry_world,
)


@pytest.fixture
def world(db):
    return make_entry_world(db)


@pytest.fixture
def dept(app, db, world):
    return api_client(app, db, world.dept)


def _url(project, tail: str = "") -> str:
    return f"/api/v1/projects/{project.id}{tail}"


def _actual_rows(db, project) -> int:
    ids = [i.id for i in project.indicators]
    return db.scalar(
        select(func.count()).select_from(IndicatorActual).where(IndicatorActual.indicator_id.in_(ids))
    )


def test_partial_draft_saves_what_is_sent_and_bumps_the_version(db, dept, world):
    project = world.project()
    first, second, *rest = indicators(project)
    body = {
        "version": 1,
        "actuals": [{"indicator_id": first.id, "actual": "3"}, {"indicator_id": second.id, "actual": 96}],
    }
    r = dept.put(_url(project, "/actuals"), json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["version"] == 2
    assert data["status"] == "draft" and data["status_label"] == "填报中"
    assert data["indicators_filled"] == 2 and data["indicators_total"] == 7
    assert data["total"] is None  # still incomplete
    by_id = {i["id"]: i for i in data["indicators"]}
    assert (
        by_id[first.id]["actual"]["value"] == "3.000000" or Decimal(by_id[first.id]["actual"]["value"]) == 3
    )
    assert by_id[first.id]["score"]["score"] == "12.50"
    assert Decimal(by_id[second.id]["actual"]["value"]) == 96
    assert by_id[second.id]["score"]["reason_required"] is True  # 96% against ≥100% loses points
    assert all(by_id[i.id]["actual"] is None for i in rest)
    assert Decimal(data["score_so_far"]) > 0

    # A second partial draft leaves the first one's fields alone.
    r = dept.put(
        _url(project, "/actuals"),
        json={"version": 2, "actuals": [{"indicator_id": second.id, "reason": "个别人员未领取"}]},
    )
    assert r.status_code == 200, r.text
    by_id = {i["id"]: i for i in r.json()["indicators"]}
    assert Decimal(by_id[first.id]["actual"]["value"]) == 3
    assert Decimal(by_id[second.id]["actual"]["value"]) == 96
    assert by_id[second.id]["actual"]["reason"] == "个别人员未领取"
    assert r.json()["version"] == 3


def test_a_complete_project_has_a_total_and_grade(dept, world):
    project = world.project()
    r = dept.put(_url(project, "/actuals"), json=complete_body(project))
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["total"] == "100.00" and data["grade"] == "优"
    assert data["missing"] == []
    assert data["budget"]["score"]["score"] == "10.00"

    score = dept.get(_url(project, "/score"))
    assert score.status_code == 200
    body = score.json()
    assert body["total"] == "100.00" and body["grade"] == "优"
    assert {"policy", "budget", "indicators", "level1", "total", "grade", "computed_at"} <= set(body)
    assert len(body["indicators"]) == 7
    assert body["indicators"][0]["explanation"]


def test_refused_submission_lists_what_is_missing(db, dept, world):
    project = world.project()
    first = indicators(project)[0]
    dept.put(
        _url(project, "/actuals"), json={"version": 1, "actuals": [{"indicator_id": first.id, "actual": "2"}]}
    )
    r = dept.post(_url(project, "/submit"))
    assert r.status_code == 422
    detail = r.json()["detail"]
    locs = [tuple(d["loc"]) for d in detail]
    codes = {d["code"] for d in detail}
    assert ("budget", "full_year_wan") in locs
    assert ("goal_actual",) in locs
    assert ("actuals", first.id, "reason") in locs  # 2 of 3 people: points lost, reason required
    for ind in indicators(project)[1:]:
        assert any(loc[:2] == ("actuals", ind.id) for loc in locs), ind.name
    assert {"missing_actual", "reason_required", "budget_missing"} <= codes
    assert all(d["msg"] for d in detail)
    db.refresh(project)
    assert project.status == "draft"


def test_submission_then_edits_are_refused(db, dept, world):
    project = world.project()
    r = dept.put(_url(project, "/actuals"), json=complete_body(project))
    assert r.status_code == 200, r.text
    r = dept.post(_url(project, "/submit"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "submitted" and r.json()["status_label"] == "已提交"
    version = r.json()["version"]

    r = dept.put(_url(project, "/actuals"), json={"version": version, "goal_actual": "改一下"})
    assert r.status_code == 409
    assert r.json()["detail"][0]["code"] == "project_not_editable"
    assert dept.post(_url(project, "/submit")).status_code == 409
    db.refresh(project)
    assert project.goal_actual == "全年目标均已完成。"


def test_stale_version_is_refused_with_what_changed(db, dept, world):
    project = world.project()
    first = indicators(project)[0]
    r = dept.put(
        _url(project, "/actuals"), json={"version": 1, "actuals": [{"indicator_id": first.id, "actual": "3"}]}
    )
    assert r.status_code == 200
    # A second client still holding version 1 writes another figure for the same indicator.
    r = dept.put(
        _url(project, "/actuals"), json={"version": 1, "actuals": [{"indicator_id": first.id, "actual": "2"}]}
    )
    assert r.status_code == 409
    detail = r.json()["detail"]
    assert detail[0]["code"] == "stale_version" and "第 2 版" in detail[0]["msg"]
    changed = [d for d in detail if d["code"] == "changed_meanwhile"]
    assert [tuple(d["loc"]) for d in changed] == [("actuals", first.id, "actual")]
    assert "“3”" in changed[0]["msg"] and "“2”" in changed[0]["msg"]
    db.refresh(first)
    assert first.actual.value == 3


def test_a_department_cannot_see_or_write_another_units_project(app, db, world):
    other = api_client(app, db, world.other_dept)
    project = world.project()
    assert other.put(_url(project, "/actuals"), json=complete_body(project)).status_code == 404
    assert other.post(_url(project, "/submit")).status_code == 404
    assert other.get(_url(project)).status_code == 404
    assert other.get(_url(project, "/score")).status_code == 404
    names = [p["name"] for p in other.get("/api/v1/projects").json()["items"]]
    assert names == ["草原生态保护补助"]
    assert _actual_rows(db, project) == 0


def test_finance_admin_and_read_tokens_cannot_write(app, db, world):
    project = world.project()
    for client in (
        api_client(app, db, world.finance),
        api_client(app, db, world.admin),
        api_client(app, db, world.dept, scope="read"),
    ):
        assert client.put(_url(project, "/actuals"), json=complete_body(project)).status_code == 403
        assert client.post(_url(project, "/submit")).status_code == 403
        assert client.get(_url(project)).status_code == 200
    assert _actual_rows(db, project) == 0


def test_invalid_fields_are_listed_per_indicator_and_nothing_is_saved(db, dept, world):
    project = world.project()
    inds = indicators(project)
    qualitative = next(i for i in inds if i.direction == "qualitative")
    body = complete_body(project)
    body["actuals"][0]["actual"] = "完成"  # text against ≥3人
    body["actuals"][1]["actual"] = "3人"  # a unit that is not %
    for item in body["actuals"]:
        if item["indicator_id"] == qualitative.id:
            item["actual"] = {"grade": "达成", "score": "1"}  # outside the band of 达成
    body["budget"]["executed_wan"] = "-1"
    r = dept.put(_url(project, "/actuals"), json=body)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    locs = {tuple(d["loc"]) for d in detail}
    assert ("actuals", inds[0].id, "actual") in locs
    assert ("actuals", inds[1].id, "actual") in locs
    assert ("actuals", qualitative.id, "actual", "score") in locs
    assert ("budget", "executed_wan") in locs
    msgs = " ".join(d["msg"] for d in detail)
    assert "完成" in msgs and "人" in msgs and "%" in msgs
    assert _actual_rows(db, project) == 0
    db.refresh(project)
    assert project.version == 1 and project.full_year_budget_wan is None


def test_numbers_too_large_for_any_column_are_refused_not_a_server_error(db, dept, world):
    # found by the fuzz test: quantizing a number of more than 28 digits raised InvalidOperation
    project = world.project()
    body = complete_body(project)
    body["budget"] = {"full_year_wan": 7.302797871576124e47, "executed_wan": 1.7976931348623155e308}
    first_number = next(item for item in body["actuals"] if isinstance(item["actual"], str))
    first_number["actual"] = "1" + "0" * 40
    r = dept.put(_url(project, "/actuals"), json=body)
    assert r.status_code == 422, r.text
    by_loc = {tuple(d["loc"]): d for d in r.json()["detail"]}
    assert {by_loc[("budget", f)]["code"] for f in ("full_year_wan", "executed_wan")} == {"invalid_amount"}
    assert "过大" in by_loc[("budget", "full_year_wan")]["msg"]
    assert "过大" in by_loc[("actuals", first_number["indicator_id"], "actual")]["msg"]
    assert _actual_rows(db, project) == 0
    db.refresh(project)
    assert project.version == 1 and project.full_year_budget_wan is None


def test_an_error_on_the_20th_of_26_actuals_leaves_nothing_written(db, dept, world):
    project = world.project(FLOOD)
    body = complete_body(project)
    assert len(body["actuals"]) == 26
    number_items = [
        (n, item) for n, item in enumerate(body["actuals"]) if isinstance(item["actual"], str) and n >= 19
    ]
    n, item = number_items[0]
    assert n == 19  # the 20th
    item["actual"] = "大约一半"
    r = dept.put(_url(project, "/actuals"), json=body)
    assert r.status_code == 422
    assert [tuple(d["loc"])[:2] for d in r.json()["detail"]] == [("actuals", item["indicator_id"])]
    assert _actual_rows(db, project) == 0
    assert db.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action.like("actual.%"))) == 0
    db.refresh(project)
    assert project.version == 1 and project.executed_wan is None


def test_body_shapes_units_and_clearing(db, dept, world):
    project = world.project()
    inds = indicators(project)
    qualitative = next(i for i in inds if i.direction == "qualitative")
    body = {
        "version": 1,
        "budget": {"full_year_wan": "900元", "executed_wan": 0.09},
        "actuals": [
            {"indicator_id": inds[1].id, "actual": "≥98%"},
            {"indicator_id": qualitative.id, "actual": "健全"},  # the target text counts as 达成
            {"indicator_id": inds[0].id, "actual": {"not_applicable": True, "na_reason": "本年无此项"}},
        ],
    }
    r = dept.put(_url(project, "/actuals"), json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    assert Decimal(data["budget"]["full_year_wan"]) == Decimal("0.09")
    assert data["budget"]["score"]["rate"] == "1.0000"
    by_id = {i["id"]: i for i in data["indicators"]}
    assert Decimal(by_id[inds[1].id]["actual"]["value"]) == 98
    assert by_id[qualitative.id]["actual"]["grade"] == "achieved"
    assert by_id[inds[0].id]["actual"]["not_applicable"] is True
    assert by_id[inds[0].id]["actual"]["na_reason"] == "本年无此项"

    r = dept.put(
        _url(project, "/actuals"),
        json={"version": 2, "actuals": [{"indicator_id": inds[1].id, "actual": None}]},
    )
    assert r.status_code == 200
    by_id = {i["id"]: i for i in r.json()["indicators"]}
    assert by_id[inds[1].id]["actual"] is None  # cleared, the row removed

    wrong = {"version": 3, "actuals": [{"indicator_id": inds[1].id, "actual": {"date": "2023-01-01"}}]}
    r = dept.put(_url(project, "/actuals"), json=wrong)
    assert r.status_code == 422 and r.json()["detail"][0]["code"] == "invalid_shape"
    unknown = {
        "version": 3,
        "actuals": [{"indicator_id": world.other_project.indicators[0].id, "actual": "1"}],
    }
    r = dept.put(_url(project, "/actuals"), json=unknown)
    assert r.status_code == 422 and r.json()["detail"][0]["code"] == "unknown_indicator"


def test_deadline_and_reference_indicators(dept, world):
    project = next(
        p for p in world.projects.values() if {i.direction for i in p.indicators} >= {"deadline", "reference"}
    )
    deadline = next(i for i in indicators(project) if i.direction == "deadline")
    reference = next(i for i in indicators(project) if i.direction == "reference")
    body = {
        "version": 1,
        "actuals": [
            {"indicator_id": deadline.id, "actual": "2022年12月"},
            {"indicator_id": reference.id, "actual": {"baseline": "10"}},
        ],
    }
    r = dept.put(_url(project, "/actuals"), json=body)
    assert r.status_code == 200, r.text
    by_id = {i["id"]: i for i in r.json()["indicators"]}
    assert by_id[deadline.id]["actual"]["date"] == "2022-12-31"
    assert by_id[deadline.id]["score"]["score"] == by_id[deadline.id]["score"]["points"]
    assert Decimal(by_id[reference.id]["actual"]["baseline"]) == 10  # a partial reference draft is kept
    assert by_id[reference.id]["score"]["score"] is None
    body = {
        "version": 2,
        "actuals": [{"indicator_id": reference.id, "actual": {"baseline": "10", "value": "12"}}],
    }
    r = dept.put(_url(project, "/actuals"), json=body)
    by_id = {i["id"]: i for i in r.json()["indicators"]}
    assert by_id[reference.id]["score"]["score"] == by_id[reference.id]["score"]["points"]


def test_entries_and_submission_are_audited(db, dept, world):
    project = world.project()
    first = indicators(project)[0]
    dept.put(
        _url(project, "/actuals"), json={"version": 1, "actuals": [{"indicator_id": first.id, "actual": "3"}]}
    )
    dept.put(
        _url(project, "/actuals"), json={"version": 2, "actuals": [{"indicator_id": first.id, "actual": "2"}]}
    )
    rows = list(
        db.scalars(
            select(AuditLog)
            .where(AuditLog.entity == "indicator", AuditLog.entity_id == str(first.id))
            .order_by(AuditLog.id)
        )
    )
    assert [r.action for r in rows] == ["actual.create", "actual.update"]
    assert rows[0].before is None and rows[0].after["raw"] == "3"
    assert rows[1].before["raw"] == "3" and rows[1].after["raw"] == "2"
    assert Decimal(rows[1].before["value"]) == 3 and Decimal(rows[1].after["value"]) == 2
    assert rows[1].actor_name == "dept309"
    assert RETIREES in rows[1].entity_name

    dept.put(_url(project, "/actuals"), json=complete_body(project, version=3))
    assert dept.post(_url(project, "/submit")).status_code == 200
    status = db.scalars(select(AuditLog).where(AuditLog.action == "project.status")).all()
    assert [r.after["status"] for r in status] == ["submitted"]
    entry = db.scalars(select(AuditLog).where(AuditLog.action == "project.entry")).one()
    assert entry.before["executed_wan"] is None and Decimal(entry.after["executed_wan"]) == Decimal("0.09")


def test_returned_project_shows_the_comment_and_can_be_resubmitted(db, dept, world):
    project = world.project()
    dept.put(_url(project, "/actuals"), json=complete_body(project))
    assert dept.post(_url(project, "/submit")).status_code == 200
    db.refresh(project)
    change_status(
        session=db, project=project, to="returned", actor=world.finance, comment="请补充出勤率的统计口径"
    )
    db.flush()
    data = dept.get(_url(project)).json()
    assert data["status"] == "returned" and data["return_comment"] == "请补充出勤率的统计口径"
    assert [e["to_status"] for e in data["history"]] == ["submitted", "returned"]
    listed = dept.get("/api/v1/projects", params={"status": "returned"}).json()["items"]
    assert [p["return_comment"] for p in listed] == ["请补充出勤率的统计口径"]

    inds = indicators(project)
    body = {"version": data["version"], "actuals": [{"indicator_id": inds[4].id, "reason": "按考勤系统统计"}]}
    assert dept.put(_url(project, "/actuals"), json=body).status_code == 200
    r = dept.post(_url(project, "/submit"))
    assert r.status_code == 200 and r.json()["status"] == "submitted"


def test_list_filters_and_ordering(dept, world):
    project = world.project()
    dept.put(_url(project, "/actuals"), json={"version": 1, "goal_actual": "进行中"})
    items = dept.get("/api/v1/projects", params={"year": 2023}).json()
    assert items["total"] == 8
    assert [p["seq"] for p in items["items"]] == list(range(1, 9))
    assert {p["unit"]["code"] for p in items["items"]} == {"309001"}
    draft = dept.get("/api/v1/projects", params={"status": "draft"}).json()["items"]
    not_started = dept.get("/api/v1/projects", params={"status": "not_started"}).json()["items"]
    # one vocabulary: a filter matches the status shown — draft (填报中) excludes 未填报
    assert [p["id"] for p in draft] == [project.id] and len(not_started) == 7
    assert {p["status"] for p in not_started} == {"not_started"} and draft[0]["status"] == "draft"
    assert project.id not in {p["id"] for p in not_started}
    assert dept.get("/api/v1/projects", params={"unit": "310"}).json()["total"] == 0
    assert dept.get("/api/v1/projects", params={"status": "bogus"}).status_code == 422
    page = dept.get("/api/v1/projects", params={"limit": 3, "offset": 3}).json()
    assert [p["seq"] for p in page["items"]] == [4, 5, 6] and page["total"] == 8


def test_full_marks_helper_meets_every_seed_target(dept, world):
    """Every seed project filled at its targets scores 100 — the helper other tests rely on."""
    for project in world.projects.values():
        r = dept.put(_url(project, "/actuals"), json=complete_body(project))
        assert r.status_code == 200, (project.name, r.text)
        assert r.json()["missing"] == [], (project.name, r.json()["missing"])
        assert r.json()["total"] == "100.00", project.name
