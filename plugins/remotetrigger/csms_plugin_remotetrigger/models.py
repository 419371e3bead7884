"""The plugin's own table: one row per TriggerMessage sent, with the station's answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from csms_core.storage.models import NAMING
from csms_core.storage.types import UtcDateTime


class RemoteTriggerBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Trigger(RemoteTriggerBase):
    __tablename__ = "remotetrigger_triggers"
    # A station's history, newest first, is the one query.
    __table_args__ = (Index("ix_remotetrigger_triggers_station_time", "station_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # No foreign key to the kernel's stations: the history outlives a removed station.
    station_id: Mapped[str] = mapped_column(String(255))
    requested_message: Mapped[str] = mapped_column(String(40))
    connector_id: Mapped[int | None] = mapped_column(Integer)
    # TriggerMessage.conf status (Accepted / Rejected / NotImplemented); None when it failed.
    status: Mapped[str | None] = mapped_column(String(20))
    # Why there is no status: the CALLERROR code and description, or the time-out.
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
