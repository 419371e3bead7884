"""OCTT 1.6 Central System: Local Authorization List Management profile.
Each test runs the scenario of the same id
(csms_simulator.scenarios), which asserts what the CSMS sends and answers."""

from __future__ import annotations

from typing import Any

import httpx
from csms_simulator.scenarios import Check

from csms_core.testing import IncomingCall, eventually


async def test_tc_042_1_version_not_supported(check: Check) -> None:
    """TC_042_1: Get local list version, not supported."""
    await check("TC_042_1")


async def test_tc_042_2_version_empty(check: Check) -> None:
    """TC_042_2: Get local list version, empty."""
    await check("TC_042_2")


async def test_tc_043_1_send_not_supported(check: Check) -> None:
    """TC_043_1: Send local authorization list, not supported."""
    await check("TC_043_1")


async def test_tc_043_3_send_failed(check: Check) -> None:
    """TC_043_3: Send local authorization list, failed."""
    await check("TC_043_3")


async def test_tc_043_4_send_full(check: Check) -> None:
    """TC_043_4: Send local authorization list, full."""
    await check("TC_043_4")


async def test_tc_043_5_send_differential(check: Check) -> None:
    """TC_043_5: Send local authorization list, differential."""
    await check("TC_043_5")


# --- the spec's fine print (issue 25): each test cites its rule ---------------------------


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
