"""Concurrent status changes of one project through a live server: exactly one wins, every other
answer is 409 (``status_changed`` when it lost the race while waiting, or the state it found
refused), never a 500 — on SQLite and PostgreSQL (where they used to deadlock).

Also: a target-table preview (a dry run that writes and rolls back) waits its turn on SQLite
while departments save, instead of failing with "database is locked".
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

CLIENTS = 20
LOSING_CODES = {"status_changed", "not_under_review", "project_not_editable", "status_conflict"}


@pytest.fixture
def world(live_server):
    """The seed imported and filled completely; a department and a finance user with tokens."""
    from app.accounts import service as accounts
    from app.db.session import session_scope
    from tests.entry_support import import_seed
    from tests.review_support import fill_project

    with session_scope() as s:
        projects = import_seed(s)
        for p in projects.values():
            fill_project(s, p)
        users = {
            role: accounts.create_user(
                session=s, actor="test", username=role, password="x", role=role,
                unit_codes=("309001",) if role == "department" else (), check_password=False,
            )
            for role in ("department", "finance")
        }  # fmt: skip
        tokens = {
            role: accounts.create_token(session=s, actor="test", user=u, scope="write").plaintext
            for role, u in users.items()
        }
        ids = sorted(p.id for p in projects.values())
    return live_server, tokens, ids


def _client(base: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120)


def _race(base: str, requests: list[tuple[str, str, dict | None]]) -> list[httpx.Response]:
    """Send ``(token, path, json)`` all at once (after a barrier), one client each."""
    barrier = threading.Barrier(len(requests))

    def send(req: tuple[str, str, dict | None]) -> httpx.Response:
        token, path, body = req
        with _client(base, token) as c:
            barrier.wait()
            return c.post(path, json=body)

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(send, requests))


def _check_one_winner(answers: list[httpx.Response]) -> None:
    statuses = Counter(r.status_code for r in answers)
    assert statuses == {200: 1, 409: len(answers) - 1}, [
        f"{r.status_code} {r.text[:200]}" for r in answers if r.status_code != 409
    ]
    for r in answers:
        if r.status_code == 409:
            item = r.json()["detail"][0]
            assert item["code"] in LOSING_CODES and item["msg"], item
            if item["code"] == "status_changed":
                assert item["loc"] == ["status"] and "刷新" in item["msg"]


def _history(pid: int) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from app.db.models import ProjectStatusEvent
    from app.db.session import session_scope

    with session_scope() as s:
        rows = s.execute(
            select(ProjectStatusEvent.from_status, ProjectStatusEvent.to_status)
            .where(ProjectStatusEvent.project_id == pid)
            .order_by(ProjectStatusEvent.id)
        )
        return [tuple(r) for r in rows]


def test_concurrent_submits_one_wins_the_rest_409(world):
    base, tokens, ids = world
    pid = ids[0]
    answers = _race(base, [(tokens["department"], f"/api/v1/projects/{pid}/submit", None)] * CLIENTS)
    _check_one_winner(answers)
    assert _history(pid) == [("draft", "submitted")]


def test_concurrent_approve_and_return_one_wins_the_rest_409(world):
    """(A resubmission in the mix could legitimately win after a return: decisions only.)"""
    base, tokens, ids = world
    pid = ids[1]
    with _client(base, tokens["department"]) as c:
        assert c.post(f"/api/v1/projects/{pid}/submit").status_code == 200
    path = f"/api/v1/projects/{pid}/review"
    approve = (tokens["finance"], path, {"decision": "approve"})
    ret = (tokens["finance"], path, {"decision": "return", "comment": "请补充说明"})
    answers = _race(base, [approve, ret] * (CLIENTS // 2))
    _check_one_winner(answers)
    history = _history(pid)
    assert history[0] == ("draft", "submitted") and len(history) == 2
    assert history[1] in (("submitted", "approved"), ("submitted", "returned"))


def test_target_table_previews_wait_their_turn_while_departments_save(world):
    """The preview dry-runs the import (writes, rolled back): on SQLite it queues like a write."""
    from tests.entry_support import SEED

    base, tokens, ids = world
    table = SEED.read_text(encoding="utf-8").replace("2023", "2024").encode("utf-8")
    with _client(base, tokens["finance"]) as c:
        r = c.post("/api/v1/target-tables", files={"file": ("2024.txt", table, "text/plain")})
        assert r.status_code == 201, r.text[:300]
        upload_id = r.json()["upload_id"]
    previews, saves = 9, 3
    barrier = threading.Barrier(previews + saves)

    def preview(_: int) -> list[int]:
        with _client(base, tokens["finance"]) as c:
            barrier.wait()
            return [c.get(f"/api/v1/target-tables/{upload_id}").status_code for _ in range(2)]

    def save(n: int) -> list[int]:
        pid = ids[2 + n]
        out = []
        with _client(base, tokens["department"]) as c:
            barrier.wait()
            for k in range(6):
                version = c.get(f"/api/v1/projects/{pid}").json()["version"]
                body = {"version": version, "goal_actual": f"第 {k} 次保存"}
                out.append(c.put(f"/api/v1/projects/{pid}/actuals", json=body).status_code)
        return out

    with ThreadPoolExecutor(previews + saves) as pool:
        got_previews = pool.map(preview, range(previews))
        got_saves = pool.map(save, range(saves))
        answers = Counter(s for group in (*got_previews, *got_saves) for s in group)
    assert answers == {200: previews * 2 + saves * 6}, answers


def test_concurrent_web_decisions_one_wins_the_others_see_why(world):
    """The review page's form: the losers get the 409 page with the message, never a 500."""
    from app.accounts import security
    from tests.accounts_support import csrf, login_form_token

    base, tokens, ids = world
    pid = ids[-1]
    with _client(base, tokens["department"]) as c:
        assert c.post(f"/api/v1/projects/{pid}/submit").status_code == 200
    with httpx.Client(base_url=base, timeout=120) as browser:
        form = {"username": "finance", "password": "x", security.CSRF_FIELD: login_form_token(browser)}
        assert browser.post("/login", data=form).status_code == 303
        cookies, token = dict(browser.cookies), csrf(browser)
    barrier = threading.Barrier(CLIENTS)

    def decide(n: int) -> httpx.Response:
        body = {"decision": "approve"} if n % 2 else {"decision": "return", "comment": "请补充"}
        with httpx.Client(base_url=base, cookies=cookies, timeout=120) as c:
            barrier.wait()
            return c.post(f"/review/{pid}/decision", data={**body, security.CSRF_FIELD: token})

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(decide, range(CLIENTS)))
    statuses = Counter(r.status_code for r in answers)
    assert statuses == {303: 1, 409: CLIENTS - 1}, statuses
    for r in answers:
        if r.status_code == 409:
            assert "text/html" in r.headers["content-type"]
            assert "刚被他人处理" in r.text or "只能审核已提交的项目" in r.text, r.text[-500:]
    assert len(_history(pid)) == 2
