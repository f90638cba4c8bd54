"""Stored policies (scoring.md §11): versions, validation in Chinese, the policy of each year, audit,
§1's refusal of a policy that breaks hand-set points, and ``jixiao policy``."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core.errors import Conflict, NotFound, Unprocessable
from app.db.models import AuditLog, Indicator, PolicyVersion, Project, Unit
from app.scoring.policies import (
    create_policy,
    ensure_default_policies,
    get_policy,
    list_policies,
    policy_versions,
    set_year_policy,
    update_policy,
)
from app.scoring.policy import CENTRAL_2020
from app.scoring.service import compute_project_score, policy_for_year
from tests.scoring_support import case02_project


def _audit(db, action: str) -> list[AuditLog]:
    return list(db.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def _versions(db) -> int:
    return db.scalar(select(func.count()).select_from(PolicyVersion))


def test_the_default_is_seeded_once(db):
    (row,) = ensure_default_policies(session=db)
    assert (row.name, row.version, row.created_by) == ("central_2020", 1, "system")
    assert row.settings == CENTRAL_2020.settings.model_dump(mode="json")
    assert row.fingerprint == CENTRAL_2020.fingerprint
    assert ensure_default_policies(session=db) == [] and _versions(db) == 1
    assert get_policy(session=db, name="central_2020") == CENTRAL_2020


def test_a_year_falls_back_to_the_built_in_default(db):
    assert policy_for_year(session=db, year=2023) is CENTRAL_2020


def test_an_edit_is_a_new_version_and_the_old_one_stays(db):
    ensure_default_policies(session=db)
    row = update_policy(
        session=db,
        name="central_2020",
        changes={"rounding.places": "0", "rounding": {"mode": "down"}, "grades": "85／75／60"},
        actor="cli:test",
        note="按整数分截尾",
    )
    assert (row.version, row.created_by, row.note) == (2, "cli:test", "按整数分截尾")
    assert row.settings["rounding"] == {"places": 0, "mode": "down"} and row.settings["grades"] == "85/75/60"
    assert get_policy(session=db, name="central_2020", version=1).settings.rounding.places == 2
    assert [v.version for v in policy_versions(session=db, name="central_2020")] == [2, 1]
    current = policy_for_year(session=db, year=2023)
    assert (current.name, current.version, current.settings.rounding.places) == ("central_2020", 2, 0)
    (audit,) = _audit(db, "policy.update")
    assert audit.entity == "policy" and audit.entity_id == "central_2020"
    assert audit.before == {
        "version": 1,
        "rounding.places": 2,
        "rounding.mode": "half_up",
        "grades": "90/80/60",
    }
    assert audit.after == {"version": 2, "rounding.places": 0, "rounding.mode": "down", "grades": "85/75/60",
                           "note": "按整数分截尾"}  # fmt: skip


def test_equal_settings_make_no_version(db):
    ensure_default_policies(session=db)
    row = update_policy(session=db, name="central_2020", changes={"rounding.places": 2}, actor="t")
    assert row.version == 1 and _versions(db) == 1 and _audit(db, "policy.update") == []


@pytest.mark.parametrize(
    ("changes", "loc", "text"),
    [
        ({"rounding.places": "5"}, "rounding.places", "应不大于 2"),
        ({"rounding.mode": "up"}, "rounding.mode", "应为 half_up、down 之一"),
        ({"level1_weights.budget": "20"}, "level1_weights", "一级指标权重合计应为100，现为110"),
        ({"overachieve_ratio": "abc"}, "overachieve_ratio", "应为数字"),
        ({"no_such": "1"}, "no_such", "未知的设置项"),
        ({"grades": "60/80/90"}, "grades", "100 ≥ 优 > 良 > 中 ≥ 0"),
        ({"cost_level1": "own_weight"}, "cost_level1", "level1_weights.cost"),
        ({"qualitative_scores.partial": "0.9"}, "qualitative_scores.partial", "“部分达成”默认得分比例"),
        ({"qualitative_scores.achieved": "0.5"}, "qualitative_scores.achieved", "“达成”默认得分比例"),
    ],
)
def test_invalid_settings_are_refused_field_by_field_in_chinese(db, changes, loc, text):
    ensure_default_policies(session=db)
    with pytest.raises(Unprocessable) as err:
        update_policy(session=db, name="central_2020", changes=changes, actor="t")
    items = err.value.items()
    assert ("settings", loc) in [tuple(i.loc) for i in items], items
    assert any(text in i.msg for i in items), [i.msg for i in items]
    assert _versions(db) == 1


def test_an_edit_from_a_stale_version_is_a_conflict(db):
    ensure_default_policies(session=db)
    update_policy(session=db, name="central_2020", changes={"rounding.places": 1}, actor="a", base_version=1)
    with pytest.raises(Conflict) as err:
        update_policy(
            session=db, name="central_2020", changes={"rounding.places": 0}, actor="b", base_version=1
        )
    assert "第 2 版" in err.value.message


def test_a_new_named_policy_and_the_policy_of_a_year(db):
    project = case02_project(db)
    before = compute_project_score(session=db, project=project).total
    row = create_policy(
        session=db,
        name="qinghai_2023",
        based_on="central_2020",
        changes={"level1_weights.output": "40", "level1_weights.benefit": "40"},
        actor="cli:test",
    )
    assert row.version == 1 and row.settings["level1_weights"]["output"] == "40"
    with pytest.raises(Conflict):
        create_policy(session=db, name="qinghai_2023", actor="t")
    with pytest.raises(Unprocessable):
        create_policy(session=db, name="Qinghai 2023", actor="t")
    with pytest.raises(NotFound):
        create_policy(session=db, name="other", based_on="missing", actor="t")
    set_year_policy(session=db, year=2023, name="qinghai_2023", version=1, actor="cli:test")
    assert policy_for_year(session=db, year=2023).name == "qinghai_2023"
    assert policy_for_year(session=db, year=2024).name == "central_2020"
    after = compute_project_score(session=db, project=project)
    assert after.policy.name == "qinghai_2023" and after.total != before
    # pinned: a newer version does not reach 2023 …
    update_policy(session=db, name="qinghai_2023", changes={"rounding.places": 0}, actor="t")
    assert policy_for_year(session=db, year=2023).version == 1
    # … until the year follows the latest
    set_year_policy(session=db, year=2023, name="qinghai_2023", actor="cli:test")
    assert policy_for_year(session=db, year=2023).version == 2
    audits = _audit(db, "policy.year")
    assert [a.after for a in audits] == [
        {"policy": "qinghai_2023", "version": "第1版"},
        {"policy": "qinghai_2023", "version": "最新版本"},
    ]
    assert audits[1].before == {"policy": "qinghai_2023", "version": "第1版"}
    assert _audit(db, "policy.create")[0].after["level1_weights.output"] == "40"
    summary = {s.latest.name: s for s in list_policies(session=db)}
    assert summary["qinghai_2023"].years == [2023] and summary["qinghai_2023"].versions == 2
    with pytest.raises(NotFound):
        set_year_policy(session=db, year=2023, name="qinghai_2023", version=9, actor="t")
    with pytest.raises(Unprocessable):
        set_year_policy(session=db, year=1900, name="central_2020", actor="t")


def _hand_points_project(db, year: int = 2030) -> Project:
    """Points set by hand as central_2020 weighs the levels: 产出 2×25, 效益 30, 满意度 10."""
    unit = Unit(code="990001", name="测试单位")
    db.add(unit)
    db.flush()
    project = Project(year=year, unit_id=unit.id, seq=1, name="手工分值项目", goals=[])
    db.add(project)
    db.flush()
    rows = [("产出指标", "25"), ("产出指标", "25"), ("效益指标", "30"), ("满意度指标", "10")]
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
                points=Decimal(points),
            )  # fmt: skip
        )
    db.flush()
    return project


def test_a_policy_that_breaks_hand_set_points_is_refused(db):
    """§1: printed points are authoritative, so other weights do not break a table; a policy that
    makes them must match (``printed_points = must_match``) is refused while a table differs."""
    ensure_default_policies(session=db)
    _hand_points_project(db)
    create_policy(
        session=db,
        name="province",
        changes={
            "level1_weights.output": "40",
            "level1_weights.benefit": "40",
            "printed_points": "must_match",
        },
        actor="t",
    )
    with pytest.raises(Unprocessable) as err:
        set_year_policy(session=db, year=2030, name="province", actor="t")
    assert err.value.code == "policy_breaks_tables" and "手工分值项目" in err.value.message
    assert "产出指标 50（规则 40）" in err.value.message
    # other weights alone (printed points stay authoritative) pass
    update_policy(session=db, name="central_2020", changes={"level1_weights.output": "45",
                                                              "level1_weights.satisfaction": "15"}, actor="t")  # fmt: skip
    with pytest.raises(Unprocessable) as err:  # 2030 follows the latest central_2020
        update_policy(session=db, name="central_2020", changes={"printed_points": "must_match"}, actor="t")
    assert err.value.code == "policy_breaks_tables" and "2030年" in err.value.message
    # a change that leaves the points alone passes
    update_policy(session=db, name="central_2020", changes={"rounding.places": 1}, actor="t")
    set_year_policy(session=db, year=2031, name="province", actor="t")  # no project in 2031


# ------------------------------------------------------------------------------------------ CLI


@pytest.fixture
def cli(fresh_database_url, monkeypatch, capsys):
    from app.cli import main
    from app.db.migrate import upgrade_to_head

    upgrade_to_head(fresh_database_url)

    def run(*argv: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(""))
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_policy_commands(cli):
    code, out, _ = cli("policy", "list")
    assert code == 0 and "central_2020\t1\t1" in out and "均使用 central_2020 的最新版本" in out
    code, out, _ = cli("policy", "show", "central_2020")
    assert code == 0 and "rounding.places = 2" in out and "share_detection.units = %" in out
    code, _, err = cli(
        "policy", "set", "central_2020", "rounding.places=5", "level1_weights.budget=20", "foo=1"
    )
    assert code == 1
    assert (
        "rounding.places：应不大于 2" in err
        and "一级指标权重合计应为100" in err
        and "foo：未知的设置项" in err
    )
    code, out, _ = cli(
        "policy", "set", "central_2020", "rounding.places=0", "share_detection.units=%,‰", "--note", "整数"
    )
    assert code == 0 and "第 2 版" in out
    code, out, _ = cli("policy", "set", "central_2020", "rounding.places=0")
    assert code == 0 and "未生成新版本" in out
    code, out, _ = cli("policy", "show", "central_2020", "--json")
    assert code == 0 and '"places": 0' in out and '"‰"' in out
    code, out, _ = cli("policy", "show", "central_2020", "--version", "1")
    assert code == 0 and "rounding.places = 2" in out
    code, out, _ = cli("policy", "set", "qinghai", "level1_weights.output=40", "level1_weights.benefit=40")
    assert code == 0 and "qinghai 第 1 版" in out
    code, out, _ = cli("policy", "year", "2023", "qinghai", "--version", "1")
    assert code == 0 and "2023 年度按评分规则 qinghai（第 1 版）" in out
    code, out, _ = cli("policy", "list")
    assert "qinghai\t1\t1" in out and "2023\tqinghai\t1" in out
    code, _, err = cli("policy", "year", "2023", "missing")
    assert code == 1 and "没有评分规则“missing”" in err
    code, _, err = cli("policy", "set", "central_2020", "rounding.places")
    assert code == 1 and "设置名=值" in err
    code, _, err = cli("policy", "set", "Bad-Name", "x=1")
    assert code == 1 and "规则名称" in err
    code, out, _ = cli("audit", "--entity", "policy")
    assert code == 0 and "central_2020" in out and "qinghai" in out


def test_seed_stores_the_default_policy_once(cli):
    from app.db.session import session_scope

    assert cli("seed")[0] == 0
    assert cli("seed", "--if-empty")[0] == 0
    with session_scope() as session:
        rows = list(session.scalars(select(PolicyVersion)))
    assert [(r.name, r.version, r.created_by) for r in rows] == [("central_2020", 1, "system")]
