"""Ownership: duplicates end with one owner, a reconnect elsewhere wins, a dead node's
stations reconnect to another with no transaction lost or duplicated."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

import httpx
import pytest

from csms_core.testing import TEST_API_KEY, ChargePoint, eventually, ocpp_url

from .conftest import TTL, free_port


def is_open(cp: ChargePoint) -> bool:
    return cp.ws is not None and cp.ws.close_code is None


async def owners(nodes: list[Any], station_id: str) -> list[str]:
    return [n.node_id for n in nodes if n.router.local_session(station_id) is not None]


async def test_duplicate_connections_on_two_nodes_end_with_one_owner(make_node, api_for):
    n1, n2, n3 = await make_node("n1"), await make_node("n2"), await make_node("n3")
    await n1.stations.create("CP1")
    for _round in range(5):
        a = ChargePoint(ocpp_url(n1), "CP1")
        b = ChargePoint(ocpp_url(n2), "CP1")
        await asyncio.gather(a.connect(), b.connect())
        # Exactly one connection survives, on exactly one node, and every node agrees.
        await eventually(lambda a=a, b=b: is_open(a) != is_open(b))
        winner, node = (a, n1) if is_open(a) else (b, n2)

        # The loser's session ends once its closing handshake is done.
        async def one_owner(node: Any = node) -> bool:
            return await owners([n1, n2, n3], "CP1") == [node.node_id]

        await eventually(one_owner)
        winner.answer("ClearCache", {"status": "Accepted"})
        answer = await api_for(n3).post("/stations/CP1/calls/ClearCache", json={})
        assert answer.status_code == 200, answer.text

        # Two nodes' writes may land in either order; the leader corrects within the TTL.
        async def recorded(node: Any = node) -> bool:
            station = await n3.stations.get("CP1")
            return station is not None and station.connected_node == node.node_id

        await eventually(recorded, timeout=TTL * 2 + 1)
        # Checked after the call and the leader's correction, which come after any late claim.
        assert is_open(winner)
        await a.close()
        await b.close()
        for n in (n1, n2, n3):
            await eventually(lambda n=n: n.router.local_session("CP1") is None)


async def test_reconnect_to_another_node_wins(make_node, api_for):
    n1, n2 = await make_node("n1"), await make_node("n2")
    await n1.stations.create("CP1")
    old = await ChargePoint(ocpp_url(n1), "CP1").connect()
    await old.boot()
    # The station thinks its link died and reconnects through the load balancer to n2;
    # n1 never saw the old socket close.
    new = await ChargePoint(ocpp_url(n2), "CP1").connect()
    await eventually(lambda: not is_open(old))
    assert old.ws is not None and old.ws.close_code == 1000
    await eventually(lambda: n1.router.local_session("CP1") is None)
    new.answer("ClearCache", {"status": "Accepted"})
    for node in (n1, n2):
        answer = await api_for(node).post("/stations/CP1/calls/ClearCache", json={})
        assert answer.status_code == 200, answer.text
        assert (await api_for(node).get("/stations/CP1")).json()["connected"] is True
    # n1 closing its stale session must not mark the station disconnected.
    station = await n1.stations.get("CP1")
    assert station is not None and station.connected_node == "n2"
    await new.close()


async def start_node_process(
    serve: Any, tmp_path: Any, database_url: str, nats_url: str, cluster_name: str, node_id: str
) -> tuple[asyncio.subprocess.Process, int, int]:
    ocpp_port, api_port = free_port(), free_port()
    env = {
        **os.environ,
        "CSMS_API_KEYS": TEST_API_KEY,
        "CSMS_HOST": "127.0.0.1",
        "CSMS_CLUSTER_NAME": cluster_name,
        "CSMS_CLUSTER_TTL": str(TTL),
        "CSMS_NODE_ID": node_id,
    }
    process = await serve(
        tmp_path / node_id,
        *("--database-url", database_url, "--cluster-url", nats_url),
        env=env,
        stderr=(tmp_path / f"{node_id}.log").open("w"),
        ocpp_port=ocpp_port,
        api_port=api_port,
    )
    async with httpx.AsyncClient() as client:

        async def healthy() -> bool:
            if process.returncode is not None:
                log = (tmp_path / f"{node_id}.log").read_text()
                raise AssertionError(f"node {node_id} exited: {log[-2000:]}")
            try:
                await client.get(f"http://127.0.0.1:{api_port}/health")
                return True
            except httpx.TransportError:
                return False

        await eventually(healthy, timeout=60)
    return process, ocpp_port, api_port


async def test_killed_node_loses_its_stations_and_no_transaction_is_lost_or_doubled(
    make_node, api_for, tmp_path, database_url, nats_url, cluster_name, serve
):
    pytest.importorskip("csms_plugin_core")
    n1, n2 = await make_node("n1"), await make_node("n2")
    await n1.stations.create("CP1")
    await n1.stations.create("CP2")
    doomed, doomed_ocpp, _ = await start_node_process(
        serve, tmp_path, database_url, nats_url, cluster_name, "doomed"
    )
    try:
        cp1 = await ChargePoint(f"ws://127.0.0.1:{doomed_ocpp}/ocpp", "CP1").connect()
        cp2 = await ChargePoint(f"ws://127.0.0.1:{doomed_ocpp}/ocpp", "CP2").connect()
        await cp1.boot()
        await cp2.boot()
        start = {
            "connectorId": 1,
            "idTag": "TAG1",
            "meterStart": 1000,
            "timestamp": "2026-01-01T10:00:00.000Z",
        }
        tx = (await cp1.call("StartTransaction", start))["transactionId"]
        cp1.answer("ClearCache", {"status": "Accepted"})
        api = api_for(n2)
        assert (await api.post("/stations/CP1/calls/ClearCache", json={})).status_code == 200
        assert (await api.get("/stations/CP1")).json()["connected"] is True

        doomed.send_signal(signal.SIGKILL)
        await doomed.wait()
        killed_at = asyncio.get_running_loop().time()
        # Calls fail fast (its subscriptions died with its broker connection) ...
        assert (await api.post("/stations/CP1/calls/ClearCache", json={})).status_code == 409
        # ... and within the TTL no node claims the dead node's stations are connected.
        await eventually(lambda: _all_disconnected(api, ["CP1", "CP2"]), timeout=TTL * 2 + 2)
        assert asyncio.get_running_loop().time() - killed_at < TTL * 2 + 2
        await eventually(lambda: not is_open(cp1) and not is_open(cp2))

        # The stations reconnect through the load balancer: one to n1, one to n2.
        cp1 = await ChargePoint(ocpp_url(n1), "CP1").connect()
        cp2 = await ChargePoint(ocpp_url(n2), "CP2").connect()
        # CP1 never saw the answer to StartTransaction (as far as it knows): it retransmits.
        again = await cp1.call("StartTransaction", start)
        assert again["transactionId"] == tx
        await cp1.call(
            "StopTransaction",
            {"transactionId": tx, "meterStop": 1500, "timestamp": "2026-01-01T11:00:00.000Z"},
        )
        cp2.answer("ClearCache", {"status": "Accepted"})
        cp1.answer("ClearCache", {"status": "Accepted"})
        for node in (n1, n2):
            for sid in ("CP1", "CP2"):
                sent = await api_for(node).post(f"/stations/{sid}/calls/ClearCache", json={})
                assert sent.status_code == 200, sent.text
        listed = (await api.get("/transactions", params={"stationId": "CP1"})).json()
        assert [t["transactionId"] for t in listed["items"]] == [tx]
        assert listed["items"][0]["meterStop"] == 1500
        await cp1.close()
        await cp2.close()
    finally:
        if doomed.returncode is None:
            doomed.kill()
            await doomed.wait()


async def _all_disconnected(api: httpx.AsyncClient, ids: list[str]) -> bool:
    listed = (await api.get("/stations")).json()["items"]
    return all(not s["connected"] for s in listed if s["id"] in ids)
