"""ReserveNow and CancelReservation: what is refused before sending, and what an answer means.

Both run for every sender (our routes, the generic call endpoint, the CLI, other plugins)."""

from __future__ import annotations

import logging
from typing import Any

from csms_core import Csms, PayloadRejected
from csms_core.rpc import parse_timestamp

from . import PLUGIN, store
from .lifecycle import now, replan_expiry
from .models import ACCEPTED, CANCELLED, ENDED, TERMINATED

log = logging.getLogger("csms.reservation")


def is_true(value: Any) -> bool:
    return str(value).strip().lower() == "true"


async def check_reserve_now(app: Csms, station_id: str, payload: dict) -> None:
    reservation_id = payload["reservationId"]
    connector_id = payload["connectorId"]

    if parse_timestamp(payload["expiryDate"]) <= now(app):
        raise PayloadRejected("expiryDate must be in the future")

    if connector_id == 0:
        config = await app.query("station_configuration", station_id=station_id) or {}
        supported = config.get("ReserveConnectorZeroSupported")
        # Unknown (never read from the station): let the station decide.
        if supported is not None and not is_true(supported):
            raise PayloadRejected(
                f"station {station_id} does not support reservations of connector 0 "
                f"(ReserveConnectorZeroSupported = {supported})"
            )

    known = await store.get(app, reservation_id)
    if known is not None:
        if known.station_id != station_id:
            raise PayloadRejected(
                f"reservationId {reservation_id} belongs to station {known.station_id}"
            )
        if known.status in ENDED:
            # Reusing it would rewrite the history of a finished reservation.
            raise PayloadRejected(
                f"reservationId {reservation_id} was already {known.status}; "
                "use a new one (the reservations route picks one when it is omitted)"
            )

    for other in await store.active(app, station_id, connector_id):
        if other.reservation_id != reservation_id:
            raise PayloadRejected(
                f"connector {connector_id} of {station_id} already has active reservation "
                f"{other.reservation_id} (until {other.expiry_date.isoformat()})"
            )

    if app.settings_for(PLUGIN).require_valid_id_tag:
        id_tag = payload["idTag"]
        info = await app.query("id_tag_info", id_tag=id_tag)
        if info is None:
            raise PayloadRejected(f"idTag {id_tag!r} is unknown")
        if info.get("status") != ACCEPTED:
            raise PayloadRejected(f"idTag {id_tag!r} is {info.get('status')}")
        expiry = info.get("expiryDate")
        if expiry and parse_timestamp(str(expiry)) <= now(app):
            raise PayloadRejected(f"idTag {id_tag!r} expired at {expiry}")


async def on_reserve_now_result(app: Csms, station_id: str, request: dict, response: dict) -> None:
    record = await store.record_answer(app, station_id, request, response["status"])
    if record.status == ACCEPTED:
        replan_expiry(app)
    log.info(
        "reservation %s on %s connector %s for %s: %s",
        record.reservation_id,
        station_id,
        record.connector_id,
        record.id_tag,
        record.status,
    )


async def on_cancel_reservation_result(
    app: Csms, station_id: str, request: dict, response: dict
) -> None:
    reservation_id = request["reservationId"]
    record = await store.get(app, reservation_id)
    if record is None or record.station_id != station_id:
        return  # a reservation this CSMS never made: nothing to record
    if response["status"] == ACCEPTED:
        await store.end(app, reservation_id, CANCELLED)
    else:
        # OCPP 1.6 5.1: Rejected means the station holds no such reservation, so ours is not
        # active either (it may have expired or been used on the station's side).
        await store.add_event(app, [record], "CancelRejected")
        await store.end(app, reservation_id, TERMINATED)
