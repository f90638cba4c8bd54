"""The audit log: every write records who, when, what, and the values before → after.

Call ``record_audit`` in the same session (and so the same transaction) as the change it describes:
the change and its audit row commit together or not at all. The application never updates or
deletes audit rows (``AuditLog`` refuses it at the ORM level).

Register a Chinese label for a new action with ``AUDIT_ACTION_LABELS["actual.update"] = "修改实际完成值"``
(the page and the CLI fall back to the action code).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.accounts.roles import ROLE_LABELS, SCOPE_LABELS
from app.db.models.accounts import AuditLog, User

# Dates on pages and in filters are China Standard Time (no daylight saving).
LOCAL_TZ = timezone(timedelta(hours=8), "CST")

AUDIT_ACTION_LABELS: dict[str, str] = {
    "user.create": "新增用户",
    "user.update": "修改用户",
    "user.disable": "停用用户",
    "user.enable": "启用用户",
    "user.password": "重设密码",
    "token.create": "创建 API 令牌",
    "token.revoke": "吊销 API 令牌",
    "login": "登录",
    "logout": "退出登录",
}

AUDIT_ENTITY_LABELS: dict[str, str] = {
    "user": "用户",
    "api_token": "API 令牌",
    "session": "登录会话",
    "project": "项目",
    "indicator": "指标",
    "import": "导入",
    "policy": "评分规则",
}

AUDIT_FIELD_LABELS: dict[str, str] = {
    "username": "用户名",
    "display_name": "姓名",
    "role": "角色",
    "units": "单位编码",
    "active": "启用",
    "scope": "权限",
    "name": "名称",
    "prefix": "令牌前缀",
    "user": "用户",
    "expires_at": "到期时间",
    "revoked_at": "吊销时间",
    "address": "地址",
    "method": "方式",
    "password": "密码",
    "sessions_ended": "结束的登录会话",
    "tokens_revoked": "吊销的令牌",
}

# Stored codes shown as words, per field (others may add: ``AUDIT_VALUE_LABELS["status"] = {...}``).
AUDIT_VALUE_LABELS: dict[str, dict[str, str]] = {
    "role": ROLE_LABELS,
    "scope": SCOPE_LABELS,
    "method": {"password": "用户名和密码"},
}

Actor = User | str | None


def to_jsonable(value: Any) -> Any:
    """Decimals as strings (never floats), dates as ISO text, containers recursively."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [to_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, float):
        return repr(value)
    return str(value)


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """``{field: value}`` of an object's attributes, ready for ``before``/``after``."""
    return {name: to_jsonable(getattr(obj, name)) for name in fields}


def cli_actor() -> str:
    """The actor name of a command-line change: ``cli:<operating-system user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # pragma: no cover - no login name in some containers
        return "cli"


def record_audit(
    *,
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: Any,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    entity_name: str | None = None,
    address: str | None = None,
    flush: bool = True,
) -> AuditLog:
    """Append one audit row (flushed, not committed — the request/CLI boundary commits).

    ``flush=False`` leaves the row to the caller's next flush: a save writing many rows flushes
    once, so they go out as one multi-row INSERT instead of one round trip each.

    ``actor``: the ``User`` who acted, or a name such as ``cli_actor()`` / ``"system"``.
    ``entity``/``entity_id``: what changed (``"project"``, 42); ``entity_name``: how a clerk
    recognises it (the project's name), shown on the audit page.
    ``before``/``after``: plain dicts of the changed values (``None`` for creation/deletion);
    Decimals, dates and sets are converted to JSON-safe values.
    """
    if isinstance(actor, User):
        actor_id, actor_name = actor.id, actor.username
    else:
        actor_id, actor_name = None, actor or "system"
    row = AuditLog(
        at=datetime.now(UTC),
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        entity_name=(entity_name or "")[:300] or None,
        before=to_jsonable(dict(before)) if before is not None else None,
        after=to_jsonable(dict(after)) if after is not None else None,
        address=address,
    )
    session.add(row)
    if flush:
        session.flush()
    return row


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    username: str | None = None  # the actor
    entity: str | None = None
    entity_id: str | None = None
    date_from: date | None = None  # local (China) dates, inclusive
    date_to: date | None = None


def local_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)


def audit_statement(f: AuditFilter) -> Select[tuple[AuditLog]]:
    stmt = select(AuditLog)
    if f.action:
        stmt = stmt.where(AuditLog.action == f.action)
    if f.username:
        stmt = stmt.where(AuditLog.actor_name == f.username.strip().lower())
    if f.entity:
        stmt = stmt.where(AuditLog.entity == f.entity)
    if f.entity_id:
        stmt = stmt.where(AuditLog.entity_id == str(f.entity_id))
    if f.date_from:
        stmt = stmt.where(AuditLog.at >= local_day_start(f.date_from))
    if f.date_to:
        stmt = stmt.where(AuditLog.at < local_day_start(f.date_to + timedelta(days=1)))
    return stmt


def list_audit(
    *, session: Session, filters: AuditFilter, limit: int = 50, offset: int = 0
) -> tuple[list[AuditLog], int]:
    """Newest first, with the total count for paging."""
    stmt = audit_statement(filters)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def known_actions(*, session: Session) -> list[str]:
    """Actions present in the log plus the labelled ones, for the filter list."""
    present = set(session.scalars(select(AuditLog.action).distinct()))
    return sorted(present | set(AUDIT_ACTION_LABELS))


def action_label(action: str) -> str:
    return AUDIT_ACTION_LABELS.get(action, action)


def entity_label(entity: str) -> str:
    return AUDIT_ENTITY_LABELS.get(entity, entity)


def as_local(at: datetime) -> datetime:
    """A stored timestamp in China time (SQLite returns naive UTC values)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(LOCAL_TZ)


def actor_label(name: str) -> str:
    """``cli:root`` → ``命令行（root）``; ``system:demo`` → ``系统（demo）``; a user name as is."""
    kind, _, detail = name.partition(":")
    if kind == "cli":
        return f"命令行（{detail}）" if detail else "命令行"
    if kind == "system":
        return f"系统（{detail}）" if detail else "系统"
    return name


def _show(value: Any, field: str = "") -> str:
    labels = AUDIT_VALUE_LABELS.get(field)
    if labels and isinstance(value, str) and value in labels:
        return labels[value]
    if value is None:
        return "（空）"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, list):
        return "、".join(_show(v, field) for v in value) or "（无）"
    if isinstance(value, dict):
        return "；".join(f"{k}={_show(v)}" for k, v in value.items())
    if isinstance(value, str) and field.endswith("_at"):
        try:
            return as_local(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            pass
    return str(value)


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str | None  # None: the field did not exist before (creation)
    after: str | None  # None: removed


def describe_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[Change]:
    """The fields that differ, as display text; a creation lists the non-empty fields of ``after``."""
    b, a = dict(before or {}), dict(after or {})
    changes = []
    for key in list(dict.fromkeys([*b, *a])):
        if key in b and key in a and b[key] == a[key]:
            continue
        if before is None and a.get(key) in (None, "", []):
            continue  # a creation: empty fields say nothing
        changes.append(
            Change(
                key,
                AUDIT_FIELD_LABELS.get(key, key),
                _show(b[key], key) if key in b else None,
                _show(a[key], key) if key in a else None,
            )
        )
    return changes
