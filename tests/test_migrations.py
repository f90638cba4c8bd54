"""`alembic upgrade head` on an empty database leaves nothing for autogenerate to add."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

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
