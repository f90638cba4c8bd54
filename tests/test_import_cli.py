"""`jixiao import` end to end: real files, real database, exit codes and messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from app.db.migrate import upgrade_to_head
from app.db.models import ImportBatch, Indicator, Project
from tests.conftest import SEED


def jixiao(*args: str, url: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
    )


def counts(url: str) -> tuple[int, int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return tuple(
                conn.scalar(select(func.count()).select_from(m)) for m in (Project, Indicator, ImportBatch)
            )
    finally:
        engine.dispose()


@pytest.fixture
def migrated(fresh_database_url: str) -> str:
    upgrade_to_head(fresh_database_url)
    return fresh_database_url


def test_import_seed_then_reimport_is_unchanged(migrated: str) -> None:
    first = jixiao("import", str(SEED), url=migrated)
    assert first.returncode == 0, first.stderr
    assert "已新建" in first.stdout and "8 个项目" in first.stdout and "137 个指标" in first.stdout
    assert "deadline_before_year" in first.stdout  # 2022年12月底前 in a 2023 table
    assert counts(migrated) == (8, 137, 1)

    again = jixiao("import", str(SEED), url=migrated)
    assert again.returncode == 0, again.stderr
    assert "未变化" in again.stdout
    assert counts(migrated) == (8, 137, 2)


MALFORMED = {
    "empty": b"",
    "binary": bytes(range(256)) * 4,
    "wrong_columns": "某某表\n\n甲\t乙\t丙\n1\t2\t3\n".encode(),
    "truncated_row": (
        "测试局2023年部门预算项目支出绩效目标公开表\n\n"
        "单位编码\t单位及项目名称\t金额 (万元)\t绩效目标\t绩效指标\n"
        "900\t测试局\t10.00\t\t\n900001\t测试局\t10.00\t\t\n"
        "1\t安全检查专项\t10.00\t<p>目标1: 检查</p>\t<p>一、产出指标</p> <p>(一) 数量指标</p> <p>1. 企业安全检查 ≥20次</p>\n"
        "2\t培训经费\n"
    ).encode(),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_file_is_refused_and_database_unchanged(kind: str, migrated: str, tmp_path: Path) -> None:
    jixiao("import", str(SEED), url=migrated)
    before = counts(migrated)
    bad = tmp_path / f"{kind}.txt"
    bad.write_bytes(MALFORMED[kind])
    run = jixiao("import", str(bad), url=migrated)
    assert run.returncode != 0
    assert bad.name in run.stderr and "错误" in run.stderr, run.stderr
    assert counts(migrated) == before


def test_truncated_row_message_says_where(migrated: str, tmp_path: Path) -> None:
    bad = tmp_path / "truncated.txt"
    bad.write_bytes(MALFORMED["truncated_row"])
    run = jixiao("import", str(bad), url=migrated)
    assert run.returncode != 0
    assert "第" in run.stderr and "行" in run.stderr, run.stderr  # names the line
    assert counts(migrated) == (0, 0, 0)


def test_import_refuses_politely_on_unmigrated_database(fresh_database_url: str) -> None:
    run = jixiao("import", str(SEED), url=fresh_database_url)
    assert run.returncode != 0
    assert "jixiao db upgrade" in run.stderr
    assert "Traceback" not in run.stderr


def test_db_upgrade_then_seed_if_empty(fresh_database_url: str) -> None:
    assert jixiao("db", "upgrade", url=fresh_database_url).returncode == 0
    seeded = jixiao("seed", "--if-empty", url=fresh_database_url)
    assert seeded.returncode == 0, seeded.stderr
    assert counts(fresh_database_url)[:2] == (8, 137)
    again = jixiao("seed", "--if-empty", url=fresh_database_url)
    assert again.returncode == 0 and "跳过" in again.stdout
    engine = create_engine(fresh_database_url)
    with engine.connect() as conn:
        assert conn.scalar(text("select count(*) from import_batch")) == 1
    engine.dispose()


def test_import_leaves_an_audit_row_shown_in_chinese(migrated: str) -> None:
    assert jixiao("import", str(SEED), url=migrated).returncode == 0
    engine = create_engine(migrated)
    with engine.connect() as conn:
        actor, after = conn.execute(
            text("select actor_name, after from audit_log where action = 'targets.import'")
        ).one()
    engine.dispose()
    assert actor.startswith("cli")
    assert "menyuan-emergency-2023.txt" in str(after)
    listing = jixiao("audit", url=migrated)
    assert listing.returncode == 0, listing.stderr
    assert "导入绩效目标表" in listing.stdout


def test_db_upgrade_creates_the_sqlite_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'not-yet' / 'jixiao.db'}"
    run = jixiao("db", "upgrade", url=url)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "not-yet" / "jixiao.db").exists()


def test_serve_refuses_politely_on_unmigrated_database(fresh_database_url: str) -> None:
    run = jixiao("serve", "--port", "1", url=fresh_database_url)
    assert run.returncode != 0
    assert "jixiao db upgrade" in run.stderr and "Traceback" not in run.stderr
