"""Calls through any node's API reach the station wherever it is connected."""

from __future__ import annotations

import asyncio
from typing import Any

from csms_core.testing import ChargePoint, eventually, ocpp_url


async def station(app: Any, station_id: str) -> ChargePoint:
    if await app.stations.get(station_id) is None:
        await app.stations.create(station_id)
    cp = await ChargePoint(ocpp_url(app), station_id).connect()
    assert (await cp.boot())["status"] == "Accepted"
    return cp


async def test_calls_through_every_node(make_node, api_for):
    nodes = [await make_node(f"n{i}") for i in (1, 2, 3)]
    apis = [api_for(node) for node in nodes]
    cp1 = await station(nodes[0], "CP1")
    cp2 = await station(nodes[1], "CP2")
    await nodes[0].stations.create("CP3")  # registered, never connected
    for cp in (cp1, cp2):
        cp.answer("ClearCache", {"status": "Accepted"})
        cp.answer("TriggerMessage", {"status": "Rejected"})
    try:
        for api in apis:
            listed = (await api.get("/stations")).json()["items"]
            assert {s["id"]: s["connected"] for s in listed} == {
                "CP1": True,
                "CP2": True,
                "CP3": False,
            }
            assert (await api.get("/stations/CP2")).json()["connected"] is True
            for sid in ("CP1", "CP2"):
                # The generic endpoint and plugins' own endpoints alike.
                answer = await api.post(f"/stations/{sid}/calls/ClearCache", json={})
                assert answer.status_code == 200, answer.text
                assert answer.json() == {"status": "Accepted"}
                answer = await api.post(f"/stations/{sid}/clear-cache")
                assert answer.status_code == 200, answer.text
                triggered = await api.post(
                    f"/stations/{sid}/trigger", json={"requestedMessage": "Heartbeat"}
                )
                assert triggered.status_code == 200, triggered.text
                assert triggered.json()["status"] == "Rejected"
            refused = await api.post("/stations/CP3/calls/ClearCache", json={})
            assert refused.status_code == 409, refused.text
            assert (await api.post("/stations/CPX/calls/ClearCache", json={})).status_code == 404
        # on_result ran on the node that made each call: 3 nodes x 2 stations recorded.
        history = (await apis[2].get("/stations/CP1/triggers")).json()
        assert history["total"] == 3 and {t["status"] for t in history["items"]} == {"Rejected"}
    finally:
        await cp1.close()
        await cp2.close()


async def test_call_errors_and_timeouts_cross_the_broker(make_node, api_for):
    n1, n2 = await make_node("n1"), await make_node("n2")
    cp = await station(n1, "CP1")

    async def refuse(call: Any) -> dict:
        raise AssertionError("not used")

    api = api_for(n2)
    try:
        sent = asyncio.ensure_future(
            api.post("/stations/CP1/calls/Reset", json={"type": "Soft"}, params={"timeout": 1})
        )
        call = await cp.expect("Reset")
        await cp.reply_error(call, "NotSupported", "no soft reset here")
        failed = await sent
        assert failed.status_code == 502, failed.text
        assert failed.json()["errorCode"] == "NotSupported"
        assert failed.json()["errorDescription"] == "no soft reset here"

        silent = await api.post(
            "/stations/CP1/calls/Reset", json={"type": "Soft"}, params={"timeout": 0.5}
        )
        assert silent.status_code == 504, silent.text
        await cp.expect("Reset")  # it did reach the station

        refused = await api.post("/stations/CP1/calls/Reset", json={"type": "Sideways"})
        assert refused.status_code == 422  # checked on the calling node; nothing sent
        assert cp.received.empty()
        # Ordered proof: the next CALL the station gets is one asked for afterwards.
        sent = asyncio.ensure_future(api.post("/stations/CP1/calls/ClearCache", json={}))
        await cp.reply(await cp.expect("ClearCache"), {"status": "Accepted"})
        assert (await sent).status_code == 200
    finally:
        await cp.close()
    # Gone from n1: every node answers 409 at once ("no responders").
    await eventually(lambda: n1.router.local_session("CP1") is None)
    started = asyncio.get_running_loop().time()
    gone = await api.post("/stations/CP1/calls/Reset", json={"type": "Soft"})
    assert gone.status_code == 409
    assert asyncio.get_running_loop().time() - started < 1.0
    assert (await api.get("/stations/CP1")).json()["connected"] is False


async def test_disable_on_one_node_closes_the_connection_on_another(make_node, api_for):
    n1, n2 = await make_node("n1"), await make_node("n2")
    cp = await station(n1, "CP1")
    patched = await api_for(n2).patch("/stations/CP1", json={"enabled": False})
    assert patched.status_code == 200
    await eventually(lambda: n1.router.local_session("CP1") is None)
    assert cp.ws is not None
    await eventually(lambda: cp.ws.close_code is not None)
    assert cp.ws.close_code == 1008


async def test_a_node_whose_watch_ends_watches_again(make_node, api_for):
    n1, n2 = await make_node("n1"), await make_node("n2")
    stopped = list(n1.router._watchers)
    for watcher in stopped:
        await watcher.stop()  # as if the broker had dropped the consumer
    # n1 noticed: the ended watches are dropped (what follows can only reach it by a new one).
    await eventually(lambda: not any(w in n1.router._watchers for w in stopped))
    cp = await station(n2, "CP1")
    try:
        assert await eventually(lambda: n1.router.is_connected("CP1"), timeout=5)
        assert (await api_for(n1).get("/stations/CP1")).json()["connected"] is True
    finally:
        await cp.close()
    await eventually(lambda: _not(n1.router.is_connected("CP1")), timeout=5)


async def _not(awaitable: Any) -> bool:
    return not await awaitable


async def test_call_to_a_station_rejected_at_boot_is_refused_by_its_node(make_node, api_for):
    # OCPP 1.6 4.2: the node holding the session knows the boot was Rejected; a call made on
    # another node learns it through the broker and answers 409 at once, nothing sent.
    n1, n2 = await make_node("n1"), await make_node("n2")
    await n1.stations.create("CP1")
    api = api_for(n2)
    registration = await api.put("/stations/CP1/registration", json={"status": "Rejected"})
    assert registration.status_code == 200, registration.text
    cp = await ChargePoint(ocpp_url(n1), "CP1").connect()
    try:
        assert (await cp.boot())["status"] == "Rejected"
        refused = await api.post("/stations/CP1/calls/ClearCache", json={})
        assert refused.status_code == 409, refused.text
        assert "rejected at boot" in refused.json()["detail"]
        assert cp.received.empty()
    finally:
        await cp.close()
