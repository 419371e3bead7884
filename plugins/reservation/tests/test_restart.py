"""Expiry survives a restart: overdue reservations expire at start-up, the rest on time."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta


async def test_expiry_across_restart(make_csms, connect_to, api_for):
    clock = time.monotonic
    began = clock()
    first = await make_csms()
    startup = clock() - began  # this machine's start-up time sizes the test's margins
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

    later = await reserve(3, 600)
    pending = await reserve(2, 2.0 + 1.5 * startup)  # normally due once the next server runs
    overdue = await reserve(1, 2.0)  # due while no server runs
    overdue_made = clock()
    await cp.close()
    await first.stop()
    stopped_at = datetime.now(UTC)
    assert clock() - overdue_made < 2.0, "stopping outlasted the reservation; test inconclusive"

    await asyncio.sleep(overdue_made + 2.1 - clock())
    second = await make_csms()
    api = api_for(second)

    async def record(reservation_id: int) -> dict:
        return (await api.get(f"/reservations/{reservation_id}")).json()

    def when(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    expired = await record(overdue)
    assert expired["status"] == "Expired"  # at start-up, by the new server
    assert when(expired["updatedAt"]) >= stopped_at
    deadline = clock() + 5 + 3 * startup
    while (await record(pending))["status"] != "Expired":  # scheduled by the new server
        assert clock() < deadline, "not expired after the restart"
        await asyncio.sleep(0.05)
    expired = await record(pending)
    assert when(expired["updatedAt"]) >= max(when(expired["expiryDate"]), stopped_at)
    assert (await record(later))["status"] == "Accepted"
