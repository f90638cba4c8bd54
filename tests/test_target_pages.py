"""The target listing pages show the imported table in Chinese, only to users of those units."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.db.models import Project
from app.targets.service import import_table
from tests.accounts_support import logged_in, make_user
from tests.builders import small_table


def _import(db) -> Project:
    import_table(session=db, table=small_table(), source_name="t.txt", sha256="0" * 64)
    return db.scalar(select(Project).where(Project.seq == 1))


def test_home_lists_units_and_projects(app, db):
    _import(db)
    client = logged_in(app, make_user(db, "dept900", "department", ("900",)))
    page = client.get("/")
    assert page.status_code == 200
    assert "测试局本级" in page.text and "安全检查专项" in page.text and "培训经费" in page.text
    assert "12.50" in page.text  # unit total of the two projects


def test_home_hides_other_units(app, db):
    _import(db)
    client = logged_in(app, make_user(db, "dept901", "department", ("901",)))
    page = client.get("/")
    assert page.status_code == 200
    assert "安全检查专项" not in page.text


def test_project_page_shows_targets_grouped(app, db):
    project = _import(db)
    client = logged_in(app, make_user(db, "fin1", "finance"))
    page = client.get(f"/projects/{project.id}")
    assert page.status_code == 200
    for text in ("产出指标", "数量指标", "企业安全检查", "≥20次", "正向", "反向", "检查成本", "定性"):
        assert text in page.text, text


def test_project_of_another_unit_is_404_like_a_missing_one(app, db):
    project = _import(db)
    client = logged_in(app, make_user(db, "dept901", "department", ("901",)))
    for path in (f"/projects/{project.id}", "/projects/999999"):
        page = client.get(path)
        assert page.status_code == 404
        assert "安全检查专项" not in page.text


def test_anonymous_is_sent_to_login(client):
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_seed_is_in_the_repository():
    assert (
        Path(__file__).resolve().parents[1] / "seeds" / "menyuan-emergency-2023.txt"
    ).stat().st_size > 10_000
