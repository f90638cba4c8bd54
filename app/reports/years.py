"""A project across budget years: the same unit and the same name, one column per year.

Indicators are matched by (二级指标, 三级指标) — the stable key of an indicator within a project —
so a row shows how its target, actual and score moved from year to year.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.scoping import readable_projects
from app.db.models import Project
from app.db.models.accounts import User
from app.reports.form import FormRow, SelfEvalForm
from app.reports.scores import PROJECT_OPTIONS, project_form


@dataclass
class YearRow:
    level1: str
    level2: str
    name: str
    cells: dict[int, FormRow] = field(default_factory=dict)  # year → the row of that year's form


@dataclass
class AcrossYears:
    years: list[int]
    forms: dict[int, SelfEvalForm]
    rows: list[YearRow]


def same_project_statement(project: Project, user: User | None):
    return readable_projects(
        select(Project)
        .where(Project.unit_id == project.unit_id, Project.name == project.name)
        .options(*PROJECT_OPTIONS)
        .order_by(Project.year),
        user,
    )


def across_years(*, session: Session, user: User | None, project: Project) -> AcrossYears:
    projects = list(session.scalars(same_project_statement(project, user)))
    forms = {p.year: project_form(session=session, project=p) for p in projects}
    rows: dict[tuple[str, str], YearRow] = {}
    for year, form in forms.items():
        seen: dict[tuple[str, str], int] = {}
        for r in form.rows:
            n = seen[(r.level2, r.name)] = seen.get((r.level2, r.name), 0) + 1
            key = (r.level2, r.name if n == 1 else f"{r.name}（{n}）")
            row = rows.get(key)
            if row is None:
                row = rows[key] = YearRow(r.level1, key[0], key[1])
            row.cells[year] = r
    return AcrossYears(sorted(forms), forms, list(rows.values()))
