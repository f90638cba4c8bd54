"""Unit scoping as a query filter: a department sees its units and their sub-units, nothing else."""

from __future__ import annotations

import pytest
from fastapi import Depends
from sqlalchemy import select

from app.accounts import service as accounts_service
from app.accounts.scoping import get_readable_project, get_writable_project, readable_projects, readable_units
from app.core.errors import Forbidden, NotFound, Unprocessable
from app.db.models import Project, Unit
from tests.accounts_support import make_project, make_unit, make_user, make_world


def _names(db, user) -> set[str]:
    return set(db.scalars(readable_projects(select(Project.name), user)))


def test_department_code_covers_its_sub_units_by_prefix_and_parent_chain(db):
    world = make_world(db)
    # a sub-unit of 309001 whose code does not start with 309 (covered through the parent chain)
    odd = make_unit(db, "880001", "应急管理局下属中心", world.own_unit)
    make_project(db, odd, "应急物资储备")
    # a unit imported without its parent link (covered by the code prefix)
    make_project(db, make_unit(db, "309002", "应急管理局二级单位"), "消防宣传")
    assert _names(db, world.dept) == {"全县安全生产监管专项", "应急物资储备", "消防宣传"}  # code 309
    narrow = make_user(db, "narrow", "department", ("309001",))
    assert _names(db, narrow) == {"全县安全生产监管专项", "应急物资储备"}
    exact = make_user(db, "exact", "department", ("880001",))
    assert _names(db, exact) == {"应急物资储备"}
    assert _names(db, world.other_dept) == {"草原生态保护补助"}
    everything = set(db.scalars(select(Project.name)))
    assert _names(db, world.finance) == _names(db, world.admin) == everything


def test_unit_codes_are_matched_literally(db):
    """``%`` and ``_`` are refused in new codes, and would not act as LIKE wildcards anyway."""
    world = make_world(db)
    make_project(db, make_unit(db, "3X9001", "别的单位"), "别的项目")
    with pytest.raises(Unprocessable):
        make_user(db, "odd", "department", ("3_9",))
    odd = make_user(db, "odd", "department", ("309",))
    odd.units[0].unit_code = "3_9"
    db.flush()
    assert _names(db, odd) == set()
    assert "别的项目" not in _names(db, world.dept)


def test_several_unit_codes_and_units_listing(db):
    world = make_world(db)
    both = make_user(db, "both", "department", ("309001", "310"))
    assert _names(db, both) == {"全县安全生产监管专项", "草原生态保护补助"}
    codes = set(db.scalars(readable_units(select(Unit.code), world.other_dept)))
    assert codes == {"310001"}


def test_nobody_else_sees_anything(db):
    world = make_world(db)
    assert _names(db, None) == set()
    world.dept.active = False
    assert _names(db, world.dept) == set()


def test_a_project_outside_the_units_answers_like_a_missing_one(db):
    world = make_world(db)
    found = get_readable_project(session=db, user=world.dept, project_id=world.own_project.id)
    assert found.id == world.own_project.id
    with pytest.raises(NotFound) as foreign:
        get_readable_project(session=db, user=world.dept, project_id=world.other_project.id)
    with pytest.raises(NotFound) as missing:
        get_readable_project(session=db, user=world.dept, project_id=999_999)
    assert foreign.value.items() == missing.value.items()
    assert foreign.value.status_code == 404


def test_only_the_department_of_the_unit_may_write(db):
    world = make_world(db)
    assert get_writable_project(session=db, user=world.dept, project_id=world.own_project.id)
    with pytest.raises(NotFound):
        get_writable_project(session=db, user=world.other_dept, project_id=world.own_project.id)
    for reviewer in (world.finance, world.admin):
        with pytest.raises(Forbidden):
            get_writable_project(session=db, user=reviewer, project_id=world.own_project.id)


def test_require_api_role_builds_into_openapi_and_refuses_other_roles(db):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from app.accounts.deps import require_api_role
    from app.db.deps import get_session
    from app.main import create_app

    app: FastAPI = create_app()
    finance_only = require_api_role("finance", write=True)

    @app.get("/api/v1/_finance_probe")
    def probe(user=Depends(finance_only)) -> dict:  # noqa: B008
        return {"user": user.username}

    def _session():
        yield db

    app.dependency_overrides[get_session] = _session
    assert "/api/v1/_finance_probe" in app.openapi()["paths"]
    fin = make_user(db, "fin_probe", "finance")
    dept = make_user(db, "dept_probe", "department", ("309",))
    client = TestClient(app)
    for user, expected in ((fin, 200), (dept, 403)):
        token = accounts_service.create_token(session=db, actor="test", user=user, scope="write")
        answer = client.get("/api/v1/_finance_probe", headers={"Authorization": f"Bearer {token.plaintext}"})
        assert answer.status_code == expected, answer.text
