"""The Core profile's tables (prefix ``core_``), on their own metadata and migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from csms_core.storage.models import NAMING
from csms_core.storage.types import UtcDateTime, utcnow


class CoreBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class IdTag(CoreBase):
    __tablename__ = "core_id_tags"
    # idTags compare case-insensitively (OCPP CiString20): one tag per spelling-insensitive key.
    __table_args__ = (
        Index("uq_core_id_tags_lower_id_tag", func.lower(text("id_tag")), unique=True),
    )

    id_tag: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # Accepted / Blocked / Expired / Invalid
    expiry_date: Mapped[datetime | None] = mapped_column(UtcDateTime())
    parent_id_tag: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    @property
    def effective_status(self) -> str:
        """What Authorize answers now: the stored status, except that an Accepted tag past
        its expiryDate is Expired."""
        expiry = self.expiry_date
        if self.status == "Accepted" and expiry is not None and expiry <= utcnow():
            return "Expired"
        return self.status


class Registration(CoreBase):
    """An operator's per-station answer to BootNotification (overrides the setting)."""

    __tablename__ = "core_registrations"

    station_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StatusColumns:
    """A StatusNotification's fields, as the latest status and the history keep them."""

    status: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str] = mapped_column(String(30))
    info: Mapped[str | None] = mapped_column(String(50))
    vendor_id: Mapped[str | None] = mapped_column(String(255))
    vendor_error_code: Mapped[str | None] = mapped_column(String(50))
    timestamp: Mapped[datetime | None] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ConnectorStatus(StatusColumns, CoreBase):
    """The latest StatusNotification per connector (0 = the station itself)."""

    __tablename__ = "core_connectors"

    station_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    connector_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class StatusEvent(StatusColumns, CoreBase):
    """Every StatusNotification ever received."""

    __tablename__ = "core_status_history"
    __table_args__ = (Index("ix_core_status_history_station", "station_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(255))
    connector_id: Mapped[int] = mapped_column(Integer)


class Transaction(CoreBase):
    """A transaction; its id is the transactionId sent to the station."""

    __tablename__ = "core_transactions"
    __table_args__ = (
        # One transaction per StartTransaction: a retransmission (same station, connector,
        # tag, meter, time) finds the first, even when two nodes receive it at once. The
        # tag compares case-insensitively, like everywhere else (CiString20).
        Index(
            "uq_core_transactions_start",
            "station_id",
            "connector_id",
            func.lower(text("id_tag")),
            "meter_start",
            "start_timestamp",
            unique=True,
        ),
        Index("ix_core_transactions_open", "station_id", "stop_timestamp"),
        Index("ix_core_transactions_id_tag", "id_tag"),
        Index("ix_core_transactions_lower_id_tag", func.lower(text("id_tag"))),
        {"sqlite_autoincrement": True},  # ids are never reused
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(255))
    connector_id: Mapped[int] = mapped_column(Integer)
    id_tag: Mapped[str] = mapped_column(String(20))
    id_tag_status: Mapped[str] = mapped_column(String(16))  # the answer we gave at start
    reservation_id: Mapped[int | None] = mapped_column(Integer)
    meter_start: Mapped[int] = mapped_column(BigInteger)
    start_timestamp: Mapped[datetime] = mapped_column(UtcDateTime())
    last_meter_wh: Mapped[float | None] = mapped_column()  # last Energy.Active.Import.Register
    meter_stop: Mapped[int | None] = mapped_column(BigInteger)
    stop_timestamp: Mapped[datetime | None] = mapped_column(UtcDateTime())
    stop_reason: Mapped[str | None] = mapped_column(String(20))
    stop_id_tag: Mapped[str | None] = mapped_column(String(20))
    review_note: Mapped[str | None] = mapped_column(Text)  # set when an operator should look
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    @property
    def transaction_id(self) -> int:
        return self.id

    @property
    def energy_wh(self) -> float | None:
        """meterStop - meterStart; while running, from the last energy register reading."""
        if self.meter_stop is not None:
            return float(self.meter_stop - self.meter_start)
        if self.last_meter_wh is not None:
            return float(self.last_meter_wh - self.meter_start)
        return None


class UnmatchedStop(CoreBase):
    """A StopTransaction for a transactionId we never issued (or -1): kept for review."""

    __tablename__ = "core_unmatched_stops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(255))
    transaction_id: Mapped[int] = mapped_column(BigInteger)
    id_tag: Mapped[str | None] = mapped_column(String(20))
    meter_stop: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # An operator's decision: "applied" to a transaction (it closed it) or "dismissed".
    resolution: Mapped[str | None] = mapped_column(String(20))
    resolved_transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class MeterValue(CoreBase):
    """One sampledValue, with its meterValue's timestamp and where it came from."""

    __tablename__ = "core_meter_values"
    __table_args__ = (
        Index("ix_core_meter_values_transaction", "transaction_id", "timestamp"),
        Index("ix_core_meter_values_station", "station_id", "connector_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    station_id: Mapped[str] = mapped_column(String(255))
    connector_id: Mapped[int | None] = mapped_column(Integer)  # None: unknown transaction
    transaction_id: Mapped[int | None] = mapped_column(BigInteger)  # may be unknown to us
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime())
    value: Mapped[str] = mapped_column(Text)
    context: Mapped[str | None] = mapped_column(String(30))
    format: Mapped[str | None] = mapped_column(String(20))
    measurand: Mapped[str | None] = mapped_column(String(50))
    phase: Mapped[str | None] = mapped_column(String(10))
    location: Mapped[str | None] = mapped_column(String(10))
    unit: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))  # MeterValues / StopTransaction
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ConfigurationValue(CoreBase):
    """The station's configuration as its last GetConfiguration answer(s) reported it."""

    __tablename__ = "core_configuration"

    station_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)
    readonly: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
