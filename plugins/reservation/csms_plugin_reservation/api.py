"""``/api/v1/reservations``: make, list, show and cancel reservations.

Calls go through ``app.call``; its failures reach the kernel's exception handler, so these
routes answer 404/409/422/501/502/504 exactly like the generic call endpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import Field

from csms_core import Csms
from csms_core.api import Paged
from csms_core.api.deps import CALL_ERROR_RESPONSES, ApiModel, AppDep, PageDep
from csms_core.rpc import format_timestamp

from . import PLUGIN, store
from .models import ACCEPTED, Reservation

router = APIRouter(prefix="/reservations", tags=["reservations"])

Status = Literal[
    "Accepted",
    "Faulted",
    "Occupied",
    "Rejected",
    "Unavailable",
    "Used",
    "Cancelled",
    "Expired",
    "Terminated",
]

CALL_RESPONSES: dict[int | str, dict[str, Any]] = {
    **CALL_ERROR_RESPONSES,
    404: {**CALL_ERROR_RESPONSES[404], "description": "unknown station or reservation"},
    409: {**CALL_ERROR_RESPONSES[409], "description": "station not connected; nothing to cancel"},
}


class ReservationCreate(ApiModel):
    station_id: str
    connector_id: int = Field(ge=0, description="0: any connector (ReserveConnectorZeroSupported).")
    id_tag: str = Field(min_length=1, max_length=20)
    parent_id_tag: str | None = Field(
        None, max_length=20, description="Default: the tag's parent, when known."
    )
    expiry_date: datetime = Field(description="Must be in the future; no offset means UTC.")
    reservation_id: int | None = Field(None, description="Default: the CSMS picks one.")


class ReservationOut(ApiModel):
    reservation_id: int
    station_id: str
    connector_id: int
    id_tag: str
    parent_id_tag: str | None
    expiry_date: datetime
    status: Status = Field(
        description="The station's answer (Accepted = active, Faulted, Occupied, Rejected, "
        "Unavailable) or what ended it (Used, Cancelled, Expired, Terminated: the station "
        "no longer holds it, the last event says why)."
    )
    transaction_id: int | None = Field(description="The transaction that used it.")
    events: list[dict[str, Any]] = Field(
        description="What the operator should know: ConnectorFaulted, ConnectorUnavailable, "
        "AuthorizeByOtherTag, TransactionByOtherTag, StationBooted, CancelRejected."
    )
    created_at: datetime
    updated_at: datetime


async def _get(app: Csms, reservation_id: int) -> Reservation:
    record = await store.get(app, reservation_id)
    if record is None:
        raise HTTPException(404, f"reservation {reservation_id} does not exist")
    return record


@router.post("", status_code=201, response_model=ReservationOut, responses=CALL_RESPONSES)
async def create_reservation(
    body: ReservationCreate,
    app: AppDep,
    timeout: Annotated[float | None, Query(gt=0, le=300)] = None,
) -> ReservationOut:
    """Send ReserveNow; the record shows the station's answer in ``status``."""
    reservation_id = body.reservation_id
    if reservation_id is None:
        reservation_id = await store.next_id(app)
    parent = body.parent_id_tag
    if parent is None and app.settings_for(PLUGIN).fill_parent_id_tag:
        info = await app.query("id_tag_info", id_tag=body.id_tag)
        parent = (info or {}).get("parentIdTag")
    expiry = body.expiry_date if body.expiry_date.tzinfo else body.expiry_date.replace(tzinfo=UTC)
    payload: dict[str, Any] = {
        "connectorId": body.connector_id,
        "expiryDate": format_timestamp(expiry),
        "idTag": body.id_tag,
        "reservationId": reservation_id,
    }
    if parent:
        payload["parentIdTag"] = parent
    await app.call(body.station_id, "ReserveNow", payload, timeout)
    return ReservationOut.model_validate(await _get(app, reservation_id))


@router.get("", response_model=Paged[ReservationOut])
async def list_reservations(
    app: AppDep,
    page: PageDep,
    station_id: Annotated[str | None, Query(alias="stationId")] = None,
    status: Status | None = None,
) -> Paged[ReservationOut]:
    """Reservations, newest first."""
    return await store.page(app, page, ReservationOut, station_id, status)


@router.get("/{reservation_id}", response_model=ReservationOut)
async def get_reservation(reservation_id: int, app: AppDep) -> ReservationOut:
    return ReservationOut.model_validate(await _get(app, reservation_id))


@router.delete("/{reservation_id}", response_model=ReservationOut, responses=CALL_RESPONSES)
async def cancel_reservation(
    reservation_id: int,
    app: AppDep,
    timeout: Annotated[float | None, Query(gt=0, le=300)] = None,
) -> ReservationOut:
    """Send CancelReservation for an active reservation; 409 if the station rejects it."""
    record = await _get(app, reservation_id)
    if record.status != ACCEPTED:
        raise HTTPException(409, f"reservation {reservation_id} is {record.status}, not active")
    answer = await app.call(
        record.station_id, "CancelReservation", {"reservationId": reservation_id}, timeout
    )
    if answer["status"] != ACCEPTED:
        raise HTTPException(
            409,
            f"{record.station_id} answered {answer['status']}: it holds no such reservation "
            "(the record is now Terminated)",
        )
    return ReservationOut.model_validate(await _get(app, reservation_id))
