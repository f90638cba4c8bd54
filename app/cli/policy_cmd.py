"""``jixiao policy list|show|set|year``: stored scoring policies (评分规则) and the policy of each year."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    policy = sub.add_parser("policy", help="评分规则：查看、修改（生成新版本）、设置年度使用的规则")
    psub = policy.add_subparsers(dest="policy_command", required=True, metavar="ACTION")

    lst = psub.add_parser("list", help="列出评分规则及各年度使用的规则")
    lst.set_defaults(func=_list)

    show = psub.add_parser("show", help="显示评分规则的设置（默认最新版本）")
    show.add_argument("name")
    show.add_argument("--version", type=int, help="版本号")
    show.add_argument("--json", action="store_true", help="输出完整 JSON（name、version、settings）")
    show.set_defaults(func=_show)

    st = psub.add_parser(
        "set",
        help="修改设置并保存为新版本，如 jixiao policy set central_2020 rounding.places=0",
        description="KEY=VALUE 的 KEY 为设置名，嵌套设置用点号（rounding.places=0、level1_weights.output=40）；"
        "列表用逗号分隔（share_detection.units=%%,‰）。规则不存在时新建（基于 --from 指定的规则）。",
    )
    st.add_argument("name")
    st.add_argument("changes", nargs="*", metavar="KEY=VALUE")
    st.add_argument("--note", help="修改说明（记入版本和审计日志）")
    st.add_argument("--from", dest="based_on", help="新建规则时复制的规则（默认 central_2020）")
    st.set_defaults(func=_set)

    year = psub.add_parser(
        "year", help="设置某一预算年度使用的评分规则，如 jixiao policy year 2023 central_2020"
    )
    year.add_argument("year", type=int)
    year.add_argument("name")
    year.add_argument("--version", type=int, help="固定使用的版本（默认始终使用最新版本）")
    year.set_defaults(func=_year)


def _run(fn):
    """One transaction; service errors become CLI errors (Chinese, one line per problem)."""
    from app.cli import CliError
    from app.core.errors import AppError
    from app.db.migrate import NOT_MIGRATED, is_at_head
    from app.db.session import get_engine, session_scope

    if not is_at_head(get_engine()):
        raise CliError(NOT_MIGRATED)
    try:
        with session_scope() as session:
            return fn(session)
    except AppError as exc:
        lines = []
        for item in exc.items():
            key = item.loc[-1] if item.loc and item.loc[-1] != "settings" else ""
            lines.append(f"{key}：{item.msg}" if key else item.msg)
        raise CliError("；".join(lines)) from exc


def parse_changes(pairs: list[str]) -> dict[str, object]:
    """``["rounding.places=0", "share_detection.units=%,‰"]`` → ``{"rounding.places": "0", …}``.

    Values stay text (the settings schema converts them); ``a,b`` and JSON lists become lists.
    """
    from app.cli import CliError

    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise CliError(f"“{pair}”应写作 设置名=值，如 rounding.places=0")
        out[key] = _value(key, value)
    return out


_LIST_KEYS = ("share_detection.units", "share_detection.keywords")


def _value(key: str, value: str) -> object:
    if value.startswith("["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            pass
    if key in _LIST_KEYS:
        import re

        return [v for v in re.split(r"[,，、\s]+", value) if v]
    return value


def _list(args: argparse.Namespace) -> int:
    from app.accounts.audit import as_local
    from app.scoring import policies

    def run(session):
        policies.ensure_default_policies(session=session)
        return policies.list_policies(session=session), policies.year_policies(session=session)

    summaries, years = _run(run)
    print("名称\t最新版本\t版本数\t保存时间\t保存人\t使用年度\t说明")
    for s in summaries:
        row = s.latest
        used = "、".join(str(y) for y in s.years) or "—"
        at = as_local(row.created_at).strftime("%Y-%m-%d %H:%M")
        print(f"{row.name}\t{row.version}\t{s.versions}\t{at}\t{row.created_by}\t{used}\t{row.note or ''}")
    if years:
        print("\n年度\t评分规则\t版本")
        for y in years:
            version = "最新" if y.policy_version is None else str(y.policy_version)
            print(f"{y.year}\t{y.policy_name}\t{version}")
    else:
        print("\n尚未单独设置年度评分规则：各年度均使用 central_2020 的最新版本。")
    return 0


def _show(args: argparse.Namespace) -> int:
    from app.scoring import policies

    def run(session):
        policies.ensure_default_policies(session=session)
        row = policies.get_version(session=session, name=args.name, version=args.version)
        return row.name, row.version, row.created_by, row.note, dict(row.settings)

    name, version, by, note, settings = _run(run)
    if args.json:
        print(
            json.dumps({"name": name, "version": version, "settings": settings}, ensure_ascii=False, indent=1)
        )
        return 0
    print(f"{name} 第 {version} 版（{by}）{'：' + note if note else ''}")
    for key, value in policies.flatten(settings).items():
        shown = (
            "、".join(value) if isinstance(value, list) else json.dumps(value, ensure_ascii=False).strip('"')
        )
        print(f"{key} = {shown}")
    return 0


def _set(args: argparse.Namespace) -> int:
    from app.accounts.audit import cli_actor
    from app.cli import CliError
    from app.scoring import policies

    changes = parse_changes(args.changes)

    def run(session):
        existing = policies.find_version(session=session, name=args.name)
        if existing is None and args.name != policies.DEFAULT_POLICY_NAME:
            row = policies.create_policy(
                session=session,
                name=args.name,
                actor=cli_actor(),
                based_on=args.based_on or policies.DEFAULT_POLICY_NAME,
                changes=changes,
                note=args.note,
            )
            return row.name, row.version, True
        if args.based_on:
            raise CliError(f"评分规则“{args.name}”已存在，--from 只用于新建规则")
        if not changes:
            raise CliError("请给出要修改的设置，如 rounding.places=0")
        before = policies.get_version(session=session, name=args.name).version
        row = policies.update_policy(
            session=session, name=args.name, changes=changes, actor=cli_actor(), note=args.note
        )
        return row.name, row.version, row.version != before

    name, version, created = _run(run)
    if created:
        print(f"已保存评分规则 {name} 第 {version} 版。")
    else:
        print(f"设置与 {name} 第 {version} 版相同，未生成新版本。")
    return 0


def _year(args: argparse.Namespace) -> int:
    from app.accounts.audit import cli_actor
    from app.scoring import policies

    def run(session):
        setting = policies.set_year_policy(
            session=session, year=args.year, name=args.name, version=args.version, actor=cli_actor()
        )
        return setting.year, setting.policy_name, setting.policy_version

    year, name, version = _run(run)
    which = "最新版本" if version is None else f"第 {version} 版"
    print(f"{year} 年度按评分规则 {name}（{which}）评分。")
    return 0
