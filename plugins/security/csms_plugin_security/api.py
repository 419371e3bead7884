"""Operator routes of the security whitepaper."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import Field

from csms_core.api.deps import CALL_ERROR_RESPONSES, ApiModel, AppDep, PageDep

from . import profiles, store

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


# --- AuthorizationKey (A01, TC_073) and SecurityProfile (A05, TC_083) -------------------------


class AuthorizationKeyRequest(ApiModel):
    authorization_key: str | None = Field(
        None,
        min_length=16,
        max_length=40,
        description="The new Basic-auth password (16-40 characters). Omit it and the CSMS "
        "generates 20 random bytes as 40 hex digits (whitepaper A00.FR.205, A01.FR.07); "
        "it is never shown.",
    )


class ChangeResult(ApiModel):
    status: str = Field(description="ChangeConfiguration.conf status from the station.")


class SecurityProfileRequest(ApiModel):
    security_profile: int = Field(ge=1, le=3)


class SecurityProfileOut(ApiModel):
    station_id: str
    min_security_profile: int = Field(description="Connections below it are refused.")
    connected_profile: int | None = Field(description="The profile of its last connection.")
    pending_profile: int | None = Field(
        description="Accepted upgrade, becomes the minimum once the station connects with it."
    )
    pending_since: datetime | None


@router.post(
    "/stations/{station_id}/authorization-key",
    response_model=ChangeResult,
    responses=CALL_ERROR_RESPONSES,
)
async def set_authorization_key(
    station_id: str, body: AuthorizationKeyRequest, app: AppDep
) -> ChangeResult:
    """Send ChangeConfiguration(AuthorizationKey); the station's password changes only when
    it answers Accepted (A01.FR.03/04)."""
    await _require_station(app, station_id)
    key = body.authorization_key or secrets.token_hex(20)
    payload = {"key": profiles.AUTHORIZATION_KEY, "value": key}
    return ChangeResult.model_validate(await app.call(station_id, "ChangeConfiguration", payload))


@router.post(
    "/stations/{station_id}/security-profile",
    response_model=ChangeResult,
    responses=CALL_ERROR_RESPONSES,
)
async def upgrade_security_profile(
    station_id: str, body: SecurityProfileRequest, app: AppDep
) -> ChangeResult:
    """Send ChangeConfiguration(SecurityProfile): only upwards, and only to a profile this
    server can serve (422 otherwise, nothing sent)."""
    await _require_station(app, station_id)
    payload = {"key": profiles.SECURITY_PROFILE, "value": str(body.security_profile)}
    return ChangeResult.model_validate(await app.call(station_id, "ChangeConfiguration", payload))


@router.get("/stations/{station_id}/security-profile", response_model=SecurityProfileOut)
async def get_security_profile(station_id: str, app: AppDep) -> SecurityProfileOut:
    station = await app.stations.get(station_id)
    if station is None:
        raise HTTPException(404, f"station {station_id!r} is not registered")
    known = await profiles.state(app, station_id)
    return SecurityProfileOut(
        station_id=station_id,
        min_security_profile=station.min_security_profile,
        connected_profile=known.connected_profile if known else None,
        pending_profile=known.pending_profile if known else None,
        pending_since=known.pending_since if known else None,
    )
