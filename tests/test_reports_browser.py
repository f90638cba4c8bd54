"""Headless Chromium: the finance overview and the printed 自评表 as a clerk sees them.

``make screenshots`` runs this module with ``SCREENSHOT_DIR=screenshots`` and keeps the PNGs
(overview.png, review.png, years.png, queue.png, report-print.png, report-print.pdf); in the normal suite they go to
a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.models import Project, Unit
from app.db.session import session_scope
from tests.accounts_support import PASSWORD, make_user
from tests.review_support import demo_year

pytestmark = pytest.mark.browser


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def county(live_server):
    with session_scope() as db:
        demo_year(db)
        make_user(db, "fin", "finance")
    with session_scope() as db:
        ids = {
            code: list(
                db.scalars(
                    select(Project.id)
                    .join(Project.unit)
                    .where(Project.year == 2023, Unit.code == code)
                    .order_by(Project.seq)
                )
            )
            for code in ("309001", "310001")
        }
    return live_server, ids


def _login(page, base: str, user: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_overview_review_and_printed_form(page, county, shots):
    base, ids = county
    _login(page, base, "fin")

    page.goto(f"{base}/finance?year=2023")
    assert page.locator("h1").inner_text() == "2023年度项目支出绩效自评总览"
    assert page.locator("svg.chart").count() == 2
    assert (
        page.locator("svg.chart rect").count() == 5 + 3
    )  # 5 score bins; 3 units with a submitted score (the 4th has none yet)
    page.screenshot(path=str(shots / "overview.png"), full_page=True)

    page.goto(f"{base}/review/{ids['310001'][0]}")
    page.locator("a.adjust-link").nth(2).click()
    assert page.locator("#adj-indicator").input_value() != ""
    page.screenshot(path=str(shots / "review.png"), full_page=True)
    page.click("button[value=return]")  # no comment: the error is shown next to the field
    assert "退回时必须填写退回意见" in page.locator("#comment-error").inner_text()

    page.goto(f"{base}/projects/{ids['309001'][0]}/years")
    assert page.locator("table.years th.year").count() == 2  # 2022 and 2023 side by side
    page.screenshot(path=str(shots / "years.png"), full_page=True)
    page.goto(f"{base}/review")
    page.screenshot(path=str(shots / "queue.png"))

    page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape at 96 dpi
    page.goto(f"{base}/projects/{ids['309001'][0]}/report")
    page.emulate_media(media="print")
    assert not page.locator("header.topbar").is_visible()  # print CSS hides the navigation
    assert page.locator("table.form").is_visible()
    page.screenshot(path=str(shots / "report-print.png"), full_page=True)
    pdf = page.pdf(path=str(shots / "report-print.pdf"), prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    for name in ("overview.png", "review.png", "report-print.png"):
        assert (shots / name).stat().st_size > 10_000
