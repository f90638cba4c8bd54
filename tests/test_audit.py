"""Every kind of write owned by accounts leaves an audit row with before → after; the log is
append-only and browsable by finance and admin."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.accounts import audit, service
from app.db.models import AuditLog
from app.db.models.accounts import AuditLogIsAppendOnly
from tests.accounts_support import PASSWORD, csrf, logged_in, login, make_user, make_world


def _rows(db, action: str) -> list[AuditLog]:
    return list(db.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def test_user_changes_are_audited_with_before_and_after(db):
    admin = make_user(db, "root", "admin")
    service.create_user(
        session=db,
        actor=admin,
        username="Dept1",
        password=PASSWORD,
        role="department",
        unit_codes=["309001", "309"],
    )
    (created,) = _rows(db, "user.create")[-1:]
    assert created.actor_id == admin.id and created.actor_name == "root"
    assert created.entity == "user" and created.before is None
    assert created.after == {
        "username": "dept1",
        "display_name": None,
        "role": "department",
        "units": ["309", "309001"],
        "active": True,
    }
    service.set_user_active(session=db, actor=admin, username="dept1", active=False)
    (disabled,) = _rows(db, "user.disable")
    assert disabled.before["active"] is True and disabled.after["active"] is False
    assert disabled.entity_id == created.entity_id
    service.set_user_active(session=db, actor=admin, username="dept1", active=True)
    (enabled,) = _rows(db, "user.enable")
    assert (enabled.before["active"], enabled.after["active"]) == (False, True)
    service.set_password(session=db, actor="cli:root", username="dept1", password="another-pass-1")
    (password,) = _rows(db, "user.password")
    assert password.actor_id is None and password.actor_name == "cli:root"
    assert password.before != password.after
    assert "argon2" not in str(password.before) + str(password.after)  # hashes never logged


def test_token_create_and_revoke_are_audited_without_the_secret(db):
    user = make_user(db, "dept1", "department", ("309001",))
    issued = service.create_token(session=db, actor="cli:root", user=user, scope="write", name="汇总脚本")
    (created,) = _rows(db, "token.create")
    assert created.before is None
    assert created.after["scope"] == "write" and created.after["user"] == "dept1"
    assert created.after["name"] == "汇总脚本" and created.after["revoked_at"] is None
    assert issued.plaintext not in str(created.after)
    assert created.after["prefix"] == issued.plaintext[:10]
    service.revoke_token(session=db, actor=user, token_id=issued.token.id, owner=user)
    (revoked,) = _rows(db, "token.revoke")
    assert revoked.before["revoked_at"] is None and revoked.after["revoked_at"]
    assert revoked.actor_id == user.id


def test_web_login_logout_and_api_token_are_audited(app, db):
    world = make_world(db)
    client = logged_in(app, world.finance)
    (login_row,) = _rows(db, "login")
    assert login_row.actor_name == "fin" and login_row.after == {"method": "password"}
    assert login_row.address == "testclient"
    client.post("/logout", data={"csrf_token": csrf(client)})
    (logout_row,) = _rows(db, "logout")
    assert logout_row.actor_id == world.finance.id
    TestClient(app).post(
        "/api/v1/token", data={"username": "dept309", "password": PASSWORD, "scope": "write"}
    )
    row = _rows(db, "token.create")[-1]
    assert row.actor_name == "dept309" and row.after["scope"] == "write" and row.address == "testclient"
    # a failed login writes no audit row (it is counted in login_failure)
    before = db.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()))
    login(TestClient(app), "fin", "wrong-password")
    assert db.scalar(select(AuditLog.id).order_by(AuditLog.id.desc())) == before


def test_audit_log_is_append_only(db):
    row = audit.record_audit(
        session=db,
        actor="system",
        action="test.write",
        entity="project",
        entity_id=1,
        before=None,
        after={"a": 1},
    )
    row.after = {"a": 2}
    with pytest.raises(AuditLogIsAppendOnly):
        db.flush()
    db.rollback()
    row = audit.record_audit(
        session=db,
        actor="system",
        action="test.write",
        entity="project",
        entity_id=1,
        before=None,
        after={"a": 1},
    )
    db.delete(row)
    with pytest.raises(AuditLogIsAppendOnly):
        db.flush()
    db.rollback()


def test_values_are_stored_json_safe_and_decimals_stay_exact(db):
    row = audit.record_audit(
        session=db,
        actor=None,
        action="actual.update",
        entity="indicator",
        entity_id=7,
        before={"value": Decimal("50.10"), "on": date(2023, 12, 31)},
        after={"value": Decimal("52"), "units": {"309", "101"}, "at": datetime(2024, 1, 2, 3, 4)},
    )
    db.expire(row)
    assert row.before == {"value": "50.10", "on": "2023-12-31"}
    assert row.after == {"value": "52", "units": ["101", "309"], "at": "2024-01-02T03:04:00"}
    assert row.actor_name == "system" and row.entity_id == "7"
    changes = audit.describe_changes(row.before, row.after)
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("value", "50.10", "52"),
        ("on", "2023-12-31", None),
        ("units", None, "101、309"),
        ("at", None, "2024-01-02T03:04:00"),
    ]


def test_audit_page_filters_by_action_user_and_date(app, db):
    world = make_world(db)  # five user.create rows by "test"
    service.set_user_active(session=db, actor=world.admin, username="dept310", active=False)
    client = logged_in(app, world.finance)
    everything = client.get("/audit")
    assert everything.status_code == 200
    assert "停用用户" in everything.text and "新增用户" in everything.text and "登录" in everything.text
    only = client.get("/audit", params={"action": "user.disable"})
    assert "停用用户" in only.text and "共 1 条记录" in only.text
    assert '<span class="old">是</span> → <span class="new">否</span>' in only.text
    by_user = client.get("/audit", params={"username": "ROOT"})
    assert "共 1 条记录" in by_user.text  # the disable by root; user names are case-insensitive
    today = datetime.now(audit.LOCAL_TZ).date()
    assert "共 0 条记录" in client.get("/audit", params={"date_to": str(today - timedelta(days=1))}).text
    dated = client.get(
        "/audit", params={"date_from": str(today), "date_to": str(today), "action": "user.create"}
    )
    assert "共 4 条记录" in dated.text
    bad = client.get("/audit", params={"date_from": "2023-13-01"})
    assert bad.status_code == 200 and "日期格式应为 YYYY-MM-DD" in bad.text


def test_audit_page_pages(app, db):
    world = make_world(db)
    for i in range(60):
        audit.record_audit(
            session=db,
            actor=world.admin,
            action="test.bulk",
            entity="project",
            entity_id=i,
            before=None,
            after={},
        )
    client = logged_in(app, world.admin)
    first = client.get("/audit", params={"action": "test.bulk"})
    assert "共 60 条记录，第 1 / 2 页" in first.text and "下一页" in first.text
    second = client.get("/audit", params={"action": "test.bulk", "page": 2})
    assert "第 2 / 2 页" in second.text and second.text.count("#") >= 10
