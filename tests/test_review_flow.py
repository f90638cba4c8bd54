"""Review: the queue, approve / return (comment required), the department sees the return and
resubmits, approval locks, only an admin reopens (audited)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts import service as accounts
from app.core.errors import Conflict
from app.db.models import AuditLog, ProjectStatusEvent, ScoreSnapshot
from app.scoring.service import compute_project_score
from app.submissions.status import change_status, ensure_editable
from tests.accounts_support import csrf, logged_in, make_user
from tests.review_support import fill_project, import_seed, submit


@pytest.fixture
def world(db):
    projects = import_seed(db)
    users = {
        "dept": make_user(db, "dept309", "department", ("309",)),
        "other": make_user(db, "dept310", "department", ("310",)),
        "fin": make_user(db, "fin", "finance"),
        "admin": make_user(db, "root", "admin"),
    }
    p = projects[0]
    fill_project(db, p, quality=0.8)
    submit(db, p)
    return p, users, projects


def bearer(db, user, scope="write"):
    token = accounts.create_token(session=db, actor="test", user=user, scope=scope)
    return {"Authorization": f"Bearer {token.plaintext}"}


def test_return_needs_a_comment_then_reaches_the_department_who_resubmits(client, db, world):
    project, users, _ = world
    fin = bearer(db, users["fin"])
    url = f"/api/v1/projects/{project.id}/review"

    refused = client.post(url, json={"decision": "return", "comment": "  "}, headers=fin)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "comment"
    assert refused.json()["detail"][0]["code"] == "comment_required"
    assert project.status == "submitted"

    comment = "“企业安全检查”实际完成值与台账不符，请核实后重新提交"
    done = client.post(url, json={"decision": "return", "comment": comment}, headers=fin)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "returned" and done.json()["event"]["comment"] == comment

    # The department reads the comment (API history, and its printable form page).
    dept = bearer(db, users["dept"], scope="read")
    history = client.get(f"/api/v1/projects/{project.id}/history", headers=dept)
    assert history.status_code == 200
    last = history.json()["events"][-1]
    assert (last["to_status"], last["step"], last["comment"]) == ("returned", "退回", comment)
    page = logged_in(client.app, users["dept"]).get(f"/projects/{project.id}/report")
    assert page.status_code == 200 and comment in page.text
    # Another department does not see the project at all.
    other = client.get(f"/api/v1/projects/{project.id}/history", headers=bearer(db, users["other"]))
    assert other.status_code == 404

    # Returned is editable again; the department resubmits; finance approves.
    ensure_editable(project)
    change_status(session=db, project=project, to="submitted", actor=users["dept"])
    queue = logged_in(client.app, users["fin"]).get("/review")
    assert project.name in queue.text and "退回后重新提交" in queue.text
    approved = client.post(url, json={"decision": "approve"}, headers=fin)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    steps = [
        e.to_status
        for e in db.scalars(select(ProjectStatusEvent).where(ProjectStatusEvent.project_id == project.id))
    ]
    assert steps == ["submitted", "returned", "submitted", "approved"]


def test_approval_locks_and_only_admin_reopens(client, db, world):
    project, users, _ = world
    fin, admin = bearer(db, users["fin"]), bearer(db, users["admin"])
    url = f"/api/v1/projects/{project.id}/review"
    assert client.post(url, json={"decision": "approve", "comment": "同意"}, headers=fin).status_code == 200
    snap = db.scalar(
        select(ScoreSnapshot).where(ScoreSnapshot.project_id == project.id, ScoreSnapshot.is_latest)
    )
    live = compute_project_score(session=db, project=project)
    assert snap is not None and snap.total == live.total is not None  # summaries read the approved score

    # Locked: no edit, no second decision, no adjustment.
    with pytest.raises(Conflict):
        ensure_editable(project)
    again = client.post(url, json={"decision": "return", "comment": "再看看"}, headers=fin)
    assert again.status_code == 409
    web = logged_in(client.app, users["fin"])
    indicator = project.indicators[0]
    adjust = web.post(
        f"/review/{project.id}/adjust",
        data={
            "indicator_id": indicator.id,
            "kind": "score",
            "value": "1",
            "reason": "x",
            "csrf_token": csrf(web),
        },
    )
    assert adjust.status_code == 409

    # Finance may not reopen; the admin may, with a reason, and it is audited.
    reopen = f"/api/v1/projects/{project.id}/reopen"
    assert client.post(reopen, json={"comment": "更正"}, headers=fin).status_code == 403
    assert client.post(reopen, json={"comment": " "}, headers=admin).status_code == 422
    done = client.post(reopen, json={"comment": "单位申请更正全年执行数"}, headers=admin)
    assert done.status_code == 200 and done.json()["status"] == "draft"
    ensure_editable(project)
    audit = db.scalars(
        select(AuditLog).where(AuditLog.action == "project.status", AuditLog.entity_id == str(project.id))
    ).all()
    assert audit[-1].actor_name == "root" and audit[-1].after["step"] == "重新打开"


def test_only_finance_decides(client, db, world):
    project, users, _ = world
    url = f"/api/v1/projects/{project.id}/review"
    body = {"decision": "approve"}
    assert client.post(url, json=body, headers=bearer(db, users["dept"])).status_code == 403
    assert client.post(url, json=body, headers=bearer(db, users["admin"])).status_code == 403
    assert client.post(url, json=body, headers=bearer(db, users["fin"], scope="read")).status_code == 403
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json={"decision": "maybe"}, headers=bearer(db, users["fin"])).status_code == 422
    assert project.status == "submitted"


def test_a_draft_cannot_be_reviewed(client, db, world):
    _, users, projects = world
    draft = projects[1]
    r = client.post(
        f"/api/v1/projects/{draft.id}/review", json={"decision": "approve"}, headers=bearer(db, users["fin"])
    )
    assert r.status_code == 409 and r.json()["detail"][0]["code"] == "not_under_review"


def test_web_return_without_comment_shows_the_error_next_to_the_field(client, db, world):
    project, users, _ = world
    web = logged_in(client.app, users["fin"])
    page = web.get(f"/review/{project.id}")
    assert page.status_code == 200
    for text in ("绩效指标", "预算执行", "审核通过", "退回修改", "状态历史", "全年执行数"):
        assert text in page.text
    r = web.post(
        f"/review/{project.id}/decision", data={"decision": "return", "comment": "", "csrf_token": csrf(web)}
    )
    assert r.status_code == 422
    assert 'id="comment-error"' in r.text and "退回时必须填写退回意见" in r.text
    assert project.status == "submitted"
    ok = web.post(
        f"/review/{project.id}/decision",
        data={"decision": "return", "comment": "请补充佐证材料", "csrf_token": csrf(web)},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and project.status == "returned"


def test_end_to_end_through_the_department_api(client, db, world):
    """The department's own API shows the return comment, takes the resubmission, and
    refuses edits once finance has approved."""
    project, users, _ = world
    fin, dept = bearer(db, users["fin"]), bearer(db, users["dept"])
    comment = "请补充“企业安全检查”的检查台账"
    r = client.post(
        f"/api/v1/projects/{project.id}/review", json={"decision": "return", "comment": comment}, headers=fin
    )
    assert r.status_code == 200
    seen = client.get(f"/api/v1/projects/{project.id}", headers=dept).json()
    assert seen["status"] == "returned" and seen["return_comment"] == comment

    resubmit = client.post(f"/api/v1/projects/{project.id}/submit", headers=dept)
    assert resubmit.status_code == 200, resubmit.text
    assert client.get(f"/api/v1/projects/{project.id}", headers=dept).json()["status"] == "submitted"

    r = client.post(f"/api/v1/projects/{project.id}/review", json={"decision": "approve"}, headers=fin)
    assert r.status_code == 200
    version = client.get(f"/api/v1/projects/{project.id}", headers=dept).json()["version"]
    edit = client.put(
        f"/api/v1/projects/{project.id}/actuals",
        json={"version": version, "goal_actual": "改一下"},
        headers=dept,
    )
    assert edit.status_code == 409
    again = client.post(f"/api/v1/projects/{project.id}/submit", headers=dept)
    assert again.status_code == 409


def test_a_decision_on_a_project_changed_meanwhile_is_a_conflict(db, world):
    from sqlalchemy import text

    from app.review.service import decide

    project, users, _ = world
    db.execute(text("UPDATE project SET version = version + 1 WHERE id = :id"), {"id": project.id})
    with pytest.raises(Conflict) as refused:
        decide(session=db, project=project, actor=users["fin"], decision="approve")
    assert refused.value.code == "status_changed"  # caught at the row lock, before any write


def test_queue_refuses_a_year_out_of_range(client, world):
    _, users, _ = world
    web = logged_in(client.app, users["fin"])
    assert web.get("/review", params={"year": 10**20}).status_code == 422
    assert web.get("/review", params={"year": 2023}).status_code == 200
