"""``jixiao import FILE...`` and ``jixiao seed``: load target tables into the database."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser("import", help="导入绩效目标表（每个文件一个事务：要么全部导入，要么不导入）")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument("--format", default="auto", choices=["auto", "text", "xlsx", "csv", "html"])
    imp.add_argument(
        "--force-targets", action="store_true", help="已填报实际值的指标也更新目标值（保留实际值并记录修改）"
    )
    imp.set_defaults(func=_import)

    seed = sub.add_parser("seed", help="载入默认评分规则和 seeds/ 中的样例表（--demo 另建演示账号）")
    seed.add_argument("--if-empty", action="store_true", help="仅当数据库中还没有项目时导入样例表")
    seed.add_argument(
        "--demo",
        action="store_true",
        help="开发模式：另建演示账号 admin、finance、dept（密码 demo；make run 使用）",
    )
    seed.set_defaults(func=_seed)


def _require_migrated() -> None:
    from app.cli import CliError
    from app.db.migrate import NOT_MIGRATED, is_at_head
    from app.db.session import get_engine

    if not is_at_head(get_engine()):
        raise CliError(NOT_MIGRATED)


def _import(args: argparse.Namespace) -> int:
    _require_migrated()
    failed = 0
    for path in args.files:
        failed += not _import_one(path, fmt=args.format, force=args.force_targets)
    return 1 if failed else 0


OUTCOME_LABELS = {"created": "已新建", "updated": "已更新", "unchanged": "未变化（与已导入的内容相同）"}


def _import_one(path: Path, *, fmt: str, force: bool) -> bool:
    """Import one file in its own transaction; print what happened. False when refused."""
    import sys

    from app.accounts.audit import cli_actor
    from app.db.session import session_scope
    from app.targets.formats import read_table
    from app.targets.service import ImportRefused, audit_import, import_table, sha256_of
    from app.targets.types import TableFormatError

    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"错误：{path}: 无法读取文件（{exc.strerror}）", file=sys.stderr)
        return False
    try:
        table = read_table(path, format=fmt)
        with session_scope() as session:
            result = import_table(
                session=session,
                table=table,
                source_name=path.name,
                sha256=sha256_of(data),
                force_targets=force,
            )
            batch = result.batch
            audit_import(
                session=session, result=result, source_name=path.name, actor=cli_actor(), force_targets=force
            )
            summary = (
                f"{path.name}: {OUTCOME_LABELS[batch.outcome]} — {batch.counts['projects']} 个项目，"
                f"{batch.counts['indicators']} 个指标；新建 {_fmt(result.created)}，更新 {_fmt(result.updated)}，"
                f"删除 {_fmt(result.removed)}（导入批次 #{batch.id}）"
            )
    except TableFormatError as exc:
        print(f"错误：{path}: {exc}", file=sys.stderr)
        return False
    except ImportRefused as exc:
        print(f"错误：{path}: {exc}", file=sys.stderr)
        return False
    print(summary)
    for change in result.changes:
        print(f"  修改：{change['project']} / {change['indicator']}：{change['before']} → {change['after']}")
    for w in table.warnings:
        where = " ".join(x for x in (f"项目{w.project_seq}" if w.project_seq else "", w.indicator or "") if x)
        print(f"  警告[{w.code}] {where}：{w.message}" if where else f"  警告[{w.code}] {w.message}")
    return True


def _fmt(counter) -> str:
    labels = {"units": "单位", "projects": "项目", "indicators": "指标"}
    parts = [f"{labels.get(k, k)} {v}" for k, v in counter.items() if v]
    return "、".join(parts) if parts else "无"


def _seed(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from app.accounts.service import ensure_demo_accounts
    from app.cli import CliError
    from app.core.config import get_settings
    from app.db.models import Project
    from app.db.session import session_scope
    from app.scoring.policies import ensure_default_policies

    _require_migrated()
    settings = get_settings()
    if args.demo and settings.environment != "development":
        raise CliError("演示账号只能在开发模式（JIXIAO_ENV=development）下创建")
    with session_scope() as session:
        if args.demo:
            ensure_demo_accounts(session=session, settings=settings)
        ensure_default_policies(session=session)  # central_2020 v1, once
    with session_scope() as session:
        has_projects = session.scalar(select(func.count()).select_from(Project)) > 0
    if args.if_empty and has_projects:
        print("数据库中已有项目，跳过样例表导入。")
        return 0
    files = sorted(p for p in settings.seeds_dir.glob("*") if p.is_file() and not p.name.startswith("."))
    ok = all([_import_one(p, fmt="auto", force=False) for p in files])
    return 0 if ok else 1
