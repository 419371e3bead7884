"""Storage of the Smart Charging plugin: module-level functions taking ``app`` first, each
opening its own session (``app.db.read()`` to read, ``app.db.transaction()`` to write).

- The installed-profile mirror: what each station holds, changed only by accepted results
  (and by transactions ending, which take their TxProfiles with them).
- Remote starts: a TxProfile sent with RemoteStartTransaction, waiting for its transaction.
- Charging groups and the shares load management pushed to their transactions.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from csms_core import Csms
from csms_core.paging import Page, Paged, paginate
from csms_core.storage.types import utcnow

from .composite import InstalledProfile
from .models import Allocation, ChargingGroup, InstalledProfileRow, RemoteStartProfile
from .validation import clears, replaces

Out = TypeVar("Out", bound=BaseModel)
Key = tuple[str, int]  # (station_id, connector_id)


# --- the installed-profile mirror -----------------------------------------------------------


def _installed_on(station_id: str, connector_id: int | None = None) -> Any:
    query = (
        select(InstalledProfileRow)
        .where(InstalledProfileRow.station_id == station_id)
        .order_by(
            InstalledProfileRow.connector_id,
            InstalledProfileRow.purpose,
            InstalledProfileRow.stack_level,
            InstalledProfileRow.id,
        )
    )
    if connector_id is not None:
        query = query.where(InstalledProfileRow.connector_id == connector_id)
    return query


async def installed(app: Csms, station_id: str) -> list[InstalledProfile]:
    """What the station holds, by connector, purpose and stackLevel."""
    async with app.db.read() as session:
        rows = await session.scalars(_installed_on(station_id))
        return [InstalledProfile(r.connector_id, r.profile) for r in rows]


async def installed_page(
    app: Csms, station_id: str, connector_id: int | None, page: Page, model: type[Out]
) -> Paged[Out]:
    async with app.db.read() as session:
        return await paginate(session, _installed_on(station_id, connector_id), page, model)


async def install(app: Csms, station_id: str, connector_id: int, profile: dict) -> None:
    """The station accepted ``profile`` on ``connector_id``: it replaces the same id, and the
    same stackLevel + purpose on that connector."""
    async with app.db.transaction() as session:
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


async def clear(app: Csms, station_id: str, request: dict) -> int:
    """The station accepted ClearChargingProfile ``request``: drop what it matches."""
    async with app.db.transaction() as session:
        existing = await session.scalars(
            select(InstalledProfileRow).where(InstalledProfileRow.station_id == station_id)
        )
        gone = [r for r in existing if clears(request, r.connector_id, r.profile)]
        for row in gone:
            await session.delete(row)
        return len(gone)


async def end_transaction(
    app: Csms, station_id: str, connector_id: int, transaction_id: int
) -> None:
    """A TxProfile ceases to be valid when its transaction ends (section 7.10). One
    transaction per connector: whatever TxProfile sits there belonged to it."""
    async with app.db.transaction() as session:
        await session.execute(
            delete(InstalledProfileRow).where(
                InstalledProfileRow.station_id == station_id,
                InstalledProfileRow.purpose == "TxProfile",
                (InstalledProfileRow.connector_id == connector_id)
                | (InstalledProfileRow.transaction_id == transaction_id),
            )
        )


async def forget_station(app: Csms, station_id: str) -> None:
    """The station was deleted: nothing is installed on it, no remote start waits for it."""
    async with app.db.transaction() as session:
        await session.execute(
            delete(InstalledProfileRow).where(InstalledProfileRow.station_id == station_id)
        )
        await session.execute(
            delete(RemoteStartProfile).where(RemoteStartProfile.station_id == station_id)
        )


# --- remote starts ------------------------------------------------------------------------


async def add_remote_start(app: Csms, station_id: str, request: dict, stale: datetime) -> None:
    """Keep the profile of an accepted RemoteStartTransaction ``request`` for its
    transaction; remote starts older than ``stale`` never led to one and go."""
    async with app.db.transaction() as session:
        # Forgotten here, off the StartTransaction path.
        await session.execute(
            delete(RemoteStartProfile).where(
                RemoteStartProfile.station_id == station_id, RemoteStartProfile.created_at < stale
            )
        )
        session.add(
            RemoteStartProfile(
                station_id=station_id,
                connector_id=request.get("connectorId"),
                id_tag=request["idTag"],
                profile=request["chargingProfile"],
                created_at=utcnow(),
            )
        )


async def take_remote_start(
    app: Csms, station_id: str, connector_id: int, id_tag: str, stale: datetime
) -> dict | None:
    """The profile of the oldest remote start since ``stale`` for this tag (idTags are
    CiString20) and connector, taken so that no other transaction gets it."""
    id_tag = id_tag.lower()
    # Every StartTransaction asks: a read first, a write only when a profile waits.
    async with app.db.read() as session:
        waiting = await session.scalars(
            select(RemoteStartProfile)
            .where(
                RemoteStartProfile.station_id == station_id,
                RemoteStartProfile.created_at >= stale,
            )
            .order_by(RemoteStartProfile.id)
        )
        match = next(
            (
                row
                for row in waiting
                if row.id_tag.lower() == id_tag and row.connector_id in (None, connector_id)
            ),
            None,
        )
    if match is None:
        return None
    async with app.db.transaction() as session:
        taken = await session.execute(
            delete(RemoteStartProfile).where(RemoteStartProfile.id == match.id)
        )
    return match.profile if taken.rowcount else None  # 0: another transaction took it


# --- charging groups ------------------------------------------------------------------------


async def create_group(app: Csms, **values: Any) -> ChargingGroup | None:
    """The new group, or None if its name is taken."""
    async with app.db.transaction() as session:
        if await session.scalar(
            select(ChargingGroup.id).where(ChargingGroup.name == values["name"])
        ):
            return None
        group = ChargingGroup(created_at=utcnow(), **values)
        session.add(group)
    return group


async def group(app: Csms, group_id: int) -> ChargingGroup | None:
    async with app.db.read() as session:
        return await session.get(ChargingGroup, group_id)


async def groups_page(app: Csms, page: Page, model: type[Out]) -> Paged[Out]:
    async with app.db.read() as session:
        return await paginate(
            session, select(ChargingGroup).order_by(ChargingGroup.id), page, model
        )


async def update_group(app: Csms, group_id: int, **changes: Any) -> ChargingGroup | None:
    async with app.db.transaction() as session:
        found = await session.get(ChargingGroup, group_id)
        if found is not None:
            for name, value in changes.items():
                setattr(found, name, value)
    return found


async def delete_group(app: Csms, group_id: int) -> bool:
    async with app.db.transaction() as session:
        found = await session.get(ChargingGroup, group_id)
        if found is not None:
            await session.delete(found)
    return found is not None


async def _enabled_groups(session: AsyncSession, keys: Sequence[Any]) -> dict[Any, Any]:
    return {None: list(await session.scalars(select(ChargingGroup).where(ChargingGroup.enabled)))}


async def enabled_groups(app: Csms) -> list[ChargingGroup]:
    # Asked at every boot: concurrent callers (a reconnect storm) share one read.
    return list(await app.db.batched("smartcharging.enabled_groups", _enabled_groups, []).get(None))


async def group_ids(app: Csms) -> list[int]:
    async with app.db.read() as session:
        return list(await session.scalars(select(ChargingGroup.id)))


async def remove_member(app: Csms, group_id: int, station_id: str) -> bool | None:
    """Take the station out of the group and forget its shares there. None: it was not a
    member; else whether the group is enabled."""
    async with app.db.transaction() as session:
        found = await session.get(ChargingGroup, group_id)
        if found is None or not any(m["stationId"] == station_id for m in found.members):
            return None
        found.members = [m for m in found.members if m["stationId"] != station_id]
        await session.execute(
            delete(Allocation).where(
                Allocation.group_id == group_id, Allocation.station_id == station_id
            )
        )
        return found.enabled


# --- shares load management pushed ----------------------------------------------------------


async def pushed_shares(app: Csms, group_id: int) -> dict[Key, tuple[int, float]]:
    """(station, connector) -> (transactionId, share) as the stations accepted them."""
    async with app.db.read() as session:
        rows = await session.scalars(select(Allocation).where(Allocation.group_id == group_id))
        return {(r.station_id, r.connector_id): (r.transaction_id, r.share) for r in rows}


async def record_share(
    app: Csms, group_id: int, key: Key, transaction_id: int, share: float
) -> None:
    async with app.db.transaction() as session:
        await session.merge(
            Allocation(
                group_id=group_id,
                station_id=key[0],
                connector_id=key[1],
                transaction_id=transaction_id,
                share=share,
                updated_at=utcnow(),
            )
        )


async def drop_shares(app: Csms, group_id: int, keys: Sequence[Key] | None = None) -> None:
    """Forget pushed shares: these keys, or the whole group's."""
    statement = delete(Allocation).where(Allocation.group_id == group_id)
    if keys is not None:
        if not keys:
            return
        statement = statement.where(
            tuple_(Allocation.station_id, Allocation.connector_id).in_(list(keys))
        )
    async with app.db.transaction() as session:
        await session.execute(statement)


LOCK_SPACE = 0x5C1D  # first key of the PostgreSQL advisory locks taken here (group id second)
# Per database, for every app of this process: several nodes on one SQLite file (tests).
_SQLITE_LOCKS: dict[tuple[str, int], asyncio.Lock] = {}


@contextlib.asynccontextmanager
async def division_lock(app: Csms, group_id: int) -> AsyncIterator[None]:
    """Hold the group's division for every node sharing the database."""
    if app.db.is_sqlite:
        # SQLite is one machine's database; its own write lock cannot be held across calls
        # to stations.
        async with _SQLITE_LOCKS.setdefault((str(app.db.url), group_id), asyncio.Lock()):
            yield
        return
    # A transaction-scoped advisory lock: released on commit, or by the server if this node
    # dies; it locks no row, so editing the group meanwhile is not blocked.
    async with app.db.engine.begin() as connection:
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:space, :group_id)"),
            {"space": LOCK_SPACE, "group_id": group_id},
        )
        yield
