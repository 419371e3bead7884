"""Routes: installed profiles, the CSMS-computed composite schedule, charging groups."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import Field

from csms_core import Csms, Transaction
from csms_core.api import Paged
from csms_core.api.deps import (
    CALL_ERROR_RESPONSES,
    ApiModel,
    AppDep,
    PageDep,
    registered_station,
)

from . import PLUGIN, loadmanagement, store
from .composite import composite_schedule, parse_time
from .models import ChargingGroup

router = APIRouter(tags=["smart charging"])

Purpose = Literal["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]
Unit = Literal["A", "W"]


# --- installed profiles -------------------------------------------------------------------


class InstalledOut(ApiModel):
    connector_id: int
    charging_profile_id: int
    stack_level: int
    charging_profile_purpose: str
    transaction_id: int | None
    installed_at: datetime
    charging_profile: dict[str, Any] = Field(description="The profile as the station accepted it.")


class SetProfileIn(ApiModel):
    connector_id: int = Field(ge=0)
    cs_charging_profiles: dict[str, Any] = Field(description="The OCPP ChargingProfile.")


@router.get("/stations/{station_id}/charging-profiles", response_model=Paged[InstalledOut])
async def list_profiles(
    station_id: str,
    app: AppDep,
    page: PageDep,
    connector_id: Annotated[int | None, Query(alias="connectorId")] = None,
) -> Paged[InstalledOut]:
    """The profiles the station has accepted and not cleared, as the CSMS mirrors them."""
    await registered_station(app, station_id)
    return await store.installed_page(app, station_id, connector_id, page, InstalledOut)


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
    criteria = {
        "id": id,
        "connectorId": connector_id,
        "chargingProfilePurpose": purpose,
        "stackLevel": stack_level,
    }
    payload = {name: value for name, value in criteria.items() if value is not None}
    return await app.call(station_id, "ClearChargingProfile", payload)


# --- composite schedule -------------------------------------------------------------------


async def running_transaction(app: Csms, station_id: str, connector_id: int) -> dict | None:
    transactions: list[Transaction] = (
        await app.query("active_transactions", station_id=station_id) or []
    )
    for tx in transactions:
        if tx["connectorId"] == connector_id:
            return {"transactionId": tx["transactionId"], "start": parse_time(tx["timestamp"])}
    return None


async def compute(
    app: Csms, station_id: str, connector_id: int, duration: int, unit: str | None
) -> dict[str, Any]:
    options = app.settings_for(PLUGIN)
    return composite_schedule(
        await store.installed(app, station_id),
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


async def _out(app: Csms, group: ChargingGroup | None, group_id: int) -> GroupOut:
    if group is None:
        raise HTTPException(404, f"charging group {group_id} does not exist")
    out = GroupOut.model_validate(group)
    out.allocation = await loadmanagement.current_allocation(app, group.id)
    return out


def _members(members: list[Member] | None) -> list[dict[str, Any]]:
    return [m.model_dump(by_alias=True) for m in members or []]


@router.post("/charging-groups", status_code=201, response_model=GroupOut)
async def create_group(body: GroupIn, app: AppDep) -> GroupOut:
    group = await store.create_group(
        app, **body.model_dump(exclude={"members"}), members=_members(body.members)
    )
    if group is None:
        raise HTTPException(409, f"charging group {body.name!r} already exists")
    if group.enabled:
        app.spawn(loadmanagement.rebalance(app, group.id))
    return await _out(app, group, group.id)


@router.get("/charging-groups", response_model=Paged[GroupOut])
async def list_groups(app: AppDep, page: PageDep) -> Paged[GroupOut]:
    groups = await store.groups_page(app, page, GroupOut)
    for group in groups.items:
        group.allocation = await loadmanagement.current_allocation(app, group.id)
    return groups


@router.get("/charging-groups/{group_id}", response_model=GroupOut)
async def get_group(group_id: int, app: AppDep) -> GroupOut:
    return await _out(app, await store.group(app, group_id), group_id)


@router.patch("/charging-groups/{group_id}", response_model=GroupOut)
async def patch_group(group_id: int, body: GroupPatch, app: AppDep) -> GroupOut:
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    if "members" in changes:
        changes["members"] = _members(body.members)
    group = await store.update_group(app, group_id, **changes)
    if group is not None:
        # Enabling, disabling or resizing: divide again (a disabled group releases its limits).
        app.spawn(loadmanagement.rebalance(app, group_id))
    return await _out(app, group, group_id)


@router.delete("/charging-groups/{group_id}", status_code=204)
async def delete_group(group_id: int, app: AppDep) -> None:
    if not await store.delete_group(app, group_id):
        raise HTTPException(404, f"charging group {group_id} does not exist")
    await loadmanagement.forget(app, group_id)
