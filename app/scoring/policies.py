"""Stored scoring policies (docs/scoring-rules.md §11): versions in the database, the policy of each year.

A policy version is immutable: an edit validates the merged settings (``PolicySettings``) and
stores them as the next version; ``central_2020`` v1 is seeded by :func:`ensure_default_policies`.
A budget year uses the policy named in ``YearPolicy`` (a pinned version, or the latest), else the
latest ``central_2020``, else the built-in one. Every change writes an audit row.

§1 "the service refuses a policy … that breaks" the tables' hand-set points: an edit, or a year's
new policy, is refused when a project of an affected year that scores under the current policy
would no longer score under the new one (:func:`check_policy_fits`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.audit import (
    AUDIT_ACTION_LABELS,
    AUDIT_ENTITY_LABELS,
    AUDIT_FIELD_LABELS,
    Actor,
    record_audit,
)
from app.core.errors import Conflict, ErrorItem, NotFound, Unprocessable
from app.db.memo import memo
from app.db.models import Indicator, PolicyVersion, Project, User, YearPolicy
from app.scoring.policy import (
    CENTRAL_2020,
    DEFAULT_POLICY_NAME,
    Policy,
    PolicySettings,
    _message_zh,
    merge_settings,
)

AUDIT_ACTION_LABELS.update(
    {
        "policy.create": "新建评分规则",
        "policy.update": "修改评分规则",
        "policy.year": "设置年度评分规则",
    }
)
AUDIT_ENTITY_LABELS.setdefault("year_policy", "年度评分规则")
AUDIT_FIELD_LABELS.update(
    {"version": "版本", "note": "说明", "policy": "评分规则", "based_on": "复制自", "year": "年度"}
)

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
# Settings that decide points (§1): only an edit of these can break a table's hand-set points.
POINT_SETTINGS = ("level1_weights", "cost_level1", "weight_split", "printed_points", "empty_level1")


def actor_name(actor: Actor) -> str:
    return actor.username if isinstance(actor, User) else (actor or "system")


# ------------------------------------------------------------------------------------- validation


def settings_error_items(data: Mapping[str, Any]) -> tuple[PolicySettings | None, list[ErrorItem]]:
    """Validate a settings dict; each problem as an ``ErrorItem`` whose ``loc`` is
    ``("settings", "<dotted key>")`` (``("settings",)`` for a problem of the whole)."""
    try:
        return PolicySettings.model_validate(dict(data)), []
    except ValidationError as exc:
        items = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"] if not isinstance(p, int))
            msg = _message_zh(err)
            key = key or _key_of_whole_error(msg)
            items.append(ErrorItem(msg, str(err["type"]), ("settings", key) if key else ("settings",)))
        return None, items


def _key_of_whole_error(msg: str) -> str:
    """The field a cross-field rule of ``PolicySettings`` is about (its messages name it)."""
    for needle, key in (
        ("成本指标", "cost_level1"),
        ("“未达成”默认", "qualitative_scores.not_achieved"),
        ("“部分达成”默认", "qualitative_scores.partial"),
        ("“达成”默认", "qualitative_scores.achieved"),
    ):
        if needle in msg:
            return key
    return ""


def validate_policy_settings(data: Mapping[str, Any]) -> PolicySettings:
    settings, items = settings_error_items(data)
    if settings is None:
        raise Unprocessable("评分规则设置有误", code="invalid_policy", errors=items)
    return settings


def validate_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_PATTERN.match(name):
        raise Unprocessable(
            "规则名称应为 2–64 个小写英文字母、数字或下划线，并以字母开头（如 qinghai_2023）",
            code="invalid_name",
            loc=("name",),
        )
    return name


def flatten(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"rounding": {"places": 2}}`` → ``{"rounding.places": 2}`` (lists kept as lists)."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def settings_json(settings: PolicySettings) -> dict[str, Any]:
    return settings.model_dump(mode="json")


# ------------------------------------------------------------------------------------- reading

_POLICIES: dict[tuple[str, int, str], Policy] = {}


def load_policy(row: PolicyVersion) -> Policy:
    """The ``Policy`` of a stored version (cached: versions never change)."""
    key = (row.name, row.version, row.fingerprint)
    policy = _POLICIES.get(key)
    if policy is None:
        policy = Policy(row.name, row.version, PolicySettings.model_validate(row.settings))
        _POLICIES[key] = policy
    return policy


def find_version(*, session: Session, name: str, version: int | None = None) -> PolicyVersion | None:
    """A stored version (the latest when ``version`` is None), or None."""
    stmt = select(PolicyVersion).where(PolicyVersion.name == name)
    if version is not None:
        return session.scalar(stmt.where(PolicyVersion.version == version))
    return session.scalar(stmt.order_by(PolicyVersion.version.desc()).limit(1))


def get_version(*, session: Session, name: str, version: int | None = None) -> PolicyVersion:
    row = find_version(session=session, name=name, version=version)
    if row is None:
        what = f"“{name}”第 {version} 版" if version is not None else f"“{name}”"
        raise NotFound(f"没有评分规则{what}", code="policy_not_found")
    return row


def get_policy(*, session: Session, name: str, version: int | None = None) -> Policy:
    return load_policy(get_version(session=session, name=name, version=version))


def policy_versions(*, session: Session, name: str) -> list[PolicyVersion]:
    """All versions of a policy, newest first."""
    stmt = select(PolicyVersion).where(PolicyVersion.name == name).order_by(PolicyVersion.version.desc())
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class PolicySummary:
    latest: PolicyVersion
    versions: int
    years: list[int]  # years that use this policy (explicitly, or by default for central_2020)


def list_policies(*, session: Session) -> list[PolicySummary]:
    """Every stored policy with its latest version, the default first, then by name."""
    latest = (
        select(PolicyVersion.name, func.max(PolicyVersion.version).label("v"), func.count().label("n"))
        .group_by(PolicyVersion.name)
        .subquery()
    )
    rows = session.execute(
        select(PolicyVersion, latest.c.n).join(
            latest, (PolicyVersion.name == latest.c.name) & (PolicyVersion.version == latest.c.v)
        )
    ).all()
    settings = {y.year: y.policy_name for y in year_policies(session=session)}
    default_years = [y for y in project_years(session=session) if y not in settings]
    out = []
    for row, n in rows:
        years = sorted(y for y, name in settings.items() if name == row.name)
        if row.name == DEFAULT_POLICY_NAME:
            years = sorted({*years, *default_years})
        out.append(PolicySummary(row, n, years))
    out.sort(key=lambda s: (s.latest.name != DEFAULT_POLICY_NAME, s.latest.name))
    return out


def year_policies(*, session: Session) -> list[YearPolicy]:
    return list(session.scalars(select(YearPolicy).order_by(YearPolicy.year.desc())))


def project_years(*, session: Session) -> list[int]:
    return list(session.scalars(select(Project.year).distinct().order_by(Project.year.desc())))


def policy_for_year(*, session: Session, year: int) -> Policy:
    """The policy a budget year is scored with: the year's setting (pinned version or latest),
    else the latest stored ``central_2020``, else the built-in ``central_2020``. Read once per
    transaction (``app/db/memo.py``)."""
    return memo(session, ("policy_for_year", year), _POLICY_TABLES, lambda: _policy_for_year(session, year))


_POLICY_TABLES = frozenset({YearPolicy.__tablename__, PolicyVersion.__tablename__})


def _policy_for_year(session: Session, year: int) -> Policy:
    setting = session.get(YearPolicy, year)
    if setting is not None:
        row = find_version(session=session, name=setting.policy_name, version=setting.policy_version)
        if row is not None:
            return load_policy(row)
    row = find_version(session=session, name=DEFAULT_POLICY_NAME)
    return load_policy(row) if row is not None else CENTRAL_2020


# ------------------------------------------------------------------------------------- writing


def ensure_default_policies(*, session: Session) -> list[PolicyVersion]:
    """Store ``central_2020`` v1 unless it is there (idempotent); returns the rows created."""
    if find_version(session=session, name=CENTRAL_2020.name, version=CENTRAL_2020.version) is not None:
        return []
    row = _add_version(
        session,
        CENTRAL_2020.name,
        CENTRAL_2020.version,
        CENTRAL_2020.settings,
        "system",
        "财预〔2020〕10号 默认评分规则",
    )
    return [row]


def create_policy(
    *,
    session: Session,
    name: str,
    actor: Actor,
    based_on: str = DEFAULT_POLICY_NAME,
    changes: Mapping[str, Any] | None = None,
    note: str | None = None,
    address: str | None = None,
) -> PolicyVersion:
    """A new policy ``name`` v1: the latest settings of ``based_on`` with ``changes`` merged in."""
    name = validate_name(name)
    ensure_default_policies(session=session)
    if find_version(session=session, name=name) is not None:
        raise Conflict(f"评分规则“{name}”已存在", code="policy_exists", loc=("name",))
    base = _base_settings(session, based_on)
    settings = validate_policy_settings(merge_settings(base, dict(changes or {})))
    row = _add_version(session, name, 1, settings, actor_name(actor), _note(note))
    record_audit(
        session=session,
        actor=actor,
        action="policy.create",
        entity="policy",
        entity_id=name,
        entity_name=f"{name} 第1版",
        before=None,
        after={"version": 1, "based_on": based_on, "note": row.note, **flatten(row.settings)},
        address=address,
    )
    return row


def update_policy(
    *,
    session: Session,
    name: str,
    changes: Mapping[str, Any],
    actor: Actor,
    note: str | None = None,
    base_version: int | None = None,
    address: str | None = None,
) -> PolicyVersion:
    """Store the latest settings of ``name`` with ``changes`` (dotted keys or nested dicts) as the
    next version. Settings equal to the latest store nothing and return the latest.

    ``base_version``: the version the editor started from; a newer latest is a conflict (409).
    """
    ensure_default_policies(session=session)
    latest = get_version(session=session, name=name)
    if base_version is not None and latest.version != base_version:
        raise Conflict(
            f"评分规则“{name}”已由 {latest.created_by} 保存为第 {latest.version} 版，请刷新后再修改",
            code="policy_version_conflict",
        )
    settings = validate_policy_settings(merge_settings(latest.settings, dict(changes)))
    new = settings_json(settings)
    if new == latest.settings:
        return latest
    candidate = Policy(name, latest.version + 1, settings)
    years = years_following(session=session, name=name)
    check_policy_fits(session=session, policy=candidate, years=years)
    row = _add_version(session, name, latest.version + 1, settings, actor_name(actor), _note(note))
    before, after = flatten(latest.settings), flatten(row.settings)
    changed = [k for k in after if before.get(k) != after[k]]
    record_audit(
        session=session,
        actor=actor,
        action="policy.update",
        entity="policy",
        entity_id=name,
        entity_name=f"{name} 第{row.version}版",
        before={"version": latest.version, **{k: before.get(k) for k in changed}},
        after={"version": row.version, **{k: after[k] for k in changed}, "note": row.note},
        address=address,
    )
    return row


def set_year_policy(
    *,
    session: Session,
    year: int,
    name: str,
    actor: Actor,
    version: int | None = None,
    address: str | None = None,
) -> YearPolicy:
    """Score budget ``year`` with policy ``name`` (``version`` pinned, or None for its latest)."""
    if not 2000 <= int(year) <= 2100:
        raise Unprocessable("年度应为 2000–2100 之间的年份", code="invalid_year", loc=("year",))
    ensure_default_policies(session=session)
    row = get_version(session=session, name=name, version=version)
    setting = session.get(YearPolicy, year)
    if setting is not None and (setting.policy_name, setting.policy_version) == (name, version):
        return setting
    before = (
        None
        if setting is None
        else {"policy": setting.policy_name, "version": _version_text(setting.policy_version)}
    )
    check_policy_fits(session=session, policy=load_policy(row), years=[year])
    if setting is None:
        setting = YearPolicy(
            year=year, policy_name=name, policy_version=version, updated_by=actor_name(actor)
        )
        session.add(setting)
    else:
        setting.policy_name, setting.policy_version = name, version
        setting.updated_by = actor_name(actor)
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="policy.year",
        entity="year_policy",
        entity_id=year,
        entity_name=f"{year}年度",
        before=before,
        after={"policy": name, "version": _version_text(version)},
        address=address,
    )
    return setting


def years_following(*, session: Session, name: str) -> list[int]:
    """Years whose score follows the latest version of ``name`` (an edit of it reaches them)."""
    explicit = {y.year: y for y in year_policies(session=session)}
    years = [y for y, s in explicit.items() if s.policy_name == name and s.policy_version is None]
    if name == DEFAULT_POLICY_NAME:
        years += [y for y in project_years(session=session) if y not in explicit]
    return sorted(years)


@dataclass
class _Row:
    level1: str
    level2: str
    name: str
    points: Decimal | None


def check_policy_fits(*, session: Session, policy: Policy, years: Iterable[int], limit: int = 5) -> None:
    """§1: refuse (422) when a project of ``years`` that gets its points under the year's current
    policy would not under ``policy`` (hand-set points no longer summing to a weight, a level
    missing under ``empty_level1 = error``, ``weight_split = manual`` without points, printed points
    differing from the weights under ``printed_points = must_match``)."""
    from app.scoring.engine import ScoringError, allocate_points, level1_key

    problems: list[str] = []
    count = 0
    for year in years:
        current = policy_for_year(session=session, year=year)
        if all(getattr(current.settings, k) == getattr(policy.settings, k) for k in POINT_SETTINGS):
            continue
        stmt = (
            select(
                Project.id, Project.name, Indicator.level1, Indicator.level2, Indicator.name, Indicator.points
            )
            .join(Indicator, Indicator.project_id == Project.id)
            .where(Project.year == year)
            .order_by(Project.id, Indicator.position)
        )
        projects: dict[int, tuple[str, list[_Row]]] = {}
        for pid, pname, l1, l2, iname, points in session.execute(stmt):
            projects.setdefault(pid, (pname, []))[1].append(_Row(l1, l2, iname, points))
        for pname, rows in projects.values():
            try:
                keys = [level1_key(r.level1) for r in rows]
                allocate_points(rows, keys, [True] * len(rows), current.compiled)
            except ScoringError:
                continue  # not scorable now either: this change does not break it
            try:
                allocate_points(rows, keys, [True] * len(rows), policy.compiled)
            except ScoringError as exc:
                count += 1
                if len(problems) < limit:
                    problems.append(f"{year}年“{pname}”：{exc}")
    if problems:
        more = f"（另有 {count - len(problems)} 个项目）" if count > len(problems) else ""
        raise Unprocessable(
            f"按此评分规则，{count} 个项目将无法计算分值：" + "；".join(problems) + more,
            code="policy_breaks_tables",
            loc=("settings",),
        )


def _base_settings(session: Session, name: str) -> dict[str, Any]:
    row = find_version(session=session, name=name)
    if row is not None:
        return dict(row.settings)
    if name == DEFAULT_POLICY_NAME:
        return settings_json(CENTRAL_2020.settings)
    raise NotFound(f"没有评分规则“{name}”", code="policy_not_found", loc=("based_on",))


def _add_version(
    session: Session, name: str, version: int, settings: PolicySettings, by: str, note: str | None
) -> PolicyVersion:
    row = PolicyVersion(
        name=name,
        version=version,
        settings=settings_json(settings),
        fingerprint=Policy(name, version, settings).fingerprint,
        created_by=by,
        note=note,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Conflict(
            f"评分规则“{name}”第 {version} 版刚刚已由他人保存，请刷新后再修改", code="policy_version_conflict"
        ) from None
    return row


def _version_text(version: int | None) -> str:
    return "最新版本" if version is None else f"第{version}版"


def _note(note: str | None) -> str | None:
    return (note or "").strip() or None
