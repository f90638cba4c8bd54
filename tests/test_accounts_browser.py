"""A clerk logs in through the real form in Chromium, is sent back to the page asked for, logs out."""

from __future__ import annotations

import pytest

from tests.accounts_support import PASSWORD, make_user

pytestmark = pytest.mark.browser


def test_login_redirect_audit_and_logout_in_a_browser(live_server, page):
    from app.db.session import session_scope

    with session_scope() as session:
        make_user(session, "fin", "finance")
    page.goto(f"{live_server}/audit?action=login")
    assert page.url.startswith(f"{live_server}/login?next=")
    page.fill("input[name=username]", "fin")
    page.fill("input[name=password]", "wrong-password")
    page.click("form.stacked button[type=submit]")
    assert page.locator(".alert.err").inner_text() == "用户名或密码错误"
    assert page.input_value("input[name=username]") == "fin"  # input kept
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"{live_server}/audit?action=login")
    assert page.locator("h1").inner_text() == "审计日志"
    assert "共 1 条记录" in page.content()  # this very login, already committed
    page.click("form.inline button[type=submit]")  # 退出
    page.wait_for_url(f"{live_server}/login")
    page.goto(f"{live_server}/audit")
    assert page.url.startswith(f"{live_server}/login")
