"""Scoring (绩效自评评分): policy settings, reading actuals and the pure engine (no database, no web).

Public API::

    from app.scoring.policy import Policy, get_builtin_policy, DEFAULT_POLICY_NAME
    from app.scoring.actuals import read_actual, ActualError
    from app.scoring.engine import score_project, Budget, Adjustment, ScoringError
"""
