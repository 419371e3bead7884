"""Smart Charging: rules of the OCPP 1.6 text, its errata and OCPP-J that no OCTT
case covers (the OCTT cases run as scenarios in test_scenarios.py). Each cites its rule."""

from __future__ import annotations

from typing import Any

import httpx

PROFILE = "SmartCharging"  # the conformance table's section


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
