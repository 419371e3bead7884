"""SecurityEventNotification (whitepaper A04; TC_077 / TC_078): stored before it is
confirmed, listed per station through the API and the CLI."""

from __future__ import annotations

import json
from typing import Any

import httpx

from csms_core.testing import ChargePoint


async def events(api: httpx.AsyncClient, station_id: str = "CP1", **params: Any) -> dict:
    response = await api.get(f"/stations/{station_id}/security-events", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_tc077_invalid_charge_point_certificate_event_is_stored(
    api: httpx.AsyncClient, cp: ChargePoint
) -> None:
    payload = {
        "type": "InvalidChargePointCertificate",
        "timestamp": "2026-01-01T10:00:00Z",
        "techInfo": "certificate chain does not verify",
    }
    assert await cp.call("SecurityEventNotification", payload) == {}
    # Stored by the time the station had its answer.
    [event] = (await events(api))["items"]
    assert event["stationId"] == "CP1"
    assert event["type"] == "InvalidChargePointCertificate"
    assert event["timestamp"].startswith("2026-01-01T10:00:00")
    assert event["techInfo"] == "certificate chain does not verify"
    assert "receivedAt" in event


async def test_tc078_invalid_central_system_certificate_event_is_stored(
    api: httpx.AsyncClient, cp: ChargePoint
) -> None:
    payload = {"type": "InvalidCentralSystemCertificate", "timestamp": "2026-01-01T10:00:00Z"}
    assert await cp.call("SecurityEventNotification", payload) == {}
    [event] = (await events(api))["items"]
    assert (event["type"], event["techInfo"]) == ("InvalidCentralSystemCertificate", None)


async def test_events_are_paged_newest_first_and_filtered(
    api: httpx.AsyncClient, cp: ChargePoint, connect: Any
) -> None:
    for kind in ["StartupOfTheDevice", "SettingSystemTime", "StartupOfTheDevice"]:
        await cp.call(
            "SecurityEventNotification", {"type": kind, "timestamp": "2026-01-01T10:00:00Z"}
        )
    other = await connect("CP2")
    await other.boot()
    await other.call(
        "SecurityEventNotification", {"type": "ResetOrReboot", "timestamp": "2026-01-01T10:00:00Z"}
    )
    page = await events(api, limit=2)
    assert page["total"] == 3
    assert [e["type"] for e in page["items"]] == ["StartupOfTheDevice", "SettingSystemTime"]
    assert page["items"][0]["id"] > page["items"][1]["id"]
    assert [e["type"] for e in (await events(api, offset=2))["items"]] == ["StartupOfTheDevice"]
    assert (await events(api, type="StartupOfTheDevice"))["total"] == 2
    assert (await events(api, "CP2"))["total"] == 1
    assert (await api.get("/stations/NOPE/security-events")).status_code == 404


async def test_malformed_event_is_refused_and_not_stored(
    api: httpx.AsyncClient, cp: ChargePoint
) -> None:
    frame = await cp.send_frame([2, "m1", "SecurityEventNotification", {"type": "X"}])
    assert frame[0] == 4  # CALLERROR: timestamp is required
    assert (await events(api))["total"] == 0


async def test_cli_lists_events(cli: Any, cp: ChargePoint) -> None:
    await cp.call(
        "SecurityEventNotification",
        {"type": "TamperDetectionActivated", "timestamp": "2026-01-01T10:00:00Z"},
    )
    result = await cli("security", "events", "CP1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["items"][0]["type"] == "TamperDetectionActivated"
    table = await cli("security", "events", "CP1")
    assert table.exit_code == 0, table.output
    assert "TamperDetectionActivated" in table.output
