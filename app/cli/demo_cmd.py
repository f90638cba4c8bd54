"""``jixiao demo-data``: generated target tables (and figures) at any scale, for demos and benchmarks."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo-data",
        help="生成演示数据：绩效目标表（文本格式，与样例表同一版式），可选实际完成值",
        description="按单位数、每单位项目数生成绩效目标公开表。--out 写入目录（每个部门一个文件，"
        "可用 jixiao parse / jixiao import 读取）；--into-db 直接导入数据库。同一 --seed 生成的数据相同。",
    )
    p.add_argument("--units", type=int, required=True, help="预算单位数（每 5 个单位为一个部门、一张表）")
    p.add_argument("--projects", type=int, required=True, help="每个单位的项目数")
    p.add_argument("--year", type=int, required=True, help="预算年度")
    p.add_argument("--indicators", type=int, default=20, help="每个项目的指标数（默认 20）")
    p.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, metavar="DIR", help="写入目录")
    where.add_argument("--into-db", action="store_true", help="导入 DATABASE_URL 指向的数据库")
    p.add_argument(
        "--actuals",
        action="store_true",
        help="同时生成实际完成值、预算执行数和填报状态（--out 时另存 *.actuals.json）",
    )
    p.set_defaults(func=_demo_data)


def _demo_data(args: argparse.Namespace) -> int:
    import sys
    import time

    from app.cli import CliError
    from app.demo.load import DemoSpec, load_database, write_files

    for name in ("units", "projects", "indicators"):
        if getattr(args, name) < 1:
            raise CliError(f"--{name} 应为正整数")
    if args.indicators < 4:
        raise CliError("--indicators 至少为 4（产出、效益、满意度各需指标）")
    if not 2000 <= args.year <= 2100:
        raise CliError("--year 应为 2000–2100 之间的年份")
    spec = DemoSpec(
        units=args.units, projects=args.projects, year=args.year, indicators=args.indicators, seed=args.seed
    )
    started = time.perf_counter()
    if args.out:
        stats = write_files(spec, args.out, actuals=args.actuals)
        where = str(args.out)
    else:
        from app.db.migrate import NOT_MIGRATED, is_at_head
        from app.db.session import get_engine

        if not is_at_head(get_engine()):
            raise CliError(NOT_MIGRATED)

        def progress(s) -> None:
            if s.tables % 50 == 0:
                print(f"  … {s.tables} 张表，{s.projects} 个项目，{s.indicators} 个指标", file=sys.stderr)

        stats = load_database(spec, actuals=args.actuals, progress=progress)
        where = "数据库"
    seconds = time.perf_counter() - started
    extra = (
        f"，实际值 {stats.actuals} 条，评分快照 {stats.snapshots} 个" if args.actuals and not args.out else ""
    )
    print(
        f"已生成 {stats.tables} 张表（{stats.units} 个单位，{stats.projects} 个项目，{stats.indicators} 个指标）"
        f"{extra}，写入{where}，用时 {seconds:.1f} 秒"
    )
    return 0
