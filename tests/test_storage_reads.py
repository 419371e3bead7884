"""Batched reads: concurrent lookups share one query and see what was committed before."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csms_core.stations import StationStore
from csms_core.storage import Database, upgrade_all
from csms_core.storage.migrate import KERNEL_TABLES
from csms_core.storage.models import Station


async def test_batched_shares_one_query_per_burst(database_url: str) -> None:
    db = Database(database_url)
    try:
        await upgrade_all(db, [KERNEL_TABLES])
        stations = StationStore(db)
        for station_id in ("A1", "A2", "B1"):
            await stations.create(station_id)
        queries: list[list[str]] = []

        async def by_prefix(session: AsyncSession, keys: Sequence[Any]) -> dict[Any, Any]:
            queries.append(sorted(keys))
            rows = await session.scalars(select(Station.id).order_by(Station.id))
            found: dict[str, list[str]] = {}
            for station_id in rows:
                if station_id[0] in keys:
                    found.setdefault(station_id[0], []).append(station_id)
            return found

        reader = db.batched("test.by_prefix", by_prefix, [])
        assert db.batched("test.by_prefix", by_prefix, []) is reader
        results = await asyncio.gather(*(reader.get(k) for k in ("A", "B", "C", "A")))
        assert results == [["A1", "A2"], ["B1"], [], ["A1", "A2"]]
        assert queries == [["A", "B", "C"]]
        # A later lookup runs a new query and sees rows committed since.
        await stations.create("C1")
        assert await reader.get("C") == ["C1"]
        assert len(queries) == 2
    finally:
        await db.close()
