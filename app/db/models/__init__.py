"""All ORM models, imported here so Alembic and ``Base.metadata`` see every table."""

from app.db.models.entry import IndicatorActual
from app.db.models.targets import ImportBatch, Indicator, Project, Unit

__all__ = ["ImportBatch", "Indicator", "IndicatorActual", "Project", "Unit"]
