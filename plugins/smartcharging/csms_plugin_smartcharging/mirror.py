"""The installed-profile mirror: what each station holds, changed only by accepted results
(and by transactions ending, which take their TxProfiles with them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from csms_core.storage.types import utcnow

from .composite import InstalledProfile
from .models import InstalledProfileRow
from .validation import clears, replaces


async def rows(app: Any, station_id: str) -> list[InstalledProfileRow]:
    async with app.db.session() as session:
        result = await session.scalars(
            select(InstalledProfileRow)
            .where(InstalledProfileRow.station_id == station_id)
            .order_by(
                InstalledProfileRow.connector_id,
                InstalledProfileRow.purpose,
                InstalledProfileRow.stack_level,
            )
        )
        return list(result)


async def installed(app: Any, station_id: str) -> list[InstalledProfile]:
    return [InstalledProfile(r.connector_id, r.profile) for r in await rows(app, station_id)]


async def install(app: Any, station_id: str, connector_id: int, profile: dict) -> None:
    """The station accepted ``profile`` on ``connector_id``: it replaces the same id, and the
    same stackLevel + purpose on that connector."""
    async with app.db.session() as session, session.begin():
        existing = await session.scalars(
            select(InstalledProfileRow).where(InstalledProfileRow.station_id == station_id)
        )
        for row in existing:
            if replaces(connector_id, profile, row.connector_id, row.profile):
                await session.delete(row)
        await session.flush()
        session.add(
            InstalledProfileRow(
                station_id=station_id,
                connector_id=connector_id,
                charging_profile_id=profile["chargingProfileId"],
                stack_level=profile["stackLevel"],
                purpose=profile["chargingProfilePurpose"],
                transaction_id=profile.get("transactionId"),
                profile=profile,
                installed_at=utcnow(),
            )
        )


async def clear(app: Any, station_id: str, request: dict) -> int:
    """The station accepted ClearChargingProfile ``request``: drop what it matches."""
    async with app.db.session() as session, session.begin():
        existing = await session.scalars(
            select(InstalledProfileRow).where(InstalledProfileRow.station_id == station_id)
        )
        gone = [r for r in existing if clears(request, r.connector_id, r.profile)]
        for row in gone:
            await session.delete(row)
        return len(gone)


async def end_transaction(app: Any, station_id: str, transaction: dict) -> None:
    """A TxProfile ceases to be valid when its transaction ends (section 7.10)."""
    connector_id = transaction.get("connectorId")
    transaction_id = transaction.get("transactionId")
    async with app.db.session() as session, session.begin():
        query = delete(InstalledProfileRow).where(
            InstalledProfileRow.station_id == station_id,
            InstalledProfileRow.purpose == "TxProfile",
        )
        if connector_id is not None:
            # One transaction per connector: whatever TxProfile sits there belonged to it.
            query = query.where(
                (InstalledProfileRow.connector_id == connector_id)
                | (InstalledProfileRow.transaction_id == transaction_id)
            )
        else:
            query = query.where(InstalledProfileRow.transaction_id == transaction_id)
        await session.execute(query)


async def forget_station(app: Any, station_id: str) -> None:
    """The station was deleted: nothing is installed on a station that is gone."""
    async with app.db.session() as session, session.begin():
        await session.execute(
            delete(InstalledProfileRow).where(InstalledProfileRow.station_id == station_id)
        )
