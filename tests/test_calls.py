"""CSMS-initiated calls: the one call path, its queue, and the API's status codes."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from csms_core.testing import TEST_API_KEY, api_url, eventually


async def test_call_returns_station_answer_and_owner_records_it(csms, api, booted, test_plugin):
    booted.answer("Reset", {"status": "Accepted"})
    response = await api.post("/stations/CP1/calls/Reset", json={"type": "Soft"})
    assert response.status_code == 200
    assert response.json() == {"status": "Accepted"}
    assert test_plugin.results == [("CP1", {"type": "Soft"}, {"status": "Accepted"})]


async def test_unknown_station_404(api):
    response = await api.post("/stations/NOPE/calls/Reset", json={"type": "Soft"})
    assert response.status_code == 404
    assert "NOPE" in response.json()["detail"]


async def test_registered_but_not_connected_409(csms, api):
    await csms.stations.create("OFF1")
    response = await api.post("/stations/OFF1/calls/Reset", json={"type": "Soft"})
    assert response.status_code == 409


async def next_call_is_a_later_one(api, cp) -> None:
    """Ordered proof that a refused call never went out: the next CALL the station gets is
    one the CSMS was asked for afterwards (calls reach a station in order)."""
    sent = asyncio.ensure_future(api.post("/stations/CP1/calls/ClearCache", json={}))
    await cp.reply(await cp.expect("ClearCache"), {"status": "Accepted"})
    assert (await sent).status_code == 200


async def test_schema_violation_422_and_nothing_sent(api, booted):
    response = await api.post("/stations/CP1/calls/Reset", json={"type": "Sideways"})
    assert response.status_code == 422
    assert response.json()["errorCode"] == "PropertyConstraintViolation"
    assert booted.received.empty()
    await next_call_is_a_later_one(api, booted)


async def test_plugin_rule_violation_422_and_nothing_sent(api, booted):
    response = await api.post(
        "/stations/CP1/calls/ChangeAvailability", json={"connectorId": 11, "type": "Inoperative"}
    )
    assert response.status_code == 422
    assert "above 10" in response.json()["detail"]
    assert booted.received.empty()
    await next_call_is_a_later_one(api, booted)


async def test_unowned_or_unknown_action_501(api, booted):
    for action in ("UnlockConnector", "Teleport"):
        response = await api.post(f"/stations/CP1/calls/{action}", json={"connectorId": 1})
        assert response.status_code == 501, action


async def test_station_callerror_502_with_code(api, booted):
    async def station() -> None:
        call = await booted.expect("ClearCache")
        await booted.reply_error(call, "NotSupported", "no cache here")

    task = asyncio.create_task(station())
    response = await api.post("/stations/CP1/calls/ClearCache", json={})
    await task
    assert response.status_code == 502
    body = response.json()
    assert body["errorCode"] == "NotSupported"
    assert body["errorDescription"] == "no cache here"


async def test_no_answer_504(api, booted):
    response = await api.post("/stations/CP1/calls/ClearCache?timeout=0.3", json={})
    assert response.status_code == 504
    assert (await booted.expect("ClearCache")).payload == {}


async def test_invalid_station_answer_is_502(api, booted):
    booted.answer("ClearCache", {"status": "Maybe"})
    response = await api.post("/stations/CP1/calls/ClearCache", json={})
    assert response.status_code == 502
    assert "invalid ClearCache response" in response.json()["detail"]


async def test_one_outstanding_call_per_station(csms, booted):
    """Three calls at once reach the station one after another, never overlapping."""
    outstanding = 0
    seen = []

    async def slow_answer(call):
        nonlocal outstanding
        outstanding += 1
        assert outstanding == 1
        seen.append(call.message_id)
        # A round trip through the CSMS: a call it sent meanwhile would reach us before this
        # answer (one ordered stream), with the first still outstanding.
        assert "currentTime" in await booted.call("Heartbeat")
        outstanding -= 1
        return {"status": "Accepted"}

    booted.answer("ClearCache", slow_answer)
    results = await asyncio.gather(*(csms.call("CP1", "ClearCache", {}) for _ in range(3)))
    assert results == [{"status": "Accepted"}] * 3
    assert len(set(seen)) == 3, "message ids are unique"


async def test_calls_in_both_directions_may_cross(csms, booted):
    async def station_side(call):
        # While the CSMS waits for our answer, we send our own CALL and get its result.
        heartbeat = await booted.call("Heartbeat")
        assert "currentTime" in heartbeat
        return {"status": "Accepted"}

    booted.answer("ClearCache", station_side)
    assert await csms.call("CP1", "ClearCache", {}) == {"status": "Accepted"}


async def test_api_requires_a_key(csms):
    async with httpx.AsyncClient(base_url=api_url(csms)) as client:
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/api/v1/stations")).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (await client.get("/api/v1/stations", headers=wrong)).status_code == 401
        right = {"Authorization": f"Bearer {TEST_API_KEY}"}
        assert (await client.get("/api/v1/stations", headers=right)).status_code == 200
        openapi = (await client.get("/api/v1/openapi.json")).json()
        assert "/api/v1/stations/{station_id}/calls/{action}" in openapi["paths"]


async def test_stopping_the_api_lets_a_request_in_flight_finish(csms, api, booted):
    in_flight = asyncio.create_task(api.post("/stations/CP1/calls/Reset", json={"type": "Soft"}))
    reset = await booted.expect("Reset")
    stopping = asyncio.create_task(csms.api.stop())
    # The request is still waiting for the station when the server stops listening.
    await eventually(lambda: not any(s.is_serving() for s in csms.api._server.servers))
    assert not in_flight.done()
    await booted.reply(reset, {"status": "Accepted"})
    response = await in_flight
    assert response.status_code == 200 and response.json() == {"status": "Accepted"}
    await asyncio.wait_for(stopping, 10)
    with pytest.raises(httpx.ConnectError):
        await api.get("/stations")
