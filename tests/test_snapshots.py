"""Stored score snapshots (scoring.md §11): self-contained, reproducible, one latest per project."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, inspect, select, text

from app.core.errors import Unprocessable
from app.db.models import Indicator, Project, ScoreSnapshot, Unit
from app.scoring.case import inputs_hash, load_case
from app.scoring.policies import ensure_default_policies, get_policy, update_policy
from app.scoring.service import (
    compute_project_score,
    latest_snapshot,
    latest_snapshots_statement,
    project_snapshots,
    rescore_snapshot,
    save_snapshot,
)
from app.scoring.snapshots import snapshot_differences
from tests.conftest import is_postgres
from tests.scoring_support import CASE02_EXPECTED, case02_project, indicator_named, project_by_seq, set_actual


def _count(db, project_id: int) -> int:
    return db.scalar(
        select(func.count()).select_from(ScoreSnapshot).where(ScoreSnapshot.project_id == project_id)
    )


def test_a_snapshot_stores_policy_inputs_hash_result_and_flat_columns(db):
    project = case02_project(db)
    snap = save_snapshot(session=db, project=project, actor="test")
    assert (snap.policy_name, snap.policy_version, snap.reason, snap.actor_name) == (
        "central_2020",
        1,
        "save",
        "test",
    )
    assert snap.inputs["policy"]["settings"]["rounding"] == {"places": 2, "mode": "half_up"}
    assert snap.inputs["year"] == 2023 and len(snap.inputs["indicators"]) == 20
    assert snap.inputs_hash == inputs_hash(snap.inputs)
    assert snap.result["total"] == CASE02_EXPECTED["total"]
    assert snap.total == Decimal(CASE02_EXPECTED["total"]) and snap.grade == CASE02_EXPECTED["grade"]
    assert snap.complete is True and snap.is_latest is True and snap.computed_at is not None
    assert snap.budget_rate == Decimal(snap.result["budget"]["rate"])
    assert snap.budget_score == Decimal(snap.result["budget"]["score"])
    levels = snap.result["level1"]
    assert snap.output_score == Decimal(levels["产出指标"]["score"])
    assert snap.benefit_score == Decimal(levels["效益指标"]["score"])
    assert snap.satisfaction_score == Decimal(levels["满意度指标"]["score"])
    assert snap.cost_score is None  # no level-1 成本指标 in this table
    live = compute_project_score(session=db, project=project).to_json()
    assert live["total"] == snap.result["total"]
    assert [i["score"] for i in live["indicators"]] == [i["score"] for i in snap.result["indicators"]]


def test_saving_again_unchanged_stores_nothing(db):
    project = case02_project(db)
    first = save_snapshot(session=db, project=project, actor="test")
    again = save_snapshot(session=db, project=project, actor="someone-else", reason="submit")
    assert again.id == first.id and _count(db, project.id) == 1


def test_a_change_makes_a_new_latest_and_keeps_history(db):
    project = case02_project(db)
    first = save_snapshot(session=db, project=project, actor="test")
    set_actual(db, indicator_named(project, "企业安全检查"), "50")
    second = save_snapshot(session=db, project=project, actor="test", reason="submit")
    assert second.id != first.id and second.inputs_hash != first.inputs_hash
    db.refresh(first)
    assert first.is_latest is False and second.is_latest is True
    assert latest_snapshot(session=db, project_id=project.id).id == second.id
    assert [s.id for s in project_snapshots(session=db, project_id=project.id)] == [second.id, first.id]
    assert second.total - first.total == Decimal("0.38")  # 3.47 → 3.85
    latest = db.scalar(
        select(func.count())
        .select_from(ScoreSnapshot)
        .where(ScoreSnapshot.project_id == project.id, ScoreSnapshot.is_latest)
    )
    assert latest == 1


def test_rescoring_a_snapshot_reproduces_it_exactly(db):
    project = case02_project(db)
    snap = save_snapshot(session=db, project=project, actor="test")
    db.expire(snap)  # read back what the database stored
    assert rescore_snapshot(snap).to_json() == snap.result
    assert snapshot_differences(snap) == []
    snap.result = {**snap.result, "total": "0.00"}
    assert snapshot_differences(snap) == ["total"]


def test_a_policy_change_leaves_old_snapshots_reproducible(db):
    ensure_default_policies(session=db)
    project = case02_project(db)
    old = save_snapshot(session=db, project=project, actor="test")
    update_policy(
        session=db,
        name="central_2020",
        changes={"rounding.places": "0", "reverse_formula": "linear_deviation"},
        actor="test",
    )
    new = save_snapshot(session=db, project=project, actor="test", reason="rescore")
    assert new.id != old.id and (new.policy_name, new.policy_version) == ("central_2020", 2)
    assert new.total != old.total
    db.expire_all()
    old = db.get(ScoreSnapshot, old.id)
    # The old snapshot still recomputes to its own numbers, with its own policy version …
    again = rescore_snapshot(old).to_json()
    assert again == old.result and again["policy"] == {"name": "central_2020", "version": 1}
    # … and re-scoring its inputs with the stored version 1 gives the same numbers.
    case = load_case(old.inputs)
    case.policy = get_policy(session=db, name="central_2020", version=1)
    assert case.score().to_json() == old.result


def test_a_new_policy_version_with_equal_inputs_is_a_new_snapshot(db):
    ensure_default_policies(session=db)
    project = case02_project(db)
    first = save_snapshot(session=db, project=project, actor="test")
    update_policy(
        session=db, name="central_2020", changes={"consistency.low_execution_rate": "0.7"}, actor="t"
    )
    second = save_snapshot(session=db, project=project, actor="test")
    assert second.id != first.id and second.policy_version == 2
    assert second.total == first.total  # a warning threshold changes no score


def test_an_incomplete_project_is_stored_without_total(db):
    case02_project(db)
    project = project_by_seq(db, 2)
    snap = save_snapshot(session=db, project=project, actor="test")
    assert snap.complete is False and snap.total is None and snap.grade is None
    assert snap.result["errors"] and rescore_snapshot(snap).to_json() == snap.result


def test_a_project_that_cannot_be_scored_is_refused(db):
    unit = Unit(code="990001", name="测试单位")
    db.add(unit)
    db.flush()
    project = Project(year=2023, unit_id=unit.id, seq=1, name="分值有误的项目", goals=[])
    db.add(project)
    db.flush()
    # 产出 has a row without points and nothing left of its 50 for it (docs/scoring-rules.md §1)
    rows = [("产出指标", "50"), ("产出指标", None), ("效益指标", "30"), ("满意度指标", "10")]
    for i, (level1, points) in enumerate(rows):
        db.add(
            Indicator(
                project_id=project.id,
                level1=level1,
                level2="数量指标",
                name=f"指标{i}",
                occurrence=1,
                position=i,
                raw="≥1次",
                kind="numeric",
                operator=">=",
                value=Decimal(1),
                unit="次",
                direction="positive",
                points=None if points is None else Decimal(points),
            )  # fmt: skip
        )
    db.flush()
    db.expire(project)
    with pytest.raises(Unprocessable) as err:
        save_snapshot(session=db, project=project, actor="test")
    assert err.value.code == "not_scorable" and "产出指标" in err.value.message


def test_summaries_read_one_latest_row_per_project(db):
    project = case02_project(db)
    other = project_by_seq(db, 7)
    save_snapshot(session=db, project=project, actor="test")
    set_actual(db, indicator_named(project, "企业安全检查"), "48")
    save_snapshot(session=db, project=project, actor="test")
    save_snapshot(session=db, project=other, actor="test")
    rows = list(db.scalars(latest_snapshots_statement(year=2023)))
    assert sorted(r.project_id for r in rows) == sorted([project.id, other.id])
    assert list(db.scalars(latest_snapshots_statement(year=2022))) == []
    db.expire_all()
    row = db.scalars(latest_snapshots_statement(year=2023)).first()
    assert {"inputs", "result"} <= inspect(row).unloaded  # the documents are not read for summaries


@pytest.mark.skipif(is_postgres(), reason="SQLite query plan")
def test_the_latest_rows_are_found_through_the_partial_index(db):
    sql = str(latest_snapshots_statement().compile(db.get_bind()))
    plan = " ".join(str(r[-1]) for r in db.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert "uq_score_snapshot_latest" in plan, plan
