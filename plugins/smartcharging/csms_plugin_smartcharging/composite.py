"""The composite charging schedule, computed by the CSMS from the profiles it knows are
installed (OCPP 1.6 sections 3.13.1-3.13.3, 5.7, 7.8-7.14 and the errata).

Pure: no I/O, no clock. ``composite_schedule`` takes the installed profiles, the connector,
the window and the running transaction, and answers in the shape of a
GetCompositeSchedule.conf.

Rules, in the order they apply at any instant ``t``:
1. A profile counts only when ``validFrom <= t < validTo`` and ``t`` falls inside its
   schedule: after the anchor, before ``anchor + duration``. Anchors: Absolute at
   ``startSchedule``; Recurring at the latest ``startSchedule + k * day|week`` not after
   ``t``; Relative at the transaction's start. A Relative profile with no transaction, or an
   Absolute/Recurring one without ``startSchedule``, is anchored at the transaction start,
   else at the start of the requested window ("charging would start now").
2. Within a purpose the valid profile with the highest ``stackLevel`` prevails (errata 3.43:
   when its duration ends, a lower level takes over). For TxDefaultProfile a profile on the
   connector itself beats one on connector 0 at the same level (3.13.1).
3. A TxProfile (only with a transaction, and only one whose ``transactionId`` is absent or
   matches) overrules the TxDefaultProfile.
4. ChargePointMaxProfile caps the result: the minimum wins (3.13.3).
5. Where no profile limits charging the connector's own maximum (``max_current``) is reported,
   since the charge point then charges "as if no constraints apply" (3.13.6).

Units: every limit is converted to the requested unit with ``P = U * I * phases``
(``numberPhases`` absent means 3, section 7.12). Converted values are rounded *down* to one
decimal (the spec's precision) so the composite never exceeds a limit it was derived from.
For connector 0 the composite is the ChargePointMaxProfile alone: the grid limit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

RECURRENCE_SECONDS = {"Daily": 86_400, "Weekly": 604_800}
DEFAULT_PHASES = 3


@dataclass(frozen=True, slots=True)
class InstalledProfile:
    """A ChargingProfile (OCPP JSON) as installed on one connector of a station."""

    connector_id: int
    profile: dict[str, Any]

    @property
    def purpose(self) -> str:
        return self.profile["chargingProfilePurpose"]

    @property
    def stack_level(self) -> int:
        return self.profile["stackLevel"]


@dataclass(frozen=True, slots=True)
class Limit:
    value: float
    unit: str
    phases: int | None  # as the profile gave it; None means "not stated" (3 assumed)

    def to(self, unit: str, voltage: float) -> float:
        if unit == self.unit:
            return self.value
        watts_per_amp = voltage * (self.phases or DEFAULT_PHASES)
        return self.value * watts_per_amp if unit == "W" else self.value / watts_per_amp


def parse_time(value: str | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def round_down(value: float) -> float:
    """To one decimal, never up (a tiny epsilon keeps 7.3 from becoming 7.2)."""
    return math.floor(value * 10 + 1e-6) / 10


# --- one profile --------------------------------------------------------------------------


def _anchor(
    profile: dict, at: datetime, tx_start: datetime | None, window_start: datetime
) -> datetime | None:
    """When the profile's schedule (its current recurrence) started, as seen at ``at``."""
    schedule = profile["chargingSchedule"]
    fallback = tx_start or window_start
    kind = profile["chargingProfileKind"]
    if kind == "Relative":
        return fallback
    start = parse_time(schedule.get("startSchedule")) or fallback
    if kind == "Recurring":
        period = RECURRENCE_SECONDS.get(profile.get("recurrencyKind") or "", 0)
        if period and at >= start:
            cycles = int((at - start).total_seconds() // period)
            return start + timedelta(seconds=cycles * period)
    return start


def limit_at(
    profile: dict, at: datetime, tx_start: datetime | None, window_start: datetime
) -> Limit | None:
    """The profile's limit at ``at``, or None when it does not apply then."""
    valid_from = parse_time(profile.get("validFrom"))
    valid_to = parse_time(profile.get("validTo"))
    if (valid_from and at < valid_from) or (valid_to and at >= valid_to):
        return None
    anchor = _anchor(profile, at, tx_start, window_start)
    if anchor is None or at < anchor:
        return None
    offset = (at - anchor).total_seconds()
    schedule = profile["chargingSchedule"]
    duration = schedule.get("duration")
    if duration is not None and offset >= duration:
        return None
    current = None
    for period in sorted(schedule["chargingSchedulePeriod"], key=lambda p: p["startPeriod"]):
        if period["startPeriod"] > offset:
            break
        current = period
    if current is None:
        return None
    return Limit(float(current["limit"]), schedule["chargingRateUnit"], current.get("numberPhases"))


def breakpoints(
    profile: dict, start: datetime, end: datetime, tx_start: datetime | None
) -> Iterable[datetime]:
    """Every instant in the window at which the profile's limit may change."""
    for key in ("validFrom", "validTo"):
        moment = parse_time(profile.get(key))
        if moment is not None:
            yield moment
    schedule = profile["chargingSchedule"]
    offsets = [p["startPeriod"] for p in schedule["chargingSchedulePeriod"]]
    if schedule.get("duration") is not None:
        offsets.append(schedule["duration"])
    first = _anchor(profile, start, tx_start, start)
    if first is None:
        return
    anchors = [first]
    period = RECURRENCE_SECONDS.get(profile.get("recurrencyKind") or "", 0)
    if profile["chargingProfileKind"] == "Recurring" and period:
        anchor = first
        while anchor < end:
            anchor += timedelta(seconds=period)
            anchors.append(anchor)  # each recurrence restarts the schedule
    for anchor in anchors:
        for offset in offsets:
            yield anchor + timedelta(seconds=offset)


# --- stacking and combining ---------------------------------------------------------------


def prevailing(
    profiles: Sequence[InstalledProfile],
    at: datetime,
    tx_start: datetime | None,
    window_start: datetime,
) -> Limit | None:
    """Highest stackLevel among the valid profiles; a connector's own beats connector 0."""
    best: tuple[tuple[int, bool], Limit] | None = None
    for installed in profiles:
        limit = limit_at(installed.profile, at, tx_start, window_start)
        if limit is None:
            continue
        rank = (installed.stack_level, installed.connector_id != 0)
        if best is None or rank > best[0]:
            best = (rank, limit)
    return best[1] if best else None


def applicable(
    installed: Iterable[InstalledProfile], connector_id: int, transaction_id: int | None
) -> tuple[list[InstalledProfile], list[InstalledProfile], list[InstalledProfile]]:
    """Split into (caps, TxProfiles, TxDefaultProfiles) that concern this connector."""
    caps, tx, default = [], [], []
    for item in installed:
        purpose = item.purpose
        if purpose == "ChargePointMaxProfile":
            caps.append(item)
        elif connector_id == 0:
            continue
        elif purpose == "TxProfile":
            wanted = item.profile.get("transactionId")
            if (
                item.connector_id == connector_id
                and transaction_id is not None
                and wanted in (None, transaction_id)
            ):
                tx.append(item)
        elif purpose == "TxDefaultProfile" and item.connector_id in (0, connector_id):
            default.append(item)
    return caps, tx, default


def composite_schedule(
    installed: Iterable[InstalledProfile],
    connector_id: int,
    start: datetime,
    duration: int,
    charging_rate_unit: str | None = None,
    transaction: dict | None = None,
    voltage: float = 230.0,
    max_current: float = 32.0,
) -> dict[str, Any]:
    """The composite schedule for ``[start, start + duration)`` as a GetCompositeSchedule.conf.

    ``transaction``: the running transaction on the connector, ``{"transactionId", "start"}``
    (``start`` a datetime or ISO string), or None. ``max_current``: A per phase, 3 phases,
    reported where nothing limits charging.
    """
    start = parse_time(start).replace(microsecond=0)  # type: ignore[union-attr]
    end = start + timedelta(seconds=duration)
    tx_id = transaction.get("transactionId") if transaction else None
    tx_start = parse_time(transaction.get("start")) if transaction else None
    caps, tx, default = applicable(installed, connector_id, tx_id)
    everything = caps + tx + default
    unit = charging_rate_unit or _common_unit(everything)
    unconstrained = Limit(max_current, "A", None)

    offsets = {0}
    for item in everything:
        for moment in breakpoints(item.profile, start, end, tx_start):
            offset = math.ceil((moment - start).total_seconds())
            if 0 < offset < duration:
                offsets.add(offset)

    periods: list[dict[str, Any]] = []
    for offset in sorted(offsets):
        at = start + timedelta(seconds=offset)
        chosen = [
            limit
            for limit in (
                prevailing(caps, at, tx_start, start),
                prevailing(tx, at, tx_start, start) or prevailing(default, at, tx_start, start),
            )
            if limit is not None
        ] or [unconstrained]
        winner = min(chosen, key=lambda limit: limit.to(unit, voltage))
        value = winner.to(unit, voltage)
        period: dict[str, Any] = {"startPeriod": offset, "limit": round_down(value)}
        if winner.phases is not None:
            period["numberPhases"] = winner.phases
        previous = periods[-1] if periods else None
        if previous and {**previous, "startPeriod": offset} == period:
            continue  # same limit as before: one longer period, not two
        periods.append(period)

    return {
        "status": "Accepted",
        "connectorId": connector_id,
        "scheduleStart": format_time(start),
        "chargingSchedule": {
            "duration": duration,
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": periods,
        },
    }


def _common_unit(profiles: Sequence[InstalledProfile]) -> str:
    units = {p.profile["chargingSchedule"]["chargingRateUnit"] for p in profiles}
    return units.pop() if len(units) == 1 else "A"


def value_at(schedule: dict[str, Any], offset: float) -> float:
    """The limit a composite ``chargingSchedule`` gives ``offset`` seconds after its start."""
    current = None
    for period in schedule["chargingSchedulePeriod"]:
        if period["startPeriod"] > offset:
            break
        current = period["limit"]
    assert current is not None, "a composite schedule starts at 0"
    return current
