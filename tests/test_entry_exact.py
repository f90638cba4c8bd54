"""Entry reads what the clerk meant and refuses the impossible (docs/scoring-rules.md "Entry
rules"): Excel cells by value and number format, the unit workbook with a submitted project,
implausible values through the form, the API and the workbook, and submission problems listed in
one round.

The seed's project 7 (退休人员慰问金): [0] ≥3人, [1] 发放率 ≥100%, [2] ≥12个月, [3] 3*300,
[4] 出勤率 98%, [5] 健全, [6] 满意度 ≥95%.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts import security
from app.db.models import Indicator, Project
from app.scoring.input_kinds import GRADE, NUMBER, SHARE, EntryRules, cell_text, implausible, kind_of
from app.submissions import workbook
from tests.accounts_support import csrf, logged_in
from tests.entry_support import RETIREES, api_client, complete_body, full_marks, indicators, make_entry_world


@pytest.fixture
def world(db):
    return make_entry_world(db)


@pytest.fixture
def clerk(app, world):
    return logged_in(app, world.dept)


def _sheet_rows(ws) -> tuple[int, dict[str, int], dict[int, int]]:
    head = next(r for r in range(1, 30) if ws.cell(row=r, column=1).value == workbook.HEADER_ID)
    titles = {ws.cell(row=head, column=c).value: c for c in range(1, ws.max_column + 1)}
    columns = {key: titles[text] for key, text, _ in workbook.HEADERS}
    rows = {ws.cell(row=r, column=1).value: r for r in range(head + 1, ws.max_row + 1)}
    return head, columns, rows


def _label(ws, text: str):
    for row in ws.iter_rows(min_row=1, max_row=10):
        for cell in row:
            if cell.value == text:
                return ws.cell(row=cell.row, column=cell.column + 1)
    raise AssertionError(text)


def _download(client, project: Project):
    wb = load_workbook(io.BytesIO(client.get(f"/entry/projects/{project.id}/workbook.xlsx").content))
    return wb, wb[wb.sheetnames[1]]


def _upload(client, wb):
    out = io.BytesIO()
    wb.save(out)
    return client.post(
        "/entry/upload",
        data={security.CSRF_FIELD: csrf(client)},
        files={"file": ("填报表.xlsx", out.getvalue(), workbook.XLSX_MEDIA_TYPE)},
    )


def _confirm(client, page: str):
    payload = re.search(r'name="payload" value="([^"]+)"', page)[1]
    return client.post(
        "/entry/upload/confirm",
        data={security.CSRF_FIELD: csrf(client), "payload": payload, "filename": "填报表.xlsx"},
        follow_redirects=False,
    )


def _actual(db, ind: Indicator):
    db.expire_all()
    return db.get(Indicator, ind.id).actual


# ------------------------------------------------------------------------------ Excel cells


def test_excel_percent_date_text_cells_are_read_as_meant(db, clerk, world):
    project = world.project()
    inds = indicators(project)
    wb, ws = _download(clerk, project)
    _head, col, rows = _sheet_rows(ws)
    share = ws.cell(row=rows[inds[6].id], column=col["actual"])
    share.value, share.number_format = 0.85, "0%"  # typed 85% in Excel: stored 0.85
    attendance = ws.cell(row=rows[inds[4].id], column=col["actual"])
    attendance.value = "98"  # a number stored as text
    people = ws.cell(row=rows[inds[0].id], column=col["actual"])
    people.value = 3
    data = _upload(clerk, wb)
    assert data.status_code == 200, data.text
    page = data.text
    assert "检查通过" in page
    assert "85%（单元格为 0.85（百分比格式））" in page  # the value as read beside the cell
    assert _confirm(clerk, page).status_code == 303
    assert _actual(db, inds[6]).value == Decimal(85)  # not 0.85%
    assert _actual(db, inds[4]).value == Decimal(98)
    assert _actual(db, inds[0]).value == Decimal(3)


def test_excel_date_serial_under_a_date_format_is_that_date(db, app):
    """A 时效 row: completion dates written as Excel dates, one as a bare serial number."""
    from app.submissions.workbook import _Cell

    assert _Cell(datetime(2023, 12, 20), 'yyyy"年"m"月"d"日"', "H9").text() == "2023-12-20"
    assert cell_text(date(2023, 12, 20), "yyyy-mm-dd", None) == "2023-12-20"
    # openpyxl reads a serial under a date format as that date
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = 45280
    book.active["A1"].number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    cell = load_workbook(io.BytesIO(out.getvalue()), data_only=True).active["A1"]
    assert cell_text(cell.value, cell.number_format, None) == "2023-12-20"


def test_a_formula_without_a_cached_value_is_refused_naming_the_cell(db, clerk, world):
    project = world.project()
    inds = indicators(project)
    wb, ws = _download(clerk, project)
    _head, col, rows = _sheet_rows(ws)
    cell = ws.cell(row=rows[inds[0].id], column=col["actual"])
    cell.value = "=1+2"  # openpyxl writes no cached result
    r = _upload(clerk, wb)
    assert r.status_code == 422
    assert f"单元格 {cell.coordinate} 是公式但没有计算结果" in r.text
    assert _actual(db, inds[0]) is None


# ------------------------------------------------------------------------------ unit workbook


def test_unit_workbook_skips_a_submitted_unchanged_project_and_lands_the_rest(app, db, clerk, world):
    submitted = world.project()
    api = api_client(app, db, world.dept)
    assert (
        api.put(f"/api/v1/projects/{submitted.id}/actuals", json=complete_body(submitted)).status_code == 200
    )
    assert api.post(f"/api/v1/projects/{submitted.id}/submit").status_code == 200
    r = clerk.get("/entry/workbook.xlsx", params={"year": 2023, "unit": "309001"})
    wb = load_workbook(io.BytesIO(r.content))
    other = next(p for p in world.projects.values() if p.id != submitted.id)
    ws = next(wb[n] for n in wb.sheetnames[1:] if _label(wb[n], "项目编号").value == other.id)
    _label(ws, "实际完成情况").value = "已完成全年工作。"
    page = _upload(clerk, wb)
    assert page.status_code == 200, page.text
    assert "检查通过" in page.text and "已提交，未修改，跳过" in page.text
    assert _confirm(clerk, page.text).status_code == 303
    db.expire_all()
    assert db.get(Project, other.id).goal_actual == "已完成全年工作。"
    assert db.get(Project, submitted.id).status == "submitted"

    # a changed sheet of the submitted project is refused naming it; nothing lands
    ws_sub = next(wb[n] for n in wb.sheetnames[1:] if _label(wb[n], "项目编号").value == submitted.id)
    _label(ws_sub, "实际完成情况").value = "改写已提交的项目"
    _label(ws, "实际完成情况").value = "再改一次"
    refused = _upload(clerk, wb)
    assert refused.status_code == 422 and f"项目“{RETIREES}”已提交，不能修改" in refused.text
    assert "确认导入" not in refused.text


# ------------------------------------------------------------------------------ plausibility

# (indicator position, typed, code, part of the message)
IMPLAUSIBLE = [
    (6, "120", "share_over_100", "比率不能超过 100%"),
    (6, "3.2万", "unit_implausible", "数量单位“万”"),
    (4, "1,234", "unit_implausible", "千位分隔符"),
    (0, "-3", "negative_value", "数量不能为负数"),
    (0, "5%", "invalid_actual", "单位“%”无法换算为“人”"),
]


@pytest.mark.parametrize(("pos", "typed", "code", "message"), IMPLAUSIBLE)
def test_implausible_values_are_refused_by_the_api_with_nothing_written(
    app, db, world, pos, typed, code, message
):
    project = world.project()
    ind = indicators(project)[pos]
    body = complete_body(project)
    body["actuals"][pos]["actual"] = typed
    r = api_client(app, db, world.dept).put(f"/api/v1/projects/{project.id}/actuals", json=body)
    assert r.status_code == 422, r.text
    (item,) = r.json()["detail"]
    assert tuple(item["loc"]) == ("actuals", ind.id, "actual") and item["code"] == code
    assert message in item["msg"]
    db.expire_all()
    assert db.get(Project, project.id).version == 1 and _actual(db, ind) is None


@pytest.mark.parametrize(("pos", "typed", "code", "message"), IMPLAUSIBLE)
def test_implausible_values_are_refused_next_to_the_field_in_the_form(
    db, clerk, world, pos, typed, code, message
):
    project = world.project()
    ind = indicators(project)[pos]
    fields = {security.CSRF_FIELD: csrf(clerk), "version": "1", f"a-{ind.id}": typed}
    r = clerk.post(f"/entry/projects/{project.id}", data=fields)
    assert r.status_code == 422
    error = re.search(rf'id="err-a-{ind.id}"[^>]*>([^<]*)<', r.text)
    assert error and message in error[1], r.text[:2000]
    assert _actual(db, ind) is None


@pytest.mark.parametrize(("pos", "typed", "code", "message"), IMPLAUSIBLE)
def test_implausible_values_are_refused_in_the_workbook(db, clerk, world, pos, typed, code, message):
    project = world.project()
    ind = indicators(project)[pos]
    wb, ws = _download(clerk, project)
    _head, col, rows = _sheet_rows(ws)
    ws.cell(row=rows[ind.id], column=col["actual"]).value = typed
    r = _upload(clerk, wb)
    assert r.status_code == 422 and message in r.text and "确认导入" not in r.text
    assert _actual(db, ind) is None


def test_execution_above_budget_is_refused_through_every_channel(app, db, clerk, world):
    project = world.project()
    body = complete_body(project)
    body["budget"] = {"full_year_wan": "20", "executed_wan": "22"}
    r = api_client(app, db, world.dept).put(f"/api/v1/projects/{project.id}/actuals", json=body)
    assert r.status_code == 422
    by_loc = {tuple(d["loc"]): d for d in r.json()["detail"]}
    assert by_loc[("budget", "executed_wan")]["code"] == "execution_above_budget"
    assert "超过全年预算数 20 万元" in by_loc[("budget", "executed_wan")]["msg"]

    fields = {security.CSRF_FIELD: csrf(clerk), "version": "1", "full_year_wan": "20", "executed_wan": "22"}
    page = clerk.post(f"/entry/projects/{project.id}", data=fields)
    assert page.status_code == 422
    assert re.search(r'id="err-executed_wan"[^>]*>[^<]*超过全年预算数', page.text)
    db.expire_all()
    saved = db.get(Project, project.id)
    assert saved.full_year_budget_wan == Decimal(20) and saved.executed_wan is None  # the valid field kept

    wb, ws = _download(clerk, saved)
    _label(ws, "全年执行数（万元）").value = 25
    r = _upload(clerk, wb)
    assert r.status_code == 422 and "全年执行数 25 万元超过全年预算数 20 万元" in r.text


def test_execution_above_budget_is_a_warning_under_warn(app, db, world):
    from app.scoring import policies

    policies.create_policy(session=db, name="lenient", changes={"execution_above_budget": "warn"}, actor="t")
    policies.set_year_policy(session=db, year=2023, name="lenient", actor="t")
    project = world.project()
    body = complete_body(project)
    body["budget"] = {"full_year_wan": "20", "executed_wan": "22"}
    r = api_client(app, db, world.dept).put(f"/api/v1/projects/{project.id}/actuals", json=body)
    assert r.status_code == 200, r.text
    codes = [w["code"] for w in r.json()["score"]["warnings"]]
    assert "execution_above_budget" in codes


def test_a_share_whose_own_target_is_above_100_may_exceed_100():
    rules = EntryRules()
    kind = kind_of("positive", "%", "群众满意度", rules)
    assert kind is SHARE and kind_of("positive", "%", "增长率", rules) is NUMBER
    assert kind_of("qualitative", None, "健全性", rules) is GRADE
    args = {"typed": "120", "typed_unit": None, "unit": "%", "rules": rules}
    assert implausible(kind, value=Decimal(120), target_value=Decimal(95), **args).code == "share_over_100"
    assert implausible(kind, value=Decimal(120), target_value=Decimal(130), **args) is None
    flag = EntryRules(share_over_100="flag")
    assert implausible(kind, value=Decimal(120), target_value=Decimal(95), **{**args, "rules": flag}) is None
    # a rate of change may be negative; a count, an amount or a share may not
    growth = kind_of("positive", "%", "增长率", rules)
    assert implausible(growth, value=Decimal(-5), target_value=Decimal(3), **{**args, "typed": "-5"}) is None


# ------------------------------------------------------------------------------ one round


def test_submission_lists_unreadable_values_and_missing_reasons_at_once(db, clerk, world):
    project = world.project()
    inds = indicators(project)
    fields = {
        security.CSRF_FIELD: csrf(clerk),
        "version": "1",
        "full_year_wan": "0.09",
        "executed_wan": "0.05",
    }
    for ind in inds:
        actual = full_marks(ind)
        if isinstance(actual, dict) and "grade" in actual:
            fields[f"g-{ind.id}"] = "achieved"
        else:
            fields[f"a-{ind.id}"] = actual
    fields[f"a-{inds[0].id}"] = "三人"  # unreadable
    fields[f"a-{inds[4].id}"] = "80"  # below target: a 偏差原因 is required
    r = clerk.post(f"/entry/projects/{project.id}/submit", data=fields)
    assert r.status_code == 422
    panel = re.search(r'<div class="alert err missing-panel" id="missing">(.*?)</div>', r.text, re.S)[1]
    assert f'href="#a-{inds[0].id}"' in panel and "三人" in panel  # the unreadable value
    assert f'href="#r-{inds[4].id}"' in panel  # its missing reason, in the same round
    assert 'href="#budget_reason"' in panel and 'href="#goal_actual"' in panel
    db.expire_all()
    assert db.get(Project, project.id).status != "submitted"
    assert db.scalar(select(Project.version).where(Project.id == project.id)) == 2  # valid fields kept
