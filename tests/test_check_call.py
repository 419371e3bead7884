"""The check_call hook: a plugin refuses a call to an action another plugin owns."""

from __future__ import annotations

from typing import Any


async def test_another_plugin_can_refuse_a_call(
    make_csms: Any, test_plugin: Any, connect_to: Any, api_for: Any, call_guard: Any
) -> None:
    guard = call_guard()
    app = await make_csms(plugins=[("kerneltest", test_plugin), ("guard", guard)])
    cp = await connect_to(app, "CP1")
    api = api_for(app)
    await cp.boot()
    cp.answer("ChangeAvailability", {"status": "Accepted"})
    url = "/stations/CP1/calls/ChangeAvailability"
    refused = await api.post(url, json={"connectorId": 1, "type": "Inoperative"})
    assert refused.status_code == 422
    assert refused.json()["detail"] == "this site never goes Inoperative"
    allowed = await api.post(url, json={"connectorId": 1, "type": "Operative"})
    assert allowed.status_code == 200 and allowed.json() == {"status": "Accepted"}
    assert guard.seen == ["ChangeAvailability", "ChangeAvailability"]
