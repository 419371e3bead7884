"""Rules a charging profile must pass before the CSMS sends it (the schema is checked first,
by the kernel). Each failure raises PayloadRejected naming the rule, so the API answers 422
and nothing reaches the station.

Station limits come from the station's stored configuration (GetConfiguration snapshots,
answered by whichever plugin implements ``station_configuration``). A key we do not know
imposes no limit: OCPP 1.6 gives these required keys no default values.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from csms_core import PayloadRejected, Transaction

from .composite import RECURRENCE_SECONDS, parse_time

UNIT_NAMES = {"A": "Current", "W": "Power"}  # ChargingScheduleAllowedChargingRateUnit values


@dataclass
class StationFacts:
    """What the validator needs to know about the station, gathered by the caller."""

    transactions: list[Transaction] = field(default_factory=list)  # active_transactions
    configuration: dict[str, Any] = field(default_factory=dict)
    connector_ids: set[int] | None = None  # None: unknown
    installed: list[tuple[int, dict]] = field(default_factory=list)  # (connectorId, profile)


def _int_key(configuration: dict[str, Any], key: str) -> int | None:
    value = configuration.get(key)
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None  # a value we cannot read is no limit we can enforce


def _one_decimal(value: float) -> bool:
    tenths = value * 10
    return abs(tenths - round(tenths)) < 1e-6  # 0.3 * 10 is 3.0000000000000004


def reject(rule: str) -> None:
    raise PayloadRejected(rule)


def check_schedule(profile: dict, configuration: dict[str, Any]) -> None:
    """Rules on the profile and its schedule alone, whatever the context."""
    kind = profile["chargingProfileKind"]
    schedule = profile["chargingSchedule"]
    if kind == "Recurring" and not profile.get("recurrencyKind"):
        reject("a Recurring profile needs recurrencyKind (Daily or Weekly)")
    if kind != "Recurring" and profile.get("recurrencyKind"):
        reject("recurrencyKind is only allowed on a Recurring profile (errata 3.56)")
    if kind == "Relative" and schedule.get("startSchedule"):
        reject("a Relative profile has no startSchedule: it starts with the transaction")
    if kind in ("Absolute", "Recurring") and not schedule.get("startSchedule"):
        reject(f"an {kind} profile needs chargingSchedule.startSchedule to anchor its periods")
    if profile.get("transactionId") is not None and profile["chargingProfilePurpose"] != (
        "TxProfile"
    ):
        reject("transactionId is only allowed on a TxProfile")
    valid_from, valid_to = parse_time(profile.get("validFrom")), parse_time(profile.get("validTo"))
    if valid_from and valid_to and valid_to <= valid_from:
        reject("validTo must be later than validFrom")
    duration = schedule.get("duration")
    if duration is not None and duration <= 0:
        reject("chargingSchedule.duration must be positive")
    periods = schedule["chargingSchedulePeriod"]
    starts = [p["startPeriod"] for p in periods]
    if starts[0] != 0:
        reject("the first chargingSchedulePeriod must have startPeriod 0")
    if any(b <= a for a, b in itertools.pairwise(starts)):
        reject("chargingSchedulePeriod startPeriod values must be strictly ascending")
    if duration is not None and starts[-1] >= duration:
        reject("a chargingSchedulePeriod starts at or after the schedule's duration")
    for period in periods:
        # Zero is allowed: it is how a CSMS pauses charging.
        if period["limit"] < 0:
            reject("every chargingSchedulePeriod limit must be zero or positive")
        if not _one_decimal(period["limit"]):
            reject("a limit has at most one decimal (section 7.14)")
        phases = period.get("numberPhases")
        if phases is not None and phases not in (1, 2, 3):
            reject("numberPhases must be 1, 2 or 3")
    minimum = schedule.get("minChargingRate")
    if minimum is not None and (minimum < 0 or not _one_decimal(minimum)):
        reject("minChargingRate must be zero or positive, with at most one decimal")
    if kind == "Recurring":
        period_seconds = RECURRENCE_SECONDS.get(profile.get("recurrencyKind") or "")
        if period_seconds and duration is not None and duration > period_seconds:
            reject(f"duration is longer than one {profile['recurrencyKind']} recurrence")

    max_periods = _int_key(configuration, "ChargingScheduleMaxPeriods")
    if max_periods is not None and len(periods) > max_periods:
        reject(
            f"{len(periods)} periods exceed the station's ChargingScheduleMaxPeriods {max_periods}"
        )
    max_level = _int_key(configuration, "ChargeProfileMaxStackLevel")
    if max_level is not None and profile["stackLevel"] > max_level:
        reject(
            f"stackLevel {profile['stackLevel']} exceeds the station's "
            f"ChargeProfileMaxStackLevel {max_level}"
        )
    allowed = configuration.get("ChargingScheduleAllowedChargingRateUnit")
    if allowed:
        names = {part.strip().lower() for part in str(allowed).split(",")}
        unit = schedule["chargingRateUnit"]
        if UNIT_NAMES[unit].lower() not in names and unit.lower() not in names:
            reject(
                f"chargingRateUnit {unit} is not in the station's "
                f"ChargingScheduleAllowedChargingRateUnit ({allowed})"
            )


def check_connector(connector_id: int, facts: StationFacts) -> None:
    if connector_id != 0 and facts.connector_ids and connector_id not in facts.connector_ids:
        reject(f"connector {connector_id} is unknown on this station")


def check_set_charging_profile(payload: dict, facts: StationFacts) -> None:
    """SetChargingProfile.req: the profile, where it goes, and the station's limits."""
    connector_id = payload["connectorId"]
    profile = payload["csChargingProfiles"]
    purpose = profile["chargingProfilePurpose"]
    check_connector(connector_id, facts)
    if purpose == "ChargePointMaxProfile" and connector_id != 0:
        reject("a ChargePointMaxProfile can only be set on connector 0")
    if purpose == "TxProfile":
        if connector_id == 0:
            reject("a TxProfile can only be set on a connector > 0")
        running = [t for t in facts.transactions if t.get("connectorId") == connector_id]
        if not running:
            reject(f"a TxProfile needs a running transaction on connector {connector_id}")
        transaction_id = profile.get("transactionId")
        if transaction_id is None:
            reject("a TxProfile set during a transaction needs its transactionId")
        if transaction_id not in {t["transactionId"] for t in running}:
            reject(
                f"transactionId {transaction_id} is not the transaction running on connector "
                f"{connector_id} ({', '.join(str(t['transactionId']) for t in running)})"
            )
    check_schedule(profile, facts.configuration)
    limit = _int_key(facts.configuration, "MaxChargingProfilesInstalled")
    if limit is not None:
        kept = [p for c, p in facts.installed if not replaces(connector_id, profile, c, p)]
        if len(kept) + 1 > limit:
            reject(
                f"the station would hold {len(kept) + 1} profiles; "
                f"its MaxChargingProfilesInstalled is {limit}"
            )


