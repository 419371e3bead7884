"""CSMS-initiated Core actions (the OCTT cases where "the CSMS sends"), through the
convenience routes and the generic call endpoint; both go through app.call."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from csms_core.testing import eventually, settle

NOW = "2026-01-01T12:00:00.000Z"


async def test_remote_start_then_station_starts(cp: Any, api: Any, add_tag: Any) -> None:
    """TC_010 / TC_011_1: remote start (cable first or not), then StartTransaction."""
    await add_tag("TAG1")
    cp.answer("RemoteStartTransaction", {"status": "Accepted"})
    response = await api.post(
        "/stations/CP1/remote-start", json={"idTag": "TAG1", "connectorId": 1}
    )
    assert response.status_code == 200
    assert response.json() == {"status": "Accepted"}
    answer = await cp.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": "TAG1", "meterStart": 0, "timestamp": NOW},
    )
    assert answer["idTagInfo"]["status"] == "Accepted"


async def test_remote_start_payload_and_time_out(cp: Any, api: Any) -> None:
    """TC_011_2: the CSMS sends what it was asked; the station never plugs in (nothing to do)."""
    sending = asyncio.ensure_future(api.post("/stations/CP1/remote-start", json={"idTag": "TAG1"}))
    call = await cp.expect("RemoteStartTransaction")
    assert call.payload == {"idTag": "TAG1"}
    await cp.reply(call, {"status": "Accepted"})
    assert (await sending).json() == {"status": "Accepted"}
    assert (await api.get("/transactions")).json()["total"] == 0


async def test_remote_start_rejected(cp: Any, api: Any) -> None:
    """TC_026."""
    cp.answer("RemoteStartTransaction", {"status": "Rejected"})
    response = await api.post(
        "/stations/CP1/remote-start", json={"idTag": "TAG1", "connectorId": 1}
    )
    assert response.json() == {"status": "Rejected"}


async def test_remote_start_with_tx_profile(cp: Any, api: Any) -> None:
    profile = {
        "chargingProfileId": 1,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}],
        },
    }
    seen: list[dict] = []
    cp.answer(
        "RemoteStartTransaction", lambda call: seen.append(call.payload) or {"status": "Accepted"}
    )
    body = {"idTag": "TAG1", "connectorId": 1, "chargingProfile": profile}
    assert (await api.post("/stations/CP1/remote-start", json=body)).status_code == 200
    assert seen == [body]
    # A TxProfile cannot name a transaction yet, and only TxProfile is allowed here.
    bad = {**body, "chargingProfile": {**profile, "transactionId": 5}}
    assert (await api.post("/stations/CP1/remote-start", json=bad)).status_code == 422
    bad = {**body, "chargingProfile": {**profile, "chargingProfilePurpose": "TxDefaultProfile"}}
    response = await api.post("/stations/CP1/calls/RemoteStartTransaction", json=bad)
    assert response.status_code == 422
    assert len(seen) == 1  # nothing sent


async def test_remote_stop_accepted_and_rejected(cp: Any, api: Any) -> None:
    """TC_012 / TC_028."""
    tx_id = (
        await cp.call(
            "StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": NOW}
        )
    )["transactionId"]
    cp.answer(
        "RemoteStopTransaction",
        lambda call: {
            "status": "Accepted" if call.payload["transactionId"] == tx_id else "Rejected"
        },
    )
    accepted = await api.post("/stations/CP1/remote-stop", json={"transactionId": tx_id})
    assert accepted.json() == {"status": "Accepted"}
    rejected = await api.post("/stations/CP1/remote-stop", json={"transactionId": tx_id + 100})
    assert rejected.json() == {"status": "Rejected"}


async def test_pending_station_may_be_configured_but_not_charge(connect: Any, api: Any) -> None:
    cp = await connect("CP1")
    await api.put("/stations/CP1/registration", json={"status": "Pending"})
    assert (await cp.boot())["status"] == "Pending"
    cp.answer(
        "GetConfiguration",
        {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]},
    )
    cp.answer("ChangeConfiguration", {"status": "Accepted"})
    assert (await api.post("/stations/CP1/calls/GetConfiguration", json={})).status_code == 200
    change = await api.post(
        "/stations/CP1/configuration", json={"key": "HeartbeatInterval", "value": "60"}
    )
    assert change.json() == {"status": "Accepted"}
    start = await api.post("/stations/CP1/remote-start", json={"idTag": "TAG1"})
    assert start.status_code == 422
    assert "Pending" in start.json()["detail"]
    stop = await api.post("/stations/CP1/calls/RemoteStopTransaction", json={"transactionId": 1})
    assert stop.status_code == 422
    assert cp.received.empty()  # nothing was sent


@pytest.mark.parametrize("kind", ["Hard", "Soft"])
async def test_reset(cp: Any, api: Any, kind: str) -> None:
    """TC_013 / TC_014: the station answers, then reboots."""
    cp.answer(
        "Reset",
        lambda call: {"status": "Accepted" if call.payload == {"type": kind} else "Rejected"},
    )
    assert (await api.post("/stations/CP1/reset", json={"type": kind})).json() == {
        "status": "Accepted"
    }
    assert (await cp.boot())["status"] == "Accepted"


@pytest.mark.parametrize(
    ("answer", "case"),
    [("Unlocked", "TC_017/018"), ("UnlockFailed", "TC_024/030"), ("NotSupported", "TC_031")],
)
async def test_unlock_connector(cp: Any, api: Any, answer: str, case: str) -> None:
    cp.answer(
        "UnlockConnector",
        lambda call: (
            {"status": answer} if call.payload == {"connectorId": 2} else {"status": "NotSupported"}
        ),
    )
    assert (await api.post("/stations/CP1/unlock", json={"connectorId": 2})).json() == {
        "status": answer
    }
    assert (await api.post("/stations/CP1/unlock", json={"connectorId": 0})).status_code == 422


async def test_get_configuration_all_then_one_key(cp: Any, api: Any, csms: Any) -> None:
    """TC_019_1 / TC_019_2: the snapshot is replaced by 'all', merged by 'some'."""
    cp.answer(
        "GetConfiguration",
        lambda call: (
            {
                "configurationKey": [
                    {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
                    {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
                    {"key": "GetConfigurationMaxKeys", "readonly": True, "value": "2"},
                ]
            }
            if not call.payload.get("key")
            else {
                "configurationKey": [
                    {"key": "HeartbeatInterval", "readonly": False, "value": "900"}
                ],
                "unknownKey": [k for k in call.payload["key"] if k != "HeartbeatInterval"],
            }
        ),
    )
    assert await csms.query("station_configuration", station_id="CP1") is None
    everything = await api.post("/stations/CP1/configuration/fetch", json={})
    assert len(everything.json()["configurationKey"]) == 3
    assert await csms.query("station_configuration", station_id="CP1") == {
        "GetConfigurationMaxKeys": "2",
        "HeartbeatInterval": "300",
        "NumberOfConnectors": "2",
    }
    one = await api.post(
        "/stations/CP1/calls/GetConfiguration", json={"key": ["HeartbeatInterval", "Nope"]}
    )
    assert one.json()["unknownKey"] == ["Nope"]
    snapshot = (await api.get("/stations/CP1/configuration")).json()
    assert {i["key"]: (i["value"], i["readonly"]) for i in snapshot["items"]} == {
        "GetConfigurationMaxKeys": ("2", True),
        "HeartbeatInterval": ("900", False),
        "NumberOfConnectors": ("2", True),
    }
    # GetConfigurationMaxKeys is 2: asking for three keys is refused before sending.
    too_many = await api.post("/stations/CP1/configuration/fetch", json={"key": ["A", "B", "C"]})
    assert too_many.status_code == 422


@pytest.mark.parametrize(
    ("status", "case"),
    [
        ("Accepted", "TC_021"),
        ("RebootRequired", "-"),
        ("Rejected", "TC_040_2"),
        ("NotSupported", "TC_040_1"),
    ],
)
async def test_change_configuration(cp: Any, api: Any, csms: Any, status: str, case: str) -> None:
    cp.answer("ChangeConfiguration", {"status": status})
    response = await api.post(
        "/stations/CP1/configuration", json={"key": "MeterValueSampleInterval", "value": "60"}
    )
    assert response.json() == {"status": status}
    snapshot = await csms.query("station_configuration", station_id="CP1")
    if status in ("Accepted", "RebootRequired"):
        assert snapshot == {"MeterValueSampleInterval": "60"}
    else:
        assert snapshot is None


async def test_clear_cache_availability_and_data_transfer(cp: Any, api: Any) -> None:
    """TC_061, ChangeAvailability and a CSMS-to-station DataTransfer."""
    cp.answer("ClearCache", {"status": "Accepted"})
    cp.answer(
        "ChangeAvailability",
        lambda call: {
            "status": "Scheduled" if call.payload["type"] == "Inoperative" else "Accepted"
        },
    )
    cp.answer(
        "DataTransfer",
        lambda call: {"status": "Accepted", "data": call.payload.get("data", "")[::-1]},
    )
    assert (await api.post("/stations/CP1/clear-cache")).json() == {"status": "Accepted"}
    response = await api.post(
        "/stations/CP1/availability", json={"connectorId": 1, "type": "Inoperative"}
    )
    assert response.json() == {"status": "Scheduled"}
    response = await api.post("/stations/CP1/availability", json={"type": "Operative"})
    assert response.json() == {"status": "Accepted"}
    response = await api.post(
        "/stations/CP1/data-transfer", json={"vendorId": "Acme", "messageId": "m", "data": "abc"}
    )
    assert response.json() == {"status": "Accepted", "data": "cba"}


async def test_convenience_routes_map_errors_like_the_call_endpoint(
    cp: Any, api: Any, csms: Any
) -> None:
    await csms.stations.create("OFFLINE")
    assert (await api.post("/stations/NOPE/reset", json={"type": "Hard"})).status_code == 404
    assert (await api.post("/stations/OFFLINE/reset", json={"type": "Hard"})).status_code == 409
    task = asyncio.ensure_future(api.post("/stations/CP1/reset", json={"type": "Soft"}))
    call = await cp.expect("Reset")
    await cp.reply_error(call, "InternalError", "boom")
    response = await task
    assert response.status_code == 502
    assert response.json()["errorCode"] == "InternalError"


async def test_data_transfer_from_station(cp: Any) -> None:
    """TC_064 plus dispatch by vendorId and messageId."""
    unknown = await cp.call("DataTransfer", {"vendorId": "Nobody", "messageId": "x", "data": "1"})
    assert unknown == {"status": "UnknownVendorId"}
    vendor_wide = await cp.call("DataTransfer", {"vendorId": "Acme", "messageId": "anything"})
    assert vendor_wide == {"status": "Accepted", "data": "any"}
    echo = await cp.call("DataTransfer", {"vendorId": "Beta", "messageId": "Echo", "data": "hi"})
    assert echo == {"status": "Accepted", "data": "hi"}
    other = await cp.call("DataTransfer", {"vendorId": "Beta", "messageId": "Other"})
    assert other == {"status": "UnknownMessageId"}
    no_message = await cp.call("DataTransfer", {"vendorId": "Beta"})
    assert no_message == {"status": "UnknownMessageId"}


async def test_nothing_unsolicited_by_default(csms: Any, cp: Any, api: Any) -> None:
    """OCTT fails a CSMS that sends calls on its own: after a boot, the first call the
    station gets is the one an operator sends once the boot is fully handled."""
    await settle(csms)  # station_booted has run: a call it made would be on its way
    operator = asyncio.ensure_future(api.post("/stations/CP1/clear-cache"))
    first = await cp.expect()
    assert first.action == "ClearCache"
    await cp.reply(first, {"status": "Accepted"})
    assert (await operator).json() == {"status": "Accepted"}


@pytest.mark.csms(plugin_settings={"core": {"get_configuration_on_boot": True}})
async def test_get_configuration_on_boot_when_enabled(csms: Any, connect: Any) -> None:
    cp = await connect("CP1")
    await cp.boot()
    call = await cp.expect("GetConfiguration")
    assert call.payload == {}
    await cp.reply(
        call,
        {"configurationKey": [{"key": "NumberOfConnectors", "readonly": True, "value": "2"}]},
    )
    snapshot = await eventually(lambda: csms.query("station_configuration", station_id="CP1"))
    assert snapshot == {"NumberOfConnectors": "2"}


async def test_authorization_key_is_not_kept_in_the_configuration_snapshot(
    cp: Any, api: Any, csms: Any
) -> None:
    cp.answer("ChangeConfiguration", {"status": "Accepted"})
    secret = "0123456789abcdef0123456789abcdef"
    response = await api.post(
        "/stations/CP1/configuration", json={"key": "AuthorizationKey", "value": secret}
    )
    assert response.json() == {"status": "Accepted"}
    snapshot = await csms.query("station_configuration", station_id="CP1")
    assert not snapshot or secret not in snapshot.values()


async def test_configuration_keys_are_case_insensitive_and_secrets_masked(
    cp: Any, api: Any, csms: Any
) -> None:
    """OCPP 1.6 keys are case-insensitive; an AuthorizationKey a station reports (write-only
    per the security whitepaper, but some report it) is masked in every answer and the
    snapshot, whatever its spelling."""
    secret = "reported-secret-0123456789"
    cp.answer(
        "GetConfiguration",
        {
            "configurationKey": [
                {"key": "heartbeatinterval", "readonly": False, "value": "300"},
                {"key": "AUTHORIZATIONKEY", "readonly": False, "value": secret},
                {"key": "GetConfigurationMaxKeys", "readonly": True, "value": "2"},
            ]
        },
    )
    fetched = await api.post("/stations/CP1/configuration/fetch", json={})
    generic = await api.post("/stations/CP1/calls/GetConfiguration", json={})
    stored = await api.get("/stations/CP1/configuration")
    for answer in (fetched, generic, stored):
        assert answer.status_code == 200, answer.text
        assert secret not in answer.text
    items = {i["key"]: i["value"] for i in stored.json()["items"]}
    assert items == {
        "AUTHORIZATIONKEY": "***",
        "GetConfigurationMaxKeys": "2",
        "heartbeatinterval": "300",
    }
    snapshot = await csms.query("station_configuration", station_id="CP1")
    assert snapshot.get("HeartbeatInterval") == "300" and "getconfigurationmaxkeys" in snapshot

    # A change in another spelling updates the same key; a new key in any case is not stored.
    cp.answer("ChangeConfiguration", {"status": "Accepted"})
    changed = await api.post(
        "/stations/CP1/configuration", json={"key": "HeartbeatInterval", "value": "60"}
    )
    assert changed.json() == {"status": "Accepted"}
    new_key = {"key": "authorizationKEY", "value": "another-secret-0123456789"}
    assert (await api.post("/stations/CP1/configuration", json=new_key)).status_code == 200
    items = {
        i["key"]: i["value"] for i in (await api.get("/stations/CP1/configuration")).json()["items"]
    }
    assert items == {
        "AUTHORIZATIONKEY": "***",
        "GetConfigurationMaxKeys": "2",
        "heartbeatinterval": "60",
    }
    # GetConfigurationMaxKeys, whatever its case, still limits what is asked.
    too_many = await api.post("/stations/CP1/configuration/fetch", json={"key": ["a", "b", "c"]})
    assert too_many.status_code == 422
