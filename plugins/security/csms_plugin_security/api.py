"""Operator routes of the security whitepaper."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from csms_core.api.deps import ApiModel, AppDep, PageDep

from . import store

router = APIRouter(tags=["security"])


class SecurityEventOut(ApiModel):
    id: int
    station_id: str
    type: str
    timestamp: datetime
    tech_info: str | None
    received_at: datetime


class SecurityEventList(ApiModel):
    items: list[SecurityEventOut]
    total: int
    offset: int
    limit: int


async def _require_station(app: Any, station_id: str) -> None:
    if await app.stations.get(station_id) is None:
        raise HTTPException(404, f"station {station_id!r} is not registered")


@router.get("/stations/{station_id}/security-events", response_model=SecurityEventList)
async def list_security_events(
    station_id: str,
    app: AppDep,
    page: PageDep,
    type: Annotated[str | None, Query(description="Only events of this type.")] = None,
) -> SecurityEventList:
    """The station's SecurityEventNotifications, newest first."""
    await _require_station(app, station_id)
    rows, total = await store.security_events(app, station_id, page.offset, page.limit, type)
    return SecurityEventList(
        items=[SecurityEventOut.model_validate(r) for r in rows],
        total=total,
        offset=page.offset,
        limit=page.limit,
    )
