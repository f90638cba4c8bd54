"""``jixiao db upgrade`` and ``jixiao serve``."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="数据库迁移")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="迁移到最新版本 (alembic upgrade head)")
    up.set_defaults(func=_upgrade)

    serve = sub.add_parser("serve", help="启动网页与 API 服务")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=_serve)


def _upgrade(args: argparse.Namespace) -> int:
    from app.core.config import get_settings
    from app.db.migrate import upgrade_to_head

    url = get_settings().database_url
    upgrade_to_head(url)
    print(f"数据库已迁移到最新版本：{_safe_url(url)}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.cli import CliError
    from app.core.config import get_settings
    from app.core.preflight import UnsafeProduction, refuse_unsafe_start
    from app.db.migrate import NOT_MIGRATED, is_at_head
    from app.db.session import get_engine

    if not is_at_head(get_engine()):
        raise CliError(NOT_MIGRATED)
    try:
        refuse_unsafe_start(get_settings())
    except UnsafeProduction as exc:
        raise CliError(str(exc), exit_code=2) from None
    uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port, workers=args.workers)
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
