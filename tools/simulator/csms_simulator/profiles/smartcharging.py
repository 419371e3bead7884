"""Smart Charging profile: installed charging profiles, the power they allow, composite
schedules."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from csms_core.rpc import utc_now_iso

if TYPE_CHECKING:
    from ..station import SimStation

VOLTS, PHASES = 230, 3  # amperes to watts


def store_profile(station: SimStation, connector_id: int, profile: dict) -> None:
    """Install ``profile``, replacing one with its id or its stack level and purpose."""
    profile = {**profile, "connectorId": connector_id}
    station.charging_profiles = [
        p
        for p in station.charging_profiles
        if p["chargingProfileId"] != profile["chargingProfileId"]
        and not (
            p["connectorId"] == connector_id
            and p["stackLevel"] == profile["stackLevel"]
            and p["chargingProfilePurpose"] == profile["chargingProfilePurpose"]
        )
    ]
    station.charging_profiles.append(profile)


def power_limit_w(station: SimStation, connector_id: int) -> float:
    """What the car may draw: the first period of the winning profile of each purpose."""
    limit = station.options.power_w
    for purpose in ("ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"):
        candidates = [
            p
            for p in station.charging_profiles
            if p["chargingProfilePurpose"] == purpose and p["connectorId"] in (0, connector_id)
        ]
        if candidates:
            best = max(candidates, key=lambda p: p["stackLevel"])
            schedule = best["chargingSchedule"]
            value = schedule["chargingSchedulePeriod"][0]["limit"]
            watts = value if schedule["chargingRateUnit"] == "W" else value * VOLTS * PHASES
            limit = min(limit, watts)
    return limit


def set_charging_profile(station: SimStation, p: dict) -> dict:
    connector_id, profile = p["connectorId"], p["csChargingProfiles"]
    purpose = profile["chargingProfilePurpose"]
    if connector_id not in station.connectors:
        return {"status": "Rejected"}
    if purpose == "ChargePointMaxProfile" and connector_id != 0:
        return {"status": "Rejected"}
    if purpose == "TxProfile":
        connector = station.connectors[connector_id]
        if connector_id == 0 or connector.transaction_id is None:
            return {"status": "Rejected"}
        if profile.get("transactionId", connector.transaction_id) != connector.transaction_id:
            return {"status": "Rejected"}
    if profile["stackLevel"] > int(station.config["ChargeProfileMaxStackLevel"]):
        return {"status": "Rejected"}
    store_profile(station, connector_id, profile)
    return {"status": "Accepted"}


def clear_charging_profile(station: SimStation, p: dict) -> dict:
    def matches(profile: dict) -> bool:
        if "id" in p:
            return profile["chargingProfileId"] == p["id"]
        return all(
            p.get(field_) is None or profile[field_] == p[field_]
            for field_ in ("connectorId", "chargingProfilePurpose", "stackLevel")
        )

    keep = [profile for profile in station.charging_profiles if not matches(profile)]
    cleared = len(keep) != len(station.charging_profiles)
    station.charging_profiles = keep
    return {"status": "Accepted" if cleared else "Unknown"}


def get_composite_schedule(station: SimStation, p: dict) -> dict:
    connector_id = p["connectorId"]
    if connector_id not in station.connectors:
        return {"status": "Rejected"}
    relevant = [pr for pr in station.charging_profiles if pr["connectorId"] in (0, connector_id)]
    if not relevant:
        return {"status": "Rejected"}
    unit = p.get("chargingRateUnit") or relevant[0]["chargingSchedule"]["chargingRateUnit"]
    limit_w = power_limit_w(station, connector_id)
    limit = limit_w if unit == "W" else round(limit_w / VOLTS / PHASES, 1)
    return {
        "status": "Accepted",
        "connectorId": connector_id,
        "scheduleStart": utc_now_iso(),
        "chargingSchedule": {
            "duration": p["duration"],
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
        },
    }


RESPONDERS: dict[str, Callable[[SimStation, dict], dict]] = {
    "ClearChargingProfile": clear_charging_profile,
    "GetCompositeSchedule": get_composite_schedule,
    "SetChargingProfile": set_charging_profile,
}
