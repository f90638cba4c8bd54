"""The upload preview lists, per project, everything that would still keep it from being submitted
(missing reasons, budget figures, goal text) beside the unreadable cells — in one round, the same
list the form gives (``service.missing_items``)."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from app.accounts import security
from app.submissions import service, workbook
from tests import test_entry_workbook as round_trip
from tests.accounts_support import csrf
from tests.entry_support import api_client, complete_body, indicators
from tests.test_entry_workbook import _label_cell, _rows, _save, _upload

world, clerk = round_trip.world, round_trip.clerk  # the same fixtures


def _partly_filled(clerk, project, *, unreadable: bool = False) -> bytes:
    """The project's workbook with two indicators and the budget filled, the execution below the
    budget and no reasons, no goal text; ``unreadable``: a third indicator typed as words."""
    wb = load_workbook(io.BytesIO(clerk.get(f"/entry/projects/{project.id}/workbook.xlsx").content))
    ws = wb[wb.sheetnames[1]]
    inds = indicators(project)
    rows = _rows(ws)
    _label_cell(ws, "全年预算数（万元）").value = 0.09
    _label_cell(ws, "全年执行数（万元）").value = 0.05
    rows[inds[0].id]["actual"].value = 3
    rows[inds[1].id]["actual"].value = "80%"
    if unreadable:
        rows[inds[2].id]["actual"].value = "很多"
    return _save(wb)


def _preview(db, world, data: bytes) -> workbook.UploadPreview:
    return workbook.preview_upload(session=db, user=world.dept, data=data, filename="x.xlsx")


def test_preview_lists_what_submission_would_still_need(db, clerk, world):
    project = world.project()
    inds = indicators(project)
    data = _partly_filled(clerk, project)

    sheet = _preview(db, world, data).sheets[0]
    fields = [m.field for m in sheet.missing]
    assert not sheet.errors
    assert "budget_reason" in fields and "goal_actual" in fields
    assert f"r-{inds[1].id}" in fields  # 80% against the target: the deviation needs a reason
    assert f"a-{inds[0].id}" not in fields  # filled at full marks
    assert f"a-{inds[3].id}" in fields  # not filled yet
    db.expire_all()

    page = _upload(clerk, data).text
    assert "检查通过" in page and "导入后还不能提交" in page
    assert f"提交前还需完成 {len(fields)} 项" in page
    assert f'href="/entry/projects/{project.id}#budget_reason"' in page
    assert f'href="/entry/projects/{project.id}#goal_actual"' in page

    # once written, the form's list is exactly what the preview said
    payload = re.search(r'name="payload" value="([^"]+)"', page)[1]
    r = clerk.post(
        "/entry/upload/confirm",
        data={security.CSRF_FIELD: csrf(clerk), "payload": payload, "filename": "x.xlsx"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.expire_all()
    after = service.missing_items(project, service.score_of(session=db, project=project))
    assert [(m.field, m.message) for m in after] == [(m.field, m.message) for m in sheet.missing]


def test_unreadable_cells_and_missing_items_are_listed_together(db, clerk, world):
    project = world.project()
    inds = indicators(project)
    data = _partly_filled(clerk, project, unreadable=True)

    sheet = _preview(db, world, data).sheets[0]
    assert len(sheet.errors) == 1 and "很多" in sheet.errors[0]
    fields = [m.field for m in sheet.missing]
    assert {"budget_reason", "goal_actual", f"r-{inds[1].id}"} <= set(fields)
    assert f"a-{inds[2].id}" not in fields  # its error says what is wrong, once
    db.expire_all()

    page = _upload(clerk, data).text
    assert "未保存任何内容" in page and "很多" in page
    assert "提交前还需完成" in page and "年度总体目标实际完成情况" in page


def test_a_complete_upload_lists_nothing_missing(app, db, clerk, world):
    project = world.project()
    api = api_client(app, db, world.dept)
    assert api.put(f"/api/v1/projects/{project.id}/actuals", json=complete_body(project)).status_code == 200
    db.expire_all()
    data = clerk.get(f"/entry/projects/{project.id}/workbook.xlsx").content
    sheet = _preview(db, world, data).sheets[0]
    assert sheet.missing == [] and not sheet.errors


def test_unit_workbook_lists_missing_items_only_for_the_sheets_that_change(db, clerk, world):
    project = world.project()
    inds = indicators(project)
    data = clerk.get("/entry/workbook.xlsx", params={"year": 2023, "unit": "309001"}).content
    wb = load_workbook(io.BytesIO(data))
    ws = next(wb[n] for n in wb.sheetnames if _label_cell_or_none(wb[n]) == project.id)
    _rows(ws)[inds[0].id]["actual"].value = 3

    preview = _preview(db, world, _save(wb))
    assert len(preview.sheets) == 8 and preview.valid
    by_id = {s.project.id: s for s in preview.sheets}
    assert f"a-{inds[1].id}" in [m.field for m in by_id[project.id].missing]
    assert all(s.missing == [] for pid, s in by_id.items() if pid != project.id)  # untouched
    assert preview.incomplete == 1


def _label_cell_or_none(ws):
    try:
        return _label_cell(ws, "项目编号").value
    except AssertionError:
        return None
