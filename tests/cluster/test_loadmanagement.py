"""Load management with stations on two nodes: one division at a time for the whole group,
from the database, so the group limit holds whichever node saw each transaction."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from csms_core.testing import ChargePoint, IncomingCall, eventually, ocpp_url

LIMIT = 32.0


class Site:
    """What the stations were told; the sum of what running transactions may draw is
    checked at every profile a station accepts."""

    def __init__(self) -> None:
        self.running: dict[tuple[str, int], int] = {}
        self.told: dict[tuple[str, int], tuple[int, float]] = {}
        self.worst = 0.0

    def responder(self, station_id: str) -> Any:
        def answer(call: IncomingCall) -> dict:
            profile = call.payload["csChargingProfiles"]
            if profile["chargingProfilePurpose"] == "TxProfile":
                limit = profile["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]
                key = (station_id, call.payload["connectorId"])
                self.told[key] = (profile["transactionId"], limit)
            # Without its own TxProfile a transaction draws the fallback: 0.
            drawn = sum(
                told[1]
                for key, tx in self.running.items()
                if (told := self.told.get(key)) and told[0] == tx
            )
            self.worst = max(self.worst, drawn)
            return {"status": "Accepted"}

        return answer


async def settled(apis: list[Any], group_id: int, expected: dict[str, float]) -> None:
    """Every node's API reports the ``expected`` allocation."""

    async def agreed() -> bool:
        seen = [
            (await api.get(f"/charging-groups/{group_id}")).json()["allocation"] for api in apis
        ]
        return all(allocation == expected for allocation in seen)

    await eventually(agreed, timeout=10)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def test_group_limit_holds_with_stations_on_two_nodes(make_node, api_for):
    n1, n2 = await make_node("n1"), await make_node("n2")
    apis = [api_for(n1), api_for(n2)]
    assert (await apis[0].post("/id-tags", json={"idTag": "TAG1"})).status_code == 201
    members = [{"stationId": s, "maxLimit": 16} for s in ("CPA", "CPB", "CPC")]
    body = {
        "name": "garage",
        "limit": LIMIT,
        "unit": "A",
        "enabled": True,
        "fallbackLimit": 0,
        "members": members,
    }
    created = await apis[1].post("/charging-groups", json=body)
    assert created.status_code == 201, created.text
    group_id = created.json()["id"]
    site = Site()
    homes = {"CPA": n1, "CPB": n2, "CPC": n1}
    stations: dict[str, ChargePoint] = {}
    try:
        for station_id, node in homes.items():
            await node.stations.create(station_id)
            cp = await ChargePoint(ocpp_url(node), station_id).connect()
            stations[station_id] = cp
            cp.answer("SetChargingProfile", site.responder(station_id))
            assert (await cp.boot())["status"] == "Accepted"

        async def start(station_id: str, connector_id: int) -> None:
            answer = await stations[station_id].call(
                "StartTransaction",
                {
                    "connectorId": connector_id,
                    "idTag": "TAG1",
                    "meterStart": 0,
                    "timestamp": now_iso(),
                },
            )
            site.running[(station_id, connector_id)] = answer["transactionId"]

        async def stop(station_id: str, connector_id: int) -> None:
            transaction_id = site.running.pop((station_id, connector_id))
            await stations[station_id].call(
                "StopTransaction",
                {"transactionId": transaction_id, "meterStop": 10, "timestamp": now_iso()},
            )

        # Transactions start and stop at the same moment on both nodes.
        await asyncio.gather(start("CPA", 1), start("CPB", 1))
        await settled(apis, group_id, {"CPA/1": 16.0, "CPB/1": 16.0})
        await asyncio.gather(start("CPC", 1), start("CPB", 2), start("CPA", 2))
        await settled(
            apis, group_id, {"CPA/1": 6.4, "CPA/2": 6.4, "CPB/1": 6.4, "CPB/2": 6.4, "CPC/1": 6.4}
        )
        await asyncio.gather(stop("CPA", 1), stop("CPB", 1), stop("CPB", 2))
        await settled(apis, group_id, {"CPA/2": 16.0, "CPC/1": 16.0})
        assert 0 < site.worst <= LIMIT
    finally:
        for cp in stations.values():
            await cp.close()
