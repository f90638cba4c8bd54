"""Write generated demo data: text files (``--out``) or the database (``--into-db``).

The database path goes through the same services as real data: each department's table through
``app.targets.service.import_table`` (one transaction per table, as ``jixiao import`` does), the
figures through the entry readers (``apply_api_actual`` + ``read_value``, the API's own parsing of
an actual), the scores through ``app.scoring.rescore`` (the snapshots summaries read). What is
bulk here is only the writing: one multi-row INSERT of a table's actuals, one executemany UPDATE
of its projects, one of status events, instead of a request per project.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from app.demo.actuals import ProjectFigures, project_figures
from app.demo.render import render_table
from app.demo.tables import department, departments, generate_table
from app.targets.types import ParsedTable

ACTOR = "demo-data"
STEPS = {  # status → the status events that led there
    "draft": (),
    "submitted": (("draft", "submitted"),),
    "approved": (("draft", "submitted"), ("submitted", "approved")),
    "returned": (("draft", "submitted"), ("submitted", "returned")),
}


@dataclass(frozen=True)
class DemoSpec:
    units: int
    projects: int  # per unit
    year: int
    indicators: int = 20  # per project
    seed: int = 1
    per_department: int = 5


@dataclass
class LoadStats:
    tables: int = 0
    units: int = 0
    projects: int = 0
    indicators: int = 0
    actuals: int = 0
    snapshots: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def timed(self, step: str, started: float) -> None:
        self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - started


def tables(spec: DemoSpec) -> Iterator[ParsedTable]:
    """The generated tables, one per department, in code order."""
    depts = list(departments(spec.units, per_department=spec.per_department))
    for index, count in depts:
        dept = department(index, seed=spec.seed, year=spec.year, count=len(depts))
        yield generate_table(
            dept,
            year=spec.year,
            units=count,
            projects=spec.projects,
            indicators=spec.indicators,
            seed=spec.seed,
        )


def file_name(table: ParsedTable) -> str:
    return f"{table.units[0].code}-{table.year}.txt"


def figures_for(table: ParsedTable, *, seed: int, policy) -> list[ProjectFigures]:
    rng = random.Random(f"figures:{seed}:{table.year}:{table.units[0].code}")
    assert table.year is not None
    return [project_figures(rng, p, year=table.year, policy=policy) for p in table.projects]


def write_files(spec: DemoSpec, out: Path, *, actuals: bool = False) -> LoadStats:
    """``DIR/<department>-<year>.txt`` (and ``.actuals.json`` with each project's figures)."""
    from app.scoring.policy import CENTRAL_2020

    out.mkdir(parents=True, exist_ok=True)
    stats = LoadStats()
    for table in tables(spec):
        name = file_name(table)
        (out / name).write_text(render_table(table, seed=spec.seed), encoding="utf-8")
        _count(stats, table)
        if actuals:
            figures = figures_for(table, seed=spec.seed, policy=CENTRAL_2020)
            (out / name.replace(".txt", ".actuals.json")).write_text(
                json.dumps(_figures_json(table, figures), ensure_ascii=False, indent=1), encoding="utf-8"
            )
    return stats


def _figures_json(table: ParsedTable, figures: list[ProjectFigures]) -> list[dict[str, Any]]:
    return [
        {
            "unit_code": p.unit_code,
            "project": p.name,
            "status": f.status,
            "budget": {"full_year_wan": str(f.full_year_wan), "executed_wan": str(f.executed_wan)},
            "goal_actual": f.goal_actual,
            "budget_reason": f.budget_reason,
            "actuals": [
                {"level2": ind.level2, "name": ind.name, "actual": a, "reason": r}
                for ind, a, r in zip(p.indicators, f.actuals, f.reasons, strict=True)
            ],
        }
        for p, f in zip(table.projects, figures, strict=True)
    ]


def _count(stats: LoadStats, table: ParsedTable) -> None:
    stats.tables += 1
    stats.units += len(table.units) - 1  # the department row is not a budget unit of its own
    stats.projects += len(table.projects)
    stats.indicators += sum(len(p.indicators) for p in table.projects)


def load_database(
    spec: DemoSpec,
    *,
    actuals: bool = False,
    session_factory: Callable[[], Any] | None = None,
    progress: Callable[[LoadStats], None] | None = None,
) -> LoadStats:
    """Import every generated table (one transaction each); with ``actuals`` also the figures,
    statuses and score snapshots of its projects, in the same transaction."""
    from app.db.session import session_scope
    from app.scoring.policies import ensure_default_policies, policy_for_year
    from app.targets.checks import check_table
    from app.targets.service import import_table, sha256_of

    scope = session_factory or session_scope
    with scope() as session:
        ensure_default_policies(session=session)
        policy = policy_for_year(session=session, year=spec.year)
    stats = LoadStats()
    for table in tables(spec):
        started = time.perf_counter()
        text = render_table(table, seed=spec.seed)
        table.warnings = check_table(table)
        stats.timed("generate", started)
        with scope() as session:
            started = time.perf_counter()
            import_table(
                session=session, table=table, source_name=file_name(table), sha256=sha256_of(text.encode())
            )
            stats.timed("import", started)
            if actuals:
                write_figures(session=session, table=table, figures=figures_for(table, seed=spec.seed, policy=policy), stats=stats, policy=policy)  # fmt: skip
        _count(stats, table)
        if progress is not None:
            progress(stats)
    return stats


def write_figures(
    *, session: Session, table: ParsedTable, figures: list[ProjectFigures], stats: LoadStats, policy
) -> None:
    """Actuals, budget execution, statuses and snapshots of one imported table's projects."""
    from app.db.models import Indicator, IndicatorActual, Project, ProjectStatusEvent, Unit
    from app.scoring.rescore import rescore_projects
    from app.submissions.entries import ActualEntry, apply_api_actual, read_value

    started = time.perf_counter()
    codes = {p.unit_code for p in table.projects}
    keyed = {
        (code, name): (pid, version)
        for pid, code, name, version in session.execute(
            select(Project.id, Unit.code, Project.name, Project.version)
            .join(Unit, Unit.id == Project.unit_id)
            .where(Project.year == table.year, Unit.code.in_(codes))
        )
    }
    project_ids = [keyed[(p.unit_code, p.name)][0] for p in table.projects]
    ids_by_project: dict[int, list[tuple[int, str]]] = {pid: [] for pid in project_ids}
    for iid, pid, direction in session.execute(
        select(Indicator.id, Indicator.project_id, Indicator.direction)
        .where(Indicator.project_id.in_(project_ids))
        .order_by(Indicator.project_id, Indicator.position)
    ):
        ids_by_project[pid].append((iid, direction))
    actual_rows: list[dict[str, Any]] = []
    project_rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for parsed, fig, pid in zip(table.projects, figures, project_ids, strict=True):
        for ind, (iid, direction), actual, reason in zip(
            parsed.indicators, ids_by_project[pid], fig.actuals, fig.reasons, strict=True
        ):
            if actual is None:
                continue
            row = SimpleNamespace(id=iid, direction=direction, name=ind.name, actual=None)
            entry = apply_api_actual(row, ActualEntry(), actual)  # type: ignore[arg-type]
            cols = read_value(row, ind.target, entry, year=table.year, direction=direction)  # type: ignore[arg-type]
            cols.setdefault("not_applicable", False)
            cols["na_reason"] = entry.na_reason or None
            cols["reason"] = reason
            actual_rows.append({"indicator_id": iid, **cols})
        project_rows.append(
            {
                "pid": pid,
                "full_year_budget_wan": fig.full_year_wan,
                "executed_wan": fig.executed_wan,
                "goal_actual": fig.goal_actual,
                "budget_reason": fig.budget_reason,
                "status": fig.status,
                "version": keyed[(parsed.unit_code, parsed.name)][1] + 1,
            }
        )
        events += [
            {"project_id": pid, "from_status": a, "to_status": b, "actor_name": ACTOR, "comment": None}
            for a, b in STEPS[fig.status]
        ]
    if actual_rows:
        session.execute(insert(IndicatorActual), actual_rows)
    table_p = Project.__table__
    session.execute(
        update(table_p)
        .where(table_p.c.id == bindparam("pid"))
        .values({k: bindparam(f"b_{k}") for k in project_rows[0] if k != "pid"}),
        [{(k if k == "pid" else f"b_{k}"): v for k, v in r.items()} for r in project_rows],
    )
    if events:
        session.execute(insert(ProjectStatusEvent), events)
    stats.actuals += len(actual_rows)
    stats.timed("figures", started)
    started = time.perf_counter()
    done = rescore_projects(
        session=session, project_ids=project_ids, actor=ACTOR, reason="save", policy=policy
    )
    stats.snapshots += done.stored
    stats.timed("snapshots", started)
