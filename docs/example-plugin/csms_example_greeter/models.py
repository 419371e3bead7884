"""The plugin's tables, prefixed ``greeter_``, on their own metadata."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from csms_core.storage.models import NAMING
from csms_core.storage.types import UtcDateTime


class GreeterBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Greeting(GreeterBase):
    __tablename__ = "greeter_greetings"
    __table_args__ = (Index("ix_greeter_greetings_station_time", "station_id", "greeted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(255))
    greeted_at: Mapped[datetime] = mapped_column(UtcDateTime())
