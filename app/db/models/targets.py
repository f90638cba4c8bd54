"""Units, projects and indicators (targets) as imported from a 绩效目标表."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base

if TYPE_CHECKING:
    from app.db.models.entry import IndicatorActual

Money = Numeric(18, 4)  # 万元, four places keep 元 exact
Value = Numeric(24, 6)
Points = Numeric(8, 2)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Unit(Base):
    """预算单位 (budget unit). ``309`` is the department, ``309001`` its unit."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)

    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id")
    projects: Mapped[list[Project]] = relationship(back_populates="unit")


class Project(Base):
    """项目: one year's project of one unit, with its budget and status."""

    __tablename__ = "project"
    __table_args__ = (
        UniqueConstraint("year", "unit_id", "name"),
        Index("ix_project_year_unit_seq", "year", "unit_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    amount_wan: Mapped[Decimal | None] = mapped_column(Money)  # 年初预算数 as published
    goals: Mapped[list[str]] = mapped_column(JSON, default=list)
    budget_points: Mapped[Decimal | None] = mapped_column(Points)  # 预算执行率 分值 when the table prints it

    # Year-end figures (entered by the department).
    full_year_budget_wan: Mapped[Decimal | None] = mapped_column(Money)  # 全年预算数
    executed_wan: Mapped[Decimal | None] = mapped_column(Money)  # 全年执行数
    goal_actual: Mapped[str | None] = mapped_column(Text)  # 年度总体目标 实际完成情况
    budget_reason: Mapped[str | None] = mapped_column(Text)  # 执行率偏差原因

    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship(back_populates="projects")
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="project", order_by="Indicator.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class Indicator(Base):
    """三级指标 with its target. Identity: project + level 2 + name (+ occurrence), stable across re-imports."""

    __tablename__ = "indicator"
    __table_args__ = (UniqueConstraint("project_id", "level2", "name", "occurrence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    level1: Mapped[str] = mapped_column(String(32))
    level2: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    occurrence: Mapped[int] = mapped_column(Integer, default=1)
    position: Mapped[int] = mapped_column(Integer)

    raw: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    operator: Mapped[str | None] = mapped_column(String(2))
    value: Mapped[Decimal | None] = mapped_column(Value)
    unit: Mapped[str | None] = mapped_column(String(32))
    expected: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(Text)
    direction: Mapped[str] = mapped_column(String(16))
    points: Mapped[Decimal | None] = mapped_column(Points)  # manual 分值 when the table gives it

    project: Mapped[Project] = relationship(back_populates="indicators")
    actual: Mapped[IndicatorActual | None] = relationship(
        back_populates="indicator", cascade="all, delete-orphan", passive_deletes=True
    )


class ImportBatch(Base):
    """One run of ``jixiao import`` (or an upload): what was read and what it did."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    year: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))  # created | updated | unchanged
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
