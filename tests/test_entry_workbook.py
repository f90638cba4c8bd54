"""Excel round trip: download pre-filled, fill offline, upload, preview (nothing saved), confirm."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.accounts import security
from app.db.models import IndicatorActual
from app.submissions import workbook
from tests.accounts_support import csrf, logged_in
from tests.entry_support import FLOOD, RETIREES, api_client, complete_body, indicators, make_entry_world


@pytest.fixture
def world(db):
    return make_entry_world(db)


@pytest.fixture
def clerk(app, world):
    return logged_in(app, world.dept)


def _rows(ws) -> dict[int, dict[str, object]]:
    head = next(r for r in range(1, 30) if ws.cell(row=r, column=1).value == workbook.HEADER_ID)
    titles = {ws.cell(row=head, column=c).value: c for c in range(1, ws.max_column + 1)}
    out = {}
    for r in range(head + 1, ws.max_row + 1):
        ident = ws.cell(row=r, column=1).value
        if ident:
            out[ident] = {key: ws.cell(row=r, column=titles[text]) for key, text, _ in workbook.HEADERS}
    return out


def _label_cell(ws, label: str):
    for row in ws.iter_rows(min_row=1, max_row=10):
        for cell in row:
            if cell.value == label:
                return ws.cell(row=cell.row, column=cell.column + 1)
    raise AssertionError(label)


def _upload(client, data: bytes, name: str = "填报表.xlsx"):
    return client.post(
        "/entry/upload",
        data={security.CSRF_FIELD: csrf(client)},
        files={"file": (name, data, workbook.XLSX_MEDIA_TYPE)},
    )


def _save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _count(db, project) -> int:
    ids = [i.id for i in project.indicators]
    return db.scalar(
        select(func.count()).select_from(IndicatorActual).where(IndicatorActual.indicator_id.in_(ids))
    )


def test_download_is_prefilled_with_targets_and_actuals(app, db, clerk, world):
    project = world.project()
    api = api_client(app, db, world.dept)
    body = complete_body(project)
    body["actuals"][1]["actual"] = "96%"
    body["actuals"][1]["reason"] = "两人未领取"
    assert api.put(f"/api/v1/projects/{project.id}/actuals", json=body).status_code == 200
    r = clerk.get(f"/entry/projects/{project.id}/workbook.xlsx")
    assert r.status_code == 200 and r.headers["content-type"] == workbook.XLSX_MEDIA_TYPE
    assert "attachment" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["填写说明", f"7 {RETIREES}"]
    ws = wb[f"7 {RETIREES}"]
    assert _label_cell(ws, "项目编号").value == project.id
    assert _label_cell(ws, "版本号（请勿修改）").value == 2
    assert _label_cell(ws, "全年预算数（万元）").value == 0.09
    rows = _rows(ws)
    inds = indicators(project)
    assert list(rows) == [i.id for i in inds]
    assert rows[inds[0].id]["target"].value == "≥3人" and rows[inds[0].id]["unit"].value == "人"
    assert rows[inds[1].id]["actual"].value == "96%" and rows[inds[1].id]["reason"].value == "两人未领取"
    qualitative = next(i for i in inds if i.direction == "qualitative")
    assert rows[qualitative.id]["actual"].value == "达成年度指标"
    assert ws.protection.sheet and rows[inds[0].id]["actual"].protection.locked is False
    assert rows[inds[0].id]["id"].protection.locked is not False

    unit = clerk.get("/entry/workbook.xlsx", params={"year": 2023, "unit": "309001"})
    assert unit.status_code == 200
    assert len(load_workbook(io.BytesIO(unit.content)).sheetnames) == 1 + 8


def test_upload_previews_changes_saves_nothing_then_confirm_writes(db, clerk, world):
    project = world.project()
    wb = load_workbook(io.BytesIO(clerk.get(f"/entry/projects/{project.id}/workbook.xlsx").content))
    ws = wb[wb.sheetnames[1]]
    inds = indicators(project)
    rows = _rows(ws)
    _label_cell(ws, "全年预算数（万元）").value = 0.09
    _label_cell(ws, "全年执行数（万元）").value = "850元"
    rows[inds[0].id]["actual"].value = 3
    rows[inds[1].id]["actual"].value = "98%"
    rows[inds[1].id]["reason"].value = "个别人员外出"
    qualitative = next(i for i in inds if i.direction == "qualitative")
    rows[qualitative.id]["actual"].value = "部分达成年度指标并具有一定效果"
    rows[inds[4].id]["na"].value = "是"
    rows[inds[4].id]["na_reason"].value = "无考勤要求"
    data = _save(wb)

    r = _upload(clerk, data)
    assert r.status_code == 200, r.text
    page = r.text
    assert "检查通过" in page and "尚未保存" in page and "确认导入" in page
    assert "全年执行数（万元）" in page and "0.085" in page
    assert "部分达成年度指标并具有一定效果" in page and "个别人员外出" in page and "不适用" in page
    assert _count(db, project) == 0  # nothing saved before confirmation
    db.refresh(project)
    assert project.version == 1 and project.executed_wan is None

    payload = re.search(r'name="payload" value="([^"]+)"', page)[1]
    r = clerk.post(
        "/entry/upload/confirm",
        data={security.CSRF_FIELD: csrf(clerk), "payload": payload, "filename": "填报表.xlsx"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/entry?imported=1-")
    assert "已导入 Excel 填报表" in clerk.get(r.headers["location"]).text
    db.refresh(project)
    assert project.version == 2 and str(project.executed_wan.normalize()) == "0.085"
    assert inds[0].actual.value == 3 and inds[1].actual.reason == "个别人员外出"
    assert qualitative.actual.grade == "partial" and inds[4].actual.not_applicable

    # The same file again: it was downloaded at version 1, the project is now at version 2.
    r = _upload(clerk, data)
    assert r.status_code == 422 and "请重新下载填报表" in r.text and "确认导入" not in r.text


def test_upload_with_errors_lists_them_all_and_cannot_be_confirmed(db, clerk, world):
    projects = [world.project(RETIREES), world.project(FLOOD)]
    wb = load_workbook(io.BytesIO(clerk.get("/entry/workbook.xlsx", params={"year": 2023}).content))
    sheets = {ws.title: ws for ws in wb.worksheets}
    retirees = sheets[f"7 {RETIREES}"]
    flood = sheets[f"8 {FLOOD}"]
    r_rows, f_rows = _rows(retirees), _rows(flood)
    r_inds, f_inds = indicators(projects[0]), indicators(projects[1])
    r_rows[r_inds[0].id]["actual"].value = "三个人"
    r_rows[r_inds[1].id]["actual"].value = 100  # valid, but the file as a whole is refused
    f_rows[f_inds[0].id]["actual"].value = "很多"
    _label_cell(flood, "全年执行数（万元）").value = -5
    r = _upload(clerk, _save(wb))
    assert r.status_code == 422
    page = r.text
    assert "发现 3 处错误" in page and "未保存任何内容" in page
    assert "三个人" in page and "很多" in page and "金额不能为负数" in page
    assert 'name="payload"' not in page
    assert _count(db, projects[0]) == 0 and _count(db, projects[1]) == 0

    # Posting the file to the confirmation anyway writes nothing either.
    import base64

    payload = base64.b64encode(_save(wb)).decode()
    r = clerk.post("/entry/upload/confirm", data={security.CSRF_FIELD: csrf(clerk), "payload": payload})
    assert r.status_code == 409
    assert _count(db, projects[0]) == 0


def test_upload_of_another_units_or_a_submitted_project_is_refused(app, db, clerk, world):
    project = world.project()
    wb = load_workbook(io.BytesIO(clerk.get(f"/entry/projects/{project.id}/workbook.xlsx").content))
    ws = wb[wb.sheetnames[1]]
    _label_cell(ws, "项目编号").value = world.other_project.id
    r = _upload(clerk, _save(wb))
    assert r.status_code == 422 and "不在您负责的单位范围内" in r.text

    api = api_client(app, db, world.dept)
    assert api.put(f"/api/v1/projects/{project.id}/actuals", json=complete_body(project)).status_code == 200
    assert api.post(f"/api/v1/projects/{project.id}/submit").status_code == 200
    wb = load_workbook(io.BytesIO(clerk.get(f"/entry/projects/{project.id}/workbook.xlsx").content))
    r = _upload(clerk, _save(wb))  # unchanged: skipped, nothing to import
    assert r.status_code == 200 and "已提交，未修改，跳过" in r.text and "确认导入" not in r.text
    _label_cell(wb[wb.sheetnames[1]], "实际完成情况").value = "改写"
    r = _upload(clerk, _save(wb))
    assert r.status_code == 422 and f"项目“{RETIREES}”已提交，不能修改" in r.text

    r = _upload(clerk, b"not a workbook", "x.xlsx")
    assert r.status_code == 422 and "无法读取该文件" in r.text
    finance = logged_in(app, world.finance)
    assert _upload(finance, _save(wb)).status_code == 403


def test_unchanged_upload_has_nothing_to_confirm(clerk, world):
    project = world.project()
    data = clerk.get(f"/entry/projects/{project.id}/workbook.xlsx").content
    r = _upload(clerk, data)
    assert r.status_code == 200 and "没有需要导入的修改" in r.text and "确认导入" not in r.text


def test_dates_and_reference_cells_round_trip(db, clerk, world):
    project = next(
        p for p in world.projects.values() if {i.direction for i in p.indicators} >= {"deadline", "reference"}
    )
    deadline = next(i for i in indicators(project) if i.direction == "deadline")
    reference = next(i for i in indicators(project) if i.direction == "reference")
    wb = load_workbook(io.BytesIO(clerk.get(f"/entry/projects/{project.id}/workbook.xlsx").content))
    rows = _rows(wb[wb.sheetnames[1]])
    rows[deadline.id]["actual"].value = date(2022, 12, 20)
    rows[reference.id]["baseline"].value = 10
    rows[reference.id]["actual"].value = 12
    r = _upload(clerk, _save(wb))
    assert r.status_code == 200 and "2022-12-20" in r.text and "基数 10，实际 12" in r.text
    payload = re.search(r'name="payload" value="([^"]+)"', r.text)[1]
    clerk.post("/entry/upload/confirm", data={security.CSRF_FIELD: csrf(clerk), "payload": payload})
    db.refresh(project)
    assert deadline.actual.completed_on == date(2022, 12, 20)
    assert reference.actual.baseline == 10 and reference.actual.value == 12
    again = load_workbook(io.BytesIO(clerk.get(f"/entry/projects/{project.id}/workbook.xlsx").content))
    rows = _rows(again[again.sheetnames[1]])
    assert rows[deadline.id]["actual"].value.date() == date(2022, 12, 20)
    assert rows[reference.id]["baseline"].value == 10 and rows[reference.id]["actual"].value == 12
