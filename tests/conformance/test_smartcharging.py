"""OCTT 1.6 Central System: Smart Charging profile. Each test runs the scenario of the same id
(csms_simulator.scenarios), which asserts what the CSMS sends and answers."""

from __future__ import annotations

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
