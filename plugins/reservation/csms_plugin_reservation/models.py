"""The reservation plugin's table: one row per reservationId, whatever the station answered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from csms_core.storage.models import NAMING
from csms_core.storage.types import UtcDateTime

# The station's answer to ReserveNow; only Accepted is ever active.
ACCEPTED = "Accepted"
REFUSALS = ("Faulted", "Occupied", "Rejected", "Unavailable")
# What became of an accepted reservation. Terminated: the station no longer holds it (its
# connector went Faulted/Unavailable, or it answered a cancel Rejected); events say why.
USED, CANCELLED, EXPIRED, TERMINATED = "Used", "Cancelled", "Expired", "Terminated"
ENDED = (USED, CANCELLED, EXPIRED, TERMINATED)
STATUSES = (ACCEPTED, *REFUSALS, *ENDED)


class ReservationBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Reservation(ReservationBase):
    __tablename__ = "reservation_reservations"
    __table_args__ = (
        # The expiry job and the one-per-connector check look up active rows.
        Index("ix_reservation_reservations_station_status", "station_id", "status"),
        Index("ix_reservation_reservations_status_expiry", "status", "expiry_date"),
    )

    # OCPP's reservationId is the key: the API, the station and StartTransaction all use it.
    reservation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # No foreign key: the kernel's tables live in another metadata, and history outlives
    # a deleted station.
    station_id: Mapped[str] = mapped_column(String(255))
    connector_id: Mapped[int] = mapped_column(Integer)
    id_tag: Mapped[str] = mapped_column(String(20))
    parent_id_tag: Mapped[str | None] = mapped_column(String(20))
    expiry_date: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16))
    transaction_id: Mapped[int | None] = mapped_column(Integer)
    # What the operator should know: connector faults, other tags authorizing, ...
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReservationIdAllocation(ReservationBase):
    """One row per reservationId the CSMS picked: the database hands out unique ids to every
    node sharing it, where max()+1 would race."""

    __tablename__ = "reservation_id_allocations"
    __table_args__ = {"sqlite_autoincrement": True}  # never hand out an id twice

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
