"""Score summaries (``GET /api/v1/summaries``): one row per project from the latest score snapshot.

Rows come from ``ScoreSnapshot``'s flat columns (``is_latest``), so a year of 40,000 projects is one
indexed query, never 40,000 scorings. A project without any snapshot yet (nothing saved since
import) is scored live, alone — the only place the engine runs here.

Filters: year, unit (the unit, units whose code starts with it and every unit below it), status,
grade; always restricted to what the caller may read (``readable_projects``). Ordering is stable:
year, unit code, sequence number, id. ``group=unit`` adds per-unit aggregates: counts per status,
amount, and over the submitted and approved projects (``COUNTED``) the average score weighted by
amount (``amount_wan``; 1 each where no amount) and the grade counts.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from threading import Lock
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.scoping import readable_projects, sees_all_units
from app.db.models import Indicator, Project, Unit
from app.db.models.accounts import User
from app.db.models.scoring import ScoreSnapshot
from app.db.stamps import PROJECT_INDEX, changed_here, read_stamp
from app.scoring.engine import ProjectScore, ScoringError
from app.scoring.policy import LEVEL1_KEYS, LEVEL1_NAMES
from app.submissions.status import (
    DISPLAY_STATUSES,
    STATUS_LABELS,
    display_status,
    display_status_column,
    status_clause,
)

STATUSES = DISPLAY_STATUSES  # 未填报 is a status of its own (app/submissions/status.py)
GRADES = ("优", "良", "中", "差")
# Averages and grade counts cover the projects a unit stands behind: submitted or approved (a
# draft or a returned project is still being worked on).
COUNTED = frozenset({"submitted", "approved"})
Q2 = Decimal("0.01")


@dataclass(frozen=True)
class SummaryFilter:
    year: int | None = None
    unit: str | None = None
    status: str | None = None
    grade: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"year": self.year, "unit": self.unit, "status": self.status, "grade": self.grade}


@dataclass(slots=True)
class SummaryRow:
    project_id: int
    year: int
    unit_code: str
    unit_name: str
    seq: int
    project: str
    amount_wan: Decimal | None
    full_year_wan: Decimal | None
    executed_wan: Decimal | None
    budget_rate: Decimal | None
    budget_score: Decimal | None
    level1: dict[str, Decimal | None]  # 产出指标 … → score (None: not scored or no such group)
    total: Decimal | None
    grade: str | None
    status: str
    policy_name: str | None
    policy_version: int | None
    computed_at: datetime | None
    from_snapshot: bool
    live_result: dict[str, Any] | None = None  # the score JSON of a row scored live (no snapshot)

    def to_json(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "year": self.year,
            "unit_code": self.unit_code,
            "unit": self.unit_name,
            "seq": self.seq,
            "project": self.project,
            "amount_wan": _s(self.amount_wan),
            "full_year_wan": _s(self.full_year_wan),
            "executed_wan": _s(self.executed_wan),
            "budget_rate": _s(self.budget_rate),
            "budget_score": _s(self.budget_score),
            "level1": {k: _s(v) for k, v in self.level1.items()},
            "total": _s(self.total),
            "grade": self.grade,
            "status": self.status,
            "status_label": STATUS_LABELS.get(self.status, self.status),
            "policy": {"name": self.policy_name, "version": self.policy_version}
            if self.policy_name
            else None,
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
        }


@dataclass
class UnitAggregate:
    unit_code: str
    unit_name: str
    projects: int = 0
    amount_wan: Decimal = field(default_factory=lambda: Decimal("0.00"))
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    scored: int = 0
    average: Decimal | None = None  # amount-weighted average total
    grades: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GRADES, 0))
    _weighted: Decimal = Decimal(0)
    _weights: Decimal = Decimal(0)

    def add(self, row: SummaryRow) -> None:
        self.projects += 1
        self.amount_wan += row.amount_wan or 0
        self.statuses[row.status] = self.statuses.get(row.status, 0) + 1
        if row.total is not None and row.status in COUNTED:
            self.scored += 1
            weight = row.amount_wan if row.amount_wan and row.amount_wan > 0 else Decimal(1)
            self._weighted += row.total * weight
            self._weights += weight
            self.average = (self._weighted / self._weights).quantize(Q2, ROUND_HALF_UP)
        if row.grade in self.grades and row.status in COUNTED:
            self.grades[row.grade] += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "unit_code": self.unit_code,
            "unit": self.unit_name,
            "projects": self.projects,
            "amount_wan": str(self.amount_wan),
            "statuses": dict(self.statuses),
            "scored": self.scored,
            "average_total": _s(self.average),
            "grades": dict(self.grades),
        }


def aggregate_by_unit(rows: Sequence[SummaryRow]) -> list[UnitAggregate]:
    out: dict[str, UnitAggregate] = {}
    for row in rows:
        agg = out.get(row.unit_code)
        if agg is None:
            agg = out[row.unit_code] = UnitAggregate(row.unit_code, row.unit_name)
        agg.add(row)
    return [out[k] for k in sorted(out)]


# ---------------------------------------------------------------------------------------------
# Query


P = Project.__table__.c  # table columns: the summaries are plain Core selects (no ORM work per row)
U = Unit.__table__.c
SNAP = ScoreSnapshot.__table__.alias("snap")


def unit_ids_under(code: str) -> Select[tuple[int]]:
    """Ids of the unit ``code``, of units whose code starts with it, and of every unit below them."""
    roots = select(U.id).where(or_(U.code == code, U.code.startswith(code, autoescape=True)))
    tree = roots.cte("summary_unit", recursive=True)
    tree = tree.union(select(U.id).where(U.parent_id == tree.c.id))
    return select(tree.c.id)


def _filtered(stmt, filters: SummaryFilter, user: User | None):
    """``stmt`` (over project ⋈ unit) restricted to the caller's units, year, unit subtree, status."""
    stmt = readable_projects(stmt, user)
    if filters.year is not None:
        stmt = stmt.where(P.year == filters.year)
    if filters.unit:
        stmt = stmt.where(P.unit_id.in_(unit_ids_under(filters.unit)))
    if filters.status:
        stmt = stmt.where(status_clause(filters.status) if filters.status in STATUSES else false())
    return stmt


