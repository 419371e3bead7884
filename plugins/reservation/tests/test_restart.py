"""Expiry survives a restart: overdue reservations expire at start-up, the rest on time.

Time is driven by the plugin's clock (``travel``): the first server runs an hour behind, so a
reservation it accepts can be overdue for the real clock of the second; the second then moves
its clock past the next expiry, which its timer must pick up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from csms_plugin_reservation.lifecycle import travel

from csms_core.testing import eventually

HOUR = 3600


async def test_expiry_across_restart(make_csms, connect_to, api_for):
    first = await make_csms()
    travel(first, -HOUR)
    await first.stations.create("CP1")
    api = api_for(first)
    cp = await connect_to(first, "CP1")
    await cp.boot()
    cp.answer("ReserveNow", {"status": "Accepted"})
    assert (await api.post("/id-tags", json={"idTag": "TAG1"})).status_code in (200, 201)

    async def reserve(connector_id: int, seconds: float) -> int:
        expiry = datetime.now(UTC) + timedelta(seconds=seconds)
        response = await api.post(
            "/reservations",
            json={
                "stationId": "CP1",
                "connectorId": connector_id,
                "idTag": "TAG1",
                "expiryDate": expiry.isoformat(),
            },
        )
        assert response.json()["status"] == "Accepted", response.text
        return response.json()["reservationId"]

    later = await reserve(3, 10 * HOUR)
    pending = await reserve(2, HOUR)  # due once the next server's clock has moved on
    overdue = await reserve(1, -HOUR / 2)  # in the first server's future; past for the second
    await cp.close()
    await first.stop()
    stopped_at = datetime.now(UTC)

    second = await make_csms()
    api = api_for(second)

    async def record(reservation_id: int) -> dict:
        return (await api.get(f"/reservations/{reservation_id}")).json()

    def when(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    expired = await record(overdue)
    assert expired["status"] == "Expired"  # at start-up, by the new server
    assert when(expired["updatedAt"]) >= stopped_at
    assert (await record(pending))["status"] == "Accepted"

    travel(second, 2 * HOUR)  # scheduled by the new server's timer
    expired = await eventually(lambda: _expired(record, pending), timeout=10)
    assert when(expired["updatedAt"]) >= max(when(expired["expiryDate"]), stopped_at)
    assert (await record(later))["status"] == "Accepted"


async def _expired(record, reservation_id: int) -> dict | None:
    found = await record(reservation_id)
    return found if found["status"] == "Expired" else None
