"""The OCTT smart charging cases as a charge point sees them, the validator, and the mirror."""

from __future__ import annotations

from typing import Any

import pytest

from csms_core.testing import settle

START = "2026-01-01T00:00:00Z"


def profile(
    pid: int,
    purpose: str = "TxDefaultProfile",
    *,
    stack: int = 0,
    kind: str = "Absolute",
    unit: str = "A",
    periods: list[tuple[int, float]] | None = None,
    start: str | None = START,
    **extra: Any,
) -> dict:
    schedule: dict[str, Any] = {
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": [
            {"startPeriod": s, "limit": v} for s, v in (periods or [(0, 16.0)])
        ],
    }
    if start is not None and kind != "Relative":
        schedule["startSchedule"] = start
    return {
        "chargingProfileId": pid,
        "stackLevel": stack,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": schedule,
        **extra,
    }


async def set_profile(api: Any, connector_id: int, p: dict, station: str = "CP1") -> Any:
    return await api.post(
        f"/stations/{station}/calls/SetChargingProfile",
        json={"connectorId": connector_id, "csChargingProfiles": p},
    )


async def installed(api: Any, station: str = "CP1") -> list[tuple[int, int, str]]:
    response = await api.get(f"/stations/{station}/charging-profiles")
    assert response.status_code == 200, response.text
    return [
        (i["connectorId"], i["chargingProfileId"], i["chargingProfilePurpose"])
        for i in response.json()["items"]
    ]


async def test_tc056_tx_default_profile(cp: Any, api: Any, sc: Any) -> None:
    recorder = sc.Recorder({"status": "Accepted"})
    cp.answer("SetChargingProfile", recorder)
    p = profile(1, periods=[(0, 10.0)], kind="Recurring", recurrencyKind="Daily")
    response = await set_profile(api, 0, p)
    assert response.status_code == 200 and response.json() == {"status": "Accepted"}
    assert recorder.calls == [{"connectorId": 0, "csChargingProfiles": p}]
    assert await installed(api) == [(0, 1, "TxDefaultProfile")]
    # The CSMS now knows the limit on every connector without asking.
    composite = (await api.get("/stations/CP1/connectors/2/composite-schedule?duration=600")).json()
    assert composite["status"] == "Accepted" and composite["connectorId"] == 2
    assert composite["chargingSchedule"]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 10.0}
    ]


async def test_rejected_or_not_supported_leaves_the_mirror_alone(
    cp: Any, api: Any, sc: Any
) -> None:
    cp.answer("SetChargingProfile", {"status": "Rejected"})
    response = await set_profile(api, 0, profile(1))
    assert response.json() == {"status": "Rejected"}
    assert await installed(api) == []


