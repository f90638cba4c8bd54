"""c. Full re-score of a year against the time to just read its rows.

On the province dataset (2,000 units × 20 projects × 20 indicators, actuals entered, one
snapshot per project), per database:

- floor: the re-score's own reads (``app.scoring.rescore.chunk_statements``: projects,
  indicators joined with actuals, adjustments, latest-snapshot keys), chunk by chunk, every row
  fetched into Python — and nothing else;
- re-score after a policy change: ``jixiao rescore`` (``rescore_year``, one process per core, and
  once in one process) after a new version of the year's policy, so every project is scored again
  and gets a new snapshot (inputs, result, flat columns), committed per chunk;
- re-score with nothing changed: the same run again (inputs hashed and compared, nothing stored).

Target: the re-score after a policy change within 3× the floor and under 60 s.
"""

from __future__ import annotations

import os
import time

from benchmarks import Result
from benchmarks.support import YEAR, Others, backends, dataset, settle, use_database


def run(quick: bool = False) -> list[Result]:
    out = []
    for backend in backends():
        out += _run(backend, quick)
    return out


def _run(backend: str, quick: bool) -> list[Result]:
    from sqlalchemy import select

    from app.cli.rescore_cmd import rescore as run_rescore
    from app.db.models import Project
    from app.db.session import session_scope
    from app.scoring.policies import get_policy, update_policy
    from app.scoring.rescore import CHUNK, RescoreStats, chunk_statements

    ds = dataset(backend, quick)
    use_database(ds.url)

    settle(ds.url)
    with session_scope() as s:  # warm the page cache the same way for every run
        ids = list(s.scalars(select(Project.id).where(Project.year == YEAR).order_by(Project.id)))

    def read() -> tuple[float, int]:
        started, rows = time.perf_counter(), 0
        with session_scope() as s:
            for start in range(0, len(ids), CHUNK):
                for stmt in chunk_statements(ids[start : start + CHUNK]).values():
                    rows += len(s.execute(stmt).all())
        return time.perf_counter() - started, rows

    others = Others()
    floor, rows = min(read(), read())  # best of 2: the page cache as warm as for the re-score

    def rescore(processes: int) -> tuple[float, RescoreStats]:
        t0 = time.perf_counter()
        total = run_rescore(year=YEAR, processes=processes, actor="bench")
        return time.perf_counter() - t0, total

    def change_policy() -> None:
        with session_scope() as s:
            current = get_policy(session=s, name="central_2020")
            places = 1 if current.settings.rounding.places == 2 else 2
            update_policy(session=s, name="central_2020", changes={"rounding.places": places}, actor="bench")

    cores = os.cpu_count() or 1
    change_policy()
    settle(ds.url)
    single, stats1 = rescore(1)
    assert stats1.stored == stats1.projects - stats1.unscorable, stats1
    change_policy()
    settle(ds.url)
    changed, stats = rescore(cores)
    assert stats.stored == stats.projects - stats.unscorable, stats
    settle(ds.url)
    same, stats2 = rescore(cores)
    assert stats2.stored == 0, stats2
    size = f"{stats.projects:,} projects, {stats.indicators:,} indicators{others.note()}"
    ratio = changed / floor
    verdict = "met" if ratio <= 3 and changed < 60 else "MISSED"
    return [
        Result(f"c. read floor ({backend})", floor, "s", f"{size}, {rows:,} rows fetched"),
        Result(
            f"c. re-score, policy changed ({backend})",
            changed,
            "s",
            f"jixiao rescore --processes {cores}: {stats.stored:,} new snapshots; {ratio:.2f}× the floor "
            f"(target ≤ 3× and < 60 s: {verdict})",
        ),
        Result(
            f"c. re-score, 1 process ({backend})",
            single,
            "s",
            f"{single / floor:.2f}× the floor, {stats1.stored:,} new snapshots",
        ),
        Result(
            f"c. re-score, nothing changed ({backend})", same, "s", f"{same / floor:.2f}× the floor, 0 stored"
        ),
    ]
