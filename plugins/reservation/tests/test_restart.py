"""Expiry survives a restart: overdue reservations expire at start-up, the rest on time."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx

from csms_core.testing import TEST_API_KEY, ChargePoint, api_url, ocpp_url


def client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=api_url(app) + "/api/v1",
        headers={"Authorization": f"Bearer {TEST_API_KEY}"},
        timeout=30,
    )


async def test_expiry_across_restart(make_csms):
    first = await make_csms()
    await first.stations.create("CP1")
    async with client(first) as api, ChargePoint(ocpp_url(first), "CP1") as cp:
        await cp.boot()
        cp.answer("ReserveNow", {"status": "Accepted"})
        assert (await api.post("/id-tags", json={"idTag": "TAG1"})).status_code in (200, 201)
        started = time.monotonic()
        ids = []
        for connector_id, seconds in [(1, 1.0), (2, 2.5), (3, 600)]:
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
            ids.append(response.json()["reservationId"])
    await first.stop()

    # Down while the first one falls due.
    await asyncio.sleep(max(0.0, 1.2 - (time.monotonic() - started)))
    second = await make_csms()
    async with client(second) as api:
        statuses = [(await api.get(f"/reservations/{i}")).json()["status"] for i in ids]
        assert statuses == ["Expired", "Accepted", "Accepted"]
        # The second was scheduled by the new server's expiry job.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while (await api.get(f"/reservations/{ids[1]}")).json()["status"] != "Expired":
            assert loop.time() < deadline, "not expired after the restart"
            await asyncio.sleep(0.05)
        assert (await api.get(f"/reservations/{ids[2]}")).json()["status"] == "Accepted"
