"""Login throttling per (user name, address) and per address, with growing delays.

Rules (docs/deploy.md, "Login throttling"):

- The first ``PAIR_FREE`` failures of one user name from one address, and the first
  ``ADDRESS_FREE`` failures from one address (a whole office may come through one proxy), cost
  nothing. The failure that reaches the limit, and each one after it, refuses that key for a
  delay that doubles, from ``FIRST_DELAY`` up to ``MAX_DELAY``: 429 with ``Retry-After``, right
  password or not.
- A user name is never locked for everyone: the same name from another address is counted apart.
- A successful login clears its (name, address) count and takes back its own count at the address.
- After ``FORGET_AFTER`` without a failure, a key starts again from zero.

Concurrent attempts (several threads or workers) are counted atomically: each attempt first
counts itself as a failure with one ``UPDATE … SET failures = failures + 1 WHERE key = … AND not
blocked`` — the row stays locked by the request's transaction until it ends, so the next attempt
for that key sees the count (and the block) — then checks the password, and takes the failure back
on success. Rows are locked name-and-address first, then address, always in that order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db.models.accounts import LoginThrottle

PAIR_FREE = 5
ADDRESS_FREE = 20
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)


def pair_key(username: str, address: str) -> str:
    return f"pair:{username[:64]}|{address[:64]}"


def address_key(address: str) -> str:
    return f"addr:{address[:64]}"


def delay_after(failures: int, free: int) -> timedelta | None:
    """How long a key is refused after its ``failures``-th failure (None: not at all)."""
    if failures < free:
        return None
    steps = min(failures - free, 10)
    return min(FIRST_DELAY * (2**steps), MAX_DELAY)


def wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} 秒"
    return f"{math.ceil(seconds / 60)} 分钟"


@dataclass(frozen=True)
class Reservation:
    """An attempt counted as a failure on its keys; ``retry_after`` (seconds) when refused."""

    keys: tuple[tuple[str, bool], ...] = ()  # (key, whether this attempt set its block)
    retry_after: int | None = None


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _not_blocked(now: datetime):
    return LoginThrottle.blocked_until.is_(None) | (LoginThrottle.blocked_until <= now)


def _ensure_rows(session: Session, keys: list[str], now: datetime) -> None:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    rows = [{"key": k, "failures": 0, "last_failure_at": now} for k in keys]
    session.execute(insert(LoginThrottle).values(rows).on_conflict_do_nothing(index_elements=["key"]))


def _seconds_until(until: datetime | None, now: datetime) -> int:
    if until is None:
        return 1
    return max(1, math.ceil((_as_utc(until) - now).total_seconds()))


def _retry_after(session: Session, key: str, now: datetime) -> int:
    until = session.scalar(select(LoginThrottle.blocked_until).where(LoginThrottle.key == key))
    return _seconds_until(until, now)


def _update(session: Session, key: str, values: dict, *where) -> int:
    stmt = update(LoginThrottle).where(LoginThrottle.key == key, *where).values(**values)
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount


def reserve(*, session: Session, username: str, address: str, now: datetime) -> Reservation:
    """Count this attempt as a failure of its keys, or say how long to wait when one is blocked."""
    keys = [(pair_key(username, address), PAIR_FREE), (address_key(address), ADDRESS_FREE)]
    blocked_until = session.scalar(
        select(func.max(LoginThrottle.blocked_until)).where(
            LoginThrottle.key.in_([k for k, _ in keys]), LoginThrottle.blocked_until > now
        )
    )
    if blocked_until is not None:  # no write: a refused attempt costs nothing
        return Reservation(retry_after=_seconds_until(blocked_until, now))
    _ensure_rows(session, [k for k, _ in keys], now)
    taken: list[tuple[str, bool]] = []
    for key, free in keys:
        failures = case(
            (LoginThrottle.last_failure_at < now - FORGET_AFTER, 1), else_=LoginThrottle.failures + 1
        )
        if not _update(session, key, {"failures": failures, "last_failure_at": now}, _not_blocked(now)):
            # blocked meanwhile by a concurrent attempt: take back what this one counted
            release(session=session, reservation=Reservation(tuple(taken)), success=False)
            return Reservation(retry_after=_retry_after(session, key, now))
        count = session.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == key)) or 0
        delay = delay_after(count, free)
        if delay is not None:
            _update(session, key, {"blocked_until": now + delay})
        taken.append((key, delay is not None))
    return Reservation(tuple(taken))


def release(*, session: Session, reservation: Reservation, success: bool = True) -> None:
    """Take back the failure this attempt counted in advance (and any block it set). After a
    successful login (``success``) the (name, address) count starts again from zero."""
    for key, set_block in reservation.keys:
        values: dict[str, object] = {"failures": LoginThrottle.failures - 1}
        if success and key.startswith("pair:"):
            values["failures"] = 0
        if set_block:
            values["blocked_until"] = None
        _update(session, key, values)


def forget_old(*, session: Session, now: datetime) -> None:
    """Delete keys without a failure for ``FORGET_AFTER`` (skipping rows other attempts hold)."""
    stale = (
        select(LoginThrottle.key)
        .where(LoginThrottle.last_failure_at < now - FORGET_AFTER, _not_blocked(now))
        .limit(100)
        .with_for_update(skip_locked=True)
    )
    keys = list(session.scalars(stale))
    if keys:
        session.execute(
            delete(LoginThrottle)
            .where(LoginThrottle.key.in_(keys))
            .execution_options(synchronize_session=False)
        )
