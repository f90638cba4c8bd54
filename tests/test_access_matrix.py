"""Every route of ``create_app()`` × every role → the HTTP status it must answer.

ADDING A ROUTE? Add one line to ``MATRIX`` (the test ``test_every_route_is_in_the_matrix`` fails
until you do). Columns:

    method, route path as declared, sample path to request, (anonymous, dept, other_dept,
    finance, admin, read_token)

- ``dept``: a department user of unit 309 (covers 309001, the unit of ``{own_project}``);
  ``other_dept``: a department user of 310001; ``read_token``: a read-scoped bearer token of
  ``dept`` (sent to web pages too, where it must not count as a login).
- Sample placeholders: ``{own_project}`` (unit 309001), ``{other_project}`` (unit 310001),
  ``{own_indicator}`` / ``{other_indicator}`` (one indicator of each project), ``{my_token}`` (an
  API token of the caller; for anonymous, one of ``dept``'s).
- Writes are sent with a valid CSRF token (form field for web, ``X-CSRF-Token`` for cookie API
  calls): this table is about who may do what; test_accounts_web.py checks CSRF itself.
- Web pages redirect an anonymous visitor to /login (303); the API answers 401.
- ``BODIES``: form data for a row, ``JSON_BODIES``: a JSON body (placeholders are filled in
  string values), when the row needs one. ``KNOWN_GAPS``: cells not yet right, with
  the reason; they are strict xfails, so fixing the route makes the test fail until the gap is
  removed here.
"""

from __future__ import annotations

import pytest
from fastapi import routing
from fastapi.testclient import TestClient

from app.accounts import security, service
from app.scoring.policy import CENTRAL_2020
from app.scoring.web import form_data
from tests.accounts_support import csrf, logged_in, login_form_token, make_world

ROLES = ("anonymous", "dept", "other_dept", "finance", "admin", "read_token")

