"""OCTT 1.6 Central System: Local Authorization List Management profile.
Each test runs the scenario of the same id
(csms_simulator.scenarios), which asserts what the CSMS sends and answers."""

from __future__ import annotations

from csms_simulator.scenarios import Check


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
