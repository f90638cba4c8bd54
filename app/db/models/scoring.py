"""Scoring data (docs/scoring-rules.md §5a, §11): policy versions, the policy of each budget year, score
snapshots, and reviewer adjustments of scores and targets.

Policy versions and snapshots are never updated in place: an edit makes a new version, a new score
makes a new snapshot (only ``ScoreSnapshot.is_latest`` moves). Adjustments sit beside what they
adjust — the computed score and the original target are never overwritten.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from app.db.models.targets import Points, Value, utcnow

Rate = Numeric(12, 4)


class PolicyVersion(Base):
    """One version of a named scoring policy; ``settings`` is ``PolicySettings`` as JSON (§11)."""

    __tablename__ = "policy_version"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical settings
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)


class YearPolicy(Base):
    """Which policy a budget year is scored with; ``policy_version`` None means its latest."""

    __tablename__ = "year_policy"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    policy_name: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))


class ScoreSnapshot(Base):
    """A stored score: the self-contained inputs (score-case JSON with the full policy), their hash,
    the result, and flat columns for summaries. One row per project has ``is_latest`` (a partial
    unique index), so summaries read one row per project without scanning history."""

    __tablename__ = "score_snapshot"
    __table_args__ = (
        Index("ix_score_snapshot_project_computed", "project_id", "computed_at"),
        # At most one latest snapshot per project; also the index summaries read through.
        Index(
            "uq_score_snapshot_latest",
            "project_id",
            unique=True,
            sqlite_where=text("is_latest = 1"),  # as SQLAlchemy renders the filter
            postgresql_where=text("is_latest"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    is_latest: Mapped[bool] = mapped_column(Boolean, default=True)
    policy_name: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[int] = mapped_column(Integer)
    # Deferred: summaries load snapshots for their flat columns without these documents.
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    inputs_hash: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_name: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(32))  # save | submit | approve | rescore …

    # Flat copies of the result for summaries (None when not computable).
    complete: Mapped[bool] = mapped_column(Boolean)
    total: Mapped[Decimal | None] = mapped_column(Points)
    grade: Mapped[str | None] = mapped_column(String(4))
    budget_rate: Mapped[Decimal | None] = mapped_column(Rate)
    budget_score: Mapped[Decimal | None] = mapped_column(Points)
    output_score: Mapped[Decimal | None] = mapped_column(Points)
    cost_score: Mapped[Decimal | None] = mapped_column(Points)
    benefit_score: Mapped[Decimal | None] = mapped_column(Points)
    satisfaction_score: Mapped[Decimal | None] = mapped_column(Points)


class ScoreAdjustment(Base):
    """§5a: a reviewer's score for one indicator, with the reason. The computed score is kept
    (``computed_score`` records it as it was when the adjustment was made)."""

    __tablename__ = "score_adjustment"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    score: Mapped[Decimal] = mapped_column(Points)
    computed_score: Mapped[Decimal | None] = mapped_column(Points)
    points: Mapped[Decimal] = mapped_column(Points)
    reason: Mapped[str] = mapped_column(Text)
    actor_name: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TargetAdjustment(Base):
    """调整后指标值: the target an indicator is scored against instead of the imported one (kept
    on ``Indicator``). ``raw`` as typed, parsed with ``app.targets.grammar.parse_target``."""

    __tablename__ = "target_adjustment"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    raw: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    operator: Mapped[str | None] = mapped_column(String(2))
    value: Mapped[Decimal | None] = mapped_column(Value)
    unit: Mapped[str | None] = mapped_column(String(32))
    expected: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    actor_name: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
