"""Remote Trigger as the OCTT would exercise it (TC_054, TC_055), plus the wait option, the
errata's BootNotification rule, the history and the CLI: real server, real charge points."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import click
import csms_plugin_remotetrigger.plugin
import httpx
import pytest

from csms_core import hookimpl
from csms_core.errors import CallErrorReceived
from csms_core.testing import ChargePoint

NOW = "2026-01-01T00:00:00.000Z"

# A valid payload of each triggerable message, as a station would send it.
MESSAGES: dict[str, dict[str, Any]] = {
    "DiagnosticsStatusNotification": {"status": "Idle"},
    "FirmwareStatusNotification": {"status": "Idle"},
    "Heartbeat": {},
    "MeterValues": {
        "connectorId": 1,
        "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": "1234"}]}],
    },
    "StatusNotification": {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
}


class StationHandlers:
    """Stands in for the Core and Firmware plugins: handles the messages a trigger asks for."""

    def __init__(self) -> None:
        self.boot_status = "Accepted"
        self.received: list[tuple[str, str, dict]] = []

    @hookimpl
    def register_handlers(self, register: Any) -> None:
        register("BootNotification", self.boot)
        for action in MESSAGES:
            register(action, self.handler(action))

    async def boot(self, station: Any, payload: dict) -> dict:
        self.received.append((station.id, "BootNotification", payload))
        await station.app.stations.record_boot(station.id, payload, self.boot_status)
        return {"status": self.boot_status, "currentTime": NOW, "interval": 300}

    def handler(self, action: str) -> Any:
        async def handle(station: Any, payload: dict) -> dict:
            self.received.append((station.id, action, payload))
            return {"currentTime": NOW} if action == "Heartbeat" else {}

        return handle


@pytest.fixture
def stub() -> StationHandlers:
    return StationHandlers()


@pytest.fixture
def csms_options(stub: StationHandlers) -> dict[str, Any]:
    return {"plugins": [("remotetrigger", csms_plugin_remotetrigger.plugin), ("stub", stub)]}


@pytest.fixture
async def cp(connect: Any) -> ChargePoint:
    station = await connect("CP1")
    assert (await station.boot())["status"] == "Accepted"
    return station


async def history(api: httpx.AsyncClient, station_id: str = "CP1", **params: Any) -> dict:
    response = await api.get(f"/stations/{station_id}/triggers", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def answer_trigger(cp: ChargePoint, status: str = "Accepted") -> dict:
    call = await cp.expect("TriggerMessage")
    await cp.reply(call, {"status": status})
    return call.payload


# --- TC_054 / TC_055 ---------------------------------------------------------------------


@pytest.mark.parametrize("action", list(MESSAGES))
async def test_tc054_trigger_each_message(
    api: httpx.AsyncClient, cp: ChargePoint, stub: StationHandlers, action: str
) -> None:
    body: dict[str, Any] = {"requestedMessage": action, "wait": 5}
    if "connectorId" in MESSAGES[action]:
        body["connectorId"] = 1
    request = asyncio.create_task(api.post("/stations/CP1/trigger", json=body))
    sent = await answer_trigger(cp)
    assert sent == {k: v for k, v in body.items() if k != "wait"}
    await cp.call(action, MESSAGES[action])  # the station sends what was asked for

    response = await request
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["status"] == "Accepted"
    assert result["timedOut"] is False
    assert result["triggeredMessage"]["action"] == action
    assert result["triggeredMessage"]["payload"] == MESSAGES[action]
    assert ("CP1", action, MESSAGES[action]) in stub.received  # handled by its own handler
    [record] = (await history(api))["items"]
    assert (record["requestedMessage"], record["status"]) == (action, "Accepted")


@pytest.fixture
async def pending_cp(connect: Any, stub: StationHandlers) -> ChargePoint:
    """A station whose boot we answered Pending."""
    stub.boot_status = "Pending"
    station = await connect("CP1")
    assert (await station.boot())["status"] == "Pending"
    return station


async def trigger_and_accept(api: httpx.AsyncClient, cp: ChargePoint, message: str) -> Any:
    """Trigger ``message`` with a wait; the station accepts. The API's answer, to await."""
    body = {"requestedMessage": message, "wait": 5}
    request = asyncio.create_task(api.post("/stations/CP1/trigger", json=body))
    await answer_trigger(cp)
    return request


async def test_tc054_boot_notification_while_pending(
    api: httpx.AsyncClient, pending_cp: ChargePoint, stub: StationHandlers
) -> None:
    cp = pending_cp
    stub.boot_status = "Accepted"
    request = await trigger_and_accept(api, cp, "BootNotification")
    assert (await cp.boot(vendor="Again"))["status"] == "Accepted"
    result = (await request).json()
    assert result["status"] == "Accepted"
    assert result["triggeredMessage"]["payload"]["chargePointVendor"] == "Again"


