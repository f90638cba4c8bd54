"""Uploaded target tables waiting for the uploader's confirmation.

The bytes live in the database, not in process memory: the preview and the confirmation may be
served by different uvicorn workers. A row is reachable only by its random token *and* the user
who uploaded it, and only until ``expires_at``; confirming or cancelling deletes it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from app.db.models.targets import utcnow


class PendingUpload(Base):
    """One uploaded file between its preview and its confirmation (or cancellation)."""

    __tablename__ = "pending_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # random, in the preview's URL
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(8))  # auto | text | xlsx | csv | html (the override)
    force_targets: Mapped[bool] = mapped_column(Boolean, default=False)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
