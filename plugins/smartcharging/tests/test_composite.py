"""The composite schedule: worked examples from the spec, then properties (hypothesis)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from csms_plugin_smartcharging.composite import (
    InstalledProfile,
    Limit,
    composite_schedule,
    prevailing,
    value_at,
)
from hypothesis import given, settings
from hypothesis import strategies as st

T0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


def profile(
    pid: int,
    purpose: str,
    periods: list[tuple[int, float]],
    *,
    stack: int = 0,
    unit: str = "A",
    kind: str = "Absolute",
    start: datetime | None = T0,
    duration: int | None = None,
    phases: int | None = None,
    **extra: object,
) -> dict:
    schedule: dict = {
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": [
            {"startPeriod": s, "limit": v, **({"numberPhases": phases} if phases else {})}
            for s, v in periods
        ],
    }
    if start is not None:
        schedule["startSchedule"] = start.isoformat()
    if duration is not None:
        schedule["duration"] = duration
    return {
        "chargingProfileId": pid,
        "stackLevel": stack,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": schedule,
        **extra,
    }


def periods_of(result: dict) -> list[tuple[int, float]]:
    return [
        (p["startPeriod"], p["limit"]) for p in result["chargingSchedule"]["chargingSchedulePeriod"]
    ]


def test_spec_example_daily_recurring_default_profile() -> None:
    # Section 3.13.7: 11 kW, but 6 kW between 08:00 and 20:00, every day.
    daily = profile(
        100,
        "TxDefaultProfile",
        [(0, 11000), (28800, 6000), (72000, 11000)],
        unit="W",
        kind="Recurring",
        recurrencyKind="Daily",
        start=datetime(2013, 1, 1, tzinfo=UTC),
        duration=86400,
        phases=3,
    )
    result = composite_schedule([InstalledProfile(0, daily)], 1, T0, 2 * 86400)
    assert result["scheduleStart"] == "2026-01-05T06:00:00Z"
    assert result["chargingSchedule"]["chargingRateUnit"] == "W"
    # 06:00 -> 11 kW, 08:00 -> 6 kW, 20:00 -> 11 kW, next day 08:00 -> 6 kW, 20:00 -> 11 kW.
    assert periods_of(result) == [
        (0, 11000),
        (7200, 6000),
        (50400, 11000),
        (93600, 6000),
        (136800, 11000),
    ]
    assert "startSchedule" not in result["chargingSchedule"]  # errata 3.57


def test_spec_example_in_amperes_uses_230v_and_three_phases() -> None:
    daily = profile(100, "TxDefaultProfile", [(0, 11000), (7200, 6000)], unit="W", phases=3)
    result = composite_schedule([InstalledProfile(0, daily)], 1, T0, 3600 * 3, "A")
    # 11000 / (230 * 3) = 15.94 -> 15.9 (rounded down); 6000 / 690 = 8.69 -> 8.6
    assert periods_of(result) == [(0, 15.9), (7200, 8.6)]


def test_stacking_highest_valid_level_wins_then_falls_back() -> None:
    base = profile(1, "TxDefaultProfile", [(0, 16)], stack=0)
    evening = profile(
        2,
        "TxDefaultProfile",
        [(0, 10)],
        stack=1,
        validFrom=(T0 + timedelta(hours=1)).isoformat(),
        validTo=(T0 + timedelta(hours=2)).isoformat(),
    )
    short = profile(3, "TxDefaultProfile", [(0, 6)], stack=2, duration=600)
    result = composite_schedule(
        [InstalledProfile(0, base), InstalledProfile(0, evening), InstalledProfile(0, short)],
        1,
        T0,
        3 * 3600,
    )
    assert periods_of(result) == [(0, 6), (600, 16), (3600, 10), (7200, 16)]


def test_tx_profile_overrules_default_and_max_profile_caps() -> None:
    default = profile(1, "TxDefaultProfile", [(0, 10)])
    tx = profile(2, "TxProfile", [(0, 32), (1800, 12)], kind="Relative", start=None)
    cap = profile(3, "ChargePointMaxProfile", [(0, 20)])
    installed = [InstalledProfile(0, default), InstalledProfile(1, tx), InstalledProfile(0, cap)]
    running = {"transactionId": 7, "start": T0 - timedelta(minutes=10)}
    result = composite_schedule(installed, 1, T0, 3600, transaction=running)
    # Relative: anchored at the transaction start, 10 minutes before the window.
    assert periods_of(result) == [(0, 20), (1200, 12)]
    # Without a transaction the TxProfile does not apply; the default does.
    assert periods_of(composite_schedule(installed, 1, T0, 3600)) == [(0, 10)]
    # Another transaction's TxProfile does not apply either.
    tx_for_other = {**tx, "transactionId": 99}
    other = [InstalledProfile(1, tx_for_other), InstalledProfile(0, default)]
    assert periods_of(composite_schedule(other, 1, T0, 60, transaction=running)) == [(0, 10)]


def test_connector_specific_default_beats_connector_zero_at_same_level() -> None:
    everywhere = profile(1, "TxDefaultProfile", [(0, 16)])
    here = profile(2, "TxDefaultProfile", [(0, 8)])
    installed = [InstalledProfile(0, everywhere), InstalledProfile(2, here)]
    assert periods_of(composite_schedule(installed, 2, T0, 60)) == [(0, 8)]
    assert periods_of(composite_schedule(installed, 1, T0, 60)) == [(0, 16)]


def test_mixed_units_compare_in_one_unit() -> None:
    cap = profile(1, "ChargePointMaxProfile", [(0, 7000)], unit="W", phases=1)
    tx = profile(2, "TxDefaultProfile", [(0, 16)], unit="A")
    installed = [InstalledProfile(0, cap), InstalledProfile(0, tx)]
    # 16 A * 230 V * 3 = 11040 W > 7000 W: the cap wins, with its own phase count.
    w = composite_schedule(installed, 1, T0, 60, "W")["chargingSchedule"]
    assert w["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 7000, "numberPhases": 1}]
    a = composite_schedule(installed, 1, T0, 60, "A")["chargingSchedule"]
    assert a["chargingSchedulePeriod"][0]["limit"] == 16  # 7000 W on 1 phase = 30.4 A > 16 A


def test_no_profile_reports_the_connector_maximum() -> None:
    result = composite_schedule([], 1, T0, 60, "A", max_current=25)
    assert periods_of(result) == [(0, 25)]


def test_connector_zero_is_the_grid_limit() -> None:
    cap = profile(1, "ChargePointMaxProfile", [(0, 40)])
    default = profile(2, "TxDefaultProfile", [(0, 10)])
    result = composite_schedule([InstalledProfile(0, cap), InstalledProfile(0, default)], 0, T0, 60)
    assert periods_of(result) == [(0, 40)]


def test_weekly_recurrence_and_schedule_start_in_the_future() -> None:
    weekly = profile(
        1,
        "TxDefaultProfile",
        [(0, 10)],
        kind="Recurring",
        recurrencyKind="Weekly",
        start=T0 + timedelta(hours=1),
        duration=3600,
    )
    result = composite_schedule([InstalledProfile(0, weekly)], 1, T0, 8 * 86400, max_current=32)
    week = 7 * 86400
    assert periods_of(result) == [
        (0, 32),
        (3600, 10),
        (7200, 32),
        (week + 3600, 10),
        (week + 7200, 32),
    ]


# --- properties --------------------------------------------------------------------------


def SLOT(i: InstalledProfile) -> tuple:  # the station keeps one profile per slot (3.13.2)
    return (i.purpose, i.stack_level, i.connector_id)


PURPOSES = ["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]


@st.composite
def absolute_profiles(draw: st.DrawFn, unit: str | None = "A") -> InstalledProfile:
    purpose = draw(st.sampled_from(PURPOSES))
    starts = sorted(draw(st.sets(st.integers(1, 1500), max_size=4)))
    limits = draw(st.lists(st.integers(0, 640), min_size=len(starts) + 1, max_size=len(starts) + 1))
    offset = draw(st.integers(-600, 900))
    extra: dict = {}
    if draw(st.booleans()):
        lo = draw(st.integers(-300, 1500))
        extra["validFrom"] = (T0 + timedelta(seconds=lo)).isoformat()
        extra["validTo"] = (T0 + timedelta(seconds=lo + draw(st.integers(1, 900)))).isoformat()
    p = profile(
        draw(st.integers(1, 10_000)),
        purpose,
        list(zip([0, *starts], [v / 10 for v in limits], strict=True)),
        stack=draw(st.integers(0, 3)),
        unit=unit or draw(st.sampled_from(["A", "W"])),
        start=T0 + timedelta(seconds=offset),
        duration=draw(st.none() | st.integers(1, 1800)),
        phases=draw(st.none() | st.integers(1, 3)),
        **extra,
    )
    connector = 0 if purpose == "ChargePointMaxProfile" else draw(st.sampled_from([0, 1]))
    if purpose == "TxProfile":
        connector = 1
    return InstalledProfile(connector, p)


def reference_limit(installed: list[InstalledProfile], at: datetime, max_current: float) -> float:
    """A deliberately naive re-statement of the rules, for Absolute profiles in A."""

    def active(item: InstalledProfile) -> float | None:
        p = item.profile
        if "validFrom" in p and not (
            datetime.fromisoformat(p["validFrom"]) <= at < datetime.fromisoformat(p["validTo"])
        ):
            return None
        s = p["chargingSchedule"]
        offset = (at - datetime.fromisoformat(s["startSchedule"])).total_seconds()
        if offset < 0 or ("duration" in s and offset >= s["duration"]):
            return None
        return [x["limit"] for x in s["chargingSchedulePeriod"] if x["startPeriod"] <= offset][-1]

    def top(purpose: str) -> float | None:
        candidates = [
            ((i.stack_level, i.connector_id), active(i))
            for i in installed
            if i.purpose == purpose and active(i) is not None
        ]
        return max(candidates)[1] if candidates else None

    tx = top("TxProfile")
    values = [
        v
        for v in (top("ChargePointMaxProfile"), tx if tx is not None else top("TxDefaultProfile"))
        if v is not None
    ]
    return min(values) if values else max_current


@settings(max_examples=100, deadline=None)
@given(st.lists(absolute_profiles(), max_size=6, unique_by=SLOT), st.integers(1, 1200))
def test_matches_a_naive_second_by_second_evaluation(installed: list, duration: int) -> None:
    running = {"transactionId": 1, "start": T0}
    result = composite_schedule(installed, 1, T0, duration, "A", running, max_current=32)
    schedule = result["chargingSchedule"]
    periods = schedule["chargingSchedulePeriod"]
    # Covers the window: starts at 0, strictly ascending, nothing at or past the end.
    starts = [p["startPeriod"] for p in periods]
    assert starts[0] == 0 and starts == sorted(set(starts)) and starts[-1] < duration
    assert schedule["duration"] == duration
    # Piecewise constant with no redundant breaks.
    assert all(
        a["limit"] != b["limit"] or a.get("numberPhases") != b.get("numberPhases")
        for a, b in itertools.pairwise(periods)
    )
    for second in range(duration):
        expected = reference_limit(installed, T0 + timedelta(seconds=second), 32)
        assert value_at(schedule, second) == expected, second


@settings(max_examples=100, deadline=None)
@given(
    st.lists(absolute_profiles(unit=None), max_size=6, unique_by=SLOT),
    st.integers(1, 1200),
    st.sampled_from(["A", "W"]),
)
def test_never_above_any_applicable_cap_in_any_unit(
    installed: list, duration: int, unit: str
) -> None:
    result = composite_schedule(installed, 1, T0, duration, unit, {"transactionId": 1, "start": T0})
    schedule = result["chargingSchedule"]
    caps = [i for i in installed if i.purpose == "ChargePointMaxProfile"]
    for second in range(0, duration, 7):
        at = T0 + timedelta(seconds=second)
        cap: Limit | None = prevailing(caps, at, T0, T0)
        if cap is not None:
            assert value_at(schedule, second) <= cap.to(unit, 230.0) + 1e-9
