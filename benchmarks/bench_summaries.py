"""Summaries at scale: 40,000 projects with their latest score snapshots in SQLite.

A scratch database (``var/bench-summaries.db``) is migrated and filled with 400 units (40
departments of 10) and 40,000 projects of one year, each with one latest snapshot (flat columns
only: what the summaries read). Timed, as a finance user: a JSON page deep in the list with its
count, a department's page, a grade filter, every row with per-unit aggregates, the CSV of every
row. Times in milliseconds, best of 3.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from benchmarks import Result

GRADES = ((90, "优"), (80, "良"), (60, "中"), (0, "差"))


def _fill(url: str, n_projects: int) -> None:
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from app.db.models import Project, ScoreSnapshot, Unit
    from app.db.session import make_engine

    rng = random.Random(6)
    engine = make_engine(url)
    now = datetime.now(UTC)
    with Session(engine) as s:
        units = []
        for d in range(40):
            s.execute(
                insert(Unit), [{"id": d + 1, "code": f"{500 + d}", "name": f"部门{d}", "parent_id": None}]
            )
            for k in range(10):
                uid = 1000 + d * 10 + k
                units.append(uid)
                s.execute(
                    insert(Unit),
                    [{"id": uid, "code": f"{500 + d}{k:03d}", "name": f"部门{d}单位{k}", "parent_id": d + 1}],
                )
        projects, snaps = [], []
        for i in range(n_projects):
            pid = i + 1
            amount = Decimal(rng.randint(1, 5000)) / 10
            projects.append({"id": pid, "year": 2023, "unit_id": units[i % len(units)], "seq": i // len(units) + 1,
                             "name": f"项目{pid}", "amount_wan": amount, "goals": [], "full_year_budget_wan": amount,
                             "executed_wan": amount, "status": rng.choice(["draft", "submitted", "returned", "approved"]),
                             "version": 1, "updated_at": now})  # fmt: skip
            total = Decimal(rng.randint(4000, 10000)) / 100
            grade = next(g for line, g in GRADES if total >= line)
            snaps.append({"project_id": pid, "is_latest": True, "policy_name": "central_2020", "policy_version": 1,
                          "inputs": {}, "inputs_hash": "0" * 64, "result": {}, "computed_at": now, "actor_name": "bench",
                          "reason": "save", "complete": True, "total": total, "grade": grade,
                          "budget_rate": Decimal("1.0000"), "budget_score": Decimal("10.00"),
                          "output_score": total * Decimal("0.5"), "cost_score": None,
                          "benefit_score": total * Decimal("0.3"), "satisfaction_score": total * Decimal("0.1")})  # fmt: skip
        for start in range(0, n_projects, 5000):
            s.execute(insert(Project), projects[start : start + 5000])
            s.execute(insert(ScoreSnapshot), snaps[start : start + 5000])
        s.commit()
    engine.dispose()


def _best(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def run(quick: bool = False) -> list[Result]:
    import os

    from sqlalchemy.orm import Session

    from app.db.migrate import upgrade_to_head
    from app.db.models.accounts import User
    from app.db.session import make_engine
    from app.reports import writers
    from app.reports.summaries import SummaryFilter, aggregate_by_unit, query_summaries

    n = 4_000 if quick else 40_000
    path = Path("var/bench-summaries.db")
    path.parent.mkdir(exist_ok=True)
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    os.environ.setdefault("SECRET_KEY", "bench")
    upgrade_to_head(url)
    _fill(url, n)
    fin = User(username="bench", role="finance", active=True)
    engine = make_engine(url)
    out: list[Result] = []
    note = f"{n:,} projects, 400 units, SQLite, best of 3"
    with Session(engine) as s:

        def page():
            p = query_summaries(
                session=s, user=fin, filters=SummaryFilter(year=2023), offset=n // 2, limit=100
            )
            assert p.count == n and len(p.rows) == 100

        def department():
            query_summaries(session=s, user=fin, filters=SummaryFilter(year=2023, unit="520"), limit=100)

        def grade():
            query_summaries(session=s, user=fin, filters=SummaryFilter(year=2023, grade="良"), limit=100)

        def grouped():
            p = query_summaries(
                session=s, user=fin, filters=SummaryFilter(year=2023), limit=100, with_all=True
            )
            aggregate_by_unit(p.all_rows or [])

        def csv_all():
            p = query_summaries(session=s, user=fin, filters=SummaryFilter(year=2023))
            writers.to_csv(writers.PROJECT_HEADERS, [writers.project_values(r) for r in p.rows])

        def xlsx_all():
            p = query_summaries(session=s, user=fin, filters=SummaryFilter(year=2023))
            writers.to_xlsx([("项目", writers.PROJECT_HEADERS, [writers.project_values(r) for r in p.rows])])

        for name, fn in [("JSON page of 100 at offset n/2, with count", page), ("department filter page", department),
                         ("grade filter page", grade), ("every row + per-unit aggregates", grouped),
                         ("CSV of every row", csv_all), ("XLSX of every row", xlsx_all)]:  # fmt: skip
            out.append(Result(f"summaries: {name}", _best(fn), "ms", note))
    engine.dispose()
    path.unlink(missing_ok=True)
    return out
