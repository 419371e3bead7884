"""A StartTransaction retransmitted through another node makes one transaction, not two."""

from __future__ import annotations

import json
import uuid
from typing import Any

from csms_core.testing import ChargePoint, eventually, ocpp_url, settle


async def _not(check: Any) -> bool:
    return not await check


async def test_a_start_retransmitted_on_another_node_makes_one_transaction(make_node, api_for):
    n1, n2 = await make_node("n1"), await make_node("n2")
    await n1.stations.create("CP1")
    async with ChargePoint(ocpp_url(n1), "CP1") as cp:
        assert (await cp.boot())["status"] == "Accepted"  # later connections start accepted
    stations: list[ChargePoint] = []
    try:
        for minute in range(5):
            payload = {
                "connectorId": 1,
                "idTag": "TAG1",
                "meterStart": minute,
                "timestamp": f"2026-01-01T12:0{minute}:00Z",
            }
            # The station sends StartTransaction on n1, loses that connection before the
            # answer, reconnects to n2 and retransmits: both nodes handle it at once.
            first = await ChargePoint(ocpp_url(n1), "CP1").connect()
            second = ChargePoint(ocpp_url(n2), "CP1")
            stations += [first, second]
            # n1's claim must be in before n2's: the later claim keeps the station.
            await eventually(lambda: n2.router.is_connected("CP1"))
            assert first.ws is not None
            await first.ws.send(json.dumps([2, str(uuid.uuid4()), "StartTransaction", payload]))
            await second.connect()
            answer = await second.call("StartTransaction", payload)
            # n1 lost the station to n2's newer claim: its session ends only after the
            # handlers in flight (if the frame got there) are done; settle commits their writes.
            await eventually(lambda: n1.router.local_session("CP1") is None)
            await settle(n1)
            listed = (await api_for(n1).get("/transactions", params={"limit": 100})).json()
            ids = [t["transactionId"] for t in listed["items"] if t["meterStart"] == minute]
            assert ids == [answer["transactionId"]], listed
            for cp in (first, second):
                await cp.close()
            for node in (n1, n2):  # gone everywhere before the next round's claims
                await eventually(lambda node=node: _not(node.router.is_connected("CP1")))
    finally:
        for cp in stations:
            await cp.close()