# The summary row of every project (statements are immutable: built once, filtered per request).
_UNFILTERED = (
    select(
        P.id,
        P.year,
        U.code,
        U.name,
        P.seq,
        P.name,
        P.amount_wan,
        P.full_year_budget_wan,
        P.executed_wan,
        SNAP.c.budget_rate,
        SNAP.c.budget_score,
        SNAP.c.output_score,
        SNAP.c.cost_score,
        SNAP.c.benefit_score,
        SNAP.c.satisfaction_score,
        SNAP.c.total,
        SNAP.c.grade,
        display_status_column().label("status"),
        SNAP.c.policy_name,
        SNAP.c.policy_version,
        SNAP.c.computed_at,
        SNAP.c.id,
    )  # fmt: skip
    .select_from(Project.__table__)
    .join(Unit.__table__, P.unit_id == U.id)
    .outerjoin(SNAP, and_(SNAP.c.project_id == P.id, SNAP.c.is_latest))
)


def _statement(filters: SummaryFilter, user: User | None):
    stmt = _filtered(_UNFILTERED, filters, user)
    if filters.grade:
        # Projects without a snapshot are scored live below and filtered afterwards.
        stmt = stmt.where(or_(SNAP.c.grade == filters.grade, SNAP.c.id.is_(None)))
    return stmt


ORDER = (P.year, U.code, P.seq, P.id)
_AT = {column: i for i, column in enumerate(_UNFILTERED.selected_columns)}  # position in a row
_SNAPSHOT_ID = _AT[SNAP.c.id]  # None: the project has no snapshot yet
_COST = LEVEL1_NAMES["cost"]
_LEVEL1 = [(LEVEL1_NAMES[k], _AT[SNAP.c[f"{k}_score"]]) for k in LEVEL1_KEYS]
_BEFORE_LEVEL1 = slice(0, _AT[SNAP.c.output_score])  # project_id … budget_score, as SummaryRow
_AFTER_LEVEL1 = slice(_AT[SNAP.c.total], _SNAPSHOT_ID)  # total … computed_at


def _row(values: Sequence[Any]) -> SummaryRow:
    # 成本指标 is its own level 1 only under some templates: shown when it has a score.
    level1 = {name: values[i] for name, i in _LEVEL1 if name != _COST or values[i] is not None}
    return SummaryRow(*values[_BEFORE_LEVEL1], level1, *values[_AFTER_LEVEL1], True)


