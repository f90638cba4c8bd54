"""Security headers on every response, and pages that keep working under the
Content-Security-Policy (no inline script; a real browser reports any violation)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.core.headers import PAGE_CSP
from app.db.models import Project, Unit
from app.db.session import session_scope
from tests.accounts_support import PASSWORD, make_user
from tests.review_support import demo_year

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/login"),
        ("GET", "/static/app.css"),
        ("GET", "/api/v1/me"),  # 401
        ("GET", "/projects/0"),  # 422 or redirect
        ("GET", "/no-such-page"),  # 404
        ("POST", "/login"),  # 403 without CSRF token
        ("GET", "/openapi.json"),
    ],
)
def test_every_response_carries_the_security_headers(client, method, path):
    response = client.request(method, path, follow_redirects=False)
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    csp = response.headers["content-security-policy"]
    assert csp == PAGE_CSP and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "strict-transport-security" not in response.headers  # plain http


def test_the_api_docs_policy_allows_this_site_alone(client):
    for path in ("/docs", "/redoc"):
        csp = client.get(path).headers["content-security-policy"]
        assert "http" not in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0], csp
        assert "frame-ancestors 'none'" in csp


def test_hsts_only_when_settings_say_https(monkeypatch, database_url):
    from app.core.config import get_settings
    from app.main import create_app

    monkeypatch.setenv("JIXIAO_HTTPS", "1")
    get_settings.cache_clear()
    try:
        response = TestClient(create_app()).get("/login")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


@pytest.mark.browser
def test_pages_work_under_the_policy_in_a_browser(page, live_server):
    base = live_server
    with session_scope() as db:
        demo_year(db)
        make_user(db, "fin", "finance")
        make_user(db, "root", "admin")
        make_user(db, "dept", "department", ("309001",))
    with session_scope() as db:
        project_id = db.scalar(
            select(Project.id).join(Project.unit).where(Project.year == 2023, Unit.code == "309001").limit(1)
        )
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.add_init_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")

    def login(user: str) -> None:
        page.context.clear_cookies()
        page.goto(f"{base}/login")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()

    login("fin")
    for path in (
        "/",
        "/finance?year=2023",
        "/review",
        f"/review/{project_id}",
        f"/projects/{project_id}/years",
    ):
        assert page.goto(base + path).status == 200, path
    page.goto(f"{base}/finance?year=2023")
    assert page.locator("svg.chart rect").count() > 0  # the overview charts are drawn
    page.goto(f"{base}/projects/{project_id}/report")
    page.click("button[data-print]")
    assert page.evaluate("window.__printed") == 1  # the print button works without inline script
    login("root")
    for path in ("/audit", "/imports", "/imports/history", "/admin/policies"):
        assert page.goto(base + path).status == 200, path
    page.goto(f"{base}/finance?year=2023")
    page.goto(f"{base}/projects/999999/report")  # the error page: its back link goes back
    page.click("a[data-back]")
    page.wait_for_load_state()
    assert page.url.endswith("/finance?year=2023")
    login("dept")
    assert page.goto(f"{base}/entry").status == 200
    assert page.goto(f"{base}/entry/projects/{project_id}").status == 200
    csp_problems = [p for p in problems if "Content Security Policy" in p or "Refused to" in p]
    assert csp_problems == []
