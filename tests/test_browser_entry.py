"""A clerk in headless Chromium: log in, open the seed's project 7 (退休人员慰问金), type a bad
number and see the message with the input kept, fix it, save, see the score change, submit."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.accounts import service as accounts
from tests.entry_support import RETIREES, full_marks, import_seed, indicators

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-9"


@pytest.fixture
def seeded(live_server):
    from app.db.session import session_scope

    with session_scope() as s:
        project = import_seed(s)[RETIREES]
        accounts.create_user(
            session=s,
            actor="test",
            username="clerk",
            password=PASSWORD,
            role="department",
            unit_codes=("309001",),
        )
        inds = [(i.id, i.direction, full_marks(i)) for i in indicators(project)]
        amount = str(project.amount_wan.normalize())
    return live_server, inds, amount


def test_clerk_enters_fixes_saves_and_submits(page, seeded):
    base, inds, amount = seeded
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "clerk")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{base}/entry")
    row = page.locator("tr", has_text=RETIREES)
    assert "未填报" in row.inner_text() and "0 / 7" in row.inner_text()
    row.get_by_role("link", name=RETIREES).click()
    page.wait_for_url(re.compile(r"/entry/projects/\d+$"))
    assert page.locator("h1").inner_text().startswith("项目支出绩效自评表")
    total_before = page.locator("#total").inner_text()

    people_id = inds[0][0]
    people = page.locator(f"#a-{people_id}")
    people.fill("三人")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_load_state()
    error = page.locator(f"#err-a-{people_id}")
    assert error.is_visible()
    assert "应填写数字" in error.inner_text() and "三人" in error.inner_text()
    assert page.locator(f"#a-{people_id}").input_value() == "三人"  # the input is kept
    assert "填写有误" in page.locator("#notice").inner_text()

    page.fill(f"#a-{people_id}", "3")
    # The page recomputes while typing (static/entry.js), marked as not saved yet.
    expect(page.locator(f"#ind-{people_id} .score")).to_have_text("12.50")
    expect(page.locator("#preview-status")).to_contain_text("尚未保存")
    page.fill("#full_year_wan", amount)
    page.fill("#executed_wan", amount)
    page.fill("#goal_actual", "33名退休干部慰问金已全部发放。")
    for ind_id, direction, actual in inds[1:]:
        if direction == "qualitative":
            page.select_option(f"#g-{ind_id}", "achieved")
        else:
            page.fill(f"#a-{ind_id}", actual)
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url(re.compile(r"\?saved=1$"))
    assert "已保存" in page.locator("#notice").inner_text()
    assert page.locator(f"#err-a-{people_id}").count() == 0
    assert page.locator(f"#ind-{people_id} .score").inner_text() == "12.50"
    total_after = page.locator("#total").inner_text()
    assert total_after != total_before and "100.00" in total_after and "优" in total_after

    page.get_by_role("button", name="保存并提交").click()
    page.wait_for_url(re.compile(r"\?submitted=1$"))
    assert page.locator(".head-meta .status").inner_text() == "已提交"
    assert "等待财政局审核" in page.locator("#notice").inner_text()
    assert page.get_by_role("button", name="保存草稿").count() == 0
    page.goto(f"{base}/entry")
    assert "已提交" in page.locator("tr", has_text=RETIREES).inner_text()


def _login(page, base):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "clerk")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def _open(page, base, name=RETIREES):
    page.goto(f"{base}/entry")
    page.locator("tr", has_text=name).get_by_role("link", name=name).click()
    page.wait_for_url(re.compile(r"/entry/projects/\d+$"))


def test_two_tabs_merge_and_only_a_clash_is_chosen(page, seeded):
    """Two tabs of one clerk: the second save keeps what the first saved, applies its own changes
    and asks only about the field both changed; its default button saves the merge."""
    base, inds, amount = seeded
    people_id, share_id = inds[0][0], inds[1][0]
    _login(page, base)
    _open(page, base)
    other = page.context.new_page()
    other.goto(page.url)

    other.fill("#executed_wan", amount)
    other.fill(f"#a-{people_id}", "4")
    other.fill(f"#r-{share_id}", "另一标签页写的原因")
    other.get_by_role("button", name="保存草稿").click()
    other.wait_for_url(re.compile(r"\?saved=1$"))

    page.fill(f"#a-{people_id}", "3")
    page.fill("#goal_actual", "33名退休干部慰问金已全部发放。")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_load_state()
    panel = page.locator("#conflicts")
    expect(panel).to_be_visible()
    assert panel.locator("tbody tr").count() == 1  # only the indicator both tabs changed
    assert "（空）" not in panel.inner_text()
    assert page.locator("#executed_wan").input_value() == amount  # the other tab's, kept
    assert page.locator(f"#r-{share_id}").input_value() == "另一标签页写的原因"
    assert page.locator("#goal_actual").input_value() == "33名退休干部慰问金已全部发放。"
    assert page.locator(f"#a-{people_id}").input_value() == "3"
    page.screenshot(path="/tmp/entry-merge-conflict.png", full_page=True)

    page.locator("#conflicts").get_by_role("button", name="保存合并结果").click()
    page.wait_for_url(re.compile(r"\?saved=1"))
    page.reload()
    assert page.locator(f"#a-{people_id}").input_value() == "3"
    assert page.locator("#executed_wan").input_value() == amount
    assert page.locator(f"#r-{share_id}").input_value() == "另一标签页写的原因"
    assert page.locator("#goal_actual").input_value() == "33名退休干部慰问金已全部发放。"

    # A tab with only disjoint changes saves at once and keeps the other's.
    other.reload()
    stale = page.context.new_page()
    stale.goto(page.url.split("?")[0])
    other.fill("#budget_reason", "年底集中支付")
    other.get_by_role("button", name="保存草稿").click()
    other.wait_for_url(re.compile(r"\?saved=1$"))
    stale.fill(f"#r-{people_id}", "人数按名册核定")
    stale.get_by_role("button", name="保存草稿").click()
    stale.wait_for_url(re.compile(r"\?saved=1&kept=1$"))
    assert "均已保留" in stale.locator("#notice").inner_text()
    assert stale.locator("#budget_reason").input_value() == "年底集中支付"
    assert stale.locator(f"#r-{people_id}").input_value() == "人数按名册核定"


def test_reason_hint_goes_when_the_reason_is_written(page, seeded):
    base, inds, _ = seeded
    people_id = inds[0][0]
    _login(page, base)
    _open(page, base)
    row = page.locator(f"#ind-{people_id}")
    page.fill(f"#a-{people_id}", "30")  # ten times the target of ≥3人: overachieved
    expect(row.locator("td.score-cell .explain")).to_contain_text("需说明偏差原因")
    expect(row.locator("td.reason .req")).to_have_text("必填")
    page.fill(f"#r-{people_id}", "新增退休人员")
    expect(row.locator("td.reason .req")).to_have_count(0)
    expect(row.locator("td.score-cell .explain")).not_to_contain_text("需说明偏差原因")
    expect(row.locator("td.score-cell .explain")).to_contain_text("已说明偏差原因")
    page.fill(f"#r-{people_id}", "")
    expect(row.locator("td.reason .req")).to_have_text("必填")
    expect(row.locator("td.score-cell .explain")).to_contain_text("需说明偏差原因")

    # As saved: the page shows the reason given, no 必填, and the warning says so too.
    page.fill(f"#r-{people_id}", "新增退休人员")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url(re.compile(r"\?saved=1$"))
    row = page.locator(f"#ind-{people_id}")
    assert row.locator("td.reason .req").count() == 0
    assert "已说明偏差原因" in row.locator("td.score-cell").inner_text()
    assert "需说明偏差原因" not in page.locator("body").inner_text()
    page.screenshot(path="/tmp/entry-reason-given.png", full_page=True)
