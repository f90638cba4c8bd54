"""The target listing pages show the imported table in Chinese."""

from __future__ import annotations

from pathlib import Path

from app.targets.service import import_table
from tests.builders import small_table


def test_home_lists_units_and_projects(client, db):
    import_table(session=db, table=small_table(), source_name="t.txt", sha256="0" * 64)
    page = client.get("/")
    assert page.status_code == 200
    assert "测试局本级" in page.text and "安全检查专项" in page.text and "培训经费" in page.text
    assert "12.50" in page.text  # unit total of the two projects


def test_project_page_shows_targets_grouped(client, db):
    import_table(session=db, table=small_table(), source_name="t.txt", sha256="0" * 64)
    home = client.get("/").text
    href = home.split('href="/projects/')[1].split('"')[0]
    page = client.get(f"/projects/{href}")
    assert page.status_code == 200
    for text in ("产出指标", "数量指标", "企业安全检查", "≥20次", "正向", "反向", "检查成本", "定性"):
        assert text in page.text, text


def test_unknown_project_is_404_in_chinese(client):
    page = client.get("/projects/999999")
    assert page.status_code == 404
    assert "未找到" in page.text


def test_seed_is_in_the_repository():
    assert (
        Path(__file__).resolve().parents[1] / "seeds" / "menyuan-emergency-2023.txt"
    ).stat().st_size > 10_000
