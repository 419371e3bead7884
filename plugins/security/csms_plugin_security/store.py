"""Queries behind the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from .models import SecurityEvent


async def security_events(
    app: Any, station_id: str, offset: int, limit: int, type_: str | None = None
) -> tuple[list[SecurityEvent], int]:
    """Newest first (by arrival; the station's clock may be wrong)."""
    where = [SecurityEvent.station_id == station_id]
    if type_ is not None:
        where.append(SecurityEvent.type == type_)
    async with app.db.session() as session:
        total = await session.scalar(select(func.count()).select_from(SecurityEvent).where(*where))
        rows = await session.scalars(
            select(SecurityEvent)
            .where(*where)
            .order_by(SecurityEvent.received_at.desc(), SecurityEvent.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return list(rows), int(total or 0)
