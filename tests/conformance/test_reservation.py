"""OCTT 1.6 Central System: Reservation profile. Each test runs the scenario of the same id
(csms_simulator.scenarios), which asserts what the CSMS sends and answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from csms_simulator.scenarios import Check

from csms_core.testing import ChargePoint, eventually


async def test_tc_046_reserve_and_charge(check: Check) -> None:
    """TC_046: Reservation of a connector, transaction."""
    await check("TC_046")


async def test_tc_047_reservation_expires(check: Check) -> None:
    """TC_047: Reservation of a connector, expire."""
    await check("TC_047")


async def test_tc_048_1_reserve_faulted(check: Check) -> None:
    """TC_048_1: Reservation of a connector, faulted."""
    await check("TC_048_1")


async def test_tc_048_2_reserve_occupied(check: Check) -> None:
    """TC_048_2: Reservation of a connector, occupied."""
    await check("TC_048_2")


async def test_tc_048_3_reserve_unavailable(check: Check) -> None:
    """TC_048_3: Reservation of a connector, unavailable."""
    await check("TC_048_3")


async def test_tc_048_4_reserve_rejected(check: Check) -> None:
    """TC_048_4: Reservation of a connector, rejected."""
    await check("TC_048_4")


async def test_tc_049_reserve_connector_zero(check: Check) -> None:
    """TC_049: Reservation of a charge point (connector 0)."""
    await check("TC_049")


async def test_tc_051_cancel(check: Check) -> None:
    """TC_051: Cancel reservation."""
    await check("TC_051")


async def test_tc_052_cancel_rejected(check: Check) -> None:
    """TC_052: Cancel reservation, rejected."""
    await check("TC_052")


async def test_tc_053_parent_id_tag(check: Check) -> None:
    """TC_053: Use a reserved connector with parentIdTag."""
    await check("TC_053")


# --- the spec's fine print (issue 25): each test cites its rule ---------------------------


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
