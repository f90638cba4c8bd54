"""Which score a report shows, and loading a project with everything its 自评表 needs.

An approved project shows the score it was approved with: its latest snapshot re-scored from the
stored inputs (the policy version recorded there, §11), so a later policy change does not alter an
approved form. Any other project is scored live from its current rows, with the reviewer's
adjustments. Either way the figures equal what the summaries API reports for it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.accounts.scoping import get_readable_project
from app.db.models import Indicator, Project, Unit
from app.db.models.accounts import User
from app.db.models.scoring import TargetAdjustment as TargetAdjustmentRow
from app.reports.form import SelfEvalForm, TargetAdjustment, build_form
from app.scoring import service as scoring
from app.scoring.case import CaseError
from app.scoring.engine import ProjectScore, ScoringError

PROJECT_OPTIONS = (
    selectinload(Project.unit).selectinload(Unit.parent),
    selectinload(Project.indicators).selectinload(Indicator.actual),
)


def readable_project(*, session: Session, user: User | None, project_id: int) -> Project:
    return get_readable_project(session=session, user=user, project_id=project_id, options=PROJECT_OPTIONS)


def project_score(*, session: Session, project: Project) -> ProjectScore:
    """The score a report shows (see the module docstring). May raise ``ScoringError``."""
    if project.status == "approved":
        snap = scoring.latest_snapshot(session=session, project_id=project.id)
        if (
            snap is not None
            and snap.inputs
            and len(snap.inputs.get("indicators") or []) == len(project.indicators)
        ):
            return scoring.rescore_snapshot(snap)
    return scoring.compute_project_score(session=session, project=project)


def target_adjustments(*, session: Session, project_id: int) -> dict[int, TargetAdjustment]:
    rows = session.scalars(select(TargetAdjustmentRow).where(TargetAdjustmentRow.project_id == project_id))
    return {r.indicator_id: TargetAdjustment(r.raw, r.reason) for r in rows}


def project_form(*, session: Session, project: Project) -> SelfEvalForm:
    """The 自评表 of a loaded project (``PROJECT_OPTIONS``); unscored when it cannot be scored."""
    try:
        score, error = project_score(session=session, project=project), None
    except (ScoringError, CaseError) as exc:
        score, error = None, str(exc)
    adjusted = target_adjustments(session=session, project_id=project.id)
    return build_form(project, score, adjusted_targets=adjusted, error=error)
