"""Read-side queries for units, projects and their targets."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from app.db.models import Indicator, Project, Unit


def projects_statement(*, year: int | None = None, unit_code: str | None = None) -> Select[tuple[Project]]:
    """Projects (with their unit) ordered as published: year, unit code, sequence number."""
    stmt = select(Project).join(Project.unit).options(selectinload(Project.unit))
    if year is not None:
        stmt = stmt.where(Project.year == year)
    if unit_code:
        stmt = stmt.where(Unit.code.startswith(unit_code))
    return stmt.order_by(Project.year.desc(), Unit.code, Project.seq)


def indicator_counts(session: Session, project_ids: list[int]) -> dict[int, int]:
    if not project_ids:
        return {}
    rows = session.execute(
        select(Indicator.project_id, func.count())
        .where(Indicator.project_id.in_(project_ids))
        .group_by(Indicator.project_id)
    )
    return {project_id: n for project_id, n in rows}


def years(session: Session) -> list[int]:
    return list(session.scalars(select(Project.year).distinct().order_by(Project.year.desc())))


@dataclass
class IndicatorGroup:
    """Indicators of one level 1, split by level 2 — the rows of the 自评表 indicator block."""

    level1: str
    level2_groups: list[tuple[str, list[Indicator]]]

    @property
    def size(self) -> int:
        return sum(len(items) for _, items in self.level2_groups)


def group_indicators(indicators: list[Indicator]) -> list[IndicatorGroup]:
    """Group in table order, keeping level-1 and level-2 runs together (for merged cells)."""
    groups: list[IndicatorGroup] = []
    for ind in sorted(indicators, key=lambda i: i.position):
        if not groups or groups[-1].level1 != ind.level1:
            groups.append(IndicatorGroup(ind.level1, []))
        l2 = groups[-1].level2_groups
        if not l2 or l2[-1][0] != ind.level2:
            l2.append((ind.level2, []))
        l2[-1][1].append(ind)
    return groups