async def test_pending_station_may_send_the_triggered_message(
    api: httpx.AsyncClient, pending_cp: ChargePoint
) -> None:
    cp = pending_cp
    with pytest.raises(CallErrorReceived):
        await cp.call("Heartbeat")
    request = await trigger_and_accept(api, cp, "Heartbeat")
    assert "currentTime" in await cp.call("Heartbeat")
    assert (await request).json()["triggeredMessage"]["action"] == "Heartbeat"


@pytest.mark.parametrize("status", ["Rejected", "NotImplemented"])
async def test_tc055_trigger_rejected(api: httpx.AsyncClient, cp: ChargePoint, status: str) -> None:
    started = time.monotonic()
    request = asyncio.create_task(
        api.post(
            "/stations/CP1/trigger",
            json={"requestedMessage": "MeterValues", "connectorId": 1, "wait": 10},
        )
    )
    await answer_trigger(cp, status)
    response = await request
    assert response.status_code == 200, response.text
    # Nothing is coming: answer at once instead of waiting.
    assert response.json() == {"status": status, "triggeredMessage": None, "timedOut": False}
    assert time.monotonic() - started < 5
    assert (await history(api))["items"][0]["status"] == status


# --- wait ----------------------------------------------------------------------------------


async def test_wait_times_out(api: httpx.AsyncClient, cp: ChargePoint) -> None:
    request = asyncio.create_task(
        api.post("/stations/CP1/trigger", json={"requestedMessage": "Heartbeat", "wait": 0.3})
    )
    await answer_trigger(cp)
    response = await request
    assert response.status_code == 200
    assert response.json() == {"status": "Accepted", "triggeredMessage": None, "timedOut": True}


async def test_wait_matches_station_action_and_connector(
    api: httpx.AsyncClient, cp: ChargePoint, connect: Any
) -> None:
    other = await connect("CP2")
    assert (await other.boot())["status"] == "Accepted"
    request = asyncio.create_task(
        api.post(
            "/stations/CP1/trigger",
            json={"requestedMessage": "MeterValues", "connectorId": 2, "wait": 5},
        )
    )
    await answer_trigger(cp)
    await other.call("MeterValues", {**MESSAGES["MeterValues"], "connectorId": 2})  # other station
    await cp.call("Heartbeat")  # other action
    await cp.call("MeterValues", MESSAGES["MeterValues"])  # other connector
    await cp.call("MeterValues", {**MESSAGES["MeterValues"], "connectorId": 2})
    result = (await request).json()
    assert result["triggeredMessage"]["payload"]["connectorId"] == 2


async def test_without_wait_and_through_the_generic_call_path(
    api: httpx.AsyncClient, cp: ChargePoint
) -> None:
    request = asyncio.create_task(
        api.post("/stations/CP1/trigger", json={"requestedMessage": "Heartbeat"})
    )
    await answer_trigger(cp)
    assert (await request).json() == {
        "status": "Accepted",
        "triggeredMessage": None,
        "timedOut": False,
    }
    request = asyncio.create_task(
        api.post("/stations/CP1/calls/TriggerMessage", json={"requestedMessage": "Heartbeat"})
    )
    await answer_trigger(cp, "Rejected")
    assert (await request).json() == {"status": "Rejected"}
    # Both recorded, newest first, whichever route sent them.
    assert [r["status"] for r in (await history(api))["items"]] == ["Rejected", "Accepted"]


# --- errata 3.40: no BootNotification trigger after an accepted boot ------------------------


async def test_boot_trigger_refused_until_the_station_boots_again(
    api: httpx.AsyncClient, cp: ChargePoint, connect: Any, stub: StationHandlers
) -> None:
    boot = {"requestedMessage": "BootNotification"}
    response = await api.post("/stations/CP1/trigger", json=boot)
    assert response.status_code == 422
    assert "errata" in response.json()["detail"]
    generic = await api.post("/stations/CP1/calls/TriggerMessage", json=boot)
    assert generic.status_code == 422  # the rule holds on every path
    assert cp.received.empty()  # nothing was sent
    assert (await history(api))["total"] == 0

    # Reconnecting is not booting again: still refused (the stations table remembers).
    await cp.close()
    cp = await connect("CP1")
    assert (await api.post("/stations/CP1/trigger", json=boot)).status_code == 422

    # A new BootNotification answered Pending: the trigger is allowed again...
    stub.boot_status = "Pending"
    assert (await cp.boot())["status"] == "Pending"
    request = asyncio.create_task(api.post("/stations/CP1/trigger", json=boot))
    await answer_trigger(cp)
    assert (await request).status_code == 200
    # ...until a boot is accepted once more.
    stub.boot_status = "Accepted"
    assert (await cp.boot())["status"] == "Accepted"
    assert (await api.post("/stations/CP1/trigger", json=boot)).status_code == 422