async def test_tc057_tx_profile_on_a_running_transaction(
    csms: Any, cp: Any, api: Any, sc: Any
) -> None:
    cp.answer("SetChargingProfile", {"status": "Accepted"})
    transaction_id = await sc.start_transaction(cp, 1)
    tx = profile(5, "TxProfile", kind="Relative", transactionId=transaction_id, periods=[(0, 8)])
    response = await set_profile(api, 1, tx)
    assert response.status_code == 200 and response.json()["status"] == "Accepted"
    assert await installed(api) == [(1, 5, "TxProfile")]
    composite = await api.get("/stations/CP1/connectors/1/composite-schedule?duration=60")
    assert composite.json()["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] == 8
    # The profile dies with its transaction.
    await sc.stop_transaction(cp, transaction_id)
    await settle(csms)  # transaction_stopped has run
    assert await installed(api) == []


async def test_tc059_remote_start_with_a_charging_profile(
    csms: Any, cp: Any, api: Any, sc: Any
) -> None:
    recorder = sc.Recorder({"status": "Accepted"})
    cp.answer("RemoteStartTransaction", recorder)
    tx = profile(7, "TxProfile", kind="Relative", periods=[(0, 12)])
    payload = {"connectorId": 1, "idTag": "TAG1", "chargingProfile": tx}
    response = await api.post("/stations/CP1/calls/RemoteStartTransaction", json=payload)
    assert response.status_code == 200 and response.json() == {"status": "Accepted"}
    assert recorder.calls == [payload]
    transaction_id = await sc.start_transaction(cp, 1)
    # The profile is installed on the transaction it started, with the id the CSMS gave it.
    await settle(csms)  # transaction_started has run
    items = (await api.get("/stations/CP1/charging-profiles")).json()["items"]
    assert [(i["connectorId"], i["chargingProfileId"], i["transactionId"]) for i in items] == [
        (1, 7, transaction_id)
    ]


@pytest.mark.parametrize(
    ("tx_profile", "reason"),
    [
        (profile(7, "TxDefaultProfile", kind="Relative"), "TxProfile"),
        (
            profile(7, "TxProfile", kind="Relative", transactionId=3),
            "transactionId",
        ),
        (profile(7, "TxProfile", kind="Relative", periods=[(10, 8)]), "startPeriod 0"),
        (
            profile(7, "TxProfile", kind="Absolute", start=None),
            "needs chargingSchedule.startSchedule",
        ),
    ],
)
async def test_tc059_bad_remote_start_profiles_are_refused(
    cp: Any, api: Any, sc: Any, tx_profile: dict, reason: str
) -> None:
    recorder = sc.Recorder({"status": "Accepted"})
    cp.answer("RemoteStartTransaction", recorder)
    payload = {"connectorId": 1, "idTag": "TAG1", "chargingProfile": tx_profile}
    response = await api.post("/stations/CP1/calls/RemoteStartTransaction", json=payload)
    assert response.status_code == 422
    assert reason in response.json()["detail"]
    assert recorder.calls == []


async def test_tc066_get_composite_schedule(cp: Any, api: Any, sc: Any) -> None:
    cp.answer("SetChargingProfile", {"status": "Accepted"})
    station_answer = {
        "status": "Accepted",
        "connectorId": 1,
        "scheduleStart": START,
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}],
        },
    }
    recorder = sc.Recorder(station_answer)
    cp.answer("GetCompositeSchedule", recorder)
    request = {"connectorId": 1, "duration": 3600, "chargingRateUnit": "A"}
    response = await api.post("/stations/CP1/calls/GetCompositeSchedule", json=request)
    assert response.status_code == 200 and response.json() == station_answer
    assert recorder.calls == [request]

    await set_profile(api, 0, profile(1, "ChargePointMaxProfile", periods=[(0, 20)]))
    await set_profile(
        api, 1, profile(2, periods=[(0, 16), (1800, 10)], start=None, kind="Relative")
    )
    compared = await api.get(
        "/stations/CP1/connectors/1/composite-schedule",
        params={"duration": 3600, "chargingRateUnit": "W", "compare": "true"},
    )
    assert compared.status_code == 200, compared.text
    body = compared.json()
    assert body["station"] == station_answer
    schedule = body["csms"]["chargingSchedule"]
    assert schedule["chargingRateUnit"] == "W" and schedule["duration"] == 3600
    # 16 A and 10 A on 3 phases at 230 V, below the 20 A cap.
    assert schedule["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 11040.0},
        {"startPeriod": 1800, "limit": 6900.0},
    ]


