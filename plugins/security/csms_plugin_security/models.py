"""The plugin's own tables: security events, profile upgrades, signing requests and the
certificate calls sent to stations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, MetaData, String, Text
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


class SignRequest(SecurityBase):
    """One SignCertificate.req: our answer, and the certificate we sent back for it."""

    __tablename__ = "security_sign_requests"
    __table_args__ = (Index("ix_security_sign_requests_station_time", "station_id", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(255))
    csr: Mapped[str] = mapped_column(Text)
    # SignCertificate.conf status: Accepted or Rejected, and why it was rejected.
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500))
    # The certificate issued for it (hex serial number) and the station's CertificateSigned.conf
    # status, or why that call failed.
    serial_number: Mapped[str | None] = mapped_column(String(40))
    certificate: Mapped[str | None] = mapped_column(Text)
    certificate_status: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CertificateCall(SecurityBase):
    """A certificate-related call sent to a station (CertificateSigned, InstallCertificate,
    DeleteCertificate, GetInstalledCertificateIds, ExtendedTriggerMessage) and its answer."""

    __tablename__ = "security_calls"
    __table_args__ = (Index("ix_security_calls_station_time", "station_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(40))
    # The request without certificates' PEM text (kept short): type, hash data, message.
    request: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str | None] = mapped_column(String(20))
    # GetInstalledCertificateIds: the certificateHashData the station reported.
    response: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
