"""The plugin's own tables: the security events stations report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from csms_core.storage.models import NAMING
from csms_core.storage.types import UtcDateTime


class SecurityBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SecurityEvent(SecurityBase):
    """One SecurityEventNotification.req, as the station sent it."""

    __tablename__ = "security_events"
    # A station's events, newest first, is the one query.
    __table_args__ = (Index("ix_security_events_station_time", "station_id", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # No foreign key to the kernel's stations: the security log outlives a removed station.
    station_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(50))
    # When the event happened, by the station's clock.
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime())
    tech_info: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ProfileState(SecurityBase):
    """Per station: the profile it last connected with and an upgrade it accepted."""

    __tablename__ = "security_profiles"

    station_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    connected_profile: Mapped[int | None] = mapped_column(Integer)
    # Accepted ChangeConfiguration(SecurityProfile), not yet seen in use: the kernel's minimum
    # is raised only once the station connects with it (A05.FR.08/09: it may fall back).
    pending_profile: Mapped[int | None] = mapped_column(Integer)
    pending_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
