"""What a server in production mode checks before it serves a single request.

``JIXIAO_ENV=production`` refuses to start while ``SECRET_KEY`` is empty, the default or shorter
than 32 bytes, the database is not migrated, or any demo account (``admin``, ``finance``,
``dept``) can still log in with the demo password. No other account can hold the demo password:
the password policy refuses it everywhere a password is set.
"""

from __future__ import annotations

from app.core.config import Settings


class UnsafeProduction(RuntimeError):
    """The server must not start; the message (Chinese) says why and what to do."""


def production_refusals(settings: Settings) -> list[str]:
    """Every reason the production server must not start (empty when it may)."""
    from app.accounts.service import demo_password_accounts
    from app.db.migrate import NOT_MIGRATED, is_at_head
    from app.db.session import get_engine, session_scope

    refusals = []
    problem = settings.secret_key_problem()
    if problem:
        refusals.append(
            f"{problem}。请设置一个足够长的随机值，例如 SECRET_KEY=$(python3 -c "
            "'import secrets; print(secrets.token_urlsafe(48))')，所有进程使用同一个值"
        )
    if not is_at_head(get_engine()):
        refusals.append(NOT_MIGRATED)
        return refusals
    with session_scope() as session:
        names = demo_password_accounts(session=session)
    if names:
        refusals.append(
            f"演示账号 {'、'.join(names)} 仍使用演示密码 demo。请停用（jixiao user disable 用户名）"
            "或重设密码（jixiao user password 用户名）"
        )
    return refusals


def refuse_unsafe_start(settings: Settings) -> None:
    """Raise ``UnsafeProduction`` in production mode when ``production_refusals`` finds anything."""
    if settings.environment != "production":
        return
    refusals = production_refusals(settings)
    if refusals:
        raise UnsafeProduction("生产模式拒绝启动：" + "；".join(refusals))
