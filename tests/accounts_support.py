"""Builders for accounts tests: users, units and projects, logged-in clients.

``logged_in(app, user)`` returns a ``TestClient`` with a session cookie; ``csrf(client)`` the token
its forms carry. Other areas' tests may use these to act as a department, finance or admin user.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts import security, service
from app.db.models import Indicator, Project, Unit, User

PASSWORD = "correct-horse-9"


def make_user(db: Session, username: str, role: str, units: tuple[str, ...] = ()) -> User:
    return service.create_user(
        session=db, actor="test", username=username, password=PASSWORD, role=role, unit_codes=units
    )


def make_unit(db: Session, code: str, name: str, parent: Unit | None = None) -> Unit:
    unit = Unit(code=code, name=name, parent_id=parent.id if parent else None)
    db.add(unit)
    db.flush()
    return unit


def make_project(db: Session, unit: Unit, name: str, seq: int = 1, year: int = 2023) -> Project:
    project = Project(year=year, unit_id=unit.id, seq=seq, name=name, amount_wan=Decimal("50.00"), goals=[])
    db.add(project)
    db.flush()
    return project


def make_indicator(db: Session, project: Project, name: str = "企业安全检查", position: int = 1) -> Indicator:
    """A numeric 产出指标 (``≥50次``)."""
    indicator = Indicator(
        project_id=project.id,
        level1="产出指标",
        level2="数量指标",
        name=name,
        occurrence=1,
        position=position,
        raw="≥50次",
        kind="numeric",
        operator=">=",
        value=Decimal("50"),
        unit="次",
        direction="positive",
    )
    db.add(indicator)
    db.flush()
    return indicator


@dataclass
class World:
    """Two departments (309 with unit 309001, 310 with 310001), one project each (with one
    indicator), and users."""

    own_unit: Unit
    other_unit: Unit
    own_project: Project
    other_project: Project
    own_indicator: Indicator
    other_indicator: Indicator
    dept: User
    other_dept: User
    finance: User
    admin: User


def make_world(db: Session) -> World:
    d309 = make_unit(db, "309", "门源县应急管理局")
    u309 = make_unit(db, "309001", "门源县应急管理局本级", d309)
    d310 = make_unit(db, "310", "门源县林业和草原局")
    u310 = make_unit(db, "310001", "门源县林业和草原局本级", d310)
    own_project = make_project(db, u309, "全县安全生产监管专项")
    other_project = make_project(db, u310, "草原生态保护补助")
    return World(
        own_unit=u309,
        other_unit=u310,
        own_project=own_project,
        other_project=other_project,
        own_indicator=make_indicator(db, own_project),
        other_indicator=make_indicator(db, other_project, "草原巡护"),
        dept=make_user(db, "dept309", "department", ("309",)),
        other_dept=make_user(db, "dept310", "department", ("310001",)),
        finance=make_user(db, "fin", "finance"),
        admin=make_user(db, "root", "admin"),
    )


def login_form_token(client: TestClient) -> str:
    """Open the login page (sets the pre-login cookie) and return the form's CSRF token."""
    page = client.get("/login")
    assert page.status_code == 200, page.text
    return page.text.split(f'name="{security.CSRF_FIELD}" value="')[1].split('"')[0]


def login(client: TestClient, username: str, password: str = PASSWORD):
    token = login_form_token(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, security.CSRF_FIELD: token},
        follow_redirects=False,
    )


def logged_in(app, user: User) -> TestClient:
    client = TestClient(app)
    response = login(client, user.username)
    assert response.status_code == 303, response.text
    assert security.SESSION_COOKIE in client.cookies
    return client


def csrf(client: TestClient) -> str:
    """The CSRF token of the client's session (what ``csrf_input`` puts in its forms)."""
    token = security.unsign_session_cookie(client.cookies[security.SESSION_COOKIE])
    assert token
    return security.session_csrf_token(token)