# fmt: off
MATRIX: list[tuple[str, str, str, tuple[int, int, int, int, int, int]]] = [
    # method  route                                 sample path                            anon dept othr  fin adm token
    ("GET",  "/openapi.json",                      "/openapi.json",                       (200, 200, 200, 200, 200, 200)),
    ("GET",  "/docs",                              "/docs",                               (200, 200, 200, 200, 200, 200)),
    ("GET",  "/redoc",                             "/redoc",                              (200, 200, 200, 200, 200, 200)),
    ("GET",  "/static",                            "/static/app.css",                     (200, 200, 200, 200, 200, 200)),
    ("GET",  "/docs-assets",                       "/docs-assets/swagger-ui.css",         (200, 200, 200, 200, 200, 200)),
    ("GET",  "/favicon.ico",                       "/favicon.ico",                        (200, 200, 200, 200, 200, 200)),
    # accounts
    ("GET",  "/login",                             "/login",                              (200, 303, 303, 303, 303, 200)),
    ("POST", "/login",                             "/login",                              (401, 401, 401, 401, 401, 401)),
    ("POST", "/logout",                            "/logout",                             (303, 303, 303, 303, 303, 303)),
    ("GET",  "/audit",                             "/audit",                              (303, 403, 403, 200, 200, 303)),
    ("POST", "/api/v1/token",                      "/api/v1/token",                       (401, 401, 401, 401, 401, 401)),
    ("GET",  "/api/v1/me",                         "/api/v1/me",                          (401, 200, 200, 200, 200, 200)),
    ("GET",  "/api/v1/tokens",                     "/api/v1/tokens",                      (401, 200, 200, 200, 200, 200)),
    ("POST", "/api/v1/tokens/{token_id}/revoke",   "/api/v1/tokens/{my_token}/revoke",    (401, 200, 200, 200, 200, 403)),
    # target pages
    ("GET",  "/",                                  "/",                                   (303, 200, 200, 200, 200, 303)),
    ("GET",  "/projects/{project_id}",             "/projects/{own_project}",             (303, 200, 404, 200, 200, 303)),
    # scoring policies: admin only
    ("GET",  "/admin/policies",                    "/admin/policies",                     (303, 403, 403, 403, 200, 303)),
    ("POST", "/admin/policies",                    "/admin/policies",                     (303, 403, 403, 403, 303, 303)),
    ("GET",  "/admin/policies/{name}",             "/admin/policies/central_2020",        (303, 403, 403, 403, 200, 303)),
    ("POST", "/admin/policies/{name}",             "/admin/policies/central_2020",        (303, 403, 403, 403, 303, 303)),
    ("POST", "/admin/policy-years",                "/admin/policy-years",                 (303, 403, 403, 403, 303, 303)),
    # review and reports; {own_project} is a draft, so a decision on it is a 409
    ("GET",  "/finance",                           "/finance",                            (303, 403, 403, 200, 200, 303)),
    ("GET",  "/review",                            "/review",                             (303, 403, 403, 200, 200, 303)),
    ("GET",  "/review/{project_id}",               "/review/{own_project}",               (303, 403, 403, 200, 200, 303)),
    ("POST", "/review/{project_id}/decision",      "/review/{own_project}/decision",      (303, 403, 403, 409, 403, 303)),
    ("POST", "/review/{project_id}/adjust",        "/review/{own_project}/adjust",        (303, 403, 403, 409, 403, 303)),
    ("POST", "/review/{project_id}/reopen",        "/review/{own_project}/reopen",        (303, 403, 403, 403, 409, 303)),
    ("GET",  "/projects/{project_id}/report",      "/projects/{own_project}/report",      (303, 200, 404, 200, 200, 303)),
    ("GET",  "/projects/{project_id}/years",       "/projects/{own_project}/years",       (303, 200, 404, 200, 200, 303)),
    ("POST", "/api/v1/projects/{project_id}/review", "/api/v1/projects/{own_project}/review", (401, 403, 403, 409, 403, 403)),
    ("POST", "/api/v1/projects/{project_id}/reopen", "/api/v1/projects/{own_project}/reopen", (401, 403, 403, 403, 409, 403)),
    ("GET",  "/api/v1/projects/{project_id}/history", "/api/v1/projects/{own_project}/history", (401, 200, 404, 200, 200, 200)),
    ("GET",  "/api/v1/summaries",                  "/api/v1/summaries?year=2023&format=csv", (401, 200, 200, 200, 200, 200)),
    ("GET",  "/api/v1/projects/{project_id}/report.xlsx", "/api/v1/projects/{own_project}/report.xlsx", (401, 200, 404, 200, 200, 200)),
    ("GET",  "/api/v1/units/{unit_code}/report.xlsx", "/api/v1/units/309001/report.xlsx", (401, 200, 404, 200, 200, 200)),
    # entry: departments write their own units' projects; finance/admin read only.
    # The {own_project} form post carries only the version (a save without changes: redirect);
    # its submission is incomplete (422); an upload without a file is 422, a confirmation
    # without a valid file 409.
    ("GET",  "/entry",                             "/entry",                              (303, 200, 200, 200, 200, 303)),
    ("GET",  "/entry/projects/{project_id}",       "/entry/projects/{own_project}",       (303, 200, 404, 200, 200, 303)),
    ("POST", "/entry/projects/{project_id}",       "/entry/projects/{own_project}",       (303, 303, 404, 403, 403, 303)),
    ("POST", "/entry/projects/{project_id}/submit", "/entry/projects/{own_project}/submit", (303, 422, 404, 403, 403, 303)),
    ("POST", "/entry/projects/{project_id}/preview", "/entry/projects/{own_project}/preview", (303, 200, 404, 403, 403, 303)),
    ("GET",  "/entry/projects/{project_id}/workbook.xlsx", "/entry/projects/{own_project}/workbook.xlsx", (303, 200, 404, 200, 200, 303)),
    ("GET",  "/entry/workbook.xlsx",               "/entry/workbook.xlsx",                (303, 200, 200, 200, 200, 303)),
    ("POST", "/entry/upload",                      "/entry/upload",                       (303, 422, 422, 403, 403, 303)),
    ("POST", "/entry/upload/confirm",              "/entry/upload/confirm",               (303, 409, 409, 403, 403, 303)),
    ("GET",  "/api/v1/projects",                   "/api/v1/projects",                    (401, 200, 200, 200, 200, 200)),
    ("GET",  "/api/v1/projects/{project_id}",      "/api/v1/projects/{own_project}",      (401, 200, 404, 200, 200, 200)),
    ("PUT",  "/api/v1/projects/{project_id}/actuals", "/api/v1/projects/{own_project}/actuals", (401, 200, 404, 403, 403, 403)),
    ("POST", "/api/v1/projects/{project_id}/submit", "/api/v1/projects/{own_project}/submit", (401, 422, 404, 403, 403, 403)),
    ("GET",  "/api/v1/projects/{project_id}/score", "/api/v1/projects/{own_project}/score", (401, 200, 404, 200, 200, 200)),
    # target-table upload: finance and admin only; an upload token that is not the
    # caller's (or none) is 404, a post without a file 422; cancelling is idempotent (303).
    ("GET",  "/imports",                           "/imports",                            (303, 403, 403, 200, 200, 303)),
    ("POST", "/imports",                           "/imports",                            (303, 403, 403, 422, 422, 303)),
    ("GET",  "/imports/history",                   "/imports/history",                    (303, 403, 403, 200, 200, 303)),
    ("GET",  "/imports/{token}",                   "/imports/no-such-upload",             (303, 403, 403, 404, 404, 303)),
    ("POST", "/imports/{token}/options",           "/imports/no-such-upload/options",     (303, 403, 403, 404, 404, 303)),
    ("POST", "/imports/{token}/confirm",           "/imports/no-such-upload/confirm",     (303, 403, 403, 404, 404, 303)),
    ("POST", "/imports/{token}/cancel",            "/imports/no-such-upload/cancel",      (303, 403, 403, 303, 303, 303)),
    # target-table API: finance and admin with a write token; a post without a file
    # is 422, an upload id that is not the caller's 404.
    ("POST", "/api/v1/target-tables",              "/api/v1/target-tables",               (401, 403, 403, 422, 422, 403)),
    ("GET",  "/api/v1/target-tables/{upload_id}",  "/api/v1/target-tables/no-such-upload", (401, 403, 403, 404, 404, 403)),
    ("DELETE", "/api/v1/target-tables/{upload_id}", "/api/v1/target-tables/no-such-upload", (401, 403, 403, 404, 404, 403)),
    ("POST", "/api/v1/target-tables/{upload_id}/confirm", "/api/v1/target-tables/no-such-upload/confirm", (401, 403, 403, 404, 404, 403)),
]
# fmt: on

