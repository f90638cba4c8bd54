"""Builders for review and report tests: the seed table imported, actuals filled in as a
department would, projects moved through the status machine.

``fill_project(db, project, quality=…)`` enters an actual for every indicator (the value a clerk
would type, in the target's unit), a deviation reason wherever points are lost, and the budget
figures. ``demo_year(db)`` builds a small county: the seed department and three cloned ones, two
years, projects in every status — what the overview and the screenshots show.
"""

from __future__ import annotations

import copy
import hashlib
import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.db.models import Indicator, IndicatorActual, Project
from app.submissions.status import change_status
from app.targets.formats import read_table
from app.targets.service import import_table
from app.targets.types import ParsedTable, ParsedUnit
from tests.conftest import SEED

Q2 = Decimal("0.01")


def seed_table() -> ParsedTable:
    return read_table(SEED)


def import_seed(db: Session, table: ParsedTable | None = None, name: str = "seed.txt") -> list[Project]:
    """Import ``table`` (default: the seed) and return its projects in table order."""
    table = table or seed_table()
    digest = hashlib.sha256(f"{name}:{table.year}".encode()).hexdigest()
    import_table(session=db, table=table, source_name=name, sha256=digest)
    return projects_of(db, table.year, table.projects[0].unit_code)


def clone_table(table: ParsedTable, *, code: str, name: str, year: int | None = None) -> ParsedTable:
    """The same projects under another department ``code`` (unit ``code``001), optionally another year."""
    out = copy.deepcopy(table)
    if year is not None:
        out.year = year
        out.title = (out.title or "").replace(str(table.year), str(year))
    out.units = [
        ParsedUnit(code, name, table.total_wan, None),
        ParsedUnit(f"{code}001", name, table.total_wan, code),
    ]
    for p in out.projects:
        p.unit_code = f"{code}001"
    return out


def projects_of(db: Session, year: int, unit_code: str) -> list[Project]:
    from app.db.models import Unit

    return list(
        db.scalars(
            select(Project)
            .join(Project.unit)
            .where(Project.year == year, Unit.code == unit_code)
            .options(
                selectinload(Project.indicators).selectinload(Indicator.actual), selectinload(Project.unit)
            )
            .order_by(Project.seq)
        )
    )


def fill_project(
    db: Session,
    project: Project,
    *,
    quality: float = 1.0,
    rate: Decimal = Decimal("0.97"),
    rng: random.Random | None = None,
    save: bool = True,
) -> None:
    """Enter actuals: ``quality`` 1.0 meets every target; lower values miss some (seeded ``rng``).
    ``save``: store a score snapshot, as the entry form does on saving."""
    rng = rng or random.Random(project.id)
    for ind in project.indicators:
        miss = rng.random() > quality
        actual = ind.actual or IndicatorActual(indicator_id=ind.id)
        actual.not_applicable = False
        if ind.direction in ("positive", "zero_target", "reverse") and ind.value is not None:
            t = Decimal(ind.value)
            if ind.direction == "positive":
                v = (t * Decimal(rng.choice(["0.6", "0.75", "0.9"]))) if miss else t
            elif ind.direction == "reverse":
                v = (t * Decimal(rng.choice(["1.2", "1.5"]))) if miss and t > 0 else t
            else:
                v = Decimal(1) if miss else Decimal(0)
            v = v.quantize(Q2)
            actual.value = v
            actual.raw = f"{v.normalize():f}{ind.unit or ''}"
        elif ind.direction == "deadline" and ind.deadline is not None:
            actual.completed_on = ind.deadline + (timedelta(days=20) if miss else timedelta(days=-5))
            actual.raw = actual.completed_on.isoformat()
        elif ind.direction == "reference":
            actual.baseline = Decimal(10)
            actual.value = Decimal(8) if miss else Decimal(12)
            actual.raw = str(actual.value)
        else:  # qualitative (and unparsed targets, read as a grade)
            actual.grade = "partial" if miss else "achieved"
            actual.raw = "部分达成" if miss else "达成"
        actual.reason = "受疫情影响部分工作推迟，下年度加强调度" if miss else None
        if ind.actual is None:
            db.add(actual)
            ind.actual = actual
    full = project.amount_wan or Decimal("10")
    project.full_year_budget_wan = full
    project.executed_wan = (full * rate).quantize(Decimal("0.0001"))
    project.budget_reason = "部分资金年底未支付" if rate < 1 else None
    project.goal_actual = (
        "已按计划完成年度各项工作任务。" if quality >= 1 else "大部分年度工作任务已完成，个别指标未达预期。"
    )
    db.flush()
    _reasons_where_needed(db, project)
    if save:
        from app.scoring.service import save_snapshot

        save_snapshot(session=db, project=project, actor="dept", reason="save")


def _reasons_where_needed(db: Session, project: Project) -> None:
    """§9: a reason wherever the score is below the points or flagged."""
    from app.scoring.service import compute_project_score

    score = compute_project_score(session=db, project=project)
    for ind, res in zip(sorted(project.indicators, key=lambda i: i.position), score.indicators, strict=True):
        if res.reason_required and ind.actual is not None and not ind.actual.reason:
            ind.actual.reason = "超额完成系实际需求增加所致" if "overachieved" in res.flags else "已说明原因"
    db.flush()


def submit(db: Session, project: Project, actor="dept309") -> None:
    change_status(session=db, project=project, to="submitted", actor=actor)


def demo_year(db: Session, *, rng_seed: int = 7) -> dict[str, list[Project]]:
    """Four departments in 2023 (the seed + three clones) and the seed department in 2022."""
    from app.review.service import decide

    table = seed_table()
    import_seed(db, table)
    clones = [("310", "门源县林业和草原局"), ("311", "门源县教育局"), ("312", "门源县卫生健康局")]
    for code, name in clones:
        import_table(session=db, table=clone_table(table, code=code, name=name), source_name=f"{code}.txt",
                     sha256=f"{code:0>64}")  # fmt: skip
    import_table(session=db, table=clone_table(table, code="309", name="门源县应急管理局", year=2022),
                 source_name="2022.txt", sha256="2022".rjust(64, "0"))  # fmt: skip
    rng = random.Random(rng_seed)
    out: dict[str, list[Project]] = {}
    plans = {"309001": (0.9, "approved"), "310001": (0.7, "submitted"), "311001": (0.5, "mixed"),
             "312001": (0.35, "draft")}  # fmt: skip
    for code, (quality, plan) in plans.items():
        projects = projects_of(db, 2023, code)
        out[code] = projects
        for i, p in enumerate(projects):
            if plan == "draft" and i >= 3:
                continue
            rate = Decimal(rng.choice(["1", "0.97", "0.9", "0.72"]))
            fill_project(db, p, quality=quality, rate=rate, rng=rng)
            if plan == "draft":
                continue
            submit(db, p)
            step = plan if plan != "mixed" else ("approved", "returned", "submitted")[i % 3]
            if step == "approved":
                decide(session=db, project=p, actor="fin", decision="approve", comment="同意")
            elif step == "returned":
                decide(session=db, project=p, actor="fin", decision="return", comment="请补充佐证材料")
    last = projects_of(db, 2022, "309001")
    for p in last:
        fill_project(db, p, quality=0.85, rate=Decimal("0.95"), rng=rng)
        submit(db, p)
        decide(session=db, project=p, actor="fin", decision="approve", comment="同意")
    out["2022"] = last
    return out
