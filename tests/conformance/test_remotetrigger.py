"""OCTT 1.6 Central System: Remote Trigger profile. Each test runs the scenario of the same id
(csms_simulator.scenarios), which asserts what the CSMS sends and answers."""

from __future__ import annotations

from csms_simulator.scenarios import Check


async def test_tc_054_trigger_message(check: Check) -> None:
    """TC_054: Trigger message (each message type)."""
    await check("TC_054")


async def test_tc_055_trigger_rejected(check: Check) -> None:
    """TC_055: Trigger message, rejected."""
    await check("TC_055")
