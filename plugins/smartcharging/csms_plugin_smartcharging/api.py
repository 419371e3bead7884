"""Routes: installed profiles, the CSMS-computed composite schedule, charging groups."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import Field
from sqlalchemy import select

from csms_core.api.deps import CALL_ERROR_RESPONSES, ApiModel, AppDep, registered_station

from . import loadmanagement, mirror
from .composite import composite_schedule, parse_time
from .models import ChargingGroup

router = APIRouter(tags=["smart charging"])

Purpose = Literal["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]
Unit = Literal["A", "W"]


def settings(app: Any) -> Any:
    return app.settings_for("smartcharging")


# --- installed profiles -------------------------------------------------------------------


class InstalledOut(ApiModel):
    connector_id: int
    charging_profile_id: int
    stack_level: int
    charging_profile_purpose: str
    transaction_id: int | None
    installed_at: datetime
    charging_profile: dict[str, Any] = Field(description="The profile as the station accepted it.")


class InstalledList(ApiModel):
    items: list[InstalledOut]


class SetProfileIn(ApiModel):
    connector_id: int = Field(ge=0)
    cs_charging_profiles: dict[str, Any] = Field(description="The OCPP ChargingProfile.")


@router.get("/stations/{station_id}/charging-profiles", response_model=InstalledList)
async def list_profiles(
    station_id: str,
    app: AppDep,
    connector_id: Annotated[int | None, Query(alias="connectorId")] = None,
) -> InstalledList:
    """The profiles the station has accepted and not cleared, as the CSMS mirrors them."""
    await registered_station(app, station_id)
    rows = await mirror.rows(app, station_id)
    items = [
        InstalledOut(
            connector_id=r.connector_id,
            charging_profile_id=r.charging_profile_id,
            stack_level=r.stack_level,
            charging_profile_purpose=r.purpose,
            transaction_id=r.transaction_id,
            installed_at=r.installed_at,
            charging_profile=r.profile,
        )
        for r in rows
        if connector_id is None or r.connector_id == connector_id
    ]
    return InstalledList(items=items)


@router.post("/stations/{station_id}/charging-profiles", responses=CALL_ERROR_RESPONSES)
async def set_profile(station_id: str, body: SetProfileIn, app: AppDep) -> Any:
    """Send SetChargingProfile (validated first; the mirror follows an Accepted answer)."""
    payload = body.model_dump(by_alias=True)
    return await app.call(station_id, "SetChargingProfile", payload)


@router.delete("/stations/{station_id}/charging-profiles", responses=CALL_ERROR_RESPONSES)
async def clear_profiles(
    station_id: str,
    app: AppDep,
    id: Annotated[int | None, Query(description="chargingProfileId")] = None,
    connector_id: Annotated[int | None, Query(alias="connectorId", ge=0)] = None,
    purpose: Annotated[Purpose | None, Query(alias="chargingProfilePurpose")] = None,
    stack_level: Annotated[int | None, Query(alias="stackLevel", ge=0)] = None,
) -> Any:
    """Send ClearChargingProfile; the given criteria must all match, none clears everything."""
    payload = {
        key: value
        for key, value in (
            ("id", id),
            ("connectorId", connector_id),
            ("chargingProfilePurpose", purpose),
            ("stackLevel", stack_level),
        )
        if value is not None
    }
    return await app.call(station_id, "ClearChargingProfile", payload)


# --- composite schedule -------------------------------------------------------------------


async def running_transaction(app: Any, station_id: str, connector_id: int) -> dict | None:
    for tx in await app.query("active_transactions", station_id=station_id) or []:
        if tx.get("connectorId") == connector_id:
            started = tx.get("timestamp") or tx.get("startTimestamp") or tx.get("start")
            return {"transactionId": tx["transactionId"], "start": parse_time(started)}
    return None


async def compute(
    app: Any, station_id: str, connector_id: int, duration: int, unit: str | None
) -> dict[str, Any]:
    options = settings(app)
    return composite_schedule(
        await mirror.installed(app, station_id),
        connector_id,
        datetime.now(UTC),
        duration,
        unit,
        await running_transaction(app, station_id, connector_id),
        voltage=options.voltage,
        max_current=options.max_current,
    )


@router.get(
    "/stations/{station_id}/connectors/{connector_id}/composite-schedule",
    responses=CALL_ERROR_RESPONSES,
)
async def get_composite(
    station_id: str,
    connector_id: int,
    app: AppDep,
    duration: Annotated[int, Query(gt=0, le=7 * 86400)] = 86400,
    unit: Annotated[Unit | None, Query(alias="chargingRateUnit")] = None,
    compare: Annotated[bool, Query(description="Also ask the station.")] = False,
) -> Any:
    """The composite schedule from now for ``duration`` seconds, computed by the CSMS from the
    profiles it knows are installed, shaped like GetCompositeSchedule.conf. With
    ``compare=true`` the station's own answer comes too: ``{"csms": ..., "station": ...}``."""
    await registered_station(app, station_id)
    if connector_id < 0:
        raise HTTPException(422, "connectorId must not be negative")
    computed = await compute(app, station_id, connector_id, duration, unit)
    if not compare:
        return computed
    request = {"connectorId": connector_id, "duration": duration}
    if unit:
        request["chargingRateUnit"] = unit
    answer = await app.call(station_id, "GetCompositeSchedule", request)
    return {"csms": computed, "station": answer}