def check_remote_start_profile(payload: dict, facts: StationFacts) -> None:
    """RemoteStartTransaction.req with a chargingProfile (section 5.16.2, errata 3.41)."""
    profile = payload.get("chargingProfile")
    if profile is None:
        return
    if profile["chargingProfilePurpose"] != "TxProfile":
        reject("the chargingProfile of a RemoteStartTransaction must be a TxProfile")
    if profile.get("transactionId") is not None:
        reject("the chargingProfile of a RemoteStartTransaction must not have a transactionId")
    connector_id = payload.get("connectorId")
    if connector_id is not None:
        if connector_id == 0:
            reject("a TxProfile can only be set on a connector > 0")
        check_connector(connector_id, facts)
    check_schedule(profile, facts.configuration)


def replaces(connector_id: int, profile: dict, other_connector: int, other: dict) -> bool:
    """Does installing ``profile`` remove ``other`` (same id; or same stackLevel and purpose on
    the same connector, sections 3.13.2 and 5.16.3)?"""
    if other["chargingProfileId"] == profile["chargingProfileId"]:
        return True
    return (
        other_connector == connector_id
        and other["stackLevel"] == profile["stackLevel"]
        and other["chargingProfilePurpose"] == profile["chargingProfilePurpose"]
    )


def clears(request: dict, connector_id: int, profile: dict) -> bool:
    """Does ClearChargingProfile ``request`` match this profile? Every given field must match
    (logical AND, errata 3.25); no fields at all matches everything; a given ``id`` alone
    decides, the other fields are then ignored (errata 3.26)."""
    if request.get("id") is not None:
        return request["id"] == profile["chargingProfileId"]
    checks = (
        ("connectorId", connector_id),
        ("chargingProfilePurpose", profile["chargingProfilePurpose"]),
        ("stackLevel", profile["stackLevel"]),
    )
    return all(request.get(key) is None or request[key] == value for key, value in checks)
