"""`alembic upgrade head` on an empty database leaves nothing for autogenerate to add."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy import inspect as sa_inspect

import app.db.models  # noqa: F401
from app.db.base import Base
from app.db.migrate import is_at_head, upgrade_to_head


def test_upgrade_head_matches_models(fresh_database_url: str) -> None:
    upgrade_to_head(fresh_database_url)
    engine = create_engine(fresh_database_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        assert is_at_head(engine)
    finally:
        engine.dispose()


def test_empty_database_is_not_at_head(fresh_database_url: str) -> None:
    engine = create_engine(fresh_database_url)
    try:
        assert not is_at_head(engine)
    finally:
        engine.dispose()


# Rows as they stood at revision 0001 (the shipped schema), written with plain SQL so that the
# test does not depend on today's models. A revision that moves data extends these rows and the
# assertions in ``test_upgrade_keeps_data_of_0001``.
_ROWS_AT_0001 = [
    "INSERT INTO app_user (id, username, display_name, password_hash, role, active, created_at)"
    " VALUES (1, 'clerk', '填报员', 'x', 'department', :true, :now)",
    "INSERT INTO unit (id, code, name, parent_id) VALUES (1, '309', '门源县应急管理局', NULL)",
    "INSERT INTO unit (id, code, name, parent_id) VALUES (2, '309001', '门源县应急管理局本级', 1)",
    "INSERT INTO project (id, year, unit_id, seq, name, amount_wan, goals, full_year_budget_wan,"
    " executed_wan, goal_actual, budget_reason, status, version, updated_at)"
    " VALUES (1, 2023, 2, 1, '全县安全生产监管专项', 50.0000, '[\"完成安全考核\"]', 50.0000,"
    " 48.5000, '已完成', NULL, 'draft', 3, :now)",
    "INSERT INTO indicator (id, project_id, level1, level2, name, occurrence, position, raw, kind,"
    " operator, value, unit, expected, deadline, reference, direction, points)"
    " VALUES (1, 1, '产出指标', '数量指标', '企业安全检查', 1, 0, '50次', 'numeric', '=', 50,"
    " '次', NULL, NULL, NULL, 'positive', 20.00)",
    "INSERT INTO indicator_actual (indicator_id, raw, value, grade, manual_score, completed_on,"
    " baseline, not_applicable, na_reason, reason, updated_at)"
    " VALUES (1, '52次', 52, NULL, NULL, NULL, NULL, :false, NULL, '超额完成', :now)",
    "INSERT INTO login_failure (id, username, address, at) VALUES (1, 'clerk', '10.0.0.7', :now)",
]


def test_upgrade_keeps_data_of_0001(fresh_database_url: str) -> None:
    """A database holding data at the shipped revision upgrades to head with that data intact."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from alembic import command
    from sqlalchemy import text

    from app.db.migrate import alembic_config

    command.upgrade(alembic_config(fresh_database_url), "0001")
    engine = create_engine(fresh_database_url)
    try:
        params = {"true": True, "false": False, "now": datetime(2024, 1, 5, tzinfo=UTC)}
        with engine.begin() as conn:
            for statement in _ROWS_AT_0001:
                conn.execute(text(statement), params)
        upgrade_to_head(fresh_database_url)
        assert is_at_head(engine)
        with engine.connect() as conn:
            project = conn.execute(
                text(
                    "SELECT name, full_year_budget_wan, executed_wan, status, version, budget_points"
                    " FROM project"
                )
            ).one()
            indicator = conn.execute(text("SELECT raw, kind, points FROM indicator")).one()
            actual = conn.execute(text("SELECT raw, value, reason FROM indicator_actual")).one()
            units = conn.execute(text("SELECT code FROM unit ORDER BY code")).scalars().all()
        assert (project.name, project.status, project.version) == ("全县安全生产监管专项", "draft", 3)
        assert project.budget_points is None  # 0002: no printed budget weight known for old rows
        amounts = (Decimal(str(project.full_year_budget_wan)), Decimal(str(project.executed_wan)))
        assert amounts == (Decimal("50"), Decimal("48.5"))
        assert (indicator.raw, indicator.kind, Decimal(str(indicator.points))) == ("50次", "numeric", 20)
        assert (actual.raw, Decimal(str(actual.value)), actual.reason) == ("52次", 52, "超额完成")
        assert units == ["309", "309001"]
        with engine.connect() as conn:  # 0003: the per-attempt failures give way to counted keys
            tables = set(sa_inspect(conn).get_table_names())
            assert "login_failure" not in tables and "login_throttle" in tables
            assert conn.execute(text("SELECT count(*) FROM login_throttle")).scalar() == 0
            user = conn.execute(text("SELECT username, password_hash FROM app_user")).one()
        assert tuple(user) == ("clerk", "x")
    finally:
        engine.dispose()


def test_downgrade_from_head_to_0002_and_back(fresh_database_url: str) -> None:
    from alembic import command
    from sqlalchemy import text

    from app.db.migrate import alembic_config

    upgrade_to_head(fresh_database_url)
    command.downgrade(alembic_config(fresh_database_url), "0002")
    engine = create_engine(fresh_database_url)
    try:
        with engine.connect() as conn:
            assert "login_failure" in set(sa_inspect(conn).get_table_names())
            assert conn.execute(text("SELECT count(*) FROM login_failure")).scalar() == 0
        upgrade_to_head(fresh_database_url)
        assert is_at_head(engine)
    finally:
        engine.dispose()