async def test_tc067_three_purposes_then_clear_by_id_by_criteria_and_all(
    cp: Any, api: Any, sc: Any
) -> None:
    cp.answer("SetChargingProfile", {"status": "Accepted"})
    clears = sc.Recorder({"status": "Accepted"})
    cp.answer("ClearChargingProfile", clears)
    transaction_id = await sc.start_transaction(cp, 1)
    for connector_id, p in [
        (0, profile(1, "ChargePointMaxProfile", periods=[(0, 32)])),
        (1, profile(2, "TxDefaultProfile")),
        (2, profile(3, "TxDefaultProfile")),
        (1, profile(4, "TxProfile", kind="Relative", transactionId=transaction_id)),
    ]:
        assert (await set_profile(api, connector_id, p)).json() == {"status": "Accepted"}
    assert sorted(await installed(api)) == [
        (0, 1, "ChargePointMaxProfile"),
        (1, 2, "TxDefaultProfile"),
        (1, 4, "TxProfile"),
        (2, 3, "TxDefaultProfile"),
    ]
    # By id.
    response = await api.delete("/stations/CP1/charging-profiles", params={"id": 4})
    assert response.json() == {"status": "Accepted"}
    assert (1, 4, "TxProfile") not in await installed(api)
    # By criteria: every given field must match.
    response = await api.post(
        "/stations/CP1/calls/ClearChargingProfile",
        json={"connectorId": 1, "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 0},
    )
    assert response.json() == {"status": "Accepted"}
    assert sorted(await installed(api)) == [
        (0, 1, "ChargePointMaxProfile"),
        (2, 3, "TxDefaultProfile"),
    ]
    # All.
    response = await api.post("/stations/CP1/calls/ClearChargingProfile", json={})
    assert response.json() == {"status": "Accepted"}
    assert await installed(api) == []
    assert clears.calls == [
        {"id": 4},
        {"connectorId": 1, "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 0},
        {},
    ]


async def test_unknown_clear_removes_nothing(cp: Any, api: Any, sc: Any) -> None:
    cp.answer("SetChargingProfile", {"status": "Accepted"})
    cp.answer("ClearChargingProfile", {"status": "Unknown"})
    await set_profile(api, 0, profile(1))
    response = await api.delete("/stations/CP1/charging-profiles", params={"id": 1})
    assert response.json() == {"status": "Unknown"}
    assert await installed(api) == [(0, 1, "TxDefaultProfile")]


async def test_same_id_or_same_stack_level_and_purpose_replaces(cp: Any, api: Any, sc: Any) -> None:
    cp.answer("SetChargingProfile", {"status": "Accepted"})
    await set_profile(api, 1, profile(1, stack=0))
    await set_profile(api, 1, profile(2, stack=1))
    await set_profile(api, 1, profile(3, stack=1))  # same level and purpose as 2
    await set_profile(api, 2, profile(1, stack=0))  # same id as 1, elsewhere
    assert sorted(await installed(api)) == [(1, 3, "TxDefaultProfile"), (2, 1, "TxDefaultProfile")]


# --- the validator, through the generic call path --------------------------------------


def bad(p: dict, **changes: Any) -> dict:
    return {**p, **changes}


BASE = profile(1)
BAD_PROFILES = [
    (0, bad(BASE, chargingProfilePurpose="ChargePointMaxProfile"), None),  # fine on 0
    (1, bad(BASE, chargingProfilePurpose="ChargePointMaxProfile"), "only be set on connector 0"),
    (0, profile(1, "TxProfile", kind="Relative", transactionId=1), "connector > 0"),
    (1, profile(1, "TxProfile", kind="Relative"), "running transaction on connector 1"),
    (1, profile(1, kind="Recurring"), "needs recurrencyKind"),
    (1, profile(1, recurrencyKind="Daily"), "only allowed on a Recurring"),
    (1, bad(profile(1, kind="Relative"), chargingSchedule=BASE["chargingSchedule"]), "Relative"),
    (1, profile(1, periods=[(5, 16)]), "startPeriod 0"),
    (1, profile(1, periods=[(0, 16), (600, 10), (300, 8)]), "strictly ascending"),
    (1, profile(1, periods=[(0, 16), (600, 10), (600, 8)]), "strictly ascending"),
    (1, profile(1, periods=[(0, -1)]), "zero or positive"),
    (1, profile(1, periods=[(0, 6.25)]), "one decimal"),
    (1, profile(1, periods=[(0, 0.3), (60, 0)]), None),  # 0.3 has one decimal; 0 pauses
    (1, profile(1, transactionId=9), "only allowed on a TxProfile"),
    (1, profile(1, validFrom="2026-02-01T00:00:00Z", validTo="2026-01-01T00:00:00Z"), "validTo"),
    (7, profile(1), "connector 7 is unknown"),
]


async def test_validator_refuses_bad_profiles_and_sends_nothing(cp: Any, api: Any, sc: Any) -> None:
    # One station for every case: each refusal must leave the station untouched.
    recorder = sc.Recorder({"status": "Accepted"})
    cp.answer("SetChargingProfile", recorder)
    for connector_id, p, reason in BAD_PROFILES:
        response = await set_profile(api, connector_id, p)
        if reason is None:
            assert response.status_code == 200
            recorder.calls.clear()
            continue
        assert response.status_code == 422, (reason, response.text)
        assert reason in response.json()["detail"], (reason, response.text)
        assert recorder.calls == [], reason


async def test_number_phases_out_of_range_is_refused(cp: Any, api: Any, sc: Any) -> None:
    p = profile(1)
    p["chargingSchedule"]["chargingSchedulePeriod"][0]["numberPhases"] = 4
    response = await set_profile(api, 1, p)
    assert response.status_code == 422
    assert "numberPhases" in response.json()["detail"]


async def test_tx_profile_needs_the_running_transaction_id(cp: Any, api: Any, sc: Any) -> None:
    transaction_id = await sc.start_transaction(cp, 1)
    response = await set_profile(api, 1, profile(1, "TxProfile", kind="Relative"))
    assert "needs its transactionId" in response.json()["detail"]
    wrong = profile(1, "TxProfile", kind="Relative", transactionId=transaction_id + 100)
    response = await set_profile(api, 1, wrong)
    assert (
        response.status_code == 422 and "not the transaction running" in response.json()["detail"]
    )


async def test_station_limits_from_its_stored_configuration(cp: Any, api: Any, sc: Any) -> None:
    keys = {
        "ChargeProfileMaxStackLevel": "2",
        "ChargingScheduleAllowedChargingRateUnit": "Current",
        "ChargingScheduleMaxPeriods": "3",
        "MaxChargingProfilesInstalled": "2",
    }
    cp.answer(
        "GetConfiguration",
        {"configurationKey": [{"key": k, "readonly": True, "value": v} for k, v in keys.items()]},
    )
    assert (await api.post("/stations/CP1/calls/GetConfiguration", json={})).status_code == 200
    cp.answer("SetChargingProfile", {"status": "Accepted"})
    refused = {
        "stackLevel 3 exceeds": profile(1, stack=3),
        "not in the station's ChargingScheduleAllowedChargingRateUnit": profile(1, unit="W"),
        "exceed the station's ChargingScheduleMaxPeriods 3": profile(
            1, periods=[(0, 1), (10, 2), (20, 3), (30, 4)]
        ),
    }
    for reason, p in refused.items():
        response = await set_profile(api, 1, p)
        assert response.status_code == 422 and reason in response.json()["detail"], reason
    assert (await set_profile(api, 1, profile(1, stack=2))).status_code == 200
    assert (await set_profile(api, 1, profile(2, stack=1))).status_code == 200
    # A replacement does not count twice; a third profile does.
    assert (await set_profile(api, 1, profile(3, stack=1))).status_code == 200
    response = await set_profile(api, 2, profile(4))
    assert response.status_code == 422
    assert "MaxChargingProfilesInstalled is 2" in response.json()["detail"]


async def test_convenience_routes_and_unknown_station(cp: Any, api: Any, sc: Any) -> None:
    cp.answer("SetChargingProfile", {"status": "Accepted"})
    body = {"connectorId": 0, "csChargingProfiles": profile(1, "ChargePointMaxProfile")}
    response = await api.post("/stations/CP1/charging-profiles", json=body)
    assert response.status_code == 200 and response.json() == {"status": "Accepted"}
    response = await api.post("/stations/CP1/charging-profiles", json={**body, "connectorId": 1})
    assert response.status_code == 422
    assert (await api.get("/stations/NOPE/charging-profiles")).status_code == 404
    assert (await api.get("/stations/NOPE/connectors/1/composite-schedule")).status_code == 404
