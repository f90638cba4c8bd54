"""Production refuses the default secret and never creates demo accounts; development creates them
only when asked (``ensure_demo_accounts``), never implicitly at start-up."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.accounts import security, service
from app.core.config import DEFAULT_SECRET, Settings, get_settings
from app.core.preflight import UnsafeProduction
from app.db.models import User


@pytest.fixture
def settings_env(monkeypatch):
    """Change JIXIAO_ENV / SECRET_KEY for one test; the cached settings are rebuilt afterwards."""

    def apply(environment: str, secret: str | None) -> None:
        monkeypatch.setenv("JIXIAO_ENV", environment)
        if secret is None:
            monkeypatch.delenv("SECRET_KEY", raising=False)
        else:
            monkeypatch.setenv("SECRET_KEY", secret)
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


STRONG_SECRET = "a-long-random-production-secret-for-the-tests"


@pytest.mark.parametrize("secret", [None, DEFAULT_SECRET, "", "   ", "a", "x" * 31])
def test_production_refuses_a_weak_secret(settings_env, secret):
    settings_env("production", secret)
    from app.main import create_app

    with pytest.raises(UnsafeProduction, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_a_strong_secret_and_no_demo_password(settings_env, db):
    assert Settings(JIXIAO_ENV="production", SECRET_KEY="x" * 32).secret_key_problem() is None
    settings_env("production", STRONG_SECRET)
    from app.main import create_app

    assert create_app() is not None


def test_production_refuses_while_a_demo_account_has_the_demo_password(settings_env, fresh_database_url):
    from app.core.preflight import production_refusals
    from app.db.migrate import upgrade_to_head
    from app.db.session import session_scope

    upgrade_to_head(fresh_database_url)
    settings = Settings(JIXIAO_ENV="production", SECRET_KEY=STRONG_SECRET)
    assert production_refusals(settings) == []
    with session_scope() as session:
        service.ensure_demo_accounts(session=session, settings=Settings(JIXIAO_ENV="development"), echo=None)
    (refusal,) = production_refusals(settings)
    assert "admin、dept、finance" in refusal
    with session_scope() as session:
        service.set_user_active(session=session, actor="cli:test", username="admin", active=False)
        service.set_password(
            session=session, actor="cli:test", username="finance", password="Another-Long-pass-7"
        )
    (refusal,) = production_refusals(settings)
    assert "dept" in refusal and "admin" not in refusal and "finance" not in refusal
    with session_scope() as session:
        service.set_user_active(session=session, actor="cli:test", username="dept", active=False)
    assert production_refusals(settings) == []


def _user_count(db) -> int:
    return db.scalar(select(func.count()).select_from(User))


def test_production_and_test_modes_create_no_demo_accounts(db):
    before = _user_count(db)
    printed: list[str] = []
    for environment in ("production", "test"):
        settings = Settings(JIXIAO_ENV=environment, SECRET_KEY=STRONG_SECRET)
        assert service.ensure_demo_accounts(session=db, settings=settings, echo=printed.append) == []
    assert _user_count(db) == before and printed == []


def test_development_creates_the_demo_accounts_once_and_prints_them(db):
    dev = Settings(JIXIAO_ENV="development")
    printed: list[str] = []
    assert service.ensure_demo_accounts(session=db, settings=dev, echo=printed.append) == [
        "admin",
        "finance",
        "dept",
    ]
    users = {
        u.username: u for u in db.scalars(select(User).where(User.username.in_(["admin", "finance", "dept"])))
    }
    assert {name: u.role for name, u in users.items()} == {
        "admin": "admin",
        "finance": "finance",
        "dept": "department",
    }
    assert users["dept"].unit_codes == ["309001"] and users["admin"].unit_codes == []
    assert all(security.verify_password(u.password_hash, "demo") for u in users.values())
    text = "\n".join(printed)
    assert "demo" in text and all(name in text for name in users) and "309001" in text
    # again: nothing new, still printed; a changed password is no longer advertised
    service.set_password(session=db, actor="test", username="finance", password="not-demo-any-more")
    printed.clear()
    assert service.ensure_demo_accounts(session=db, settings=dev, echo=printed.append) == []
    assert "admin" in "\n".join(printed) and "finance" not in "\n".join(printed)


def test_starting_the_app_creates_no_accounts(db, app):
    before = _user_count(db)
    with TestClient(app) as client:
        assert client.get("/login").status_code == 200
    assert _user_count(db) == before
