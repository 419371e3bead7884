"""Our own OCPP-J transport cases (no OCTT id), against all installed plugins.
Each test runs the scenario of the same id
(csms_simulator.scenarios), which asserts what the CSMS sends and answers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from csms_simulator.scenarios import Check
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from csms_core.testing import ocpp_url


async def test_neg_bad_subprotocol(check: Check) -> None:
    """NEG_SUBPROTOCOL: Refuse a station offering no supported subprotocol."""
    await check("NEG_SUBPROTOCOL")


async def test_neg_unknown_identity(check: Check) -> None:
    """NEG_UNKNOWN_IDENTITY: Refuse an unknown station identity with HTTP 401, as a wrong
    password."""
    await check("NEG_UNKNOWN_IDENTITY")


async def test_neg_malformed_frames(check: Check) -> None:
    """NEG_MALFORMED: Malformed frames get CALLERRORs, the connection stays up."""
    await check("NEG_MALFORMED")


async def test_neg_oversized_message_id(check: Check) -> None:
    """NEG_MESSAGE_ID: Message ids longer than 36 characters are refused."""
    await check("NEG_MESSAGE_ID")


async def test_neg_calls_before_boot(check: Check) -> None:
    """NEG_BEFORE_BOOT: CALLs before an accepted BootNotification get SecurityError."""
    await check("NEG_BEFORE_BOOT")


async def test_neg_unknown_action(check: Check) -> None:
    """NEG_UNKNOWN_ACTION:

    Unknown actions get NotImplemented, invalid payloads a schema error code.
    """
    await check("NEG_UNKNOWN_ACTION")


async def test_neg_duplicate_message_id(check: Check) -> None:
    """NEG_DUPLICATE_ID: A CALL repeated with the same message id is answered each time."""
    await check("NEG_DUPLICATE_ID")


async def test_neg_crossing_calls(check: Check) -> None:
    """NEG_CROSSING_CALLS:

    Calls in both directions may cross; the CSMS keeps one outstanding call.
    """
    await check("NEG_CROSSING_CALLS")


async def test_neg_station_callerror(check: Check) -> None:
    """NEG_CALLERROR_502: A station's CALLERROR reaches the operator as 502 with its code."""
    await check("NEG_CALLERROR_502")


# --- the spec's fine print (issue 25): each test cites its rule ---------------------------


async def test_ocppj_3_2_no_agreed_subprotocol(csms: Any) -> None:
    """OCPP-J 3.2: No agreed subprotocol (others offered, or none): the handshake completes
    without Sec-WebSocket-Protocol and the connection is closed at once."""
    await csms.stations.create("CP-NOPROTO")
    for offered in (["ocpp2.0.1"], None):
        async with ws_connect(f"{ocpp_url(csms)}/CP-NOPROTO", subprotocols=offered) as ws:
            assert ws.response.status_code == 101
            assert "Sec-WebSocket-Protocol" not in ws.response.headers
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 1002
        assert not await csms.router.is_connected("CP-NOPROTO")


@pytest.mark.csms(allow_missing_subprotocol=True)
async def test_ocppj_3_2_none_offered_allowed_when_configured(csms: Any) -> None:
    """OCPP-J 3.2 (allow_missing_subprotocol): A station offering no subprotocol at all gets
    a session when the setting allows old firmware; one offering others is still closed."""
    await csms.stations.create("CP-OLD")
    async with ws_connect(f"{ocpp_url(csms)}/CP-OLD") as ws:
        assert "Sec-WebSocket-Protocol" not in ws.response.headers
        boot = {"chargePointVendor": "V", "chargePointModel": "M"}
        await ws.send(json.dumps([2, "1", "BootNotification", boot]))
        answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert answer[0] == 3 and answer[2]["status"] == "Accepted"
    async with ws_connect(f"{ocpp_url(csms)}/CP-OLD", subprotocols=["ocpp2.0.1"]) as ws:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
    assert ws.close_code == 1002
