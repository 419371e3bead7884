"""OCPP-J transport: rules of the OCPP 1.6 text, its errata and OCPP-J that no OCTT
case covers (the OCTT cases run as scenarios in test_scenarios.py). Each cites its rule."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from csms_core.testing import ocpp_url

PROFILE = "Transport"  # the conformance table's section


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
