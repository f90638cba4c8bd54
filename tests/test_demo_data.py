"""``jixiao demo-data``: generated tables read back exactly, deterministic, loadable; bulk re-score."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.demo.load import DemoSpec, file_name, tables
from app.demo.render import render_table
from app.targets.levels import LEVEL2_PARENT
from app.targets.text_layout import parse_text_table

# 60 units = 12 departments: seed 1 gives both templates (checked below).
SPEC = DemoSpec(units=60, projects=6, year=2023, indicators=20, seed=1)


def jixiao(*args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"DATABASE_URL": url} if url else {})}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, env=env, timeout=300
    )


def without_warnings(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "warnings"}


def test_generated_tables_parse_back_exactly() -> None:
    generated = list(tables(SPEC))
    assert len(generated) == 12
    for table in generated:
        parsed = parse_text_table(render_table(table, seed=SPEC.seed))
        assert without_warnings(parsed.to_json()) == without_warnings(table.to_json()), file_name(table)
        # nothing the parser had to guess at: only projects without 满意度 are pointed out
        assert {w.code for w in parsed.warnings} <= {"level1_missing"}


def test_generated_tables_cover_every_level2_and_kind() -> None:
    generated = list(tables(SPEC))
    indicators = [i for t in generated for p in t.projects for i in p.indicators]
    assert {i.level2 for i in indicators} == set(LEVEL2_PARENT)  # both templates, every level 2
    assert {i.target.kind for i in indicators} == {"numeric", "qualitative", "deadline", "reference"}
    assert {i.target.operator for i in indicators if i.target.kind == "numeric"} == {">=", "<=", "=", "<"}
    raws = [i.target.raw for i in indicators]
    for spelling in ("不少于", "以上", "以内", "不超过", "万户", "*", "年底前", "季度", "不低于上年", "０"):
        assert any(spelling in r for r in raws), spelling
    projects = [p for t in generated for p in t.projects]
    without = [p for p in projects if not any(i.level1 == "满意度指标" for i in p.indicators)]
    assert 0 < len(without) < len(projects) / 3
    assert all(len(p.indicators) == SPEC.indicators for p in projects)
    text = "".join(render_table(t, seed=1) for t in generated)
    for oddity in ("<ol", "<p>1. ", "&lt;", "&nbsp;", "（一）", "满意度指标</p>", "、服务对象满意度指标</p>"):
        assert oddity in text, oddity


def test_same_seed_same_tables_other_seed_others() -> None:
    a = [render_table(t, seed=1) for t in tables(SPEC)]
    b = [render_table(t, seed=1) for t in tables(SPEC)]
    c = [render_table(t, seed=2) for t in tables(DemoSpec(units=60, projects=6, year=2023, seed=2))]
    assert a == b
    assert a != c
    # a department's table does not depend on how many others there are
    fewer = [render_table(t, seed=1) for t in tables(DemoSpec(units=10, projects=6, year=2023, seed=1))]
    assert fewer == a[:2]


def test_cli_out_files_read_back_with_jixiao_parse(tmp_path: Path) -> None:
    done = jixiao(
        "demo-data", "--units", "7", "--projects", "3", "--year", "2024", "--out", str(tmp_path), "--actuals"
    )
    assert done.returncode == 0, done.stderr
    assert "2 张表（7 个单位，21 个项目，420 个指标）" in done.stdout
    files = sorted(tmp_path.glob("*.txt"))
    assert [f.name for f in files] == ["400-2024.txt", "401-2024.txt"]
    expected = {file_name(t): t for t in tables(DemoSpec(units=7, projects=3, year=2024))}
    for f in files:
        out = jixiao("parse", str(f))
        assert out.returncode == 0, out.stderr
        assert without_warnings(json.loads(out.stdout)) == without_warnings(expected[f.name].to_json())
        figures = json.loads(f.with_suffix(".actuals.json").read_text(encoding="utf-8"))
        assert len(figures) == len(expected[f.name].projects)
        assert all(len(p["actuals"]) == 20 for p in figures)


def test_cli_refuses_bad_arguments(tmp_path: Path) -> None:
    done = jixiao("demo-data", "--units", "0", "--projects", "3", "--year", "2024", "--out", str(tmp_path))
    assert done.returncode == 1 and "--units 应为正整数" in done.stderr


@pytest.fixture
def migrated(fresh_database_url: str) -> str:
    from app.db.migrate import upgrade_to_head

    upgrade_to_head(fresh_database_url)
    return fresh_database_url


def test_into_db_with_actuals(migrated: str, tmp_path: Path) -> None:
    from app.db.models import Indicator, IndicatorActual, Project, ScoreSnapshot
    from app.db.session import session_scope
    from app.scoring.service import compute_project_score, latest_snapshot
    from app.scoring.snapshots import snapshot_differences

    done = jixiao(
        "demo-data",
        "--units",
        "6",
        "--projects",
        "4",
        "--year",
        "2023",
        "--into-db",
        "--actuals",
        url=migrated,
    )
    assert done.returncode == 0, done.stderr
    assert "24 个项目，480 个指标" in done.stdout and "评分快照 24 个" in done.stdout
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Indicator)) == 480
        statuses = Counter(s.scalars(select(Project.status)))
        assert set(statuses) <= {"draft", "submitted", "approved", "returned"} and statuses["submitted"]
        filled = s.scalar(select(func.count()).select_from(IndicatorActual))
        assert 400 < filled <= 480  # drafts are partly filled
        for project in s.scalars(select(Project)):
            snap = latest_snapshot(session=s, project_id=project.id)
            assert snap is not None and not snapshot_differences(snap)
            live = compute_project_score(session=s, project=project)
            assert (snap.total, snap.grade) == (live.total, live.grade)
            if project.status != "draft":
                assert live.complete and live.total is not None and Decimal(0) < live.total <= 100
                assert project.full_year_budget_wan and project.executed_wan is not None
        assert s.scalar(select(func.count()).select_from(ScoreSnapshot)) == 24

    # the same tables written as files and imported with `jixiao import` change nothing
    out = jixiao("demo-data", "--units", "6", "--projects", "4", "--year", "2023", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    again = jixiao("import", *map(str, sorted(tmp_path.glob("*.txt"))), url=migrated)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("未变化") == 2


def test_rescore_year_stores_only_what_changed(migrated: str) -> None:
    from app.db.models import ScoreSnapshot
    from app.db.session import session_scope
    from app.demo.load import load_database
    from app.scoring.policies import update_policy
    from app.scoring.rescore import RescoreStats, rescore_year
    from app.scoring.snapshots import snapshot_differences

    load_database(DemoSpec(units=3, projects=5, year=2023), actuals=True)

    def rescore() -> RescoreStats:
        total = RescoreStats()
        with session_scope() as s:
            for part in rescore_year(session=s, year=2023, actor="admin", chunk=4):
                total.add(part)
                s.commit()
        return total

    first = rescore()
    assert (first.projects, first.indicators, first.stored, first.unchanged) == (15, 300, 0, 15)

    with session_scope() as s:
        update_policy(session=s, name="central_2020", changes={"rounding.places": 1}, actor="admin")
    second = rescore()
    assert (second.stored, second.unchanged) == (15, 0)
    with session_scope() as s:
        latest = list(s.scalars(select(ScoreSnapshot).where(ScoreSnapshot.is_latest)))
        assert len(latest) == 15 and {x.policy_version for x in latest} == {2}
        assert all(not snapshot_differences(x) for x in latest)
        assert s.scalar(select(func.count()).select_from(ScoreSnapshot)) == 30


def test_jixiao_rescore_in_two_processes(migrated: str) -> None:
    from app.db.models import ScoreSnapshot
    from app.db.session import session_scope
    from app.demo.load import load_database
    from app.scoring.policies import update_policy

    load_database(DemoSpec(units=4, projects=3, year=2023), actuals=True)
    same = jixiao("rescore", "--year", "2023", "--processes", "2", url=migrated)
    assert same.returncode == 0, same.stderr
    assert "12 个项目（240 个指标），新保存评分快照 0 个，未变化 12 个" in same.stdout
    with session_scope() as s:
        update_policy(session=s, name="central_2020", changes={"grades": "95/85/60"}, actor="admin")
    changed = jixiao("rescore", "--year", "2023", "--processes", "2", url=migrated)
    assert changed.returncode == 0, changed.stderr
    assert "新保存评分快照 12 个" in changed.stdout
    with session_scope() as s:
        latest = s.scalars(select(ScoreSnapshot).where(ScoreSnapshot.is_latest)).all()
        assert len(latest) == 12 and {x.policy_version for x in latest} == {2}
