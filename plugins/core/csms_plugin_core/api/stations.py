"""``/stations/{station_id}/...``: what the Core profile keeps of a station (configuration,
status history, registration answer, meter values) and its calls (remote start and stop,
reset, unlock, availability, DataTransfer, cache). A call route builds the payload and
sends it through ``app.call``; its failures become 404/409/422/501/502/504 in the kernel."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from csms_core import Csms
from csms_core.api import ApiModel, AppDep, Paged, PageDep, registered_station
from csms_core.api.deps import CALL_ERROR_RESPONSES

from .. import PLUGIN, store
from .common import MeterValueOut

router = APIRouter(tags=["stations"])


# --- configuration ------------------------------------------------------------------------


class ConfigurationItem(ApiModel):
    key: str
    value: str | None
    readonly: bool
    updated_at: datetime


class ConfigurationOut(ApiModel):
    station_id: str
    items: list[ConfigurationItem] = Field(description="Empty until a GetConfiguration answer.")


class ConfigurationChange(ApiModel):
    key: str = Field(max_length=50)
    value: str = Field(max_length=500)


class ConfigurationFetch(ApiModel):
    key: list[str] | None = Field(None, description="Only these keys; all when absent.")


@router.get("/stations/{station_id}/configuration", response_model=ConfigurationOut)
async def get_configuration(station_id: str, app: AppDep) -> ConfigurationOut:
    """The last GetConfiguration snapshot (kept current by accepted ChangeConfiguration)."""
    await registered_station(app, station_id)
    rows = await store.configuration(app, station_id)
    items = [ConfigurationItem.model_validate(row) for row in rows]
    return ConfigurationOut(station_id=station_id, items=items)


@router.post("/stations/{station_id}/configuration", responses=CALL_ERROR_RESPONSES)
async def change_configuration(station_id: str, body: ConfigurationChange, app: AppDep) -> Any:
    """ChangeConfiguration; answers the station's status (Accepted, Rejected, ...)."""
    return await app.call(station_id, "ChangeConfiguration", body.model_dump())


@router.post("/stations/{station_id}/configuration/fetch", responses=CALL_ERROR_RESPONSES)
async def fetch_configuration(
    station_id: str, app: AppDep, body: ConfigurationFetch | None = None
) -> Any:
    """GetConfiguration (all keys, or some); the answer updates the stored snapshot."""
    payload = {"key": body.key} if body is not None and body.key else {}
    return await app.call(station_id, "GetConfiguration", payload)


# --- status history -----------------------------------------------------------------------


class StatusEventOut(ApiModel):
    connector_id: int
    status: str
    error_code: str
    info: str | None
    vendor_id: str | None
    vendor_error_code: str | None
    timestamp: datetime | None
    received_at: datetime


@router.get("/stations/{station_id}/status-history", response_model=Paged[StatusEventOut])
async def status_history(
    station_id: str,
    app: AppDep,
    page: PageDep,
    connector_id: Annotated[int | None, Query(alias="connectorId")] = None,
) -> Paged[StatusEventOut]:
    """Every StatusNotification, newest first."""
    await registered_station(app, station_id)
    return await store.status_history(app, station_id, connector_id, page, StatusEventOut)


# --- registration -------------------------------------------------------------------------


class RegistrationIn(ApiModel):
    status: Literal["Accepted", "Pending", "Rejected"] | None = Field(
        description="Answer to this station's next BootNotification; null: use the default."
    )


class RegistrationOut(ApiModel):
    station_id: str
    status: str = Field(description="What the next BootNotification will be answered.")
    override: bool = Field(description="False when the default setting applies.")
    current: str | None = Field(description="The status answered to the last boot.")


@router.get("/stations/{station_id}/registration", response_model=RegistrationOut)
async def get_registration(station_id: str, app: AppDep) -> RegistrationOut:
    station = await registered_station(app, station_id)
    row = await store.registration(app, station_id)
    return RegistrationOut(
        station_id=station_id,
        status=row.status if row else app.settings_for(PLUGIN).registration_status,
        override=row is not None,
        current=station.registration_status,
    )


