"""Reviewer adjustments (scoring.md §5a) and adjusted targets (调整后指标值) on stored projects."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.core.errors import Conflict, Forbidden, Unprocessable
from app.db.models import AuditLog, ScoreAdjustment, TargetAdjustment
from app.scoring.service import (
    adjust_score,
    adjust_target,
    clear_score_adjustment,
    clear_target_adjustment,
    compute_project_score,
    rescore_snapshot,
    save_snapshot,
)
from tests.accounts_support import make_user
from tests.scoring_support import CASE02_EXPECTED, case02_project, clear_actual, indicator_named, set_actual

D = Decimal


def _audit(db, action: str) -> list[AuditLog]:
    return list(db.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def _by_name(score, name: str):
    return next(i for i in score.indicators if i.name == name)


# ------------------------------------------------------------------------------------ scores


def test_an_adjusted_score_is_kept_beside_the_computed_one_and_totals_use_it(db):
    project = case02_project(db)
    row = indicator_named(project, "第三方专家咨询和检查")  # overachieved: full 3.85
    finance = make_user(db, "reviewer", "finance")
    adj = adjust_score(
        session=db, indicator=row, score="3.00", reason="超额过多，目标设置偏低", actor=finance
    )
    assert (adj.score, adj.computed_score, adj.points, adj.actor_name) == (
        D("3.00"),
        D("3.85"),
        D("3.85"),
        "reviewer",
    )
    score = compute_project_score(session=db, project=project)
    item = _by_name(score, "第三方专家咨询和检查")
    assert (item.score, item.adjusted_score, item.final_score) == (D("3.85"), D("3.00"), D("3.00"))
    assert item.adjustment_reason == "超额过多，目标设置偏低"
    assert score.total == D(CASE02_EXPECTED["total"]) - D("0.85")
    assert score.level1["产出指标"].score == D(CASE02_EXPECTED["level1"]["产出指标"]["score"]) - D("0.85")
    (row_audit,) = _audit(db, "score.adjust")
    assert row_audit.actor_name == "reviewer" and row_audit.entity == "indicator"
    assert row_audit.entity_id == str(row.id) and "第三方专家咨询和检查" in row_audit.entity_name
    assert row_audit.before is None
    assert row_audit.after == {"score": "3.00", "reason": "超额过多，目标设置偏低", "computed_score": "3.85",
                               "points": "3.85"}  # fmt: skip


def test_replacing_and_clearing_an_adjustment(db):
    project = case02_project(db)
    row = indicator_named(project, "企业安全检查")  # computed 3.47 of 3.85
    adjust_score(session=db, indicator=row, score=3, reason="抽查发现台账不全", actor="cli:test")
    adjust_score(session=db, indicator=row, score="3.2", reason="补充台账后复核", actor="cli:test")
    rows = list(db.scalars(select(ScoreAdjustment).where(ScoreAdjustment.indicator_id == row.id)))
    assert len(rows) == 1 and rows[0].score == D("3.2") and rows[0].computed_score == D("3.47")
    assert _audit(db, "score.adjust")[-1].before == {"score": "3.00", "reason": "抽查发现台账不全"}
    assert _by_name(compute_project_score(session=db, project=project), "企业安全检查").final_score == D(
        "3.20"
    )
    assert clear_score_adjustment(session=db, indicator=row, actor="cli:test") is True
    assert clear_score_adjustment(session=db, indicator=row, actor="cli:test") is False
    item = _by_name(compute_project_score(session=db, project=project), "企业安全检查")
    assert (item.score, item.adjusted_score) == (D("3.47"), None)
    (cleared,) = _audit(db, "score.adjust_clear")
    assert cleared.before == {"score": "3.20", "reason": "补充台账后复核"} and cleared.after is None


@pytest.mark.parametrize(
    ("score", "reason", "locs", "text"),
    [
        ("3.86", "理由", [("score",)], "0–3.85"),
        ("-1", "理由", [("score",)], "0–3.85"),
        ("abc", "理由", [("score",)], "应为数字"),
        ("3.005", "理由", [("score",)], "两位小数"),
        ("3", "  ", [("reason",)], "调整理由"),
        ("", "", [("score",), ("reason",)], "应为数字"),
    ],
)
def test_a_bad_adjustment_is_refused_with_chinese_messages(db, score, reason, locs, text):
    project = case02_project(db)
    row = indicator_named(project, "企业安全检查")
    with pytest.raises(Unprocessable) as err:
        adjust_score(session=db, indicator=row, score=score, reason=reason, actor="test")
    items = err.value.items()
    assert [tuple(i.loc) for i in items] == locs
    assert any(text in i.msg for i in items), [i.msg for i in items]
    assert db.scalar(select(ScoreAdjustment)) is None and _audit(db, "score.adjust") == []


def test_an_unscored_indicator_cannot_be_adjusted(db):
    project = case02_project(db)
    row = indicator_named(project, "企业安全检查")
    clear_actual(db, row)
    with pytest.raises(Unprocessable) as err:
        adjust_score(session=db, indicator=row, score="1", reason="理由", actor="test")
    assert err.value.code == "not_scored" and "尚未评分" in err.value.message


def test_only_reviewers_adjust_and_not_after_approval(db):
    project = case02_project(db)
    row = indicator_named(project, "企业安全检查")
    dept = make_user(db, "clerk", "department", ("309",))
    with pytest.raises(Forbidden):
        adjust_score(session=db, indicator=row, score="3", reason="理由", actor=dept)
    with pytest.raises(Forbidden):
        adjust_target(session=db, indicator=row, raw="45次", reason="理由", actor=dept)
    project.status = "approved"
    db.flush()
    with pytest.raises(Conflict):
        adjust_score(session=db, indicator=row, score="3", reason="理由", actor="test")
    with pytest.raises(Conflict):
        adjust_target(session=db, indicator=row, raw="45次", reason="理由", actor="test")


def test_an_adjustment_that_no_longer_fits_is_reported_not_fatal(db):
    project = case02_project(db)
    row = indicator_named(project, "企业安全检查")
    adjust_score(session=db, indicator=row, score="3", reason="理由", actor="test")
    clear_actual(db, row)  # the department took the actual back: the indicator is unscored
    score = compute_project_score(session=db, project=project)
    assert _by_name(score, "企业安全检查").adjusted_score is None
    ignored = [w for w in score.warnings if w.code == "adjustment_ignored"]
    assert len(ignored) == 1 and ignored[0].indicator == "企业安全检查" and "未计入" in ignored[0].message


def test_snapshots_carry_the_adjustments_and_reproduce(db):
    project = case02_project(db)
    adjust_score(session=db, indicator=indicator_named(project, "企业安全检查"), score="3", reason="抽查",
                 actor="test")  # fmt: skip
    snap = save_snapshot(session=db, project=project, actor="test")
    rows = {i["name"]: i for i in snap.inputs["indicators"]}
    assert rows["企业安全检查"]["adjustment"] == {"score": "3.00", "reason": "抽查"}
    assert snap.total == D(CASE02_EXPECTED["total"]) - D("0.47")
    assert rescore_snapshot(snap).to_json() == snap.result


# ------------------------------------------------------------------------------------ targets


def test_an_adjusted_target_is_scored_and_the_original_kept(db):
    project = case02_project(db)
    row = indicator_named(project, "企业安全检查")  # 50次, actual 45 → 3.47
    adj = adjust_target(session=db, indicator=row, raw="45次", reason="年中调整预算，检查次数相应调减",
                        actor="test")  # fmt: skip
    assert (adj.kind, adj.operator, adj.value, adj.unit) == ("numeric", "=", D("45"), "次")
    assert row.raw == "50次" and row.value == D("50")
    item = _by_name(compute_project_score(session=db, project=project), "企业安全检查")
    assert item.score == item.points == D("3.85")
    assert "45" in item.explanation
    (audit,) = _audit(db, "target.adjust")
    assert audit.before == {"target": "50次"}
    assert audit.after == {"target": "45次", "reason": "年中调整预算，检查次数相应调减"}
    snap = save_snapshot(session=db, project=project, actor="test")
    stored = next(i for i in snap.inputs["indicators"] if i["name"] == "企业安全检查")
    assert stored["target"]["raw"] == "45次" and rescore_snapshot(snap).to_json() == snap.result
    assert clear_target_adjustment(session=db, indicator=row, actor="test") is True
    assert db.scalar(select(TargetAdjustment)) is None
    assert _by_name(compute_project_score(session=db, project=project), "企业安全检查").score == D("3.47")
    assert _audit(db, "target.adjust_clear")[0].after == {"target": "50次"}


def test_the_direction_follows_the_adjusted_target_unless_set_by_hand(db):
    project = case02_project(db)
    row = indicator_named(project, "第三方专家咨询和检查")  # ≥2次, actual 3
    adjust_target(session=db, indicator=row, raw="≤2次", reason="改为控制性指标", actor="test")
    item = _by_name(compute_project_score(session=db, project=project), row.name)
    assert item.direction == "reverse" and item.score == D("2.57")  # 3.85 × 2 ÷ 3
    other = indicator_named(project, "企业安全检查")  # 50次 (positive by default), actual 45
    other.direction = "reverse"  # the finance bureau's choice
    adjust_target(session=db, indicator=other, raw="40次", reason="调减", actor="test")
    item = _by_name(compute_project_score(session=db, project=project), other.name)
    assert item.direction == "reverse" and item.score == D("3.42")  # 3.85 × 40 ÷ 45


@pytest.mark.parametrize(
    ("raw", "reason", "text"),
    [
        ("若干", "理由", "无法识别指标值"),
        ("健全", "理由", "同为定量指标"),
        ("≥45人", "理由", "计量单位应与原指标值一致（次）"),
        ("50次", "理由", "与原指标值相同"),
        ("", "理由", "请填写调整后指标值"),
        ("45次", "", "请填写调整理由"),
    ],
)
def test_a_bad_target_adjustment_is_refused(db, raw, reason, text):
    project = case02_project(db)
    row = indicator_named(project, "企业安全检查")
    with pytest.raises(Unprocessable) as err:
        adjust_target(session=db, indicator=row, raw=raw, reason=reason, actor="test")
    assert any(text in i.msg for i in err.value.items()), [i.msg for i in err.value.items()]
    assert db.scalar(select(TargetAdjustment)) is None


def test_actuals_are_read_against_the_adjusted_target(db):
    project = case02_project(db)
    row = indicator_named(project, "安全生产宣传培训成本")  # ≤10万元, actual 12 → 3.21
    adjust_target(session=db, indicator=row, raw="≤12万元", reason="追加预算", actor="test")
    set_actual(db, row, "120000元")  # converted into the adjusted target's unit
    assert row.actual.value == D("12")
    assert _by_name(compute_project_score(session=db, project=project), row.name).score == D("3.85")
