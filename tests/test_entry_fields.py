"""The entry-field registry's contract: every declared field has each of its spellings where it is
used — the Project column, the form input, the API request and read, the workbook cell, the audit
label — so adding a field to ``app.submissions.fields`` is enough for all of them (docs/entry.md)."""

from __future__ import annotations

import io
from dataclasses import fields as dataclass_fields
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.accounts.audit import AUDIT_FIELD_LABELS
from app.db.models import IndicatorActual, Project
from app.submissions import entries as E
from app.submissions import fields as F
from app.submissions import merge, workbook
from app.submissions.schemas import ActualsUpdate, ProjectRead
from app.submissions.status import ENTRY_COLUMNS
from tests.accounts_support import logged_in
from tests.entry_support import api_client, indicators, make_entry_world


@pytest.fixture
def world(db):
    return make_entry_world(db)


def _value_for(f: F.ProjectField) -> str:
    return "0.07" if f.is_amount else f"{f.form_label}的内容"


def test_every_project_field_has_its_spellings():
    columns = set(Project.__table__.columns.keys())
    assert tuple(f.column for f in F.PROJECT_FIELDS) == ENTRY_COLUMNS
    assert len(set(F.BY_NAME)) == len(F.PROJECT_FIELDS)
    assert len({f.sheet_cell for f in F.PROJECT_FIELDS}) == len(F.PROJECT_FIELDS)
    for f in F.PROJECT_FIELDS:
        assert f.column in columns
        assert AUDIT_FIELD_LABELS[f.column] == f.label
        assert E.field_label(f.name) == f.label and E.api_loc(f.name) == f.api
        assert getattr(E.ProjectEntry(), f.name) is None  # an attribute of every save
        holder = ActualsUpdate.model_fields
        for part in f.api[:-1]:
            holder = holder[part].annotation.__args__[0].model_fields  # BudgetIn | None
        assert f.api_key in holder
        out = ProjectRead.model_fields
        for part in f.api_out[:-1]:
            out = out[part].annotation.model_fields
        assert f.api_out[-1] in out


def test_every_indicator_field_has_its_spellings():
    entry_attrs = {x.name for x in dataclass_fields(E.ActualEntry)}
    actual_columns = set(IndicatorActual.__table__.columns.keys())
    assert set(F.ACTUAL_COLUMN_LABELS) <= actual_columns
    for f in F.INDICATOR_FIELDS:
        assert f.attr in entry_attrs
        assert f.sheet in workbook.COLUMN
        assert merge.FORM_ATTRS[f.prefix] == f.attr
        assert E.field_label(f.name(5)) == f.label
        assert E.api_loc(f.name(5)) == ("actuals", 5, *f.api)
    for column, label in F.ACTUAL_COLUMN_LABELS.items():
        assert AUDIT_FIELD_LABELS[column] == label


def test_each_field_lands_the_same_from_form_api_and_workbook(app, db, world):
    """Each project field typed in the form, sent to the API and filled in the workbook is
    stored in its column; the form shows it back under its name and the workbook in its cell."""
    from tests.accounts_support import csrf
    from tests.test_entry_workbook import _upload

    project = world.project()
    clerk = logged_in(app, world.dept)
    page = clerk.get(f"/entry/projects/{project.id}").text
    for f in F.PROJECT_FIELDS:
        assert f'id="{f.name}" name="{f.name}"' in page
    ind = indicators(project)[0]
    for f in F.INDICATOR_FIELDS:
        if f.prefix in ("a", "na", "nr", "r"):  # the inputs of a number row
            assert f'name="{f.name(ind.id)}"' in page

    # the form
    form = {f.name: _value_for(f) for f in F.PROJECT_FIELDS}
    r = clerk.post(
        f"/entry/projects/{project.id}",
        data={"csrf_token": csrf(clerk), "version": "1", **form},
        follow_redirects=True,
    )
    assert r.status_code == 200
    db.expire_all()
    for f in F.PROJECT_FIELDS:
        stored = getattr(project, f.column)
        assert (stored == Decimal(_value_for(f))) if f.is_amount else stored == _value_for(f)

    # the workbook shows them in their cells; changed there they land again
    data = clerk.get(f"/entry/projects/{project.id}/workbook.xlsx").content
    wb = load_workbook(io.BytesIO(data))
    ws = wb[wb.sheetnames[1]]
    for f in F.PROJECT_FIELDS:
        assert ws[f.sheet_cell].value == f.sheet_label
        cell = ws[f.sheet_cell].offset(column=1)
        assert str(cell.value) == _value_for(f)
        cell.value = "0.08" if f.is_amount else f"{f.form_label}（表中改写）"
    out = io.BytesIO()
    wb.save(out)
    preview = workbook.preview_upload(session=db, user=world.dept, data=out.getvalue(), filename="x.xlsx")
    assert {c.field for c in preview.sheets[0].changes} == set(F.BY_NAME)
    db.expire_all()
    assert "检查通过" in _upload(clerk, out.getvalue()).text

    # the API reads and writes them where the registry says
    api = api_client(app, db, world.dept)
    read = api.get(f"/api/v1/projects/{project.id}").json()
    body: dict = {"version": read["version"]}
    for f in F.PROJECT_FIELDS:
        got = read
        for part in f.api_out:
            got = got[part]
        assert (Decimal(got) == Decimal(_value_for(f))) if f.is_amount else got == _value_for(f)
        holder = body
        for part in f.api[:-1]:
            holder = holder.setdefault(part, {})
        holder[f.api_key] = "0.06" if f.is_amount else f"{f.form_label}（接口）"
    assert api.put(f"/api/v1/projects/{project.id}/actuals", json=body).status_code == 200
    db.expire_all()
    for f in F.PROJECT_FIELDS:
        stored = getattr(project, f.column)
        assert (stored == Decimal("0.06")) if f.is_amount else stored == f"{f.form_label}（接口）"