def _live_rows(session: Session, ids: list[int]) -> dict[int, SummaryRow]:
    """Score the projects that have no snapshot yet (live, one by one)."""
    from app.scoring.service import compute_project_score

    out: dict[int, SummaryRow] = {}
    projects = session.scalars(
        select(Project)
        .where(Project.id.in_(ids))
        .options(selectinload(Project.unit), selectinload(Project.indicators).selectinload(Indicator.actual))
    )
    for p in projects:
        try:
            score: ProjectScore | None = compute_project_score(session=session, project=p)
        except ScoringError:
            score = None
        level1 = {name: None for name in (LEVEL1_NAMES[k] for k in LEVEL1_KEYS) if name != "成本指标"}
        if score is not None:
            level1.update({k: v.score for k, v in score.level1.items()})
        budget = score.budget if score else None
        out[p.id] = SummaryRow(
            p.id, p.year, p.unit.code, p.unit.name, p.seq, p.name, p.amount_wan, p.full_year_budget_wan,
            p.executed_wan, budget.rate if budget else None, budget.score if budget else None, level1,
            score.total if score else None, score.grade if score else None, display_status(p),
            score.policy.name if score else None, score.policy.version if score else None, None, False,
            score.to_json() if score else None,
        )  # fmt: skip
    return out


@dataclass
class SummaryPage:
    rows: list[SummaryRow]
    count: int  # all rows matching the filters
    offset: int
    limit: int | None
    all_rows: list[SummaryRow] | None = None  # every matching row, when aggregates were asked for


def query_summaries(
    *,
    session: Session,
    user: User | None,
    filters: SummaryFilter,
    offset: int = 0,
    limit: int | None = None,
    with_all: bool = False,
) -> SummaryPage:
    """The page ``offset:offset+limit`` of the matching rows (``limit`` None: all), and their count.

    Fast path (every matching project has a snapshot): COUNT and LIMIT/OFFSET in SQL. Otherwise
    the matching rows are read, the missing ones scored live, filtered by grade and sliced.
    """
    stmt = _statement(filters, user)
    if limit is not None and not filters.grade and not with_all:
        return _page(session, stmt, filters, user, offset, limit)
    count, with_snapshot = session.execute(stmt.with_only_columns(func.count(), func.count(SNAP.c.id))).one()
    missing_ids = []
    if count != with_snapshot:
        missing_ids = list(session.scalars(stmt.with_only_columns(P.id).where(SNAP.c.id.is_(None))))
    if not missing_ids and not with_all:
        if limit is None and offset == 0:
            return SummaryPage(
                [_row(v) for v in session.execute(stmt.order_by(*ORDER))], count, offset, limit
            )
        # Two steps: the page's ids (a narrow sort), then their rows — much cheaper deep in a long list.
        ids = stmt.with_only_columns(P.id).order_by(*ORDER).offset(offset)
        if limit is not None:
            ids = ids.limit(limit)
        page_ids = list(session.scalars(ids))
        rows = session.execute(stmt.where(P.id.in_(page_ids)).order_by(*ORDER)) if page_ids else []
        return SummaryPage([_row(v) for v in rows], count, offset, limit)
    live = _live_rows(session, missing_ids) if missing_ids else {}
    rows: list[SummaryRow] = []
    for values in session.execute(stmt.order_by(*ORDER)):
        row = live.get(values[0]) if values[_SNAPSHOT_ID] is None else _row(values)
        if row is None:
            continue
        if filters.grade and row.grade != filters.grade:
            continue
        rows.append(row)
    end = None if limit is None else offset + limit
    return SummaryPage(rows[offset:end], len(rows), offset, limit, rows if with_all else None)


@dataclass(frozen=True)
class UnitGroups:
    """The matching projects counted per (year, unit), in (year, unit code) order, with running
    totals: which units a page of the list falls in, without reading the projects."""

    keys: tuple[tuple[int, int], ...]  # (year, unit id)
    ends: tuple[int, ...]  # ends[i]: projects in groups 0..i

    @property
    def count(self) -> int:
        return self.ends[-1] if self.ends else 0

    def span(self, offset: int, limit: int) -> tuple[list[tuple[int, int]], int]:
        """The groups rows ``offset:offset+limit`` fall in, and how many rows of the first to skip."""
        first = bisect_right(self.ends, offset)
        if first >= len(self.keys):
            return [], 0
        last = min(bisect_left(self.ends, offset + limit), len(self.keys) - 1)
        skip = offset - (self.ends[first - 1] if first else 0)
        return list(self.keys[first : last + 1]), skip


