"""Change stamps that let a worker keep a derived value in memory and still see every change."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class DataStamp(Base):
    """A value per kind of data, replaced by a new random one in every transaction that changes
    that data (``app/db/stamps.py``). A worker that keeps something computed from the data
    remembers the stamp it was computed at and recomputes when the stamp changed."""

    __tablename__ = "data_stamp"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
