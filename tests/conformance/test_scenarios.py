"""Every conformance scenario (csms_simulator.scenarios: the OCTT 1.6 Central System cases and
our own transport cases), one test per case id, against all installed plugins."""

from __future__ import annotations

from csms_simulator.scenarios import Check


async def test_scenario(check: Check, case: str) -> None:
    await check(case)
