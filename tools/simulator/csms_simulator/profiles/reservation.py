"""Reservation profile: a connector stays Reserved until the expiry date or a cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from csms_core.rpc import parse_timestamp

if TYPE_CHECKING:
    from ..station import SimStation


def reserve_now(station: SimStation, p: dict) -> dict:
    connector = station.connectors.get(p["connectorId"])
    if connector is None:
        return {"status": "Rejected"}
    if connector.id == 0 and station.config["ReserveConnectorZeroSupported"] != "true":
        return {"status": "Rejected"}
    if connector.status == "Faulted":
        return {"status": "Faulted"}
    if connector.status == "Unavailable":
        return {"status": "Unavailable"}
    if connector.transaction_id is not None or connector.status not in ("Available", "Reserved"):
        return {"status": "Occupied"}
    connector.reservation_id = p["reservationId"]
    expiry = parse_timestamp(p["expiryDate"])

    async def reserve() -> None:
        if connector.id:
            await station.set_status(connector.id, "Reserved")
        # The station's own clock: the reservation lapses at its expiry date.
        await asyncio.sleep(max((expiry - datetime.now(UTC)).total_seconds(), 0))
        if connector.reservation_id == p["reservationId"]:
            connector.reservation_id = None
            if connector.id and connector.status == "Reserved":
                await station.set_status(connector.id, "Available")

    station.later(reserve)
    return {"status": "Accepted"}


def cancel_reservation(station: SimStation, p: dict) -> dict:
    for connector in station.connectors.values():
        if connector.reservation_id == p["reservationId"]:
            connector.reservation_id = None
            if connector.id and connector.status == "Reserved":
                station.later(lambda c=connector: station.set_status(c.id, "Available"))
            return {"status": "Accepted"}
    return {"status": "Rejected"}


RESPONDERS: dict[str, Callable[[SimStation, dict], dict]] = {
    "CancelReservation": cancel_reservation,
    "ReserveNow": reserve_now,
}