class _GroupsCache:
    """Per worker process: ``UnitGroups`` by (filters, caller's scope), valid while the project
    index stamp (``app/db/stamps.py``) has not moved. Nothing another worker needs: each worker
    fills its own and checks the stamp in the database on every request."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.entries: OrderedDict[tuple, tuple[object, UnitGroups]] = OrderedDict()
        self.lock = Lock()

    def get(self, key: tuple, stamp: object) -> UnitGroups | None:
        with self.lock:
            hit = self.entries.get(key)
            if hit is None or hit[0] != stamp:
                return None
            self.entries.move_to_end(key)
            return hit[1]

    def put(self, key: tuple, stamp: object, groups: UnitGroups) -> None:
        with self.lock:
            self.entries[key] = (stamp, groups)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


_GROUPS = _GroupsCache()


def _scope_key(user: User | None) -> tuple:
    """What ``readable_projects`` depends on for this caller."""
    if sees_all_units(user):
        return ("all",)
    if user is not None and user.active and user.role == "department":
        return ("units", *sorted(user.unit_codes))
    return ("none",)


# Filters whose matches change with an entry (the first actual saved), not only with the index.
ENTRY_DEPENDENT_STATUSES = frozenset({"not_started", "draft"})


def unit_groups(session: Session, filters: SummaryFilter, user: User | None) -> UnitGroups:
    """Per-unit counts of the matching projects: one GROUP BY over the project index, kept per
    worker until the project index stamp moves (an import, a status change, a new unit code);
    counted afresh for the 未填报 and 填报中 filters."""
    key = (filters.year, filters.unit, filters.status, _scope_key(user))
    # 未填报 / 填报中 turn on whether anything was entered, which the stamp does not cover.
    own_changes = changed_here(session) or filters.status in ENTRY_DEPENDENT_STATUSES
    stamp = None if own_changes else read_stamp(session, PROJECT_INDEX)
    cached = None if own_changes else _GROUPS.get(key, stamp)
    if cached is not None:
        return cached
    per_unit = (
        _filtered(select(P.year, P.unit_id, func.count().label("n")), filters, user)
        .group_by(P.year, P.unit_id)
        .subquery()
    )
    rows = session.execute(
        select(per_unit.c.year, per_unit.c.unit_id, per_unit.c.n)
        .join(Unit.__table__, U.id == per_unit.c.unit_id)
        .order_by(per_unit.c.year, U.code)
    ).all()
    groups = UnitGroups(tuple((y, u) for y, u, _ in rows), tuple(accumulate(n for *_, n in rows)))
    if not own_changes:
        _GROUPS.put(key, stamp, groups)
    return groups


def _page(
    session: Session, stmt, filters: SummaryFilter, user: User | None, offset: int, limit: int
) -> SummaryPage:
    """One page without a grade filter, without sorting or joining the whole year.

    Which units the page falls in comes from ``unit_groups`` (the count is their sum); only those
    units' projects are then sorted and read, with their snapshots. A project of the page that
    has no snapshot yet is scored live — the rows, their order and the count are what the general
    path gives (a missing snapshot changes neither order nor count when there is no grade filter).
    """
    groups = unit_groups(session, filters, user)
    chosen, skip = groups.span(offset, limit)
    if not chosen:
        return SummaryPage([], groups.count, offset, limit)
    years = {y for y, _ in chosen}
    if len(years) == 1:
        unit_ids = [u for _, u in chosen]
        # the units named on both sides of the join: PostgreSQL then reads those units by key
        # instead of hashing the whole unit table for every page
        where = and_(P.year == chosen[0][0], P.unit_id.in_(unit_ids), U.id.in_(unit_ids))
    else:
        where = or_(*(and_(P.year == y, P.unit_id == u) for y, u in chosen))
    # a handful of units: their rows sorted and sliced in one query
    values = session.execute(stmt.where(where).order_by(*ORDER).offset(skip).limit(limit)).all()
    missing = [v[0] for v in values if v[_SNAPSHOT_ID] is None]
    live = _live_rows(session, missing) if missing else {}
    rows = [live[v[0]] if v[_SNAPSHOT_ID] is None else _row(v) for v in values]
    return SummaryPage(rows, groups.count, offset, limit)


def etag_of(*parts: bytes) -> str:
    """A strong ETag over the bytes a response is made of."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return '"' + digest.hexdigest()[:32] + '"'


def etag_matches(header: str | None, etag: str) -> bool:
    """``If-None-Match`` (a list, ``*``, weak validators compared weakly)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