BODIES: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/admin/policies"): {"name": "matrix_policy", "based_on": "central_2020"},
    ("POST", "/admin/policies/{name}"): {
        **form_data(CENTRAL_2020.settings.model_dump(mode="json")),
        "rounding.places": "1",
    },
    ("POST", "/admin/policy-years"): {"year": "2023", "name": "central_2020"},
    ("POST", "/review/{project_id}/decision"): {"decision": "return", "comment": "请补充佐证材料"},
    ("POST", "/review/{project_id}/adjust"): {
        "indicator_id": "1",
        "kind": "score",
        "value": "1",
        "reason": "复核",
    },
    ("POST", "/review/{project_id}/reopen"): {"comment": "单位申请更正"},
    ("POST", "/entry/projects/{project_id}"): {"version": "1"},
    ("POST", "/entry/projects/{project_id}/submit"): {"version": "1"},
    ("POST", "/entry/projects/{project_id}/preview"): {"version": "1"},
    ("POST", "/login"): {"username": "nobody", "password": "wrong-password"},
    ("POST", "/api/v1/token"): {"username": "nobody", "password": "wrong-password"},
}

JSON_BODIES: dict[tuple[str, str], dict] = {
    ("POST", "/api/v1/projects/{project_id}/review"): {"decision": "approve", "comment": "同意"},
    ("POST", "/api/v1/projects/{project_id}/reopen"): {"comment": "单位申请更正"},
    ("POST", "/api/v1/target-tables/{upload_id}/confirm"): {"fingerprint": "0" * 64},
    ("PUT", "/api/v1/projects/{project_id}/actuals"): {
        "version": 1,
        "actuals": [{"indicator_id": "{own_indicator}", "actual": "52"}],
    },
}

