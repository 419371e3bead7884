"""Tables: named authorization lists, their members, and per station the assignment and a
mirror of the list the station last accepted (version and entries)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from csms_core.storage.models import NAMING
from csms_core.storage.types import UtcDateTime


class LocalAuthBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class AuthList(LocalAuthBase):
    """A named set of id tags that can be assigned to stations instead of 'all valid tags'."""

    __tablename__ = "localauth_auth_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuthListMember(LocalAuthBase):
    __tablename__ = "localauth_auth_list_members"

    auth_list_id: Mapped[int] = mapped_column(
        ForeignKey("localauth_auth_lists.id", ondelete="CASCADE"), primary_key=True
    )
    id_tag: Mapped[str] = mapped_column(String(20), primary_key=True)


class StationList(LocalAuthBase):
    """One row per station we ever assigned or synced.

    No foreign key to the kernel's ``stations``: plugins keep their own metadata.
    """

    __tablename__ = "localauth_stations"

    station_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    # None: every valid id tag. Deleting an assigned list is refused by the API.
    auth_list_id: Mapped[int | None] = mapped_column(
        ForeignKey("localauth_auth_lists.id", ondelete="RESTRICT"), index=True
    )
    # The version the station last accepted; 0 = empty / never synced.
    list_version: Mapped[int] = mapped_column(Integer, default=0)
    # Highest listVersion ever sent: new versions are strictly above it, so a message that
    # timed out (and may have been applied) never shares a version with the next one.
    highest_version: Mapped[int] = mapped_column(Integer, default=0)
    # The mirror cannot be trusted (timeout, VersionMismatch, reported version differs):
    # the next update is Full whatever was asked.
    needs_full: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_version: Mapped[int | None] = mapped_column(Integer)
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_sync_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_update_type: Mapped[str | None] = mapped_column(String(16))
    last_result: Mapped[str | None] = mapped_column(String(100))


class MirrorEntry(LocalAuthBase):
    """One entry of the list a station last accepted."""

    __tablename__ = "localauth_entries"

    station_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    id_tag: Mapped[str] = mapped_column(String(20), primary_key=True)
    id_tag_info: Mapped[dict[str, Any]] = mapped_column(JSON)
