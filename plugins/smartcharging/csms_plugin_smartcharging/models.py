"""Tables: the mirror of profiles installed on stations, remote starts waiting for their
transaction, and charging groups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, synonym

from csms_core.storage.models import NAMING
from csms_core.storage.types import UtcDateTime


class SmartChargingBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class InstalledProfileRow(SmartChargingBase):
    """A charging profile the station accepted and has not cleared (as far as we know)."""

    __tablename__ = "smartcharging_profiles"
    __table_args__ = (Index("ix_smartcharging_profiles_station", "station_id", "connector_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(255))
    connector_id: Mapped[int] = mapped_column(Integer)
    charging_profile_id: Mapped[int] = mapped_column(Integer)
    stack_level: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(32))
    transaction_id: Mapped[int | None] = mapped_column(Integer)
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    installed_at: Mapped[datetime] = mapped_column(UtcDateTime())

    # The API's names (OCPP's), so that an output model reads the row as it is.
    charging_profile_purpose = synonym("purpose")
    charging_profile = synonym("profile")


class RemoteStartProfile(SmartChargingBase):
    """A TxProfile sent with an accepted RemoteStartTransaction, waiting for the transaction
    it starts. In the database: the call may go out from one node while the transaction
    starts on the node holding the station."""

    __tablename__ = "smartcharging_remote_starts"
    __table_args__ = (Index("ix_smartcharging_remote_starts_station", "station_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(255))
    connector_id: Mapped[int | None] = mapped_column(Integer)  # None: any connector
    id_tag: Mapped[str] = mapped_column(String(20))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ChargingGroup(SmartChargingBase):
    """Stations/connectors sharing a capacity (e.g. a site's grid connection)."""

    __tablename__ = "smartcharging_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    limit: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(1))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    fallback_limit: Mapped[float | None] = mapped_column(Float)
    # [{"stationId", "connectorId" (None: every connector), "maxLimit", "minLimit"}]
    members: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Allocation(SmartChargingBase):
    """A TxProfile load management pushed and the station accepted: the group's share for
    one transaction. In the database so that every node divides from the same picture."""

    __tablename__ = "smartcharging_allocations"

    group_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    station_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    connector_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    transaction_id: Mapped[int] = mapped_column(Integer)
    share: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