async def test_boot_trigger_refused_from_the_stations_table(
    csms: Any, api: httpx.AsyncClient, connect: Any
) -> None:
    # Accepted before this node started (no station_booted seen here): the table decides.
    await csms.stations.create("CP9")
    await csms.stations.update("CP9", registration_status="Accepted")
    await connect("CP9")
    boot = {"requestedMessage": "BootNotification"}
    assert (await api.post("/stations/CP9/trigger", json=boot)).status_code == 422


# --- failures map like the generic call route ---------------------------------------------


async def test_call_errors(api: httpx.AsyncClient, cp: ChargePoint, csms: Any) -> None:
    heartbeat = {"requestedMessage": "Heartbeat"}
    assert (await api.post("/stations/NOPE/trigger", json=heartbeat)).status_code == 404
    await csms.stations.create("OFFLINE")
    assert (await api.post("/stations/OFFLINE/trigger", json=heartbeat)).status_code == 409
    bad = {"requestedMessage": "StartTransaction"}
    assert (await api.post("/stations/CP1/trigger", json=bad)).status_code == 422
    bad = {"requestedMessage": "Heartbeat", "connectorId": -1}
    assert (await api.post("/stations/CP1/trigger", json=bad)).status_code == 422

    request = asyncio.create_task(api.post("/stations/CP1/trigger", json=heartbeat))
    await cp.reply_error(await cp.expect("TriggerMessage"), "InternalError", "oops")
    response = await request
    assert response.status_code == 502
    assert response.json()["errorCode"] == "InternalError"
    [record] = (await history(api))["items"]
    assert record["status"] is None
    assert "InternalError" in record["error"]


@pytest.mark.csms(call_timeout=0.3)
async def test_timeout_is_recorded(api: httpx.AsyncClient, connect: Any) -> None:
    cp = await connect("CP1")
    await cp.boot()
    response = await api.post("/stations/CP1/trigger", json={"requestedMessage": "Heartbeat"})
    assert response.status_code == 504
    assert (await cp.expect("TriggerMessage")).payload == {"requestedMessage": "Heartbeat"}
    [record] = (await history(api))["items"]
    assert record["status"] is None
    assert "did not answer" in record["error"]


# Only remotetrigger: a triggered Heartbeat would be answered NotSupported, so don't ask.
@pytest.mark.csms(plugins=[("remotetrigger", csms_plugin_remotetrigger.plugin)])
async def test_refused_when_no_plugin_handles_the_message(
    csms: Any, api: httpx.AsyncClient
) -> None:
    await csms.stations.create("CP1")
    response = await api.post("/stations/CP1/trigger", json={"requestedMessage": "Heartbeat"})
    assert response.status_code == 422
    assert "no enabled plugin handles Heartbeat" in response.json()["detail"]


# --- history ---------------------------------------------------------------------------------


async def test_history_is_paged_newest_first(api: httpx.AsyncClient, cp: ChargePoint) -> None:
    for status in ["Accepted", "Rejected", "NotImplemented"]:
        request = asyncio.create_task(
            api.post(
                "/stations/CP1/trigger",
                json={"requestedMessage": "StatusNotification", "connectorId": 0},
            )
        )
        await answer_trigger(cp, status)
        assert (await request).status_code == 200
    page = await history(api, limit=2)
    assert page["total"] == 3
    assert [r["status"] for r in page["items"]] == ["NotImplemented", "Rejected"]
    assert page["items"][0]["connectorId"] == 0
    assert page["items"][0]["stationId"] == "CP1"
    assert "createdAt" in page["items"][0]
    assert [r["status"] for r in (await history(api, offset=2))["items"]] == ["Accepted"]
    assert (await api.get("/stations/NOPE/triggers")).status_code == 404


# --- CLI -------------------------------------------------------------------------------------


def test_cli_command_is_contributed() -> None:
    group = click.Group("csms")
    csms_plugin_remotetrigger.plugin.register_commands(cli=group)
    assert "trigger" in group.commands


async def test_cli_trigger_waits_for_the_message(cli: Any, cp: ChargePoint) -> None:
    args = ["trigger", "CP1", "metervalues", "--connector", "1", "--wait", "5", "--json"]
    # A task: this loop serves and plays the station while the command waits.
    invocation = asyncio.create_task(cli(*args))
    assert await answer_trigger(cp) == {"requestedMessage": "MeterValues", "connectorId": 1}
    await cp.call("MeterValues", MESSAGES["MeterValues"])
    result = await invocation
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["status"] == "Accepted"
    assert out["triggeredMessage"]["payload"] == MESSAGES["MeterValues"]


async def test_cli_quotes_the_station_id(cli: Any, csms: Any) -> None:
    # Unquoted, "CP#1" would name station "CP" (the rest a URL fragment): 404.
    await csms.stations.create("CP#1")
    result = await cli("trigger", "CP#1", "Heartbeat", check=False)
    assert result.exit_code != 0 and "409" in result.output  # registered, not connected
