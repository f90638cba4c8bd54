"""Re-score many projects at once: a budget year after its policy changed, loaded demo data.

The same snapshot as :func:`app.scoring.snapshots.save_snapshot` — inputs from
``snapshot_inputs``, their hash, the result computed from those inputs, the flat columns — but
with the database work done per chunk of projects instead of per project: one read each of
projects, indicators with their actuals, adjustments and latest snapshots; one UPDATE that moves
``is_latest`` off the replaced snapshots and one multi-row INSERT of the new ones.

A project whose inputs (and policy version) equal its latest snapshot's is left alone: nothing is
recomputed or stored for it. A project that cannot be scored as a whole keeps its old snapshot (as
``save_snapshot`` callers do). The rows of a chunk are locked (``FOR UPDATE`` on PostgreSQL)
before they are read, so a department's save in the meantime waits rather than being overwritten.

Services only flush; :func:`rescore_year` yields after each chunk so the caller can commit there
(holding locks on a whole year for the length of the run would stall the entry pages).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.accounts.audit import Actor
from app.db.models import (
    Indicator,
    IndicatorActual,
    Project,
    ScoreAdjustment,
    ScoreSnapshot,
    TargetAdjustment,
)
from app.scoring.case import CaseError, inputs_hash, score_case, snapshot_inputs
from app.scoring.engine import Adjustment
from app.scoring.policies import actor_name, policy_for_year
from app.scoring.policy import Policy
from app.scoring.snapshots import summary_columns
from app.targets.types import ParsedIndicator, Target

CHUNK = 500

_IND = Indicator.__table__.c
_ACT = IndicatorActual.__table__.c
_INDICATOR_COLUMNS = (
    _IND.id, _IND.project_id, _IND.level1, _IND.level2, _IND.name, _IND.raw, _IND.kind, _IND.operator,
    _IND.value, _IND.unit, _IND.expected, _IND.deadline, _IND.reference, _IND.direction, _IND.points,
    _ACT.indicator_id.label("a_id"), _ACT.raw.label("a_raw"), _ACT.value.label("a_value"),
    _ACT.grade.label("a_grade"), _ACT.manual_score.label("a_manual_score"),
    _ACT.completed_on.label("a_completed_on"), _ACT.baseline.label("a_baseline"),
    _ACT.not_applicable.label("a_not_applicable"),
)  # fmt: skip


@dataclass
class RescoreStats:
    projects: int = 0
    indicators: int = 0
    stored: int = 0  # new snapshots written
    unchanged: int = 0  # inputs and policy as in the latest snapshot: nothing done
    unscorable: int = 0  # cannot be scored as a whole: old snapshot kept

    def add(self, other: RescoreStats) -> None:
        for name in ("projects", "indicators", "stored", "unchanged", "unscorable"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class _Actual:
    """An ``IndicatorActual`` as ``engine_actual`` reads it, from a joined row."""

    __slots__ = ("raw", "value", "grade", "manual_score", "completed_on", "baseline", "not_applicable")

    def __init__(self, values: tuple[Any, ...]) -> None:
        (self.raw, self.value, self.grade, self.manual_score, self.completed_on, self.baseline,
         self.not_applicable) = values  # fmt: skip


class _Indicator:
    """An ``Indicator`` row with its actual, as ``engine_indicator``/``engine_actual`` read it."""

    __slots__ = (
        "id", "project_id", "level1", "level2", "name", "raw", "kind", "operator", "value", "unit",
        "expected", "deadline", "reference", "direction", "points", "actual",
    )  # fmt: skip

    def __init__(self, row: tuple[Any, ...]) -> None:
        # positional, in the order of _INDICATOR_COLUMNS (a Row's attribute lookup costs more)
        (self.id, self.project_id, self.level1, self.level2, self.name, self.raw, self.kind,
         self.operator, self.value, self.unit, self.expected, deadline, self.reference,
         self.direction, self.points, actual_id) = row[:16]  # fmt: skip
        self.deadline = _date(deadline)
        self.actual = _Actual(row[16:]) if actual_id is not None else None

    def engine(self) -> ParsedIndicator:
        """``engine_indicator(self)`` for an indicator without an adjusted target, built directly."""
        target = Target(
            self.raw, self.kind, self.operator, self.value, self.unit,  # type: ignore[arg-type]
            self.expected, self.deadline, self.reference,
        )  # fmt: skip
        return ParsedIndicator(self.level1, self.level2, self.name, target, self.points, self.direction)  # type: ignore[arg-type]


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def chunk_statements(ids: Sequence[int]) -> dict[str, Any]:
    """The reads of one chunk (also what the benchmark times as the floor of a re-score):
    the projects (locked), their indicators joined with their actuals in position order, the
    adjustments, and the keys of their latest snapshots."""
    return {
        "projects": select(
            Project.id,
            Project.year,
            Project.full_year_budget_wan,
            Project.executed_wan,
            Project.budget_points,
        )
        .where(Project.id.in_(ids))
        .order_by(Project.id)
        .with_for_update(),
        "indicators": select(*_INDICATOR_COLUMNS)
        .outerjoin(IndicatorActual.__table__, _ACT.indicator_id == _IND.id)
        .where(_IND.project_id.in_(ids))
        .order_by(_IND.project_id, _IND.position),
        "target_adjustments": select(TargetAdjustment).where(TargetAdjustment.project_id.in_(ids)),
        "score_adjustments": select(ScoreAdjustment).where(ScoreAdjustment.project_id.in_(ids)),
        "latest": select(
            ScoreSnapshot.id,
            ScoreSnapshot.project_id,
            ScoreSnapshot.inputs_hash,
            ScoreSnapshot.policy_name,
            ScoreSnapshot.policy_version,
        ).where(ScoreSnapshot.project_id.in_(ids), ScoreSnapshot.is_latest),
    }


def rescore_year(
    *,
    session: Session,
    year: int,
    actor: Actor,
    reason: str = "rescore",
    policy: Policy | None = None,
    chunk: int = CHUNK,
    share: tuple[int, int] = (0, 1),
) -> Iterator[RescoreStats]:
    """Re-score every project of ``year`` with the year's policy (or ``policy``), a chunk at a
    time; yields each chunk's figures after flushing it (commit there).

    ``share=(k, n)``: only every n-th chunk from the k-th, so that n processes can split a year
    (``jixiao rescore --processes n``)."""
    policy = policy or policy_for_year(session=session, year=year)
    ids = list(session.scalars(select(Project.id).where(Project.year == year).order_by(Project.id)))
    k, n = share
    for start in range(k * chunk, len(ids), n * chunk):
        yield rescore_projects(
            session=session, project_ids=ids[start : start + chunk], actor=actor, reason=reason, policy=policy
        )


def rescore_projects(
    *,
    session: Session,
    project_ids: Sequence[int],
    actor: Actor,
    reason: str = "rescore",
    policy: Policy | None = None,
) -> RescoreStats:
    """Store a new latest snapshot for each of ``project_ids`` whose score inputs changed.

    ``policy`` applies to all of them (pass it for one year's projects); without it each
    project's year decides (``policy_for_year``).
    """
    from app.scoring.service import engine_actual, engine_budget, engine_indicator

    stats = RescoreStats()
    if not project_ids:
        return stats
    read = chunk_statements(sorted(project_ids))
    projects = {p.id: p for p in session.execute(read["projects"])}
    rows: dict[int, list[_Indicator]] = {pid: [] for pid in projects}
    for r in session.execute(read["indicators"]):
        ind = _Indicator(r)
        rows[ind.project_id].append(ind)
    targets = {a.indicator_id: a for a in session.scalars(read["target_adjustments"])}
    scores = {
        a.indicator_id: Adjustment(a.score, a.reason) for a in session.scalars(read["score_adjustments"])
    }
    latest = {s.project_id: s for s in session.execute(read["latest"])}
    policies: dict[int, Policy] = {}
    name = actor_name(actor)
    replaced: list[int] = []
    new: list[dict[str, Any]] = []
    for pid, project in projects.items():
        stats.projects += 1
        inds = rows[pid]
        stats.indicators += len(inds)
        if not inds:
            stats.unscorable += 1
            continue
        pol = (
            policy
            or policies.get(project.year)
            or policies.setdefault(project.year, policy_for_year(session=session, year=project.year))
        )
        engine_inds, actuals, adjustments = [], [], {}
        for i, row in enumerate(inds):
            adjusted = targets.get(row.id)
            ind = row.engine() if adjusted is None else engine_indicator(row, adjusted)  # type: ignore[arg-type]
            engine_inds.append(ind)
            actuals.append(engine_actual(row, ind.direction))  # type: ignore[arg-type]
            if row.id in scores:
                adjustments[i] = scores[row.id]
        inputs = snapshot_inputs(
            engine_inds,
            actuals,
            engine_budget(project),
            pol,
            project.year,
            adjustments,  # type: ignore[arg-type]
        )
        digest = inputs_hash(inputs)
        old = latest.get(pid)
        if old is not None and (old.inputs_hash, old.policy_name, old.policy_version) == (
            digest,
            pol.name,
            pol.version,
        ):
            stats.unchanged += 1
            continue
        try:
            result = score_case(inputs, policy=pol)
        except CaseError:
            stats.unscorable += 1  # e.g. points not summing: the old snapshot stays
            continue
        if old is not None:
            replaced.append(old.id)
        new.append(
            {
                "project_id": pid,
                "is_latest": True,
                "policy_name": pol.name,
                "policy_version": pol.version,
                "inputs": inputs,
                "inputs_hash": digest,
                "result": result.to_json(),
                "actor_name": name,
                "reason": reason,
                **summary_columns(result),
            }
        )
    if replaced:
        session.execute(
            update(ScoreSnapshot).where(ScoreSnapshot.id.in_(replaced)).values(is_latest=False),
            execution_options={"synchronize_session": False},
        )
    if new:
        session.execute(insert(ScoreSnapshot.__table__), new)
        stats.stored += len(new)
    session.flush()
    return stats
