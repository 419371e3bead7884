"""Firmware images, update requests, diagnostics requests and every status a station reported."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from csms_core.storage.models import NAMING
from csms_core.storage.types import UtcDateTime


class FirmwareBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class FirmwareImage(FirmwareBase):
    """An image an operator uploaded; stations download it from its unguessable ``token`` URL."""

    __tablename__ = "firmware_images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FirmwareUpdate(FirmwareBase):
    """An UpdateFirmware the station accepted (whichever endpoint sent it)."""

    __tablename__ = "firmware_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(255), index=True)
    location: Mapped[str] = mapped_column(Text)
    retrieve_date: Mapped[str] = mapped_column(String(40))
    retries: Mapped[int | None] = mapped_column(Integer)
    retry_interval: Mapped[int | None] = mapped_column(Integer)
    # No foreign key: deleting an image keeps the record of what was sent.
    image_id: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StatusEvent:
    """The columns of a status notification's history (firmware and diagnostics alike)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FirmwareStatusEvent(StatusEvent, FirmwareBase):
    __tablename__ = "firmware_status_events"


class DiagnosticsRequest(FirmwareBase):
    """A GetDiagnostics request; ``token`` is set when the location is our own upload URL,
    and the uploaded file (one per request; a retry replaces it) is described here too."""

    __tablename__ = "firmware_diagnostics_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(255), index=True)
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    location: Mapped[str] = mapped_column(Text)
    start_time: Mapped[str | None] = mapped_column(String(40))
    stop_time: Mapped[str | None] = mapped_column(String(40))
    retries: Mapped[int | None] = mapped_column(Integer)
    retry_interval: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    announced_file_name: Mapped[str | None] = mapped_column(String(255))
    file_name: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    uploaded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Per-request credentials of the built-in FTP receiver (password stored as sha256).
    ftp_user: Mapped[str | None] = mapped_column(String(32), unique=True)
    ftp_password_hash: Mapped[str | None] = mapped_column(String(64))

    @property
    def uploaded_file(self) -> DiagnosticsRequest | None:
        """This row as the description of its uploaded file, or None before an upload."""
        return self if self.uploaded_at is not None else None


class DiagnosticsStatusEvent(StatusEvent, FirmwareBase):
    __tablename__ = "firmware_diagnostics_status_events"
