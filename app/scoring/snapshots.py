"""Score snapshots (docs/scoring-rules.md §11): a project's score stored with everything needed to recompute it.

A snapshot keeps the inputs as a self-contained score case (``app.scoring.case.snapshot_inputs``:
parsed targets — adjusted ones where set —, actuals, budget, reviewer adjustments and the full
policy settings with name and version), their hash, the result JSON and flat columns for summaries.
Its result is computed *from the stored inputs*, so :func:`rescore_snapshot` reproduces it exactly,
years later and whatever the policy has become since.

Exactly one snapshot per project is ``is_latest`` (partial unique index): summaries read
``latest_snapshots_statement()`` — one row per project, no history scan.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.accounts.audit import Actor
from app.db.models import Project, ScoreSnapshot
from app.scoring.case import CaseError, inputs_hash, score_case, snapshot_inputs
from app.scoring.engine import ProjectScore
from app.scoring.mapping import ProjectNotScorable, project_case
from app.scoring.policies import actor_name


def save_snapshot(*, session: Session, project: Project, actor: Actor, reason: str = "save") -> ScoreSnapshot:
    """Score ``project`` as stored now and keep it as its latest snapshot.

    Nothing new is stored when the latest snapshot has the same inputs hash and policy version:
    that one is returned. ``reason`` says why (``save``, ``submit``, ``approve``, ``rescore`` …).
    Raises ``ProjectNotScorable`` (422) when the project as a whole cannot be scored.
    """

    case = project_case(session=session, project=project)
    inputs = snapshot_inputs(
        case.indicators, case.actuals, case.budget, case.policy, project.year, case.adjustments
    )
    digest = inputs_hash(inputs)
    # Serialise writers of one project's snapshots (PostgreSQL; SQLite has one writer anyway).
    session.execute(select(Project.id).where(Project.id == project.id).with_for_update())
    latest = latest_snapshot(session=session, project_id=project.id)
    if (
        latest is not None
        and latest.inputs_hash == digest
        and (latest.policy_name, latest.policy_version) == (case.policy.name, case.policy.version)
    ):
        return latest
    try:
        result = score_case(inputs)
    except CaseError as exc:
        raise ProjectNotScorable(str(exc)) from None
    if latest is not None:
        latest.is_latest = False
        session.flush()
    snap = ScoreSnapshot(
        project_id=project.id,
        is_latest=True,
        policy_name=case.policy.name,
        policy_version=case.policy.version,
        inputs=inputs,
        inputs_hash=digest,
        result=result.to_json(),
        actor_name=actor_name(actor),
        reason=reason,
        **summary_columns(result),
    )
    session.add(snap)
    session.flush()
    return snap


def summary_columns(result: ProjectScore) -> dict[str, Any]:
    """The flat columns of a snapshot, from its result."""

    def level(name: str) -> Decimal | None:
        group = result.level1.get(name)
        return group.score if group is not None else None

    budget = result.budget
    return {
        "complete": result.complete,
        "total": result.total,
        "grade": result.grade,
        "budget_rate": budget.rate if budget is not None else None,
        "budget_score": budget.score if budget is not None else None,
        "output_score": level("产出指标"),
        "cost_score": level("成本指标"),
        "benefit_score": level("效益指标"),
        "satisfaction_score": level("满意度指标"),
    }


def rescore_snapshot(snapshot: ScoreSnapshot) -> ProjectScore:
    """Recompute a snapshot from its stored inputs with its stored policy version (not today's)."""
    return score_case(snapshot.inputs)


def snapshot_differences(snapshot: ScoreSnapshot) -> list[str]:
    """What differs between the stored result and a recomputation (empty: reproducible)."""
    again = rescore_snapshot(snapshot).to_json()
    stored = snapshot.result
    return sorted(k for k in set(again) | set(stored) if again.get(k) != stored.get(k))


def latest_snapshot(*, session: Session, project_id: int) -> ScoreSnapshot | None:
    return session.scalar(
        select(ScoreSnapshot).where(ScoreSnapshot.project_id == project_id, ScoreSnapshot.is_latest)
    )


def project_snapshots(*, session: Session, project_id: int) -> list[ScoreSnapshot]:
    """All snapshots of a project, newest first."""
    stmt = (
        select(ScoreSnapshot)
        .where(ScoreSnapshot.project_id == project_id)
        .order_by(ScoreSnapshot.computed_at.desc(), ScoreSnapshot.id.desc())
    )
    return list(session.scalars(stmt))


def latest_snapshots_statement(*, year: int | None = None) -> Select[tuple[ScoreSnapshot]]:
    """The latest snapshot of every project (of ``year``): one row per project, for summaries.

    Add ``.join(Project, Project.id == ScoreSnapshot.project_id)`` for more project filters (it is
    already joined when ``year`` is given); read the flat columns (``total``, ``grade`` …).
    """
    stmt = select(ScoreSnapshot).where(ScoreSnapshot.is_latest)
    if year is not None:
        stmt = stmt.join(Project, Project.id == ScoreSnapshot.project_id).where(Project.year == year)
    return stmt
