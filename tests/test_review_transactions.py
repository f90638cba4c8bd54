"""An error response never commits (the session boundary, ``app/db/deps.py``); the web and the API
give the same answer for the same review decision; a hand-graded unparsed target is approved
with its snapshot.

These tests run without the test session override: each request commits or rolls back for real.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.accounts import service as accounts
from app.core.errors import Unprocessable
from app.db.deps import SessionDep, TransactionBoundary, commit_despite_error
from app.db.models import AuditLog, Indicator, Project, ProjectStatusEvent, ScoreSnapshot, Unit
from app.web.errors import install_error_handlers
from tests.accounts_support import csrf, logged_in, make_user
from tests.review_support import clone_table, fill_project, import_seed, seed_table, submit


@dataclass
class Case:
    web: TestClient
    api: TestClient
    ids: dict[str, int]


def _make_unparsed(db, project: Project, *, graded: bool) -> Indicator:
    """Turn the project's first qualitative indicator into a target the importer could not read
    (graded by hand, or not yet graded)."""
    ind = next(i for i in project.indicators if i.direction == "qualitative")
    ind.kind, ind.direction, ind.raw = "unparsed", "unparsed", "详见附件"
    ind.operator = ind.value = ind.unit = None
    if not graded:
        ind.actual.grade, ind.actual.raw = None, None
    db.flush()
    return ind


@pytest.fixture
def case(fresh_database_url) -> Case:
    from app.db.migrate import upgrade_to_head
    from app.db.session import session_scope
    from app.main import create_app

    upgrade_to_head(fresh_database_url)
    with session_scope() as db:
        web_projects = import_seed(db)
        api_projects = import_seed(db, clone_table(seed_table(), code="310", name="林草局"), name="b.txt")
        fin = make_user(db, "fin", "finance")
        token = accounts.create_token(session=db, actor="test", user=fin, scope="write").plaintext
        ids = {}
        for side, projects in (("web", web_projects), ("api", api_projects)):
            ungraded, graded, plain, draft = projects[:4]
            for p in (ungraded, graded, plain, draft):
                fill_project(db, p, quality=0.8)
            _make_unparsed(db, ungraded, graded=False)
            _make_unparsed(db, graded, graded=True)
            for p in (ungraded, graded, plain):
                submit(db, p)
            ids |= {f"{side}-ungraded": ungraded.id, f"{side}-graded": graded.id}
            ids |= {f"{side}-plain": plain.id, f"{side}-draft": draft.id}
        fin_user = fin
    app = create_app()
    web = logged_in(app, fin_user)
    api = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    return Case(web, api, ids)


def _state(project_id: int) -> tuple[str, int, int, int]:
    from app.db.session import session_scope

    with session_scope() as db:
        status = db.get(Project, project_id).status
        events = db.scalar(select(func.count()).where(ProjectStatusEvent.project_id == project_id))
        audits = db.scalar(
            select(func.count()).where(AuditLog.entity == "project", AuditLog.entity_id == str(project_id))
        )
        snapshots = db.scalar(
            select(func.count()).where(
                ScoreSnapshot.project_id == project_id, ScoreSnapshot.reason == "approve"
            )
        )
    return status, events, audits, snapshots


def _web_decide(case: Case, project_id: int, decision: str, comment: str = ""):
    return case.web.post(
        f"/review/{project_id}/decision",
        data={"decision": decision, "comment": comment, "csrf_token": csrf(case.web)},
        follow_redirects=False,
    )


def _api_decide(case: Case, project_id: int, decision: str, comment: str = ""):
    return case.api.post(
        f"/api/v1/projects/{project_id}/review", json={"decision": decision, "comment": comment}
    )


def test_approve_after_422_rolls_back_on_the_web_and_succeeds_once_graded(case):
    from app.db.session import session_scope

    pid = case.ids["web-ungraded"]
    before = _state(pid)
    refused = _web_decide(case, pid, "approve")
    assert refused.status_code == 422, refused.text
    assert _state(pid) == before  # no status, no event, no audit row, no snapshot
    assert "已提交" in refused.text and "已审核" not in refused.text.split("状态历史")[0]
    with session_scope() as db:  # finance asks the department, who grades the target by hand
        ind = db.scalar(
            select(Indicator).where(Indicator.project_id == pid, Indicator.direction == "unparsed")
        )
        ind.actual.grade, ind.actual.raw = "achieved", "达成"
    ok = _web_decide(case, pid, "approve")
    assert ok.status_code == 303, ok.text
    status, events, audits, snapshots = _state(pid)
    assert (status, events, audits, snapshots) == ("approved", before[1] + 1, before[2] + 1, 1)


@pytest.mark.parametrize(
    ("project", "decision", "comment"),
    [
        ("graded", "approve", ""),  # a hand-graded unparsed target: approved with its snapshot
        ("ungraded", "approve", ""),
        ("plain", "approve", "符合要求"),
        ("plain", "return", ""),  # a return needs a comment
        ("plain", "return", "请补充佐证材料"),
        ("plain", "maybe", ""),
        ("draft", "approve", ""),  # not submitted
    ],
)
def test_web_and_api_give_the_same_answer_for_the_same_decision(case, project, decision, comment):
    web_id, api_id = case.ids[f"web-{project}"], case.ids[f"api-{project}"]
    before = _state(web_id)
    assert _state(api_id) == before
    web = _web_decide(case, web_id, decision, comment)
    api = _api_decide(case, api_id, decision, comment)
    web_status = 200 if web.status_code == 303 else web.status_code
    assert web_status == api.status_code, (web.text, api.text)
    assert _state(web_id) == _state(api_id)
    if project == "graded":
        assert api.status_code == 200 and _state(api_id)[0] == "approved" and _state(api_id)[3] == 1
    if api.status_code >= 400:  # an error answer commits nothing, on either side
        assert _state(api_id) == _state(web_id) == before
    else:
        assert _state(api_id)[1:3] == (before[1] + 1, before[2] + 1)


def _boundary_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(TransactionBoundary)

    @app.post("/api/write/{code}")
    def write(code: str, request: Request, session: SessionDep, status: int = 200, keep: bool = False):
        session.add(Unit(code=code, name=code))
        session.flush()
        if status == 999:
            raise Unprocessable("refused after a flush")
        if status == 500:
            raise RuntimeError("a bug after a flush")
        if keep:
            commit_despite_error(request)
        return HTMLResponse("page", status_code=status)

    return app


@pytest.mark.parametrize(
    ("status", "keep", "committed"),
    [(200, False, True), (303, False, True), (422, False, False), (409, False, False), (999, False, False),
     (500, False, False), (422, True, True)],
)  # fmt: skip
def test_an_error_response_rendered_by_a_view_after_a_flush_never_commits(
    fresh_database_url, status, keep, committed
):
    from app.db.migrate import upgrade_to_head
    from app.db.session import session_scope

    upgrade_to_head(fresh_database_url)
    client = TestClient(_boundary_app(), raise_server_exceptions=False)
    r = client.post(f"/api/write/u{status}", params={"status": status, "keep": keep}, follow_redirects=False)
    assert r.status_code == (422 if status == 999 else status)
    with session_scope() as db:
        assert (db.scalar(select(Unit).where(Unit.code == f"u{status}")) is not None) is committed


def test_an_api_login_failure_is_kept_although_the_answer_is_an_error(fresh_database_url):
    """The one API error answer that keeps its write: the failed attempt counts for the throttle."""
    from app.db.migrate import upgrade_to_head
    from app.db.models import LoginThrottle
    from app.db.session import session_scope
    from app.main import create_app
    from tests.accounts_support import PASSWORD

    upgrade_to_head(fresh_database_url)
    with session_scope() as db:
        make_user(db, "victim", "finance")
    api = TestClient(create_app())
    for _ in range(5):
        assert api.post("/api/v1/token", data={"username": "victim", "password": "wrong"}).status_code == 401
    assert api.post("/api/v1/token", data={"username": "victim", "password": PASSWORD}).status_code == 429
    with session_scope() as db:
        failures = db.scalars(select(LoginThrottle.failures).order_by(LoginThrottle.key)).all()
        assert failures == [5, 5]  # the address and the (name, address) pair
