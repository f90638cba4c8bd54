"""Login throttling per (user name, address) and per address: growing delays, never a lock-out of
an account for everyone, concurrent attempts counted atomically (real server, both databases)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.accounts import service, throttle
from app.db.models import LoginThrottle
from app.db.session import session_scope
from tests.accounts_support import PASSWORD, make_user


def _auth(db, name: str, password: str, address: str, now):
    return service.authenticate(session=db, username=name, password=password, address=address, now=now)


def test_the_right_password_from_another_address_still_works(db):
    make_user(db, "alice", "finance")
    now = service.utcnow()
    for _ in range(throttle.PAIR_FREE):
        assert _auth(db, "alice", "wrong-password", "203.0.113.9", now).error.status_code == 401
    refused = _auth(db, "alice", PASSWORD, "203.0.113.9", now)
    assert refused.user is None and refused.error.status_code == 429  # the attacker's address waits
    assert _auth(db, "alice", PASSWORD, "10.1.2.3", now).user is not None  # alice at her desk does not


def test_delays_grow_with_each_failure_after_the_limit_and_are_capped(db):
    make_user(db, "bob", "finance")
    now = service.utcnow()
    address = "198.51.100.4"
    waits = []
    for _ in range(throttle.PAIR_FREE - 1):
        assert _auth(db, "bob", "wrong-password", address, now).error.status_code == 401
    for _ in range(7):
        assert _auth(db, "bob", "wrong-password", address, now).error.status_code == 401
        refused = _auth(db, "bob", PASSWORD, address, now).error
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        now += timedelta(seconds=waits[-1])  # wait exactly as told
    assert waits == [60, 120, 240, 480, 900, 900, 900]
    assert _auth(db, "bob", PASSWORD, address, now).user is not None
    # a success starts the (name, address) count afresh: the next mistake costs nothing
    assert _auth(db, "bob", "wrong-password", address, now).error.status_code == 401
    assert _auth(db, "bob", PASSWORD, address, now).user is not None


def test_a_success_takes_back_its_count_at_the_address(db):
    make_user(db, "carol", "finance")
    now = service.utcnow()
    address = "192.0.2.77"
    for _ in range(30):  # a whole office logging in through one proxy is never throttled
        assert _auth(db, "carol", PASSWORD, address, now).user is not None
    key = throttle.address_key(address)
    assert db.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == key)) == 0


def test_failures_from_one_address_throttle_that_address_only(db):
    make_user(db, "dave", "finance")
    now = service.utcnow()
    for i in range(throttle.ADDRESS_FREE):
        assert _auth(db, f"guess{i}", "wrong-password", "192.0.2.1", now).error.status_code == 401
    assert _auth(db, "dave", PASSWORD, "192.0.2.1", now).error.status_code == 429
    assert _auth(db, "dave", PASSWORD, "192.0.2.2", now).user is not None


def test_a_failure_a_day_ago_is_forgotten(db):
    make_user(db, "erin", "finance")
    then = service.utcnow() - timedelta(days=2)
    for _ in range(throttle.PAIR_FREE - 1):
        _auth(db, "erin", "wrong-password", "192.0.2.5", then)
    now = service.utcnow()
    assert _auth(db, "erin", "wrong-password", "192.0.2.5", now).error.status_code == 401  # counted as 1st
    key = throttle.pair_key("erin", "192.0.2.5")
    assert db.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == key)) == 1


def test_the_web_login_answers_429_with_retry_after_and_a_chinese_message(app, db):
    make_user(db, "frank", "finance")
    attacker = TestClient(app, client=("203.0.113.50", 4000))
    for _ in range(throttle.PAIR_FREE):
        answer = attacker.post("/api/v1/token", data={"username": "frank", "password": "wrong-password"})
        assert answer.status_code == 401
    refused = attacker.post("/api/v1/token", data={"username": "frank", "password": PASSWORD})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert "登录失败次数过多，请 1 分钟后再试" in refused.json()["detail"][0]["msg"]
    desk = TestClient(app, client=("10.0.0.8", 4001))
    assert desk.post("/api/v1/token", data={"username": "frank", "password": PASSWORD}).status_code == 200


def test_concurrent_wrong_attempts_are_all_counted(live_server):
    """30 simultaneous wrong passwords: exactly the free ones are checked, the rest refused."""
    with session_scope() as db:
        make_user(db, "grace", "finance")
    answers: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(30)

    def attempt() -> None:
        with httpx.Client(base_url=live_server, timeout=60) as http:
            start.wait()
            code = http.post(
                "/api/v1/token", data={"username": "grace", "password": "wrong-password"}
            ).status_code
        with lock:
            answers.append(code)

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert Counter(answers) == {401: throttle.PAIR_FREE, 429: 30 - throttle.PAIR_FREE}
    with session_scope() as db:
        key = throttle.pair_key("grace", "127.0.0.1")
        assert db.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == key)) == throttle.PAIR_FREE
