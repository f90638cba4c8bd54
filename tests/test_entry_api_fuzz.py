"""Generated requests against the entry API as a department clerk (who may write): whatever the
ids, filters and bodies, no answer is a server error and nothing unstorable (a NUL byte, a number
too big for its column) reaches the database."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.entry_support import RETIREES, api_client, indicators, make_entry_world

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
OPERATIONS = (
    ("GET", "/api/v1/projects"),
    ("GET", "/api/v1/projects/{project_id}"),
    ("PUT", "/api/v1/projects/{project_id}/actuals"),
    ("POST", "/api/v1/projects/{project_id}/submit"),
    ("GET", "/api/v1/projects/{project_id}/score"),
)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_error_for_a_department(app, db, method, path):
    world = make_entry_world(db)
    project = world.project(RETIREES)
    client = api_client(app, db, world.dept)
    headers = {"Authorization": client.headers["Authorization"]}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    (op,) = [
        r.ok() for r in schema.get_all_operations() if r.ok().method.upper() == method and r.ok().path == path
    ]
    strategy = op.as_strategy()
    seen: list[int] = []

    @given(case=strategy, own=st.booleans(), ind=st.sampled_from([i.id for i in indicators(project)]))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case, own, ind):
        if own and case.path_parameters and "project_id" in case.path_parameters:
            case.path_parameters["project_id"] = project.id  # reach the validation, not just a 404
        if own and isinstance(case.body, dict) and isinstance(case.body.get("actuals"), list):
            for item in case.body["actuals"]:
                if isinstance(item, dict):
                    item["indicator_id"] = ind
            case.body["version"] = project.version
        response = case.call(headers=headers)
        seen.append(response.status_code)
        assert response.status_code < 500, f"{case.formatted_path} {case.body!r}: {response.text[:300]}"

    run()
    assert set(seen) != {401}, seen
