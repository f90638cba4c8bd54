"""Scoring stored projects: the DB scoring API (database rows → the pure engine → ``ProjectScore``
in ``app.scoring.mapping``).

Everything another area needs is importable from here (all take the session as a keyword)::

    compute_project_score(session=, project=, policy=None, adjustments=None) -> ProjectScore
    policy_for_year(session=, year=) -> Policy                  # stored policy of a budget year
    effective_target(indicator, adjustment) -> (Target, direction)   # 调整后指标值 when there is one
    target_adjustments_for(session=, project_id=) / score_adjustments_for(...) -> {indicator_id: row}

    # snapshots (app.scoring.snapshots): stored, reproducible scores; summaries read the latest
    save_snapshot(session=, project=, actor=, reason="save") -> ScoreSnapshot
    latest_snapshot(session=, project_id=) -> ScoreSnapshot | None
    latest_snapshots_statement(year=None) -> Select[ScoreSnapshot]  # one row per project
    rescore_snapshot(snapshot) -> ProjectScore

    # reviewer adjustments (app.scoring.adjustments, spec §5a), finance/admin, audited
    adjust_score(session=, indicator=, score=, reason=, actor=) -> ScoreAdjustment
    clear_score_adjustment(session=, indicator=, actor=) -> bool
    adjust_target(session=, indicator=, raw=, reason=, actor=) -> TargetAdjustment
    clear_target_adjustment(session=, indicator=, actor=) -> bool

    # stored policies (app.scoring.policies)
    ensure_default_policies(session=); get_policy(session=, name=, version=None); …

Reading an actual for an indicator with an adjusted target: read it against
``effective_target(indicator, adjustment)`` — the stored value is in that target's unit (an
adjusted target keeps the original's kind and unit).
"""

from __future__ import annotations

from app.scoring.adjustments import (
    adjust_score,
    adjust_target,
    clear_score_adjustment,
    clear_target_adjustment,
)
from app.scoring.mapping import (
    ProjectCase,
    ProjectNotScorable,
    compute_project_score,
    effective_target,
    engine_actual,
    engine_budget,
    engine_indicator,
    project_case,
    score_adjustments_for,
    target_adjustments_for,
    target_of,
)
from app.scoring.policies import ensure_default_policies, get_policy, policy_for_year
from app.scoring.snapshots import (
    latest_snapshot,
    latest_snapshots_statement,
    project_snapshots,
    rescore_snapshot,
    save_snapshot,
)

__all__ = [
    "ProjectCase",
    "ProjectNotScorable",
    "adjust_score",
    "adjust_target",
    "clear_score_adjustment",
    "clear_target_adjustment",
    "compute_project_score",
    "effective_target",
    "engine_actual",
    "engine_budget",
    "engine_indicator",
    "ensure_default_policies",
    "get_policy",
    "latest_snapshot",
    "latest_snapshots_statement",
    "policy_for_year",
    "project_case",
    "project_snapshots",
    "rescore_snapshot",
    "save_snapshot",
    "score_adjustments_for",
    "target_adjustments_for",
    "target_of",
]
