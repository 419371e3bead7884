"""A call published straight on a station's NATS subject gets the same checks as one made on
the node: whoever can publish on the broker cannot send a station what the API would refuse."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import nats
import pytest

from csms_core import PayloadRejected
from csms_core.cluster.nats import OPERATION_HEADER, token
from csms_core.testing import ChargePoint, ocpp_url


async def raw_request(nats_url: str, subject: str, body: bytes) -> dict[str, Any]:
    nc = await nats.connect(nats_url)
    try:
        msg = await nc.request(subject, body, timeout=10, headers={OPERATION_HEADER: "call"})
        return json.loads(msg.data)
    finally:
        await nc.close()


def call_body(action: str, payload: Any, timeout: Any = 5) -> bytes:
    return json.dumps({"action": action, "payload": payload, "timeout": timeout}).encode()


async def test_raw_calls_on_the_broker_are_checked_by_the_holder(
    make_node, api_for, cluster_name, nats_url
):
    n1 = await make_node("n1")
    n2 = await make_node("n2")
    await n1.stations.create("CP1")
    cp = await ChargePoint(ocpp_url(n1), "CP1").connect()
    assert (await cp.boot())["status"] == "Accepted"
    subject = f"{cluster_name}.station.{token('CP1')}"
    try:
        refused = {
            "bad payload": call_body("Reset", {"type": "Sideways"}),
            "no owner": call_body("SelfDestruct", {}),
            "owner's rule": call_body(
                "ChangeConfiguration", {"key": "authorizationkey", "value": "short"}
            ),
            "not JSON": b"{not json",
            "endless timeout": call_body("Reset", {"type": "Hard"}, timeout=1e9),
        }
        answers = {
            name: await raw_request(nats_url, subject, body) for name, body in refused.items()
        }
        assert answers["bad payload"]["error"] == "Rejected"
        assert "type" in answers["bad payload"]["reason"]
        assert answers["no owner"] == {"error": "NotAvailable"}
        assert answers["owner's rule"]["error"] == "Rejected"
        assert "short" not in answers["owner's rule"]["reason"]  # names the rule, not the value
        assert answers["not JSON"]["error"] == "Invalid"
        assert answers["endless timeout"]["error"] == "Invalid"

        # None of them reached the station: the first CALL it gets is the next honest one.
        api = api_for(n2)
        cleared = asyncio.create_task(api.post("/stations/CP1/calls/ClearCache", json={}))
        first = await cp.expect()
        assert first.action == "ClearCache"
        await cp.reply(first, {"status": "Accepted"})
        assert (await cleared).json() == {"status": "Accepted"}

        # The same checks answer an honest node's calls across the broker.
        bad = await api.post("/stations/CP1/calls/Reset", json={"type": "Sideways"})
        assert bad.status_code == 422, bad.text
        short_key = await api.post(
            "/stations/CP1/configuration", json={"key": "AUTHORIZATIONKEY", "value": "short"}
        )
        assert short_key.status_code == 422, short_key.text
        assert (await api.post("/stations/CP1/calls/SelfDestruct", json={})).status_code == 501
    finally:
        await cp.close()


async def test_an_honest_call_is_checked_once_by_the_holder(make_node, test_plugin, call_guard):
    guards = [call_guard(), call_guard()]
    n1, n2 = [
        await make_node(name, plugins=[("kerneltest", test_plugin), ("guard", guard)])
        for name, guard in zip(("n1", "n2"), guards, strict=True)
    ]
    await n1.stations.create("CP1")
    async with ChargePoint(ocpp_url(n1), "CP1") as cp:
        assert (await cp.boot())["status"] == "Accepted"
        cp.answer("ChangeAvailability", {"status": "Accepted"})
        operative = {"connectorId": 1, "type": "Operative"}
        assert await n2.call("CP1", "ChangeAvailability", operative) == {"status": "Accepted"}
        assert [g.seen for g in guards] == [["ChangeAvailability"], []]  # on the holder, once
        assert await n1.call("CP1", "ChangeAvailability", operative) == {"status": "Accepted"}
        assert [len(g.seen) for g in guards] == [2, 0]
        # The holder's refusal reaches the caller as its own would.
        with pytest.raises(PayloadRejected, match="never goes Inoperative"):
            await n2.call("CP1", "ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})
        assert [len(g.seen) for g in guards] == [3, 0]
