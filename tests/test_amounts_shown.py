"""Amounts (万元) are shown as entered — up to 4 places — wherever a rate computed from them is
shown beside them: the entry form's funds block, the review page, the printed 自评表 (page and
XLSX), the lists. No ``0.08`` beside ``90.00%`` when 0.0850 was typed."""

from __future__ import annotations

import re
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest

from app.web.templating import fmt_amount
from tests.accounts_support import logged_in
from tests.entry_support import api_client, make_entry_world


@pytest.mark.parametrize(
    ("value", "shown"),
    [("0.0850", "0.085"), ("12", "12.00"), ("1234.5", "1,234.50"), ("1.2345", "1.2345"), ("0", "0.00")],
)
def test_amount_filter_keeps_up_to_four_places(value, shown):
    assert fmt_amount(Decimal(value)) == shown
    assert fmt_amount(None) == ""


@pytest.fixture
def typed(db, app):
    world = make_entry_world(db)
    project = world.project()
    project.amount_wan = Decimal("0.0850")
    db.flush()
    client = api_client(app, db, world.dept)
    body = {"version": project.version, "budget": {"full_year_wan": "0.0850", "executed_wan": "0.0765"}}
    r = client.put(f"/api/v1/projects/{project.id}/actuals", json=body)
    assert r.status_code == 200, r.text
    return world, project


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_entry_form_shows_the_amounts_as_typed_beside_the_rate(app, typed):
    world, project = typed
    page = logged_in(app, world.dept).get(f"/entry/projects/{project.id}").text
    funds = _text(re.search(r'<table class="sheet funds">.*?</table>', page, re.S)[0])
    assert "0.085 " in funds and "90.00%" in funds and "0.08 " not in funds and "0.09 " not in funds
    assert 'value="0.085"' in page and 'value="0.0765"' in page


def test_review_and_printed_form_show_the_amounts_as_typed(app, db, typed):
    world, project = typed
    finance = logged_in(app, world.finance)
    review = _text(finance.get(f"/review/{project.id}").text)
    assert "0.085 万元" in review and "0.0765 万元" in review and "0.08 万元" not in review
    printed = _text(finance.get(f"/projects/{project.id}/report").text)
    assert "0.085" in printed and "0.0765" in printed and "90.00%" in printed
    assert " 0.08 " not in printed
    for url in ("/review", "/entry"):
        listing = _text(finance.get(url).text)
        assert " 0.08 " not in listing, url


def test_the_printed_xlsx_keeps_four_places(app, db, typed):
    world, project = typed
    finance = logged_in(app, world.finance)
    r = finance.get(f"/api/v1/projects/{project.id}/report.xlsx")
    assert r.status_code == 200, r.text
    ws = openpyxl.load_workbook(BytesIO(r.content)).active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None and str(c.value) == "0.0765"]
    assert cells and all(c.number_format == "#,##0.00##" for c in cells)
