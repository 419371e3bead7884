"""The kernel's station records: registration, credentials, boot fields, liveness."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, bindparam, insert, select, update

from .security import hash_password
from .storage import Database
from .storage.models import BOOT_FIELDS, Station
from .storage.types import utcnow

# Built once: the connect, boot and disconnect writes go through the group commit.
_INSERT = insert(Station)
_BY_ID = Station.id == bindparam("b_id")
_CONNECTED = (
    update(Station)
    .where(_BY_ID)
    .values(connected_node=bindparam("b_node"), last_seen=bindparam("b_seen"))
)
_DISCONNECTED = (
    update(Station)
    .where(_BY_ID, Station.connected_node == bindparam("b_node"))
    .values(connected_node=None)
)
_BOOTED = (
    update(Station)
    .where(_BY_ID)
    .values(
        {
            **{column: bindparam(f"b_{column}") for column in BOOT_FIELDS.values()},
            "registration_status": bindparam("b_status"),
            "last_boot_at": bindparam("b_seen"),
            "last_seen": bindparam("b_seen"),
        }
    )
)
LAST_SEEN_SLICE = 500
_LAST_SEEN = update(Station).where(_BY_ID).values(last_seen=bindparam("b_seen"))


class StationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, station_id: str) -> Station | None:
        if "\x00" in station_id:  # no station has one, and PostgreSQL text cannot hold it
            return None
        return await self.db.get(Station, station_id)

    async def create(self, station_id: str, password: str | None = None) -> Station:
        values = {
            "id": station_id,
            "password_hash": hash_password(password) if password else None,
            "enabled": True,
            "created_at": utcnow(),
            "min_security_profile": 0,
        }
        await self.db.write((_INSERT, values))
        return Station(**values)

    async def update(self, station_id: str, **values: Any) -> bool:
        if "password" in values:
            password = values.pop("password")
            values["password_hash"] = hash_password(password) if password else None
        async with self.db.transaction() as session:
            result = await session.execute(
                update(Station).where(Station.id == station_id).values(**values)
            )
        return result.rowcount > 0

    async def delete(self, station_id: str) -> bool:
        async with self.db.transaction() as session:
            station = await session.get(Station, station_id)
            if station is None:
                return False
            await session.delete(station)
        return True

    def query(
        self, only: Iterable[str] | None = None, exclude: Iterable[str] | None = None
    ) -> Select:
        """Stations by id, for ``paginate``: all, ``only`` these, or all but ``exclude``."""
        query = select(Station).order_by(Station.id)
        if only is not None:
            query = query.where(Station.id.in_(list(only)))
        if exclude is not None:
            query = query.where(Station.id.not_in(list(exclude)))
        return query

    async def record_boot(self, station_id: str, payload: dict, status: str) -> None:
        """Store the BootNotification fields and the registration status we answered."""
        values: dict[str, Any] = {
            f"b_{column}": payload.get(key) for key, column in BOOT_FIELDS.items()
        }
        values.update(b_id=station_id, b_status=status, b_seen=utcnow())
        await self.db.write((_BOOTED, values))

    async def mark_connected(self, station_id: str, node: str | None) -> None:
        await self.db.write((_CONNECTED, {"b_id": station_id, "b_node": node, "b_seen": utcnow()}))

    async def mark_disconnected(self, station_id: str, node: str) -> None:
        """Clear ``connected_node`` only if ``node`` still holds it: the station may have
        reconnected to another node before this one noticed the old connection end."""
        await self.db.write((_DISCONNECTED, {"b_id": station_id, "b_node": node}))

    async def connected_nodes(self) -> dict[str, str]:
        """Station id -> the node recorded as holding it."""
        async with self.db.read() as session:
            rows = await session.execute(
                select(Station.id, Station.connected_node).where(
                    Station.connected_node.is_not(None)
                )
            )
            return {sid: node for sid, node in rows}

    async def set_connected_nodes(self, nodes: dict[str, str | None]) -> None:
        if not nodes:
            return
        async with self.db.transaction() as session:
            # Core executemany, not ORM bulk update: a station deleted meanwhile is no error.
            table = Station.__table__
            await session.execute(
                update(table)
                .where(table.c.id == bindparam("sid"))
                .values(connected_node=bindparam("node")),
                [{"sid": sid, "node": node} for sid, node in nodes.items()],
            )

    async def save_last_seen(self, seen: dict[str, float]) -> None:
        rows = [
            {"b_id": sid, "b_seen": datetime.fromtimestamp(ts, UTC)} for sid, ts in seen.items()
        ]
        # In slices, one per group commit: 10,000 updates in one commit would hold the event
        # loop (the SQLite writer runs on it) for tens of milliseconds, every station waiting.
        for start in range(0, len(rows), LAST_SEEN_SLICE):
            await self.db.write((_LAST_SEEN, rows[start : start + LAST_SEEN_SLICE]))