# --- charging groups ----------------------------------------------------------------------


class Member(ApiModel):
    station_id: str
    connector_id: int | None = Field(None, ge=1, description="None: every connector.")
    max_limit: float | None = Field(None, gt=0, description="The connector's own maximum.")
    min_limit: float | None = Field(None, ge=0, description="Below this, pause instead.")


class GroupIn(ApiModel):
    name: str = Field(min_length=1, max_length=100)
    limit: float = Field(gt=0, description="Capacity shared by the members' transactions.")
    unit: Unit = "A"
    enabled: bool = False
    fallback_limit: float | None = Field(
        None,
        ge=0,
        description="TxDefaultProfile sent to a member station when it boots (reconnects), "
        "so it is safe before the CSMS divides the capacity again.",
    )
    members: list[Member] = []


class GroupPatch(ApiModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    limit: float | None = Field(None, gt=0)
    unit: Unit | None = None
    enabled: bool | None = None
    fallback_limit: float | None = Field(None, ge=0)
    members: list[Member] | None = None


class GroupOut(GroupIn):
    id: int
    created_at: datetime
    allocation: dict[str, float] = Field(
        {}, description="Current share per 'station/connector' while enabled."
    )


async def _out(app: Any, group: ChargingGroup) -> GroupOut:
    return GroupOut(
        id=group.id,
        name=group.name,
        limit=group.limit,
        unit=group.unit,  # type: ignore[arg-type]
        enabled=group.enabled,
        fallback_limit=group.fallback_limit,
        members=[Member.model_validate(m) for m in group.members],
        created_at=group.created_at,
        allocation=await loadmanagement.current_allocation(app, group.id),
    )


@router.post("/charging-groups", status_code=201, response_model=GroupOut)
async def create_group(body: GroupIn, app: AppDep) -> GroupOut:
    async with app.db.session() as session, session.begin():
        if await session.scalar(select(ChargingGroup).where(ChargingGroup.name == body.name)):
            raise HTTPException(409, f"charging group {body.name!r} already exists")
        group = ChargingGroup(
            name=body.name,
            limit=body.limit,
            unit=body.unit,
            enabled=body.enabled,
            fallback_limit=body.fallback_limit,
            members=[m.model_dump(by_alias=True) for m in body.members],
            created_at=mirror.utcnow(),
        )
        session.add(group)
    if group.enabled:
        app.spawn(loadmanagement.rebalance(app, group.id))
    return await _out(app, group)


@router.get("/charging-groups", response_model=list[GroupOut])
async def list_groups(app: AppDep) -> list[GroupOut]:
    async with app.db.session() as session:
        groups = list(await session.scalars(select(ChargingGroup).order_by(ChargingGroup.id)))
    return [await _out(app, g) for g in groups]


async def _group(session: Any, group_id: int) -> ChargingGroup:
    group = await session.get(ChargingGroup, group_id)
    if group is None:
        raise HTTPException(404, f"charging group {group_id} does not exist")
    return group


@router.get("/charging-groups/{group_id}", response_model=GroupOut)
async def get_group(group_id: int, app: AppDep) -> GroupOut:
    async with app.db.session() as session:
        group = await _group(session, group_id)
    return await _out(app, group)


@router.patch("/charging-groups/{group_id}", response_model=GroupOut)
async def patch_group(group_id: int, body: GroupPatch, app: AppDep) -> GroupOut:
    async with app.db.session() as session, session.begin():
        group = await _group(session, group_id)
        for field in body.model_fields_set:
            value = getattr(body, field)
            if field == "members":
                value = [m.model_dump(by_alias=True) for m in body.members or []]
            setattr(group, field, value)
    # Enabling, disabling or resizing: divide again (a disabled group releases its limits).
    app.spawn(loadmanagement.rebalance(app, group_id))
    return await _out(app, group)


@router.delete("/charging-groups/{group_id}", status_code=204)
async def delete_group(group_id: int, app: AppDep) -> None:
    async with app.db.session() as session, session.begin():
        await session.delete(await _group(session, group_id))
    await loadmanagement.forget(app, group_id)
