"""Core: rules of the OCPP 1.6 text, its errata and OCPP-J that no OCTT
case covers (the OCTT cases run as scenarios in test_scenarios.py). Each cites its rule."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

PROFILE = "Core"  # the conformance table's section


async def test_ocpp16_4_2_no_calls_to_a_rejected_station(
    csms: Any, connect: Any, api: httpx.AsyncClient
) -> None:
    """OCPP 1.6 4.2: A station whose boot was Rejected: the Central System SHOULD NOT initiate
    any message; the API refuses with 409 instead of sending."""
    await csms.stations.create("CP-REJ")
    registration = "/stations/CP-REJ/registration"
    assert (await api.put(registration, json={"status": "Rejected"})).status_code == 200
    cp = await connect("CP-REJ", register=False)
    assert (await cp.boot())["status"] == "Rejected"
    refused = await api.post("/stations/CP-REJ/calls/ClearCache", json={})
    assert refused.status_code == 409
    assert "rejected" in refused.json()["detail"]
    # Once accepted, calls go out again; the first the station receives is this one, so the
    # refused ClearCache above never reached it.
    assert (await api.put(registration, json={"status": "Accepted"})).status_code == 200
    assert (await cp.boot())["status"] == "Accepted"
    call = asyncio.create_task(api.post("/stations/CP-REJ/calls/ClearCache", json={}))
    received = await cp.expect("ClearCache", timeout=10)
    await cp.reply(received, {"status": "Accepted"})
    assert (await call).status_code == 200
