"""The simulator against our real server (every installed plugin), real sockets, real DB."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import httpx
import pytest
from csms_simulator.fleet import Fleet
from csms_simulator.station import SimOptions, SimStation, Stats, future_iso

from csms_core.testing import TEST_API_KEY, TEST_PASSWORD, api_url, eventually, ocpp_url


def needs(app: Any, *actions: str) -> None:
    have = set(app.registry.handlers) | set(app.registry.actions)
    missing = [a for a in actions if a not in have]
    if missing:
        pytest.skip(f"pending plugin: CSMS does not handle {', '.join(missing)}")


@pytest.fixture
async def sim(csms: Any, api: httpx.AsyncClient) -> AsyncIterator[SimStation]:
    """One registered simulated station with two connectors, running in the background."""
    needs(csms, "BootNotification", "StatusNotification", "StartTransaction")
    await csms.stations.create("SIM1", TEST_PASSWORD)
    station = SimStation(
        ocpp_url(csms),
        "SIM1",
        TEST_PASSWORD,
        options=SimOptions(meter_interval=0.2, reconnect_delay=0.2),
    )
    stop = asyncio.Event()
    task = asyncio.ensure_future(station.run(stop))
    await asyncio.wait_for(station.booted.wait(), 5)
    yield station
    stop.set()
    await asyncio.wait_for(task, 10)
    assert station.stats.errors == 0, station.stats.last_error


async def call(api: httpx.AsyncClient, action: str, payload: dict) -> dict:
    response = await api.post(f"/stations/SIM1/calls/{action}", json=payload)
    assert response.status_code == 200, response.text
    return response.json()


async def test_boot_reports_every_connector(sim: SimStation, api: httpx.AsyncClient) -> None:
    async def reported() -> dict | None:
        station = (await api.get("/stations/SIM1")).json()
        return station if len(station["connectors"]) == 3 else None

    station = await eventually(reported)  # the statuses follow the boot
    assert station["connected"] and station["chargePointVendor"] == "CsmsSim"
    statuses = {c["connectorId"]: c["status"] for c in station["connectors"]}
    assert statuses == {0: "Available", 1: "Available", 2: "Available"}
    # Heartbeats follow the interval the CSMS gave in its BootNotification answer.
    boot_interval = sim.heartbeat_interval
    config = await call(api, "GetConfiguration", {"key": ["HeartbeatInterval", "Nope"]})
    assert config["configurationKey"][0]["value"] == str(int(boot_interval))
    assert config["unknownKey"] == ["Nope"]


async def test_remote_start_charges_and_remote_stop_ends(
    sim: SimStation, api: httpx.AsyncClient
) -> None:
    await api.post("/id-tags", json={"idTag": "REMOTE1", "status": "Accepted"})
    assert await call(api, "RemoteStartTransaction", {"idTag": "REMOTE1"}) == {"status": "Accepted"}
    connector = sim.connectors[1]
    await eventually(lambda: connector.transaction_id)
    transaction_id = connector.transaction_id
    # Meter values at the sample interval: the energy register moves.

    async def running() -> dict | None:
        tx = (await api.get(f"/transactions/{transaction_id}")).json()
        return tx if (tx.get("energyWh") or 0) > 0 else None

    await eventually(running)
    answer = await call(api, "RemoteStopTransaction", {"transactionId": transaction_id})
    assert answer == {"status": "Accepted"}

    async def stopped() -> dict | None:
        tx = (await api.get(f"/transactions/{transaction_id}")).json()
        return tx if tx["stopReason"] == "Remote" else None

    tx = await eventually(stopped)
    assert tx["meterStop"] >= tx["meterStart"] and tx["idTag"] == "REMOTE1"
    # The station reports Finishing, then Available, after the CSMS has stored the stop.
    await eventually(lambda: sim.connectors[1].status == "Available")


async def test_configuration_local_list_reservation_profiles(
    sim: SimStation, csms: Any, api: httpx.AsyncClient
) -> None:
    assert await call(
        api, "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "30"}
    ) == {"status": "Accepted"}
    assert sim.config["MeterValueSampleInterval"] == "30"
    assert (await call(api, "ChangeConfiguration", {"key": "Bogus", "value": "1"}))[
        "status"
    ] == "NotSupported"
    assert (await call(api, "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "x"}))[
        "status"
    ] == "Rejected"
    if "SendLocalList" in csms.registry.actions:
        entries = [{"idTag": "L1", "idTagInfo": {"status": "Accepted"}}]
        payload = {"listVersion": 3, "updateType": "Full", "localAuthorizationList": entries}
        assert (await call(api, "SendLocalList", payload))["status"] == "Accepted"
        assert await call(api, "GetLocalListVersion", {}) == {"listVersion": 3}
        assert sim.local_list == {"L1": {"status": "Accepted"}}
    if "ReserveNow" in csms.registry.actions:
        await api.post("/id-tags", json={"idTag": "R1", "status": "Accepted"})
        payload = {"connectorId": 2, "expiryDate": future_iso(60), "idTag": "R1"}
        answer = await call(api, "ReserveNow", {**payload, "reservationId": 7})
        assert answer == {"status": "Accepted"}
        await eventually(lambda: sim.connectors[2].status == "Reserved")
        assert await call(api, "CancelReservation", {"reservationId": 7}) == {"status": "Accepted"}
    if "SetChargingProfile" in csms.registry.actions:
        profile = {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "W",
                "startSchedule": "2026-01-01T00:00:00Z",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 3600}],
            },
        }
        answer = await call(
            api, "SetChargingProfile", {"connectorId": 0, "csChargingProfiles": profile}
        )
        assert answer == {"status": "Accepted"}
        assert sim.power_limit_w(1) == 3600
        schedule = await call(api, "GetCompositeSchedule", {"connectorId": 1, "duration": 60})
        assert schedule["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] == 3600
        assert await call(api, "ClearChargingProfile", {}) == {"status": "Accepted"}


async def test_trigger_message_sends_the_message(
    sim: SimStation, csms: Any, api: httpx.AsyncClient
) -> None:
    needs(csms, "TriggerMessage")
    before = sim.stats.messages
    for message in ("Heartbeat", "StatusNotification", "MeterValues"):
        payload = {"requestedMessage": message, "connectorId": 1}
        if message == "Heartbeat":
            del payload["connectorId"]
        assert await call(api, "TriggerMessage", payload) == {"status": "Accepted"}
    # Three answers plus the three triggered messages.
    await eventually(lambda: sim.stats.messages >= before + 6)


async def test_reset_reboots(sim: SimStation, csms: Any, api: httpx.AsyncClient) -> None:
    first_boot = (await api.get("/stations/SIM1")).json()["lastBootAt"]
    assert await call(api, "Reset", {"type": "Soft"}) == {"status": "Accepted"}

    async def rebooted() -> bool:
        station = (await api.get("/stations/SIM1")).json()
        return station["connected"] and station["lastBootAt"] != first_boot

    await eventually(rebooted)
    await asyncio.wait_for(sim.booted.wait(), 5)


async def test_firmware_update_and_diagnostics_upload(
    sim: SimStation, csms: Any, api: httpx.AsyncClient
) -> None:
    needs(csms, "UpdateFirmware", "GetDiagnostics", "FirmwareStatusNotification")
    image = await api.post("/firmware", files={"file": ("fw-2.bin", b"\x00" * 1024)})
    assert image.status_code == 201, image.text
    response = await api.post(
        "/stations/SIM1/firmware-update", json={"firmwareId": image.json()["id"]}
    )
    assert response.status_code == 200, response.text

    async def installed() -> Any:
        state = (await api.get("/stations/SIM1/firmware")).json()
        return state if state["status"] == "Installed" else None

    state = await eventually(installed)
    walked = [event["status"] for event in state["history"]]
    assert walked == ["Downloading", "Downloaded", "Installing", "Installed"]
    # Installing means a reboot with the new version.
    await eventually(lambda: sim.booted.is_set() and "+" in sim.firmware_version)

    response = await api.post("/stations/SIM1/diagnostics-request", json={})
    assert response.status_code == 200, response.text
    files = await eventually(lambda: _json(api.get("/stations/SIM1/diagnostics/files")), timeout=5)
    assert files[0]["name"].startswith("diagnostics-SIM1") and files[0]["size"] > 0


async def _json(request: Awaitable[httpx.Response]) -> Any:
    body = (await request).json()
    return body.get("items", body) if isinstance(body, dict) else body


async def test_fleet_boots_charges_and_reports(csms: Any, api: httpx.AsyncClient) -> None:
    needs(csms, "BootNotification", "StartTransaction", "MeterValues", "Authorize")
    csms.settings.unknown_stations = "accept"  # as documented for quick trials
    await api.post("/id-tags", json={"idTag": "SIMTAG", "status": "Accepted"})
    options = SimOptions(meter_interval=0.2, tx_duration=0.6)
    fleet = Fleet(ocpp_url(csms), 8, "FLEET", options=options)
    seen: list[tuple[int, int]] = []

    def progress(stats: Stats, elapsed: float) -> None:
        seen.append((stats.connected, stats.booted))

    stats = await fleet.run(duration=3.0, rate=8.0, ramp_up=0.2, progress=progress)
    assert (8, 8) in seen, seen
    assert stats.transactions >= 3, stats
    assert stats.errors == 0, stats.last_error
    assert stats.connected == 0 and stats.active_transactions == 0
    listed = (await api.get("/transactions", params={"limit": 100})).json()
    # A StartTransaction still in flight when the run ends is stored by the CSMS but not
    # counted by the simulator (it never saw the answer): at most one per station.
    assert stats.transactions <= listed["total"] <= stats.transactions + 8
    stopped = [tx for tx in listed["items"] if tx["stopTimestamp"]]
    assert len(stopped) >= stats.transactions - 8 and len(stopped) >= 3


async def test_simulate_and_selftest_commands(csms: Any, api: httpx.AsyncClient, cli: Any) -> None:
    needs(csms, "BootNotification", "StatusNotification", "Heartbeat")
    csms.settings.unknown_stations = "accept"
    url = ocpp_url(csms)
    result = await cli(
        "simulate", "--url", url, "-n", "3", "--id-prefix", "CLI", "--duration", "1.5"
    )
    assert result.exit_code == 0, result.output
    assert "connected 3/3" in result.output and "errors 0" in result.output

    result = await cli(
        "selftest",
        "--url",
        url,
        "--api-url",
        api_url(csms),
        "--api-key",
        TEST_API_KEY,
        "--case",
        "TC_001",
        "--case",
        "TC_088",
        "--case",
        "NEG_MALFORMED",
        check=False,
    )
    assert "Core  (1/1 passed)" in result.output, result.output
    assert "3 cases: 3 passed, 0 failed" in result.output
    assert result.exit_code == 0
    # The self-test removes the stations it registered.
    listed = (await api.get("/stations", params={"limit": 200})).json()
    assert not [s for s in listed["items"] if s["id"].startswith("SELFTEST-")]
