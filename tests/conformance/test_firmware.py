"""OCTT 1.6 Central System: Firmware Management profile. Each test runs the scenario of the same id
(csms_simulator.scenarios), which asserts what the CSMS sends and answers."""

from __future__ import annotations

from csms_simulator.scenarios import Check


async def test_tc_044_1_firmware_installed(check: Check) -> None:
    """TC_044_1: Firmware update, download and install."""
    await check("TC_044_1")


async def test_tc_044_2_download_failed(check: Check) -> None:
    """TC_044_2: Firmware update, download failed."""
    await check("TC_044_2")


async def test_tc_044_3_installation_failed(check: Check) -> None:
    """TC_044_3: Firmware update, installation failed."""
    await check("TC_044_3")


async def test_tc_045_1_diagnostics_uploaded(check: Check) -> None:
    """TC_045_1: Get diagnostics, uploaded."""
    await check("TC_045_1")


async def test_tc_045_2_diagnostics_upload_failed(check: Check) -> None:
    """TC_045_2: Get diagnostics, upload failed."""
    await check("TC_045_2")
