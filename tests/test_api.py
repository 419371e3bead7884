"""Operator API: stations resource and API keys."""

from __future__ import annotations

import httpx

from csms_core.testing import TEST_PASSWORD, api_url, eventually


async def test_station_lifecycle(api, csms, connect, test_plugin):
    created = await api.post("/stations", json={"id": "CP1", "password": TEST_PASSWORD})
    assert created.status_code == 201
    body = created.json()
    assert body["id"] == "CP1" and body["securityProfile"] == 1 and body["connected"] is False
    assert "password" not in body and "passwordHash" not in body

    assert (await api.post("/stations", json={"id": "CP1"})).status_code == 409
    short = await api.post("/stations", json={"id": "CP2", "password": "short"})
    assert short.status_code == 422 and "16 to 40" in short.json()["detail"]
    assert (await api.post("/stations", json={"id": "bad/id"})).status_code == 422

    cp = await connect("CP1", password=TEST_PASSWORD)
    await cp.boot(vendor="Acme", model="Fast50", firmwareVersion="1.2.3")
    station = (await api.get("/stations/CP1")).json()
    assert station["connected"] is True
    assert station["registrationStatus"] == "Accepted"
    assert (station["chargePointVendor"], station["chargePointModel"]) == ("Acme", "Fast50")
    assert station["firmwareVersion"] == "1.2.3"
    assert station["lastSeen"] is not None
    assert station["connectors"] == []

    await api.post("/stations", json={"id": "CP3"})
    listed = (await api.get("/stations", params={"connected": "true"})).json()
    assert [s["id"] for s in listed["items"]] == ["CP1"] and listed["total"] == 1
    offline = (await api.get("/stations", params={"connected": "false"})).json()
    assert [s["id"] for s in offline["items"]] == ["CP3"]
    paged = (await api.get("/stations", params={"limit": 1, "offset": 1})).json()
    assert paged["total"] == 2 and [s["id"] for s in paged["items"]] == ["CP3"]

    patched = await api.patch("/stations/CP3", json={"password": TEST_PASSWORD + "x"})
    assert patched.json()["securityProfile"] == 1
    assert patched.json()["minSecurityProfile"] == 0
    patched = await api.patch("/stations/CP3", json={"minSecurityProfile": 2})
    assert patched.json()["minSecurityProfile"] == 2
    assert (await api.patch("/stations/CP3", json={"minSecurityProfile": 4})).status_code == 422

    assert (await api.delete("/stations/CP1")).status_code == 204
    await eventually(lambda: cp.ws.close_code is not None)
    assert (await api.get("/stations/CP1")).status_code == 404
    assert ("removed", ("CP1", None)) in test_plugin.events
    assert (await api.delete("/stations/CP1")).status_code == 404
    assert [e for e in test_plugin.events if e[0] == "removed"] == [("removed", ("CP1", None))]


async def test_disabling_a_station_disconnects_it(api, connect):
    cp = await connect("CP1")
    await cp.boot()
    response = await api.patch("/stations/CP1", json={"enabled": False})
    assert response.status_code == 200 and response.json()["enabled"] is False
    await eventually(lambda: cp.ws.close_code is not None)


async def test_api_key_create_use_revoke(api, csms):
    created = await api.post("/api-keys", json={"name": "ops"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("csms_")
    listed = (await api.get("/api-keys")).json()["items"]
    assert [k["name"] for k in listed] == ["ops"] and "key" not in listed[0]
    async with httpx.AsyncClient(base_url=api_url(csms) + "/api/v1") as client:
        headers = {"Authorization": f"Bearer {key}"}
        assert (await client.get("/stations", headers=headers)).status_code == 200
        assert (await api.delete(f"/api-keys/{created.json()['id']}")).status_code == 204
        assert (await client.get("/stations", headers=headers)).status_code == 401
    assert (await api.delete("/api-keys/999")).status_code == 404