@router.put("/stations/{station_id}/registration", response_model=RegistrationOut)
async def put_registration(station_id: str, body: RegistrationIn, app: AppDep) -> RegistrationOut:
    """Set how this station's boots are answered. Takes effect at its next BootNotification."""
    await registered_station(app, station_id)
    await store.set_registration(app, station_id, body.status)
    return await get_registration(station_id, app)


# --- calls --------------------------------------------------------------------------------


class RemoteStart(ApiModel):
    id_tag: str = Field(max_length=20)
    connector_id: int | None = Field(None, gt=0)
    charging_profile: dict[str, Any] | None = Field(None, description="A TxProfile, optional.")


class RemoteStop(ApiModel):
    transaction_id: int


class ResetIn(ApiModel):
    type: Literal["Hard", "Soft"]


class UnlockIn(ApiModel):
    connector_id: int = Field(gt=0)


class AvailabilityIn(ApiModel):
    connector_id: int = Field(0, ge=0, description="0: the whole station.")
    type: Literal["Operative", "Inoperative"]


class DataTransferIn(ApiModel):
    vendor_id: str = Field(max_length=255)
    message_id: str | None = Field(None, max_length=50)
    data: str | None = None


async def _send(app: Csms, station_id: str, action: str, body: ApiModel) -> Any:
    """``action`` with the body as its payload (OCPP's camelCase, unset fields left out)."""
    payload = body.model_dump(by_alias=True, exclude_none=True)
    return await app.call(station_id, action, payload)


CALL = {"responses": CALL_ERROR_RESPONSES}


@router.post("/stations/{station_id}/remote-start", summary="RemoteStartTransaction", **CALL)
async def remote_start_transaction(station_id: str, body: RemoteStart, app: AppDep) -> Any:
    """Start charging remotely."""
    return await _send(app, station_id, "RemoteStartTransaction", body)


@router.post("/stations/{station_id}/remote-stop", summary="RemoteStopTransaction", **CALL)
async def remote_stop_transaction(station_id: str, body: RemoteStop, app: AppDep) -> Any:
    """Stop a transaction remotely."""
    return await _send(app, station_id, "RemoteStopTransaction", body)


@router.post("/stations/{station_id}/reset", summary="Reset", **CALL)
async def reset(station_id: str, body: ResetIn, app: AppDep) -> Any:
    """Reset the station (Hard or Soft)."""
    return await _send(app, station_id, "Reset", body)


@router.post("/stations/{station_id}/unlock", summary="UnlockConnector", **CALL)
async def unlock_connector(station_id: str, body: UnlockIn, app: AppDep) -> Any:
    """Unlock a connector."""
    return await _send(app, station_id, "UnlockConnector", body)


@router.post("/stations/{station_id}/availability", summary="ChangeAvailability", **CALL)
async def change_availability(station_id: str, body: AvailabilityIn, app: AppDep) -> Any:
    """Change availability."""
    return await _send(app, station_id, "ChangeAvailability", body)


@router.post("/stations/{station_id}/data-transfer", summary="DataTransfer", **CALL)
async def data_transfer(station_id: str, body: DataTransferIn, app: AppDep) -> Any:
    """Send a DataTransfer."""
    return await _send(app, station_id, "DataTransfer", body)


@router.post("/stations/{station_id}/clear-cache", **CALL)
async def clear_cache(station_id: str, app: AppDep) -> Any:
    """Clear the station's authorization cache."""
    return await app.call(station_id, "ClearCache", {})


# --- meter values -------------------------------------------------------------------------


@router.get("/stations/{station_id}/meter-values", response_model=Paged[MeterValueOut])
async def station_meter_values(
    station_id: str,
    app: AppDep,
    page: PageDep,
    connector_id: Annotated[int | None, Query(alias="connectorId")] = None,
    transaction_id: Annotated[int | None, Query(alias="transactionId")] = None,
) -> Paged[MeterValueOut]:
    """Every sampled value the station sent (in or outside transactions), newest first."""
    await registered_station(app, station_id)
    return await store.meter_values(
        app, station_id, connector_id, transaction_id, page, MeterValueOut
    )
