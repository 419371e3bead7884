"""OCTT 1.6 Central System: Reservation profile. Each test runs the scenario of the same id
(csms_simulator.scenarios), which asserts what the CSMS sends and answers."""

from __future__ import annotations

from csms_simulator.scenarios import Check


async def test_tc_046_reserve_and_charge(check: Check) -> None:
    """TC_046: Reservation of a connector, transaction."""
    await check("TC_046")


async def test_tc_047_reservation_expires(check: Check) -> None:
    """TC_047: Reservation of a connector, expire."""
    await check("TC_047")


async def test_tc_048_1_reserve_faulted(check: Check) -> None:
    """TC_048_1: Reservation of a connector, faulted."""
    await check("TC_048_1")


async def test_tc_048_2_reserve_occupied(check: Check) -> None:
    """TC_048_2: Reservation of a connector, occupied."""
    await check("TC_048_2")


async def test_tc_048_3_reserve_unavailable(check: Check) -> None:
    """TC_048_3: Reservation of a connector, unavailable."""
    await check("TC_048_3")


async def test_tc_048_4_reserve_rejected(check: Check) -> None:
    """TC_048_4: Reservation of a connector, rejected."""
    await check("TC_048_4")


async def test_tc_049_reserve_connector_zero(check: Check) -> None:
    """TC_049: Reservation of a charge point (connector 0)."""
    await check("TC_049")


async def test_tc_051_cancel(check: Check) -> None:
    """TC_051: Cancel reservation."""
    await check("TC_051")


async def test_tc_052_cancel_rejected(check: Check) -> None:
    """TC_052: Cancel reservation, rejected."""
    await check("TC_052")


async def test_tc_053_parent_id_tag(check: Check) -> None:
    """TC_053: Use a reserved connector with parentIdTag."""
    await check("TC_053")
