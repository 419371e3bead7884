"""OCPP-J transport: handshake, framing, CALLERRORs, ordering between stations."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from csms_core.errors import CallErrorReceived
from csms_core.testing import ChargePoint, ocpp_url


async def test_station_identity_is_last_path_segment_percent_decoded(csms, connect):
    # OCPP-J 3.1.1's own example: identity "RDAM 123", URL .../ocppj/RDAM%20123.
    await csms.stations.create("RDAM 123")
    await csms.stations.create("Zürich \u03b1")
    for station_id in ("RDAM 123", "Zürich \u03b1"):
        cp = ChargePoint(ocpp_url(csms, "/some/deep/prefix"), station_id)
        assert "%20" in cp.url
        await cp.connect()
        try:
            assert (await cp.boot())["status"] == "Accepted"
            assert await csms.router.is_connected(station_id)
        finally:
            await cp.close()


async def test_subprotocol_ocpp16_is_chosen_from_a_list(csms, connect):
    cp = await connect("CP1", subprotocols=("ocpp0.1", "ocpp1.6"))
    assert cp.subprotocol == "ocpp1.6"


@pytest.mark.parametrize("offered", [("ocpp2.0.1",), ()])
async def test_no_supported_subprotocol_means_no_session(csms, offered):
    # OCPP-J 3.2: the handshake completes without Sec-WebSocket-Protocol, then closes.
    await csms.stations.create("CP1")
    async with ws_connect(f"{ocpp_url(csms)}/CP1", subprotocols=list(offered) or None) as ws:
        assert ws.response.status_code == 101
        assert "Sec-WebSocket-Protocol" not in ws.response.headers
        await asyncio.wait_for(ws.wait_closed(), 5)
    assert ws.close_code == 1002
    assert not await csms.router.is_connected("CP1")


async def test_missing_subprotocol_allowed_when_configured(make_csms, test_plugin):
    app = await make_csms(plugins=[("t", test_plugin)], allow_missing_subprotocol=True)
    await app.stations.create("OLD")
    async with ws_connect(f"{ocpp_url(app)}/OLD") as ws:
        await ws.send(
            json.dumps(
                [2, "1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]
            )
        )
        answer = json.loads(await ws.recv())
    assert answer[0] == 3 and answer[2]["status"] == "Accepted"


async def test_unknown_station_refused_with_401_like_a_wrong_password(csms):
    with pytest.raises(InvalidStatus) as caught:
        async with ws_connect(f"{ocpp_url(csms)}/NOBODY", subprotocols=["ocpp1.6"]):
            pass
    assert caught.value.response.status_code == 401
    assert await csms.stations.get("NOBODY") is None


async def test_unknown_station_registered_when_policy_accepts(make_csms, test_plugin):
    app = await make_csms(plugins=[("t", test_plugin)], unknown_stations="accept")
    cp = ChargePoint(ocpp_url(app), "NEW1")
    await cp.connect()
    try:
        assert (await cp.boot())["status"] == "Accepted"
    finally:
        await cp.close()
    station = await app.stations.get("NEW1")
    assert station is not None and station.registration_status == "Accepted"


async def test_second_connection_replaces_the_first(csms, connect):
    first = await connect("CP1")
    await first.boot()
    second = await connect("CP1")
    assert "currentTime" in await second.call("Heartbeat")
    await asyncio.wait_for(first.ws.wait_closed(), 5)
    session = csms.router.local_session("CP1")
    assert session.ws.remote_address[1] == second.ws.local_address[1]


# --- CALLERRORs ------------------------------------------------------------------------


async def test_call_before_boot_accepted_gets_security_error(csms, connect):
    cp = await connect("CP1")
    with pytest.raises(CallErrorReceived) as caught:
        await cp.call("Heartbeat")
    assert caught.value.code == "SecurityError"
    assert (await cp.boot())["status"] == "Accepted"  # connection stayed up
    assert "currentTime" in await cp.call("Heartbeat")


async def test_pending_station_still_gets_security_error(csms, connect, test_plugin):
    test_plugin.boot_status = "Pending"
    cp = await connect("CP1")
    assert (await cp.boot())["status"] == "Pending"
    with pytest.raises(CallErrorReceived) as caught:
        await cp.call("Heartbeat")
    assert caught.value.code == "SecurityError"


async def test_accepted_station_reconnecting_without_boot_is_accepted(csms, connect):
    cp = await connect("CP1")
    await cp.boot()
    await cp.close()
    again = await connect("CP1")
    assert "currentTime" in await again.call("Heartbeat")


async def test_unknown_action_not_implemented(booted):
    with pytest.raises(CallErrorReceived) as caught:
        await booted.call("MakeCoffee", {})
    assert caught.value.code == "NotImplemented"


async def test_known_action_without_plugin_not_supported(booted):
    with pytest.raises(CallErrorReceived) as caught:
        await booted.call("MeterValues", {"connectorId": 1, "meterValue": []})
    assert caught.value.code == "NotSupported"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, "OccurenceConstraintViolation"),
        ({"idTag": 12}, "TypeConstraintViolation"),
        ({"idTag": "X" * 21}, "PropertyConstraintViolation"),
        ({"idTag": "OK", "extra": 1}, "FormationViolation"),
    ],
)
async def test_invalid_payload_gets_the_right_violation(booted, payload, code):
    with pytest.raises(CallErrorReceived) as caught:
        await booted.call("Authorize", payload)
    assert caught.value.code == code
    assert (await booted.call("Authorize", {"idTag": "OK"}))["idTagInfo"]["status"] == "Accepted"


@pytest.mark.parametrize(
    ("frame", "code", "message_id"),
    [
        ("not json at all", "FormationViolation", "-1"),
        ('{"a": 1}', "FormationViolation", "-1"),
        ('[2, "m1", "Heartbeat"]', "FormationViolation", "m1"),
        ('[2, "m2", "Heartbeat", []]', "FormationViolation", "m2"),
        ('[9, "m3", "Heartbeat", {}]', "PropertyConstraintViolation", "m3"),
        (json.dumps([2, "x" * 37, "Heartbeat", {}]), "ProtocolError", "x" * 37),
    ],
)
async def test_malformed_frames_get_callerror_and_connection_stays(booted, frame, code, message_id):
    answer = await booted.send_frame(frame, message_id=message_id if message_id != "-1" else None)
    assert answer[0] == 4
    assert answer[1] == message_id
    assert answer[2] == code
    assert answer[4] == {}
    assert "currentTime" in await booted.call("Heartbeat")


async def test_timestamps_accepted_in_every_iso_form(booted):
    from csms_core.rpc import parse_timestamp

    forms = [
        "2026-01-01T12:00:00Z",
        "2026-01-01T12:00:00.123Z",
        "2026-01-01T12:00:00.123456+00:00",
        "2026-01-01T14:00:00+02:00",
        "2026-01-01T12:00:00",
    ]
    moments = {parse_timestamp(text).replace(microsecond=0) for text in forms}
    assert len(moments) == 1


async def test_handler_exception_is_internal_error_and_others_carry_on(csms, connect, booted):
    with pytest.raises(CallErrorReceived) as caught:
        await booted.call(
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
        )
    assert caught.value.code == "InternalError"
    other = await connect("CP2")
    assert (await other.boot())["status"] == "Accepted"
    assert "currentTime" in await booted.call("Heartbeat")


async def test_slow_station_does_not_block_another(csms, connect, test_plugin):
    slow = await connect("SLOW1")
    fast = await connect("FAST1")
    await slow.boot()
    await fast.boot()
    slow_call = asyncio.create_task(slow.call("Authorize", {"idTag": "SLOW"}))
    await asyncio.wait_for(test_plugin.slow_started.wait(), 5)  # its handler is running
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(5):
        await fast.call("Heartbeat")
    assert loop.time() - started < 0.9, "fast station waited for the slow one"
    assert not slow_call.done()  # held until released: the heartbeats did not wait for it
    test_plugin.slow_released.set()
    assert (await slow_call)["idTagInfo"]["status"] == "Accepted"


async def test_station_callresult_with_unknown_id_is_ignored(booted):
    await booted.ws.send(json.dumps([3, "never-sent", {}]))
    assert "currentTime" in await booted.call("Heartbeat")


async def test_pending_station_may_send_what_the_csms_asked_for(csms, connect, test_plugin):
    test_plugin.boot_status = "Pending"
    cp = await connect("CP1")
    await cp.boot()
    csms.router.local_session("CP1").context.allow_before_accepted("Heartbeat")
    assert "currentTime" in await cp.call("Heartbeat")
    with pytest.raises(CallErrorReceived) as caught:
        await cp.call("Authorize", {"idTag": "A"})
    assert caught.value.code == "SecurityError"
