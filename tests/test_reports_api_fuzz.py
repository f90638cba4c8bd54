"""Schemathesis against the whole HTTP API, in process (ASGI) with a finance token: whatever the
generated parameters and bodies, no answer is a server error (and no exception escapes the app).

One test per operation (listed from the app's OpenAPI document at collection), each a bounded
Hypothesis run: ``MAX_EXAMPLES`` generated cases plus the examples written in the document, no
deadline, no example database. (Schemathesis' own pytest loader does not run under this pytest.)

``KNOWN_SERVER_ERRORS``: operations of other areas that the run showed failing, with the reason;
they are non-strict xfails (the failure needs a generated id above the database's integer range
or a NUL byte, so a bounded run does not always meet it). Remove an entry when the route bounds
its input.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.accounts import service as accounts
from tests.accounts_support import make_user
from tests.review_support import fill_project, import_seed, submit

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
METHODS = ("get", "put", "post", "patch", "delete")
KNOWN_SERVER_ERRORS: dict[tuple[str, str], str] = {}


def _operations() -> list:
    from app.main import create_app

    spec = create_app().openapi()
    found = [
        (m.upper(), path)
        for path, item in spec["paths"].items()
        if path.startswith("/api/")
        for m in item
        if m in METHODS
    ]
    return [
        pytest.param(
            method,
            path,
            id=f"{method} {path}",
            marks=[pytest.mark.xfail(reason=KNOWN_SERVER_ERRORS[(method, path)], strict=False)]
            if (method, path) in KNOWN_SERVER_ERRORS
            else [],
        )
        for method, path in sorted(found)
    ]


def test_review_and_report_operations_are_fuzzed():
    ids = {p.id for p in _operations()}
    for op in ("POST /api/v1/projects/{project_id}/review", "GET /api/v1/summaries",
               "GET /api/v1/projects/{project_id}/report.xlsx", "GET /api/v1/units/{unit_code}/report.xlsx"):  # fmt: skip
        assert op in ids


@pytest.mark.parametrize(("method", "path"), _operations())
def test_no_server_error(app, db, method, path):
    projects = import_seed(db)
    fill_project(db, projects[0])
    submit(db, projects[0])
    user = make_user(db, "fuzz-finance", "finance")
    token = accounts.create_token(session=db, actor="test", user=user, scope="write")
    headers = {"Authorization": f"Bearer {token.plaintext}"}

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    (op,) = [
        r.ok() for r in schema.get_all_operations() if r.ok().method.upper() == method and r.ok().path == path
    ]
    examples = op.get_strategies_from_examples()
    strategy = st.one_of(op.as_strategy(), *examples) if examples else op.as_strategy()
    seen: list[int] = []

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case):
        response = case.call(headers=headers)
        seen.append(response.status_code)
        assert response.status_code < 500, f"{case.formatted_path} {case.query or ''}: {response.text[:300]}"

    run()
    if path != "/api/v1/token":  # the token was accepted: not every answer is a 401
        assert set(seen) != {401}, seen


def test_review_and_report_operations_are_documented_with_examples(client):
    spec = client.get("/openapi.json").json()
    ops = {
        ("post", "/api/v1/projects/{project_id}/review"),
        ("post", "/api/v1/projects/{project_id}/reopen"),
        ("get", "/api/v1/projects/{project_id}/history"),
        ("get", "/api/v1/summaries"),
        ("get", "/api/v1/projects/{project_id}/report.xlsx"),
        ("get", "/api/v1/units/{unit_code}/report.xlsx"),
    }
    for method, path in ops:
        op = spec["paths"][path][method]
        assert op["summary"] and op["description"] and op["tags"], path
        assert "example" in str(op) or "examples" in str(op), path
    review = spec["components"]["schemas"]["ReviewCreate"]
    assert {e["decision"] for e in review["examples"]} == {"approve", "return"}
    assert client.get("/docs").status_code == 200