KNOWN_GAPS: dict[tuple[str, str, str], str] = {}


def app_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route, including mounts and routes of included routers."""
    contexts = (
        routing.iter_route_contexts(app.routes) if hasattr(routing, "iter_route_contexts") else app.routes
    )
    found = set()
    for route in contexts:
        methods = getattr(route, "methods", None) or {"GET"}  # a mount (static files) answers GET
        for method in methods - {"HEAD"}:
            found.add((method, route.path))
    return found


def test_every_route_is_in_the_matrix():
    from app.main import create_app

    declared = {(method, route) for method, route, _, _ in MATRIX}
    actual = app_routes(create_app())
    missing = sorted(actual - declared)
    stale = sorted(declared - actual)
    assert not missing, f"routes missing from MATRIX in tests/test_access_matrix.py: {missing}"
    assert not stale, f"MATRIX rows for routes that no longer exist: {stale}"
    assert len(declared) == len(MATRIX), "a route appears twice in MATRIX"
    assert set(KNOWN_GAPS) <= {(m, r, role) for m, r, _, _ in MATRIX for role in ROLES}


def _cases():
    for method, route, sample, statuses in MATRIX:
        assert len(statuses) == len(ROLES), route
        for role, status in zip(ROLES, statuses, strict=True):
            gap = KNOWN_GAPS.get((method, route, role))
            marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
            yield pytest.param(
                method, route, sample, role, status, id=f"{method} {route} [{role}]", marks=marks
            )


class Caller:
    """A client acting as one role: its cookies, bearer token, CSRF token and own API token id."""

    def __init__(self, client: TestClient, csrf_token: str, headers: dict[str, str], token_id: int):
        self.client, self.csrf_token, self.headers, self.token_id = client, csrf_token, headers, token_id


def _caller(app, db, role: str) -> tuple[Caller, dict[str, int]]:
    world = make_world(db)
    ids = {
        "own_project": world.own_project.id,
        "other_project": world.other_project.id,
        "own_indicator": world.own_indicator.id,
        "other_indicator": world.other_indicator.id,
    }
    users = {
        "dept": world.dept,
        "other_dept": world.other_dept,
        "finance": world.finance,
        "admin": world.admin,
    }
    if role in users:
        user = users[role]
        client = logged_in(app, user)
        token = service.create_token(session=db, actor="test", user=user, scope="write")
        return Caller(client, csrf(client), {}, token.token.id), ids
    read = service.create_token(session=db, actor="test", user=world.dept, scope="read")
    client = TestClient(app)
    form_token = login_form_token(client)  # a browser without a login still gets a login-form token
    headers = {"Authorization": f"Bearer {read.plaintext}"} if role == "read_token" else {}
    return Caller(client, form_token, headers, read.token.id), ids


def _fill(value, **ids):
    """Placeholders in a JSON body: ``"{own_indicator}"`` alone becomes the integer id."""
    if isinstance(value, dict):
        return {k: _fill(v, **ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, **ids) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    return value.format(**ids) if isinstance(value, str) else value


@pytest.mark.parametrize(("method", "route", "sample", "role", "expected"), list(_cases()))
def test_route_answers_role(app, db, method, route, sample, role, expected):
    caller, ids = _caller(app, db, role)
    path = sample.format(my_token=caller.token_id, **ids)
    headers = dict(caller.headers)
    data = body = None
    if method != "GET":
        headers[security.CSRF_HEADER] = caller.csrf_token
        if (method, route) in JSON_BODIES:
            body = _fill(JSON_BODIES[(method, route)], my_token=caller.token_id, **ids)
        else:
            data = BODIES.get((method, route), {})
    response = caller.client.request(
        method, path, headers=headers, data=data, json=body, follow_redirects=False
    )
    assert response.status_code == expected, (
        f"{method} {path} as {role}: {response.status_code}, expected {expected}\n{response.text[:400]}"
    )
    if expected == 303 and route != "/login" and method == "GET":
        assert response.headers["location"].startswith("/login"), response.headers["location"]
    if expected == 401 and path.startswith("/api/"):
        assert response.json()["detail"][0]["code"] in {"not_authenticated", "bad_credentials"}
