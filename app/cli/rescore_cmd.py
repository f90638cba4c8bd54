"""``jixiao rescore --year Y``: score every project of a year again and store the new snapshots.

Needed after the year's policy changed (``jixiao policy year`` / ``policy set``): summaries read
the stored snapshots. Projects whose inputs and policy version are unchanged are left alone.
Commits per chunk of projects; ``--processes`` splits the chunks over several processes (each
with its own connection), for a year of tens of thousands of projects on a multi-core machine.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rescore", help="按年度评分规则重新计算某年度全部项目的评分（保存新的评分快照）")
    p.add_argument("--year", type=int, required=True, help="预算年度")
    p.add_argument("--processes", type=int, default=1, help="并行进程数（默认 1）")
    p.set_defaults(func=_rescore)


def rescore(*, year: int, processes: int = 1, actor: str = "system"):
    """Re-score ``year`` in ``processes`` processes; the summed ``RescoreStats``."""
    from app.scoring.rescore import RescoreStats

    if processes <= 1:
        return _part(year, actor, 0, 1)
    import multiprocessing

    from app.db.session import get_engine

    get_engine().dispose()  # no connection crosses the fork
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes) as pool:
        parts = pool.starmap(_part, [(year, actor, k, processes) for k in range(processes)])
    total = RescoreStats()
    for part in parts:
        total.add(part)
    return total


def _part(year: int, actor: str, k: int, n: int):
    from app.db.session import get_engine, session_scope
    from app.scoring.rescore import RescoreStats, rescore_year

    if n > 1:
        get_engine().dispose(close=False)  # the parent's pool is not ours
    total = RescoreStats()
    with session_scope() as session:
        for part in rescore_year(session=session, year=year, actor=actor, share=(k, n)):
            total.add(part)
            session.commit()  # one transaction per chunk: locks are held briefly
    return total


def _rescore(args: argparse.Namespace) -> int:
    import time

    from app.cli import CliError
    from app.db.migrate import NOT_MIGRATED, is_at_head
    from app.db.session import get_engine

    if not is_at_head(get_engine()):
        raise CliError(NOT_MIGRATED)
    if args.processes < 1:
        raise CliError("--processes 应为正整数")
    started = time.perf_counter()
    stats = rescore(year=args.year, processes=args.processes)
    print(
        f"{args.year} 年度：{stats.projects} 个项目（{stats.indicators} 个指标），新保存评分快照 {stats.stored} 个，"
        f"未变化 {stats.unchanged} 个，无法评分 {stats.unscorable} 个；用时 {time.perf_counter() - started:.1f} 秒"
    )
    return 0
