"""Scoring a stored project gives the same numbers as the shared worked case for the same inputs."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from app.db.models import IndicatorActual, Project
from app.scoring.service import compute_project_score
from app.targets.formats import read_table
from app.targets.service import import_table
from tests.conftest import SEED

CASES = Path(__file__).parent / "data" / "scoring-cases"


def _seed(db) -> None:
    import_table(session=db, table=read_table(SEED), source_name=SEED.name, sha256="s" * 64)


def test_seed_project_7_scored_from_the_database_matches_case_01(db):
    _seed(db)
    case = json.loads((CASES / "01_retiree_all_met.input.json").read_text(encoding="utf-8"))
    expected = json.loads((CASES / "01_retiree_all_met.expected.json").read_text(encoding="utf-8"))
    project = db.scalar(select(Project).where(Project.name == "退休人员慰问金"))
    project.full_year_budget_wan = Decimal(case["budget"]["full_year_wan"])
    project.executed_wan = Decimal(case["budget"]["executed_wan"])
    actual_by_name = {i["name"]: i["actual"] for i in case["indicators"]}
    for row in project.indicators:
        actual = actual_by_name[row.name]
        if row.direction == "qualitative":
            db.add(IndicatorActual(indicator_id=row.id, raw=actual, grade="achieved"))
        else:
            db.add(IndicatorActual(indicator_id=row.id, raw=actual, value=Decimal(actual)))
    db.flush()
    db.expire(project)

    score = compute_project_score(session=db, project=project).to_json()
    assert score["total"] == expected["total"] == "100.00"
    assert score["grade"] == expected["grade"]
    got = {i["name"]: (i["points"], i["score"], i["direction"]) for i in score["indicators"]}
    for e in expected["indicators"]:
        assert got[e["name"]] == (e["points"], e["score"], e["direction"])


def test_project_without_actuals_has_no_total_and_lists_what_is_missing(db):
    _seed(db)
    project = db.scalar(select(Project).where(Project.seq == 5))
    score = compute_project_score(session=db, project=project)
    assert score.total is None
    assert {e.code for e in score.errors} >= {"missing_actual"}
    # project 5 has no 满意度 group: its 10 points move to 效益 (empty_level1 = move_to_benefit)
    assert score.to_json()["level1"]["效益指标"]["points"] == "40.00"
