"""Year-end actuals (实际完成值) entered by departments, one row per indicator."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base
from app.db.models.targets import Indicator, Points, Value, utcnow


class IndicatorActual(Base):
    """What the department reported for one indicator. Kept across target re-imports."""

    __tablename__ = "indicator_actual"

    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("indicator.id", ondelete="CASCADE"), primary_key=True
    )
    raw: Mapped[str | None] = mapped_column(Text)  # as typed
    value: Mapped[Decimal | None] = mapped_column(Value)  # numeric actual, in the target's unit
    grade: Mapped[str | None] = mapped_column(String(16))  # qualitative: achieved | partial | not_achieved
    manual_score: Mapped[Decimal | None] = mapped_column(Points)  # qualitative score inside the band
    completed_on: Mapped[date | None] = mapped_column(Date)  # deadline indicators
    baseline: Mapped[Decimal | None] = mapped_column(Value)  # reference indicators
    not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)
    na_reason: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)  # 偏差原因分析及改进措施
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    indicator: Mapped[Indicator] = relationship(back_populates="actual")


class ProjectStatusEvent(Base):
    """One step of a project's status history (提交, 退回, 审核通过, 重新打开), with the comment."""

    __tablename__ = "project_status_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
