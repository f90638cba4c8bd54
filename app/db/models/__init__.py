"""All ORM models, imported here so Alembic and ``Base.metadata`` see every table."""

from app.db.models.accounts import ApiToken, AuditLog, LoginSession, LoginThrottle, User, UserUnit
from app.db.models.entry import IndicatorActual, ProjectStatusEvent
from app.db.models.scoring import PolicyVersion, ScoreAdjustment, ScoreSnapshot, TargetAdjustment, YearPolicy
from app.db.models.stamps import DataStamp
from app.db.models.targets import ImportBatch, Indicator, Project, Unit
from app.db.models.uploads import PendingUpload

__all__ = [
    "ApiToken",
    "AuditLog",
    "DataStamp",
    "ImportBatch",
    "Indicator",
    "IndicatorActual",
    "LoginThrottle",
    "LoginSession",
    "PendingUpload",
    "PolicyVersion",
    "Project",
    "ProjectStatusEvent",
    "ScoreAdjustment",
    "ScoreSnapshot",
    "TargetAdjustment",
    "Unit",
    "User",
    "UserUnit",
    "YearPolicy",
]
