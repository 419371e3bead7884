"""Stations and the generic call endpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query
from pydantic import Field, field_validator

from ..security import MAX_STATION_ID_LENGTH, check_password_rules, station_id_problem
from ..storage.models import Station
from .deps import (
    CALL_ERROR_RESPONSES,
    ApiModel,
    AppDep,
    Paged,
    PageDep,
    paginate,
    registered_station,
)

router = APIRouter(tags=["stations"])


class StationCreate(ApiModel):
    id: str = Field(
        max_length=MAX_STATION_ID_LENGTH,
        description="The identity in the station's URL: 1-48 printable characters (spaces "
        "too, percent-encoded in URLs), none of them '/' or ':', and not '.' or '..'.",
    )
    password: str | None = Field(
        None, description="Basic-auth password (AuthorizationKey, 16-40 characters)."
    )

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        problem = station_id_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class StationPatch(ApiModel):
    password: str | None = Field(None, description="New password; empty string removes it.")
    enabled: bool | None = None
    min_security_profile: int | None = Field(
        None,
        ge=0,
        le=3,
        description="Lowest security profile the station may connect with. Lowering it is "
        "the operator's way outside OCPP (whitepaper A00.FR.005).",
    )


class Connector(ApiModel):
    model_config = ApiModel.model_config | {"extra": "allow"}
    connector_id: int
    status: str | None = None
    error_code: str | None = None
    timestamp: datetime | None = None


class StationOut(ApiModel):
    id: str
    connected: bool = False
    enabled: bool
    security_profile: int = Field(0, description="0: no password, 1: Basic auth.")
    min_security_profile: int = Field(
        0, description="Connections with a lower security profile are refused (0: any)."
    )
    registration_status: str | None
    last_seen: datetime | None
    last_boot_at: datetime | None
    charge_point_vendor: str | None
    charge_point_model: str | None
    charge_point_serial_number: str | None
    charge_box_serial_number: str | None
    firmware_version: str | None
    iccid: str | None
    imsi: str | None
    meter_type: str | None
    meter_serial_number: str | None
    connectors: list[Connector] = []


async def describe(app: Any, station: Station, connected: bool, details: bool) -> StationOut:
    out = StationOut.model_validate(station)
    out.connected = connected
    out.security_profile = 1 if station.password_hash else 0
    session = app.router.local_session(station.id)
    if session is not None:
        out.last_seen = datetime.fromtimestamp(session.last_seen, UTC)
    if details:
        connectors = await app.query("station_connectors", station_id=station.id)
        out.connectors = [Connector.model_validate(c) for c in connectors or []]
    return out


@router.post("/stations", status_code=201, response_model=StationOut, response_model_by_alias=True)
async def create_station(body: StationCreate, app: AppDep) -> StationOut:
    if body.password is not None:
        problem = check_password_rules(body.password)
        if problem:
            raise HTTPException(422, problem)
    elif app.settings.require_password:
        raise HTTPException(422, "this CSMS requires a password for every station")
    if await app.stations.get(body.id) is not None:
        raise HTTPException(409, f"station {body.id!r} already exists")
    station = await app.stations.create(body.id, body.password)
    return await describe(app, station, False, details=False)


@router.get("/stations", response_model=Paged[StationOut])
async def list_stations(
    app: AppDep, page: PageDep, connected: Annotated[bool | None, Query()] = None
) -> Paged[StationOut]:
    online = await app.router.connected_ids()
    query = app.stations.query(
        only=online if connected is True else None,
        exclude=online if connected is False else None,
    )
    async with app.db.read() as session:
        found = await paginate(session, query, page)
    items = [await describe(app, s, s.id in online, details=False) for s in found.items]
    return Paged[StationOut](items=items, total=found.total, offset=found.offset, limit=found.limit)


@router.get("/stations/{station_id}", response_model=StationOut)
async def get_station(station_id: str, app: AppDep) -> StationOut:
    station = await registered_station(app, station_id)
    return await describe(app, station, await app.router.is_connected(station_id), details=True)


@router.patch("/stations/{station_id}", response_model=StationOut)
async def patch_station(station_id: str, body: StationPatch, app: AppDep) -> StationOut:
    await registered_station(app, station_id)
    values: dict[str, Any] = {}
    if body.password is not None:
        if body.password == "":
            if app.settings.require_password:
                raise HTTPException(422, "this CSMS requires a password for every station")
            values["password"] = None
        else:
            problem = check_password_rules(body.password)
            if problem:
                raise HTTPException(422, problem)
            values["password"] = body.password
    if body.enabled is not None:
        values["enabled"] = body.enabled
    if body.min_security_profile is not None:
        values["min_security_profile"] = body.min_security_profile
    if values:
        await app.stations.update(station_id, **values)
    if body.enabled is False:
        await app.router.disconnect(station_id, 1008, "station disabled")
    return await get_station(station_id, app)


@router.delete("/stations/{station_id}", status_code=204)
async def delete_station(station_id: str, app: AppDep) -> None:
    await registered_station(app, station_id)
    await app.router.disconnect(station_id, 1008, "station removed")
    if await app.stations.delete(station_id):
        # After the commit: plugins clean up for a station that is gone for good.
        await app.fire("station_removed", station_id=station_id)


@router.post("/stations/{station_id}/calls/{action}", responses=CALL_ERROR_RESPONSES)
async def call_station(
    station_id: str,
    action: str,
    app: AppDep,
    payload: Annotated[dict[str, Any], Body(description="The OCPP request payload.")],
    timeout: Annotated[float | None, Query(gt=0, le=300)] = None,
) -> dict[str, Any]:
    """Send any CSMS-initiated OCPP action an enabled plugin owns; returns the station's answer.

    Failures become the contract's status codes in ``call_failed_handler`` (api/server.py).
    """
    return await app.call(station_id, action, payload, timeout)
