"""Login, logout, session cookie, CSRF, throttling and the error shapes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app.accounts import security, service, throttle
from app.db.models import LoginSession, LoginThrottle
from tests.accounts_support import PASSWORD, csrf, logged_in, login, login_form_token, make_user, make_world
from tests.test_access_matrix import app_routes


def test_login_sets_a_hardened_cookie_and_shows_the_user(app, db):
    user = make_user(db, "alice", "department", ("309001",))
    client = TestClient(app)
    response = login(client, "Alice")  # user names are case-insensitive
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(security.SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain http here
    page = client.get("/login", follow_redirects=True)
    assert "alice" in page.text and "退出" in page.text
    row = db.scalar(select(LoginSession).where(LoginSession.user_id == user.id))
    assert row is not None and row.token_hash != security.unsign_session_cookie(
        client.cookies[security.SESSION_COOKIE]
    )  # only the hash is stored


def test_cookie_is_secure_over_https(app, db):
    make_user(db, "alice", "admin")
    client = TestClient(app, base_url="https://testserver")
    response = login(client, "alice")
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(security.SESSION_COOKIE))
    assert "Secure" in cookie


def test_login_errors_are_shown_next_to_fields_and_input_is_kept(app, db):
    make_user(db, "alice", "admin")
    client = TestClient(app)
    token = login_form_token(client)
    empty = client.post("/login", data={"username": "", "password": "", "csrf_token": token})
    assert empty.status_code == 422
    assert 'id="username-error">请输入用户名' in empty.text and 'id="password-error">请输入密码' in empty.text
    wrong = client.post("/login", data={"username": "alice", "password": "nope-nope", "csrf_token": token})
    assert wrong.status_code == 401
    assert service.BAD_CREDENTIALS in wrong.text and 'value="alice"' in wrong.text
    assert "nope-nope" not in wrong.text  # the password is never echoed


def test_unknown_user_and_wrong_password_answer_alike(app, db):
    make_user(db, "alice", "admin")
    client = TestClient(app)
    token = login_form_token(client)
    known = client.post("/login", data={"username": "alice", "password": "wrong-one", "csrf_token": token})
    unknown = client.post("/login", data={"username": "bob", "password": "wrong-one", "csrf_token": token})
    assert known.status_code == unknown.status_code == 401
    assert known.text.replace("alice", "X") == unknown.text.replace("bob", "X")


def test_login_redirects_back_to_the_page_asked_for_but_never_off_site(app, db):
    make_user(db, "fin", "finance")
    client = TestClient(app)
    first = client.get("/audit?action=login", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/login?next=%2Faudit%3Faction%3Dlogin"
    token = login_form_token(client)
    ok = client.post(
        "/login",
        data={"username": "fin", "password": PASSWORD, "next": "/audit?action=login", "csrf_token": token},
        follow_redirects=False,
    )
    assert ok.headers["location"] == "/audit?action=login"
    client = TestClient(app)
    token = login_form_token(client)
    evil = client.post(
        "/login",
        data={"username": "fin", "password": PASSWORD, "next": "//evil.example/x", "csrf_token": token},
        follow_redirects=False,
    )
    assert evil.headers["location"] == "/"


def test_logout_ends_the_session_server_side(app, db):
    world = make_world(db)
    client = logged_in(app, world.finance)
    stolen = client.cookies[security.SESSION_COOKIE]
    out = client.post("/logout", data={"csrf_token": csrf(client)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    replay = TestClient(app, cookies={security.SESSION_COOKIE: stolen})
    assert replay.get("/audit", follow_redirects=False).status_code == 303


def test_post_without_csrf_token_is_refused_on_every_web_write(app, db):
    world = make_world(db)
    client = logged_in(app, world.admin)
    web_writes = sorted(
        (m, p)
        for m, p in app_routes(app)
        if m in {"POST", "PUT", "PATCH", "DELETE"} and not p.startswith("/api/")
    )
    assert ("POST", "/logout") in web_writes and ("POST", "/login") in web_writes
    for method, path in web_writes:
        sample = path.format(
            project_id=world.own_project.id, token_id=1, indicator_id=1, name="central_2020", token="x"
        )
        for token in (None, "forged-token"):
            data = {"csrf_token": token} if token else {}
            response = client.request(method, sample, data=data, follow_redirects=False)
            assert response.status_code == 403, (method, sample, token, response.status_code)
            assert "页面已过期" in response.text
    # still logged in: the refused logout did nothing
    assert client.get("/audit").status_code == 200


def test_csrf_token_of_another_session_is_refused(app, db):
    world = make_world(db)
    alice, bob = logged_in(app, world.admin), logged_in(app, world.finance)
    response = alice.post("/logout", data={"csrf_token": csrf(bob)}, follow_redirects=False)
    assert response.status_code == 403


def test_login_form_needs_its_csrf_token(app, db):
    make_user(db, "alice", "admin")
    client = TestClient(app)
    login_form_token(client)
    response = client.post("/login", data={"username": "alice", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403 and security.SESSION_COOKIE not in client.cookies


def test_api_write_with_the_cookie_needs_the_csrf_header(app, db):
    world = make_world(db)
    client = logged_in(app, world.dept)
    token = service.create_token(session=db, actor="test", user=world.dept, scope="write")
    url = f"/api/v1/tokens/{token.token.id}/revoke"
    refused = client.post(url)
    assert refused.status_code == 403 and refused.json()["detail"][0]["code"] == "csrf_failed"
    assert client.post(url, headers={"X-CSRF-Token": csrf(client)}).status_code == 200


@pytest.mark.parametrize("part", ["signature", "payload"])
def test_tampered_cookie_logs_out(app, db, part):
    world = make_world(db)
    client = logged_in(app, world.finance)
    assert client.get("/audit").status_code == 200
    value = client.cookies[security.SESSION_COOKIE]
    token, _, signature = value.rpartition(".")
    if part == "signature":
        tampered = f"{token}.{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}{signature[-1]}"
    else:
        tampered = f"X{value[1:]}"
    client.cookies.clear()
    client.cookies.set(security.SESSION_COOKIE, tampered)
    response = client.get("/audit", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    deleted = [c for c in response.headers.get_list("set-cookie") if c.startswith(security.SESSION_COOKIE)]
    assert deleted and ("Max-Age=0" in deleted[0] or "expires=Thu, 01 Jan 1970" in deleted[0])
    # on the API as well: the tampered cookie is no login at all
    assert client.get("/api/v1/me").status_code == 401


def test_disabled_user_is_logged_out_and_tokens_revoked(app, db):
    world = make_world(db)
    client = logged_in(app, world.dept)
    token = service.create_token(session=db, actor="test", user=world.dept, scope="read")
    service.set_user_active(session=db, actor=world.admin, username="dept309", active=False)
    assert client.get("/api/v1/me").status_code == 401
    api = TestClient(app, headers={"Authorization": f"Bearer {token.plaintext}"})
    assert api.get("/api/v1/me").status_code == 401


def _attempt(client: TestClient, token: str, username: str, password: str):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_sixth_wrong_password_in_a_minute_is_throttled(app, db):
    make_user(db, "alice", "department", ("309001",))
    client = TestClient(app)
    token = login_form_token(client)
    for _ in range(5):
        assert _attempt(client, token, "alice", "wrong-password").status_code == 401
    sixth = _attempt(client, token, "alice", "wrong-password")
    assert sixth.status_code == 429 and service.THROTTLED in sixth.text and "1 分钟" in sixth.text
    assert sixth.headers["Retry-After"] == "60"
    # even the right password waits: guessing must not be able to tell which one was right
    right = _attempt(client, token, "alice", PASSWORD)
    assert right.status_code == 429 and security.SESSION_COOKIE not in client.cookies
    # an unknown name is throttled the same way (no account enumeration)
    for _ in range(5):
        assert _attempt(client, token, "ghost", "wrong-password").status_code == 401
    assert _attempt(client, token, "ghost", "wrong-password").status_code == 429
    # a minute later the user can log in again
    db.execute(
        update(LoginThrottle).values(blocked_until=LoginThrottle.blocked_until - timedelta(seconds=61))
    )
    assert _attempt(client, token, "alice", PASSWORD).status_code == 200  # redirect followed
    assert security.SESSION_COOKIE in client.cookies


def test_failures_are_counted_in_the_database_across_workers(app, db):
    """Two clients (as two workers would be) share the count: it lives in the database."""
    make_user(db, "alice", "admin")
    a, b = TestClient(app), TestClient(app)
    ta, tb = login_form_token(a), login_form_token(b)
    for i in range(5):
        client, token = (a, ta) if i % 2 else (b, tb)
        assert _attempt(client, token, "alice", "bad-password").status_code == 401
    assert _attempt(a, ta, "alice", PASSWORD).status_code == 429
    key = throttle.pair_key("alice", "testclient")
    assert db.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == key)) == 5


def test_too_many_failures_from_one_address_are_throttled(app, db):
    client = TestClient(app)
    token = login_form_token(client)
    for i in range(throttle.ADDRESS_FREE):
        assert _attempt(client, token, f"user{i}", "wrong-password").status_code == 401
    assert _attempt(client, token, "someone-new", "wrong-password").status_code == 429


def test_api_token_endpoint_is_throttled_too(app, db):
    make_user(db, "alice", "department", ("309001",))
    client = TestClient(app)
    for _ in range(5):
        bad = client.post("/api/v1/token", data={"username": "alice", "password": "wrong"})
        assert bad.status_code == 401
        assert bad.json() == {
            "detail": [{"loc": [], "msg": service.BAD_CREDENTIALS, "code": "bad_credentials"}]
        }
    sixth = client.post("/api/v1/token", data={"username": "alice", "password": PASSWORD})
    assert sixth.status_code == 429 and sixth.json()["detail"][0]["code"] == "login_throttled"
    assert sixth.headers["retry-after"] == "60"


def test_api_token_login_me_and_scopes(app, db):
    make_user(db, "alice", "department", ("309", "310001"))
    client = TestClient(app)
    issued = client.post("/api/v1/token", data={"username": "alice", "password": PASSWORD})
    assert issued.status_code == 200
    body = issued.json()
    assert body["token_type"] == "bearer" and body["scope"] == "read" and body["expires_at"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {
        "id": me.json()["id"],
        "username": "alice",
        "display_name": None,
        "role": "department",
        "units": ["309", "310001"],
        "auth_method": "token",
        "scope": "read",
    }
    bad = client.post("/api/v1/token", data={"username": "alice", "password": PASSWORD, "scope": "admin"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "scope"]


def test_read_token_cannot_write_write_token_can(app, db):
    world = make_world(db)
    read = service.create_token(session=db, actor="test", user=world.dept, scope="read")
    write = service.create_token(session=db, actor="test", user=world.dept, scope="write")
    as_read = TestClient(app, headers={"Authorization": f"Bearer {read.plaintext}"})
    refused = as_read.post(f"/api/v1/tokens/{read.token.id}/revoke")
    assert refused.status_code == 403
    assert refused.json()["detail"][0]["code"] == "insufficient_scope"
    assert read.token.revoked_at is None
    as_write = TestClient(app, headers={"Authorization": f"Bearer {write.plaintext}"})
    done = as_write.post(f"/api/v1/tokens/{read.token.id}/revoke")
    assert done.status_code == 200 and done.json()["revoked_at"]
    assert as_read.get("/api/v1/me").status_code == 401  # the revoked token no longer works
    # another user's token is simply not found
    other = service.create_token(session=db, actor="test", user=world.other_dept, scope="read")
    assert as_write.post(f"/api/v1/tokens/{other.token.id}/revoke").status_code == 404


def test_expired_and_garbage_tokens_are_401(app, db):
    world = make_world(db)
    expired = service.create_token(
        session=db,
        actor="test",
        user=world.dept,
        scope="read",
        expires_at=service.utcnow() - timedelta(seconds=1),
    )
    for header in (f"Bearer {expired.plaintext}", "Bearer jx_nonsense", "Basic abc", "Bearer"):
        response = TestClient(app).get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["detail"][0]["code"] == "invalid_token"


def test_api_error_shapes(app, db):
    client = TestClient(app)
    missing = client.get("/api/v1/nowhere")
    assert missing.status_code == 404
    assert missing.json() == {"detail": [{"loc": [], "msg": "未找到", "code": "not_found"}]}
    invalid = client.post("/api/v1/token", data={"username": "x"})
    assert invalid.status_code == 422
    assert invalid.json() == {"detail": [{"loc": ["body", "password"], "msg": "必填", "code": "missing"}]}
    anonymous = client.get("/api/v1/me")
    assert anonymous.status_code == 401 and anonymous.json()["detail"][0]["msg"].startswith("缺少令牌")


def test_web_errors_are_chinese_pages(app, db):
    world = make_world(db)
    client = logged_in(app, world.dept)
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "未找到" in missing.text and "<html" in missing.text
    forbidden = client.get("/audit")
    assert forbidden.status_code == 403 and "无权访问" in forbidden.text and "财政审核" in forbidden.text


def test_real_request_boundary_commits_failures_and_renders_error_pages(fresh_database_url):
    """Without the test session override: get_session commits/rolls back per request."""
    from app.db.migrate import upgrade_to_head
    from app.db.session import session_scope
    from app.main import create_app

    upgrade_to_head(fresh_database_url)
    with session_scope() as session:
        dept = make_user(session, "dept", "department", ("309001",))
        make_user(session, "victim", "finance")
    app = create_app()
    client = logged_in(app, dept)
    # an error raised in a dependency rolls the session back; the page (with its nav) still renders
    forbidden = client.get("/audit")
    assert forbidden.status_code == 403 and "无权访问" in forbidden.text and "dept" in forbidden.text
    refused = client.post("/logout", data={"csrf_token": "forged"})
    assert refused.status_code == 403 and "退出" in refused.text
    # failed logins are committed although the answer is an error: the 6th is throttled
    other = TestClient(app)
    token = login_form_token(other)
    for _ in range(5):
        assert _attempt(other, token, "victim", "wrong-password").status_code == 401
    assert _attempt(other, token, "victim", PASSWORD).status_code == 429
    api = TestClient(app)
    assert api.post("/api/v1/token", data={"username": "victim", "password": PASSWORD}).status_code == 429
    with session_scope() as session:
        key = throttle.pair_key("victim", "testclient")
        assert session.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == key)) == 5


def test_the_request_commits_before_the_response_is_sent(fresh_database_url):
    """A browser follows the login redirect at once: the session row must already be committed."""
    from app.db.migrate import upgrade_to_head
    from app.db.models import LoginSession
    from app.db.session import session_scope
    from app.main import create_app

    upgrade_to_head(fresh_database_url)
    with session_scope() as session:
        user = make_user(session, "alice", "finance")
    seen: list[int] = []

    def check_on_response_start(app):
        async def wrapper(scope, receive, send):
            async def watching_send(message):
                if message["type"] == "http.response.start" and scope["method"] == "POST":
                    with session_scope() as other:  # another connection: sees committed rows only
                        seen.append(other.scalar(select(func.count()).select_from(LoginSession)))
                await send(message)

            await app(scope, receive, watching_send)

        return wrapper

    client = TestClient(check_on_response_start(create_app()))
    response = login(client, user.username)
    assert response.status_code == 303
    assert seen == [1]


@pytest.mark.parametrize(
    ("method", "referer", "expected"),
    [
        ("GET", None, "/login?next=%2Fprojects%2F7%3Fyear%3D2023"),
        (
            "POST",
            "http://testserver/projects/7/actuals?tab=2",
            "/login?next=%2Fprojects%2F7%2Factuals%3Ftab%3D2",
        ),
        ("POST", "http://evil.example/x", "/login?next=%2F"),
        ("POST", None, "/login?next=%2F"),
    ],
)
def test_login_redirect_returns_to_the_page_or_the_form_page(method, referer, expected):
    """A form posted after the session ended comes back to the form's page, never off site."""
    from starlette.requests import Request

    from app.web.errors import _login_redirect

    headers = [(b"host", b"testserver")] + ([(b"referer", referer.encode())] if referer else [])
    scope = {
        "type": "http",
        "method": method,
        "path": "/projects/7",
        "query_string": b"year=2023",
        "headers": headers,
        "scheme": "http",
        "server": ("testserver", 80),
    }
    assert _login_redirect(Request(scope)).headers["location"] == expected


def test_web_validation_errors_are_a_chinese_page(app, db):
    world = make_world(db)
    client = logged_in(app, world.finance)
    response = client.get("/audit", params={"page": "two"})
    assert response.status_code == 422 and "页码：应为整数" in response.text


def test_login_with_a_nul_character_is_an_ordinary_failure(client):
    """PostgreSQL text cannot hold NUL; a name typed with one must not reach it (was a 500)."""
    answer = client.post("/api/v1/token", data={"username": "dept\x00", "password": "x\x00"})
    assert answer.status_code == 401, answer.text
