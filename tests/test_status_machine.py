"""Project status steps: only the defined steps exist; each leaves a history row and an audit row."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.errors import Conflict
from app.db.models import AuditLog, Project, ProjectStatusEvent
from app.submissions.status import change_status, display_status, ensure_editable
from app.targets.service import import_table
from tests.builders import small_table


@pytest.fixture
def project(db) -> Project:
    import_table(session=db, table=small_table(), source_name="t.txt", sha256="0" * 64)
    return db.scalar(select(Project).where(Project.seq == 1))


def test_submit_return_resubmit_approve_reopen(db, project):
    for to, actor in [
        ("submitted", "dept"),
        ("returned", "finance"),
        ("submitted", "dept"),
        ("approved", "finance"),
    ]:
        change_status(session=db, project=project, to=to, actor=actor, comment="说明")
    with pytest.raises(Conflict):
        ensure_editable(project)
    change_status(session=db, project=project, to="draft", actor="admin")
    ensure_editable(project)
    steps = [
        (e.from_status, e.to_status)
        for e in db.scalars(select(ProjectStatusEvent).order_by(ProjectStatusEvent.id))
    ]
    assert steps == [
        ("draft", "submitted"),
        ("submitted", "returned"),
        ("returned", "submitted"),
        ("submitted", "approved"),
        ("approved", "draft"),
    ]
    audits = list(db.scalars(select(AuditLog).where(AuditLog.action == "project.status")))
    assert len(audits) == 5 and audits[0].before == {"status": "draft"}


@pytest.mark.parametrize(
    "start,to", [("draft", "approved"), ("draft", "returned"), ("approved", "submitted")]
)
def test_undefined_steps_are_refused(db, project, start, to):
    project.status = start
    with pytest.raises(Conflict) as refused:
        change_status(session=db, project=project, to=to, actor="x")
    assert refused.value.status_code == 409 and project.status == start


def test_untouched_draft_is_shown_as_not_started(project):
    assert display_status(project, has_actuals=False) == "not_started"
    assert display_status(project, has_actuals=True) == "draft"
