"""``jixiao user …``, ``jixiao token …`` and ``jixiao audit``: accounts, API tokens, the audit log."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    user = sub.add_parser("user", help="用户管理（部门、财政、管理员）")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")

    add = user_sub.add_parser("add", help="新增用户（密码从标准输入读取）")
    add.add_argument("name", help="用户名（不区分大小写）")
    add.add_argument("--role", required=True, choices=["department", "finance", "admin"])
    add.add_argument(
        "--unit",
        action="append",
        default=[],
        metavar="CODE",
        help="部门用户负责的单位编码，可重复；309 含 309001",
    )
    add.add_argument("--display-name", help="姓名或单位名称，显示在页面右上角")
    add.set_defaults(func=_user_add)

    lst = user_sub.add_parser("list", help="列出用户")
    lst.set_defaults(func=_user_list)

    dis = user_sub.add_parser("disable", help="停用用户（同时结束其登录并吊销其令牌）")
    dis.add_argument("name")
    dis.set_defaults(func=_user_disable)

    ena = user_sub.add_parser("enable", help="重新启用用户")
    ena.add_argument("name")
    ena.set_defaults(func=_user_enable)

    pwd = user_sub.add_parser("password", help="重设密码（新密码从标准输入读取；同时结束其登录并吊销其令牌）")
    pwd.add_argument("name")
    pwd.set_defaults(func=_user_password)

    demo = user_sub.add_parser("demo", help="开发模式：创建演示账号 admin、finance、dept（密码 demo）")
    demo.set_defaults(func=_user_demo)

    token = sub.add_parser("token", help="API 令牌")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_sub.add_parser("create", help="为用户创建令牌（只显示一次）")
    create.add_argument("user")
    create.add_argument(
        "--scope", choices=["read", "write"], default="read", help="read 只读（默认），write 读写"
    )
    create.add_argument("--days", type=int, help="有效天数（默认长期有效，直到吊销）")
    create.add_argument("--name", help="用途说明，如“汇总脚本”")
    create.set_defaults(func=_token_create)
    tlist = token_sub.add_parser("list", help="列出令牌（不显示令牌本身）")
    tlist.add_argument("--user")
    tlist.set_defaults(func=_token_list)
    revoke = token_sub.add_parser("revoke", help="吊销令牌")
    revoke.add_argument("id", type=int, help="令牌编号（见 jixiao token list）")
    revoke.set_defaults(func=_token_revoke)

    aud = sub.add_parser("audit", help="查看审计日志（最新的在前）")
    aud.add_argument("--action", help="操作代码，如 user.create")
    aud.add_argument("--user", help="操作人用户名")
    aud.add_argument("--entity", help="对象类型，如 user、project")
    aud.add_argument("--entity-id", help="对象编号")
    aud.add_argument("--since", help="起始日期 YYYY-MM-DD（北京时间，含当天）")
    aud.add_argument("--until", help="截止日期 YYYY-MM-DD（含当天）")
    aud.add_argument("--limit", type=int, default=50, help="最多显示条数（默认 50）")
    aud.add_argument("--json", action="store_true", help="每行一条 JSON 记录")
    aud.set_defaults(func=_audit)


def _require_migrated() -> None:
    from app.cli import CliError
    from app.db.migrate import NOT_MIGRATED, is_at_head
    from app.db.session import get_engine

    if not is_at_head(get_engine()):
        raise CliError(NOT_MIGRATED)


def _read_password(confirm: bool = True) -> str:
    """From a terminal: asked twice, hidden. From a pipe: the first line of standard input."""
    from app.cli import CliError

    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("密码：")
        if confirm and getpass.getpass("再次输入密码：") != first:
            raise CliError("两次输入的密码不一致")
        return first
    line = sys.stdin.readline()
    if not line:
        raise CliError("请从标准输入提供密码，例如：echo '密码' | jixiao user add …")
    return line.rstrip("\r\n")


def _run(fn):
    """Run a service call in one transaction; service errors become CLI errors (Chinese)."""
    from app.cli import CliError
    from app.core.errors import AppError
    from app.db.session import session_scope

    _require_migrated()
    try:
        with session_scope() as session:
            return fn(session)
    except AppError as exc:
        raise CliError("；".join(item.msg for item in exc.items())) from exc


def _user_add(args: argparse.Namespace) -> int:
    from app.accounts import service
    from app.accounts.audit import cli_actor
    from app.db.models import Unit

    password = _read_password()

    def add(session):
        user = service.create_user(
            session=session,
            actor=cli_actor(),
            username=args.name,
            password=password,
            role=args.role,
            unit_codes=args.unit,
            display_name=args.display_name,
        )
        from sqlalchemy import select

        known = set(session.scalars(select(Unit.code)))
        missing = [c for c in user.unit_codes if not any(k.startswith(c) for k in known)]
        return user, missing

    user, missing = _run(add)
    units = f"，单位 {'、'.join(user.unit_codes)}" if user.unit_codes else ""
    print(f"已新建用户 {user.username}（{_role(user.role)}{units}）")
    for code in missing:
        print(f"提示：数据库中还没有单位 {code}（导入其绩效目标表后即可看到）", file=sys.stderr)
    return 0


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    """Left-align in a terminal column: Chinese characters take two cells."""
    return text + " " * max(width - _width(text), 1)


def _role(role: str) -> str:
    from app.accounts.roles import ROLE_LABELS

    return ROLE_LABELS.get(role, role)


def _user_list(args: argparse.Namespace) -> int:
    from app.accounts import service

    rows = _run(
        lambda session: [
            (
                u.username,
                u.role,
                "、".join(u.unit_codes) or "全部",
                "启用" if u.active else "已停用",
                u.display_name or "",
            )
            for u in service.list_users(session=session)
        ]
    )
    if not rows:
        print("还没有用户。新增：echo '密码' | jixiao user add 用户名 --role admin")
        return 0
    widths = (16, 12, 22, 8)
    print(
        "".join(_pad(h, w) for h, w in zip(("用户名", "角色", "单位", "状态"), widths, strict=True)) + "姓名"
    )
    for name, role, units, state, display in rows:
        cells = (name, _role(role), units, state)
        print("".join(_pad(c, w) for c, w in zip(cells, widths, strict=True)) + display)
    return 0


def _set_active(name: str, active: bool) -> int:
    from app.accounts import service
    from app.accounts.audit import cli_actor

    _run(
        lambda session: service.set_user_active(
            session=session, actor=cli_actor(), username=name, active=active
        )
    )
    print(f"已{'启用' if active else '停用'}用户 {name.strip().lower()}")
    return 0


def _user_disable(args: argparse.Namespace) -> int:
    return _set_active(args.name, False)


def _user_enable(args: argparse.Namespace) -> int:
    return _set_active(args.name, True)


def _user_password(args: argparse.Namespace) -> int:
    from app.accounts import service
    from app.accounts.audit import cli_actor

    password = _read_password()
    _run(
        lambda session: service.set_password(
            session=session, actor=cli_actor(), username=args.name, password=password
        )
    )
    print(f"已重设用户 {args.name.strip().lower()} 的密码（其已登录的浏览器需重新登录，其 API 令牌已吊销）")
    return 0


def _user_demo(args: argparse.Namespace) -> int:
    from app.accounts import service
    from app.cli import CliError
    from app.core.config import get_settings

    if get_settings().environment != "development":
        raise CliError("演示账号只能在开发模式（JIXIAO_ENV=development）下创建")
    _run(lambda session: service.ensure_demo_accounts(session=session))
    return 0


def _token_create(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from app.accounts import service
    from app.accounts.audit import cli_actor
    from app.accounts.roles import SCOPE_LABELS
    from app.cli import CliError

    if args.days is not None and args.days < 1:
        raise CliError("--days 应为正整数")

    def create(session):
        user = service.require_user(session=session, username=args.user)
        expires = service.utcnow() + timedelta(days=args.days) if args.days else None
        issued = service.create_token(
            session=session,
            actor=cli_actor(),
            user=user,
            scope=args.scope,
            name=args.name,
            expires_at=expires,
        )
        return issued.token.id, issued.plaintext, expires

    token_id, plaintext, expires = _run(create)
    print(plaintext)
    until = f"，有效期至 {expires:%Y-%m-%d}" if expires else "，长期有效"
    print(
        f"令牌 #{token_id}（{SCOPE_LABELS[args.scope]}{until}）只显示这一次，请妥善保存。"
        f"使用：Authorization: Bearer <令牌>；吊销：jixiao token revoke {token_id}",
        file=sys.stderr,
    )
    return 0


def _fmt_time(value) -> str:
    from app.accounts.audit import as_local

    return as_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _token_list(args: argparse.Namespace) -> int:
    from app.accounts import service
    from app.accounts.roles import SCOPE_LABELS

    def rows(session):
        user = service.require_user(session=session, username=args.user) if args.user else None
        return [
            (t.id, t.user.username, t.scope, t.prefix, t.name or "", t.created_at, t.expires_at, t.revoked_at)
            for t in service.list_tokens(session=session, user=user)
        ]

    items = _run(rows)
    if not items:
        print("没有令牌。")
        return 0
    print("编号\t用户\t权限\t前缀\t创建时间\t到期\t状态\t用途")
    for tid, user, scope, prefix, name, created, expires, revoked in items:
        state = f"已吊销 {_fmt_time(revoked)}" if revoked else "有效"
        print(
            f"{tid}\t{user}\t{SCOPE_LABELS.get(scope, scope)}\t{prefix}…\t{_fmt_time(created)}\t"
            f"{_fmt_time(expires) or '长期'}\t{state}\t{name}"
        )
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    from app.accounts import service
    from app.accounts.audit import cli_actor

    _run(lambda session: service.revoke_token(session=session, actor=cli_actor(), token_id=args.id))
    print(f"已吊销令牌 #{args.id}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    import json
    from datetime import date

    from app.accounts import audit
    from app.cli import CliError
    from app.main import area_modules

    area_modules()  # every area registers its audit action labels when imported

    def day(value: str | None, option: str) -> date | None:
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise CliError(f"{option} 应为日期 YYYY-MM-DD，收到“{value}”") from None

    filters = audit.AuditFilter(
        action=args.action,
        username=args.user,
        entity=args.entity,
        entity_id=args.entity_id,
        date_from=day(args.since, "--since"),
        date_to=day(args.until, "--until"),
    )

    def load(session):
        rows, total = audit.list_audit(session=session, filters=filters, limit=max(args.limit, 1))
        return [
            {
                "id": r.id,
                "at": audit.as_local(r.at).isoformat(timespec="seconds"),
                "actor": r.actor_name,
                "action": r.action,
                "entity": r.entity,
                "entity_id": r.entity_id,
                "entity_name": r.entity_name,
                "before": r.before,
                "after": r.after,
                "address": r.address,
                "changes": audit.describe_changes(r.before, r.after),
            }
            for r in rows
        ], total

    rows, total = _run(load)
    if args.json:
        for row in rows:
            row.pop("changes")
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if not rows:
        print("没有符合条件的审计记录。")
        return 0
    for row in rows:
        target = audit.entity_label(row["entity"]) + (f"#{row['entity_id']}" if row["entity_id"] else "")
        if row["entity_name"]:
            target += f"（{row['entity_name']}）"
        changes = "；".join(
            f"{c.label}: {c.after}"
            if c.before is None
            else f"{c.label}: {c.before} → {c.after if c.after is not None else '（删除）'}"
            for c in row["changes"]
        )
        print(
            f"{row['at'][:19].replace('T', ' ')}  {_pad(audit.actor_label(row['actor']), 14)} "
            f"{audit.action_label(row['action'])}"
            f"（{row['action']}）  {target}  {changes}"
        )
    if total > len(rows):
        print(f"…共 {total} 条，只显示最新 {len(rows)} 条（--limit 调整）", file=sys.stderr)
    return 0
