"""OCTT 1.6 Central System test cases: Smart Charging profile."""

from __future__ import annotations

from typing import Any

from csms_core.chargepoint import ChargePoint

from . import Context, scenario, status
from .core import charging_session, start_tx


def profile(
    profile_id: int, purpose: str, stack_level: int = 0, limit: float = 16.0, **extra: Any
) -> dict:
    return {
        "chargingProfileId": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Relative" if purpose == "TxProfile" else "Absolute",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
            **({} if purpose == "TxProfile" else {"startSchedule": "2026-01-01T00:00:00.000Z"}),
        },
        **extra,
    }


async def _set(ctx: Context, cp: ChargePoint, connector_id: int, prof: dict) -> None:
    payload = {"connectorId": connector_id, "csChargingProfiles": prof}
    call, response = await ctx.csms_sends(cp, "SetChargingProfile", payload, {"status": "Accepted"})
    sent = call.payload["csChargingProfiles"]
    assert sent["chargingProfileId"] == prof["chargingProfileId"]
    assert sent["chargingProfilePurpose"] == prof["chargingProfilePurpose"]
    periods = [p["startPeriod"] for p in sent["chargingSchedule"]["chargingSchedulePeriod"]]
    assert periods[0] == 0 and periods == sorted(periods)
    assert response.status_code == 200 and response.json() == {"status": "Accepted"}, response.text


SC = "BootNotification StatusNotification SetChargingProfile"
SC_TX = SC + " Authorize StartTransaction StopTransaction"


@scenario("TC_056", "Central smart charging, TxDefaultProfile", "SmartCharging", requires=SC)
async def tc_056_tx_default_profile(ctx: Context) -> None:
    cp = await ctx.station("CP")
    await _set(ctx, cp, 1, profile(101, "TxDefaultProfile"))


@scenario("TC_057", "Central smart charging, TxProfile", "SmartCharging", requires=SC_TX)
async def tc_057_tx_profile(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    await status(cp, 1, "Preparing")
    transaction_id, _info = await start_tx(ctx, cp, tag)
    await status(cp, 1, "Charging")
    await _set(ctx, cp, 1, profile(102, "TxProfile", transactionId=transaction_id))


@scenario(
    "TC_059",
    "Remote start transaction with charging profile",
    "SmartCharging",
    requires=SC_TX + " RemoteStartTransaction",
)
async def tc_059_remote_start_with_profile(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    request = {"connectorId": 1, "idTag": tag, "chargingProfile": profile(103, "TxProfile")}
    call, response = await ctx.csms_sends(
        cp, "RemoteStartTransaction", request, {"status": "Accepted"}
    )
    sent = call.payload["chargingProfile"]
    assert sent["chargingProfilePurpose"] == "TxProfile" and "transactionId" not in sent
    assert response.json() == {"status": "Accepted"}
    await charging_session(ctx, cp, tag)


@scenario(
    "TC_066",
    "Get composite schedule",
    "SmartCharging",
    requires=SC + " GetCompositeSchedule",
)
async def tc_066_composite_schedule(ctx: Context) -> None:
    cp = await ctx.station("CP")
    await _set(ctx, cp, 1, profile(104, "TxDefaultProfile", limit=10))
    schedule = {
        "status": "Accepted",
        "connectorId": 1,
        "scheduleStart": "2026-01-01T00:00:00.000Z",
        "chargingSchedule": {
            "duration": 3600,
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}],
        },
    }
    request = {"connectorId": 1, "duration": 3600, "chargingRateUnit": "A"}
    call, response = await ctx.csms_sends(cp, "GetCompositeSchedule", request, schedule)
    assert call.payload == request
    assert response.status_code == 200 and response.json()["status"] == "Accepted"


@scenario(
    "TC_067",
    "Clear charging profile (by id, by criteria, all)",
    "SmartCharging",
    requires=SC + " ClearChargingProfile",
)
async def tc_067_clear_charging_profile(ctx: Context) -> None:
    cp = await ctx.station("CP", connectors=1)
    await _set(ctx, cp, 0, profile(201, "ChargePointMaxProfile", limit=32))
    await _set(ctx, cp, 0, profile(202, "TxDefaultProfile", limit=16))
    await _set(ctx, cp, 1, profile(203, "TxDefaultProfile", stack_level=1, limit=8))
    for request in (
        {"id": 201},
        {"connectorId": 1, "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 1},
        {},
    ):
        await ctx.relays(cp, "ClearChargingProfile", request, {"status": "Accepted"})
