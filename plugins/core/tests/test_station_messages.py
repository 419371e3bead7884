"""The Core profile's station-initiated messages, as a real charge point sends them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from csms_plugin_core.testing import LATER, NOW, start, stop

from csms_core.errors import CallErrorReceived
from csms_core.rpc import parse_timestamp
from csms_core.testing import eventually

# --- boot and liveness --------------------------------------------------------------------


async def test_boot_accepted_records_every_field(csms: Any, connect: Any, api: Any) -> None:
    cp = await connect("CP1")
    fields = {
        "chargePointSerialNumber": "CPSN1",
        "chargeBoxSerialNumber": "CBSN1",
        "firmwareVersion": "1.2.3",
        "iccid": "8931",
        "imsi": "2040",
        "meterType": "M1",
        "meterSerialNumber": "MSN1",
    }
    answer = await cp.boot("Vendor", "Model", **fields)
    assert answer["status"] == "Accepted"
    assert answer["interval"] == 300
    assert abs(parse_timestamp(answer["currentTime"]) - datetime.now(UTC)) < timedelta(seconds=5)
    station = (await api.get("/stations/CP1")).json()
    assert station["registrationStatus"] == "Accepted"
    assert station["chargePointVendor"] == "Vendor"
    assert station["chargePointModel"] == "Model"
    for key, value in fields.items():
        assert station[key] == value


@pytest.mark.csms(plugin_settings={"core": {"heartbeat_interval": 42}})
async def test_heartbeat_interval_setting(connect: Any) -> None:
    cp = await connect("CP9")
    assert (await cp.boot())["interval"] == 42
    answer = await cp.call("Heartbeat", {})
    now = datetime.now(UTC)
    assert abs(parse_timestamp(answer["currentTime"]) - now) < timedelta(seconds=5)


@pytest.mark.csms(
    plugin_settings={"core": {"registration_status": "Pending", "boot_retry_interval": 7}}
)
async def test_default_registration_pending_then_accepted_per_station(
    connect: Any, api: Any
) -> None:
    """Pending/Rejected by the default setting; a per-station override wins (TC_001 path)."""
    cp = await connect("CP1")
    answer = await cp.boot()
    assert (answer["status"], answer["interval"]) == ("Pending", 7)
    # Pending: not accepted yet, so other messages are refused by the kernel.
    with pytest.raises(CallErrorReceived):
        await cp.call("Heartbeat", {})
    response = await api.put("/stations/CP1/registration", json={"status": "Rejected"})
    assert response.json()["status"] == "Rejected"
    assert response.json()["current"] == "Pending"
    answer = await cp.boot()
    assert (answer["status"], answer["interval"]) == ("Rejected", 7)
    await api.put("/stations/CP1/registration", json={"status": "Accepted"})
    answer = await cp.boot()
    assert (answer["status"], answer["interval"]) == ("Accepted", 300)
    assert (await api.get("/stations/CP1")).json()["registrationStatus"] == "Accepted"
    # Clearing the override goes back to the default.
    response = await api.put("/stations/CP1/registration", json={"status": None})
    assert response.json() == {
        "stationId": "CP1",
        "status": "Pending",
        "override": False,
        "current": "Accepted",
    }


# --- status -------------------------------------------------------------------------------


async def test_status_notification_current_history_and_event(
    cp: Any, api: Any, recorder: Any
) -> None:
    await cp.call(
        "StatusNotification", {"connectorId": 0, "status": "Available", "errorCode": "NoError"}
    )
    await cp.call(
        "StatusNotification",
        {"connectorId": 1, "status": "Preparing", "errorCode": "NoError", "timestamp": NOW},
    )
    full = {
        "connectorId": 1,
        "status": "Faulted",
        "errorCode": "OtherError",
        "info": "door open",
        "vendorId": "Acme",
        "vendorErrorCode": "E42",
        "timestamp": "2026-01-01T13:05:00+01:00",  # offsets are fine
    }
    await cp.call("StatusNotification", full)
    station = (await api.get("/stations/CP1")).json()
    connectors = {c["connectorId"]: c for c in station["connectors"]}
    assert set(connectors) == {0, 1}
    assert connectors[0]["status"] == "Available"
    one = connectors[1]
    assert (one["status"], one["errorCode"], one["info"]) == ("Faulted", "OtherError", "door open")
    assert (one["vendorId"], one["vendorErrorCode"]) == ("Acme", "E42")
    assert parse_timestamp(one["timestamp"]) == parse_timestamp("2026-01-01T12:05:00Z")
    history = (await api.get("/stations/CP1/status-history")).json()
    assert history["total"] == 3
    assert [h["status"] for h in history["items"]] == ["Faulted", "Preparing", "Available"]
    only_one = (await api.get("/stations/CP1/status-history", params={"connectorId": 1})).json()
    assert only_one["total"] == 2
    await eventually(lambda: len(recorder.of("status_changed")) == 3)
    assert recorder.of("status_changed")[-1] == {"station_id": "CP1", "status": full}


async def test_late_older_status_does_not_overwrite_newer(cp: Any, api: Any) -> None:
    newer = {"connectorId": 1, "status": "Charging", "errorCode": "NoError", "timestamp": NOW}
    older = {**newer, "status": "Preparing", "timestamp": "2026-01-01T11:00:00Z"}
    await cp.call("StatusNotification", newer)
    await cp.call("StatusNotification", older)
    connectors = (await api.get("/stations/CP1")).json()["connectors"]
    assert connectors[0]["status"] == "Charging"
    assert (await api.get("/stations/CP1/status-history")).json()["total"] == 2


# --- authorization ------------------------------------------------------------------------


async def test_authorize_statuses(cp: Any, add_tag: Any) -> None:
    """TC_023_1/2/3: invalid, expired, blocked; plus accepted with parent and expiry."""
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    await add_tag("GOOD", expiryDate=future, parentIdTag="PARENT")
    await add_tag("OLD", expiryDate=past)
    await add_tag("LAPSED", status="Expired")
    await add_tag("STOLEN", status="Blocked")
    await add_tag("BAD", status="Invalid")

    async def status(tag: str) -> dict:
        return (await cp.call("Authorize", {"idTag": tag}))["idTagInfo"]

    good = await status("GOOD")
    assert good["status"] == "Accepted"
    assert good["parentIdTag"] == "PARENT"
    assert abs(parse_timestamp(good["expiryDate"]) - parse_timestamp(future)) < timedelta(seconds=1)
    assert (await status("OLD"))["status"] == "Expired"
    assert (await status("LAPSED"))["status"] == "Expired"
    assert (await status("STOLEN"))["status"] == "Blocked"
    assert (await status("BAD"))["status"] == "Invalid"
    assert await status("NOBODY") == {"status": "Invalid"}


async def test_concurrent_tx_refused_by_default(cp: Any, add_tag: Any, connect: Any) -> None:
    await add_tag("TAG1")
    first = await cp.call("StartTransaction", start("TAG1", connector=1))
    assert first["idTagInfo"]["status"] == "Accepted"
    # The same station may authorize the tag to stop its transaction...
    assert (await cp.call("Authorize", {"idTag": "TAG1"}))["idTagInfo"]["status"] == "Accepted"
    # ...but starting a second one there is refused,
    second_here = await cp.call("StartTransaction", start("TAG1", connector=2))
    assert second_here["idTagInfo"]["status"] == "ConcurrentTx"
    await cp.call("StopTransaction", stop(second_here["transactionId"]))
    # and so is the tag anywhere else.
    other = await connect("CP2")
    await other.boot()
    assert (await other.call("Authorize", {"idTag": "TAG1"}))["idTagInfo"][
        "status"
    ] == "ConcurrentTx"
    second = await other.call("StartTransaction", start("TAG1", connector=1))
    assert second["idTagInfo"]["status"] == "ConcurrentTx"
    assert second["transactionId"] != first["transactionId"]
    # Stopping with the same tag is fine, and afterwards the tag is free again.
    answer = await cp.call("StopTransaction", stop(first["transactionId"], idTag="TAG1"))
    assert answer["idTagInfo"]["status"] == "Accepted"
    await other.call("StopTransaction", stop(second["transactionId"]))
    assert (await cp.call("Authorize", {"idTag": "TAG1"}))["idTagInfo"]["status"] == "Accepted"


@pytest.mark.csms(plugin_settings={"core": {"allow_concurrent_tx": True}})
async def test_concurrent_tx_allowed_by_setting(cp: Any, add_tag: Any) -> None:
    await add_tag("TAG1")
    await cp.call("StartTransaction", start("TAG1", connector=1))
    second = await cp.call("StartTransaction", start("TAG1", connector=2))
    assert second["idTagInfo"]["status"] == "Accepted"


# --- transactions -------------------------------------------------------------------------


async def test_transaction_lifecycle_events_and_energy(
    csms: Any, cp: Any, api: Any, add_tag: Any, recorder: Any
) -> None:
    """TC_003-like: start, meter values, stop; energy, events and the API agree."""
    await add_tag("TAG1")
    answer = await cp.call("StartTransaction", start("TAG1", meter=1000, reservationId=7))
    tx_id = answer["transactionId"]
    assert tx_id > 0
    assert answer["idTagInfo"]["status"] == "Accepted"
    await eventually(lambda: recorder.of("transaction_started"))
    assert recorder.of("transaction_started")[0] == {
        "transactionId": tx_id,
        "connectorId": 1,
        "idTag": "TAG1",
        "meterStart": 1000,
        "timestamp": NOW,
        "reservationId": 7,
        "idTagInfo": answer["idTagInfo"],
    }
    running = await csms.query("active_transactions", station_id="CP1")
    assert [(t["transactionId"], t["idTag"], t["meterStart"]) for t in running] == [
        (tx_id, "TAG1", 1000)
    ]
    meter = {
        "connectorId": 1,
        "transactionId": tx_id,
        "meterValue": [
            {
                "timestamp": "2026-01-01T12:30:00Z",
                "sampledValue": [
                    {"value": "2.5", "unit": "kWh", "context": "Sample.Periodic"},
                    {"value": "16", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
                ],
            }
        ],
    }
    await cp.call("MeterValues", meter)
    running = (await api.get(f"/transactions/{tx_id}")).json()
    assert running["energyWh"] == 1500.0
    assert running["stopTimestamp"] is None
    await cp.call("StopTransaction", stop(tx_id, meter=4000, reason="EVDisconnected"))
    done = (await api.get(f"/transactions/{tx_id}")).json()
    assert done["meterStart"] == 1000
    assert done["meterStop"] == 4000
    assert done["energyWh"] == 3000.0
    assert done["stopReason"] == "EVDisconnected"
    assert done["reservationId"] == 7
    await eventually(
        lambda: recorder.of("transaction_stopped") and recorder.of("meter_values_received")
    )
    assert recorder.of("meter_values_received") == [meter]
    assert recorder.of("transaction_stopped")[0] == {
        "transactionId": tx_id,
        "connectorId": 1,
        "idTag": "TAG1",
        "meterStop": 4000,
        "timestamp": LATER,
        "reason": "EVDisconnected",
    }
    assert await csms.query("active_transactions", station_id="CP1") == []


async def test_charging_session_plug_in_first(cp: Any, api: Any, add_tag: Any) -> None:
    """TC_003 / TC_005_1 as the tool scripts them: statuses around Authorize, Start, Stop."""
    await add_tag("TAG1")

    async def status(name: str, connector: int = 1) -> None:
        await cp.call(
            "StatusNotification", {"connectorId": connector, "status": name, "errorCode": "NoError"}
        )

    await status("Available", 0)
    await status("Available")
    await status("Preparing")
    assert (await cp.call("Authorize", {"idTag": "TAG1"}))["idTagInfo"]["status"] == "Accepted"
    tx = await cp.call("StartTransaction", start("TAG1", meter=0))
    await status("Charging")
    await status("SuspendedEV")
    answer = await cp.call(
        "StopTransaction",
        stop(tx["transactionId"], meter=10, idTag="TAG1", reason="EVDisconnected"),
    )
    assert answer["idTagInfo"]["status"] == "Accepted"
    await status("Finishing")
    await status("Available")
    connectors = {
        c["connectorId"]: c["status"] for c in (await api.get("/stations/CP1")).json()["connectors"]
    }
    assert connectors == {0: "Available", 1: "Available"}
    history = (await api.get("/stations/CP1/status-history", params={"connectorId": 1})).json()
    assert [h["status"] for h in reversed(history["items"])] == [
        "Available",
        "Preparing",
        "Charging",
        "SuspendedEV",
        "Finishing",
        "Available",
    ]
    done = (await api.get(f"/transactions/{tx['transactionId']}")).json()
    assert (done["stopReason"], done["energyWh"]) == ("EVDisconnected", 10.0)
