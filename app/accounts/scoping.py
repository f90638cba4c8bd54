"""Authorisation as a query filter: which units and projects a user may see.

A department user holds unit codes; a code covers the unit with that code, every unit whose code
starts with it (``309`` covers ``309001``) and every unit below those in the parent chain. Finance
and admin see every unit. Use these on EVERY query that returns projects, so a project outside the
caller's units is simply not found (404) — whether it exists or not:

    stmt = readable_projects(select(Project).where(Project.year == 2023), user)
    project = get_readable_project(session=session, user=user, project_id=pid)   # NotFound
    project = get_writable_project(session=session, user=user, project_id=pid)   # + Forbidden
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from app.core.errors import Forbidden, NotFound
from app.db.models.accounts import User
from app.db.models.targets import Project, Unit

ALL_UNITS_ROLES = frozenset({"finance", "admin"})
WRITE_ROLES = frozenset({"department"})  # finance reviews but does not enter a department's figures

S = TypeVar("S", bound=Select[Any])


def sees_all_units(user: User | None) -> bool:
    return user is not None and user.active and user.role in ALL_UNITS_ROLES


def readable_unit_ids(user: User | None) -> Select[tuple[int]] | None:
    """A sub-select of the ids of the units ``user`` may read; ``None`` means all units.

    Recursive over ``Unit.parent_id`` so a sub-unit is covered even when its code does not start
    with its parent's code.
    """
    if sees_all_units(user):
        return None
    codes = user.unit_codes if user is not None and user.active and user.role == "department" else []
    if not codes:
        return select(Unit.id).where(false())
    # Table columns (not the mapped attributes): the filter then also suits plain Core selects,
    # which skip the ORM's per-statement work (the summaries' hot path).
    unit = Unit.__table__.c
    roots = select(unit.id).where(or_(*[unit.code.startswith(code, autoescape=True) for code in codes]))
    tree = roots.cte("readable_unit", recursive=True)
    tree = tree.union(select(unit.id).where(unit.parent_id == tree.c.id))
    return select(tree.c.id)


def readable_projects(stmt: S, user: User | None) -> S:
    """Restrict a ``select(Project …)`` statement to the projects ``user`` may read.

    Finance/admin: unchanged. Department: only projects of their units (and sub-units).
    Anonymous, disabled or unit-less users: nothing.
    """
    ids = readable_unit_ids(user)
    return stmt if ids is None else stmt.where(Project.__table__.c.unit_id.in_(ids))


def readable_units(stmt: S, user: User | None) -> S:
    """Restrict a ``select(Unit …)`` statement to the units ``user`` may read."""
    ids = readable_unit_ids(user)
    return stmt if ids is None else stmt.where(Unit.id.in_(ids))


def get_readable_project(
    *, session: Session, user: User | None, project_id: int, options: Sequence[Any] = ()
) -> Project:
    """The project if ``user`` may read it; otherwise ``NotFound`` (same answer as a missing id)."""
    stmt = readable_projects(select(Project).where(Project.id == project_id), user)
    if options:
        stmt = stmt.options(*options)
    project = session.scalar(stmt)
    if project is None:
        raise NotFound("项目不存在，或不在您负责的单位范围内", code="project_not_found", loc=("project_id",))
    return project


def can_write_project(user: User | None) -> bool:
    return user is not None and user.active and user.role in WRITE_ROLES


def get_writable_project(
    *, session: Session, user: User | None, project_id: int, options: Sequence[Any] = ()
) -> Project:
    """The project if ``user`` may enter its figures (a department of its unit).

    Outside the caller's units: ``NotFound``; readable but not a department user (finance,
    admin): ``Forbidden``.
    """
    project = get_readable_project(session=session, user=user, project_id=project_id, options=options)
    if not can_write_project(user):
        raise Forbidden("只有项目所属单位的部门用户可以填报", code="not_project_editor")
    return project
