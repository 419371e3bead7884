"""Reservation: rules of the OCPP 1.6 text, its errata and OCPP-J that no OCTT
case covers (the OCTT cases run as scenarios in test_scenarios.py). Each cites its rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from csms_core.testing import ChargePoint, eventually

PROFILE = "Reservation"  # the conformance table's section


async def _reserved_station(
    connect: Any, api: httpx.AsyncClient, station_id: str, connector_id: int = 1
) -> tuple[ChargePoint, int]:
    """A booted station with an accepted reservation on ``connector_id`` for RESERVER."""
    cp = await connect(station_id)
    assert (await cp.boot())["status"] == "Accepted"
    cp.answer("ReserveNow", {"status": "Accepted"})
    expiry = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    body = {"stationId": station_id, "connectorId": connector_id, "idTag": "RESERVER"}
    created = await api.post("/reservations", json={**body, "expiryDate": expiry})
    assert created.status_code == 201 and created.json()["status"] == "Accepted"
    return cp, created.json()["reservationId"]


async def _reservation_reaches(api: httpx.AsyncClient, reservation_id: int, status: str) -> dict:
    async def reached() -> dict | None:
        record = (await api.get(f"/reservations/{reservation_id}")).json()
        return record if record["status"] == status else None

    return await eventually(reached, 10)


async def test_ocpp16_5_13_faulted_connector_terminates_reservation(
    connect: Any, api: httpx.AsyncClient
) -> None:
    """OCPP 1.6 5.13: A reservation SHALL be terminated on the Charge Point when the
    connector is set to Faulted or Unavailable; the CSMS record follows (Terminated)."""
    assert (await api.post("/id-tags", json={"idTag": "RESERVER"})).status_code == 201
    for state, error in (("Faulted", "GroundFailure"), ("Unavailable", "NoError")):
        cp, reservation_id = await _reserved_station(connect, api, f"CP-RES-{state.upper()}")
        status = {"connectorId": 1, "errorCode": error, "status": state}
        await cp.call("StatusNotification", status)
        record = await _reservation_reaches(api, reservation_id, "Terminated")
        assert record["events"][-1]["type"] == f"Connector{state}"
    active = await api.get("/reservations", params={"status": "Accepted"})
    assert active.json()["total"] == 0


async def test_ocpp16_5_1_cancel_rejected_means_none_held(
    connect: Any, api: httpx.AsyncClient
) -> None:
    """OCPP 1.6 5.1: CancelReservation answered Rejected: the Charge Point has no such
    reservation, so the CSMS record ends (Terminated, event CancelRejected), not active."""
    assert (await api.post("/id-tags", json={"idTag": "RESERVER"})).status_code == 201
    cp, reservation_id = await _reserved_station(connect, api, "CP-RES-CANCEL")
    cp.answer("CancelReservation", {"status": "Rejected"})
    cancelled = await api.delete(f"/reservations/{reservation_id}")
    assert cancelled.status_code == 409 and "holds no such reservation" in cancelled.text
    record = (await api.get(f"/reservations/{reservation_id}")).json()
    assert record["status"] == "Terminated"
    assert [e["type"] for e in record["events"]] == ["CancelRejected"]
