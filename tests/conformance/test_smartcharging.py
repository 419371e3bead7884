"""OCTT 1.6 Central System: Smart Charging profile. Each test runs the scenario of the same id
(csms_simulator.scenarios), which asserts what the CSMS sends and answers."""

from __future__ import annotations

from typing import Any

import httpx
from csms_simulator.scenarios import Check


async def test_tc_056_tx_default_profile(check: Check) -> None:
    """TC_056: Central smart charging, TxDefaultProfile."""
    await check("TC_056")


async def test_tc_057_tx_profile(check: Check) -> None:
    """TC_057: Central smart charging, TxProfile."""
    await check("TC_057")


async def test_tc_059_remote_start_with_profile(check: Check) -> None:
    """TC_059: Remote start transaction with charging profile."""
    await check("TC_059")


async def test_tc_066_composite_schedule(check: Check) -> None:
    """TC_066: Get composite schedule."""
    await check("TC_066")


async def test_tc_067_clear_charging_profile(check: Check) -> None:
    """TC_067: Clear charging profile (by id, by criteria, all)."""
    await check("TC_067")


# --- the spec's fine print (issue 25): each test cites its rule ---------------------------


def _profile(profile_id: int, purpose: str, stack_level: int) -> dict[str, Any]:
    return {
        "chargingProfileId": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "startSchedule": "2026-01-01T00:00:00Z",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
        },
    }


async def test_errata_3_26_clear_by_id_ignores_other_fields(
    connect: Any, api: httpx.AsyncClient
) -> None:
    """Errata 3.26 (ClearChargingProfile): If id is specified, all other fields are ignored;
    the mirror of installed profiles drops that profile and only that one."""
    cp = await connect("CP-CLEAR")
    assert (await cp.boot())["status"] == "Accepted"
    cp.answer("SetChargingProfile", {"status": "Accepted"})
    cp.answer("ClearChargingProfile", {"status": "Accepted"})
    for connector_id, profile in (
        (1, _profile(9, "TxDefaultProfile", 0)),
        (0, _profile(10, "ChargePointMaxProfile", 5)),
    ):
        body = {"connectorId": connector_id, "csChargingProfiles": profile}
        set_ = await api.post("/stations/CP-CLEAR/calls/SetChargingProfile", json=body)
        assert set_.json() == {"status": "Accepted"}
    # The other fields name profile 10, not 9: with an id they do not count.
    clear = {"id": 9, "connectorId": 0, "chargingProfilePurpose": "ChargePointMaxProfile"}
    cleared = await api.post(
        "/stations/CP-CLEAR/calls/ClearChargingProfile", json={**clear, "stackLevel": 5}
    )
    assert cleared.json() == {"status": "Accepted"}
    items = (await api.get("/stations/CP-CLEAR/charging-profiles")).json()["items"]
    assert [i["chargingProfileId"] for i in items] == [10]
