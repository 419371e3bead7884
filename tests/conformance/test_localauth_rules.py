"""Local Auth List Management: rules of the OCPP 1.6 text, its errata and OCPP-J that no OCTT
case covers (the OCTT cases run as scenarios in test_scenarios.py). Each cites its rule."""

from __future__ import annotations

from typing import Any

import httpx

from csms_core.testing import IncomingCall, eventually

PROFILE = "LocalAuthListManagement"  # the conformance table's section


async def test_ocpp16_5_15_failed_differential_retried_as_full(
    connect: Any, api: httpx.AsyncClient
) -> None:
    """OCPP 1.6 5.15: If the status is Failed and the updateType was Differential, the
    Central System SHOULD retry sending the full list with updateType Full."""
    for tag in ("LA-A", "LA-B"):
        assert (await api.post("/id-tags", json={"idTag": tag})).status_code == 201
    cp = await connect("CP-LIST")
    assert (await cp.boot())["status"] == "Accepted"
    cp.answer("GetLocalListVersion", {"listVersion": 1})
    answers = iter(["Accepted", "Failed", "Accepted", "Failed", "Accepted"])
    sent: list[tuple[str, int]] = []

    def station_answer(call: IncomingCall) -> dict[str, str]:
        sent.append((call.payload["updateType"], len(call.payload["localAuthorizationList"])))
        return {"status": next(answers)}

    cp.answer("SendLocalList", station_answer)
    push = "/stations/CP-LIST/local-list"
    assert (await api.post(push, json={"updateType": "Full"})).json()["status"] == "Accepted"
    assert (await api.post("/id-tags", json={"idTag": "LA-C"})).status_code == 201
    # Through the plugin's route: the retry is part of the answer.
    report = (await api.post(push, json={"updateType": "Differential"})).json()
    assert (report["status"], report["recovered"]) == ("Accepted", True)
    assert sent == [("Full", 2), ("Differential", 1), ("Full", 3)]
    # Sent by hand through the generic route: the Full follows in the background.
    hand_sent = {"listVersion": 20, "updateType": "Differential", "localAuthorizationList": []}
    failed = await api.post("/stations/CP-LIST/calls/SendLocalList", json=hand_sent)
    assert failed.json() == {"status": "Failed"}
    await eventually(lambda: len(sent) == 5, 10)
    assert sent[3:] == [("Differential", 0), ("Full", 3)]
