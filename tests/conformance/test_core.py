"""OCTT 1.6 Central System: Core profile. Each test runs the scenario of the same id
(csms_simulator.scenarios), which asserts what the CSMS sends and answers."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from csms_simulator.scenarios import Check


async def test_tc_001_cold_boot(check: Check) -> None:
    """TC_001: Cold boot charge point."""
    await check("TC_001")


async def test_tc_003_plugin_first(check: Check) -> None:
    """TC_003: Regular charging session, plug in first."""
    await check("TC_003")


async def test_tc_004_1_identification_first(check: Check) -> None:
    """TC_004_1: Regular charging session, identification first."""
    await check("TC_004_1")


async def test_tc_004_2_connection_timeout(check: Check) -> None:
    """TC_004_2: Identification first, connection timeout."""
    await check("TC_004_2")


async def test_tc_005_1_ev_disconnected(check: Check) -> None:
    """TC_005_1: EV side disconnected."""
    await check("TC_005_1")


async def test_tc_007_cached_id(check: Check) -> None:
    """TC_007: Regular start transaction with a cached id."""
    await check("TC_007")


async def test_tc_023_1_authorize_invalid(check: Check) -> None:
    """TC_023_1: Start charging session, authorize invalid."""
    await check("TC_023_1")


async def test_tc_023_2_authorize_expired(check: Check) -> None:
    """TC_023_2: Start charging session, authorize expired."""
    await check("TC_023_2")


async def test_tc_023_3_authorize_blocked(check: Check) -> None:
    """TC_023_3: Start charging session, authorize blocked."""
    await check("TC_023_3")


async def test_tc_024_lock_failure(check: Check) -> None:
    """TC_024: Start charging session, lock failure."""
    await check("TC_024")


async def test_tc_032_1_power_failure(check: Check) -> None:
    """TC_032_1: Power failure boot, stop transaction(s)."""
    await check("TC_032_1")


async def test_tc_037_1_offline_valid(check: Check) -> None:
    """TC_037_1: Offline start transaction, valid idTag."""
    await check("TC_037_1")


async def test_tc_037_3_offline_invalid(check: Check) -> None:
    """TC_037_3: Offline start transaction, invalid idTag."""
    await check("TC_037_3")


async def test_tc_039_offline_transaction(check: Check) -> None:
    """TC_039: Offline transaction."""
    await check("TC_039")


async def test_tc_064_data_transfer(check: Check) -> None:
    """TC_064: Data transfer to the Central System."""
    await check("TC_064")


async def test_tc_010_remote_start_cable_first(check: Check) -> None:
    """TC_010: Remote start charging session, cable plugged in first."""
    await check("TC_010")


async def test_tc_011_1_remote_start_first(check: Check) -> None:
    """TC_011_1: Remote start charging session, remote start first."""
    await check("TC_011_1")


async def test_tc_011_2_remote_start_timeout(check: Check) -> None:
    """TC_011_2: Remote start charging session, time out."""
    await check("TC_011_2")


async def test_tc_012_remote_stop(check: Check) -> None:
    """TC_012: Remote stop charging session."""
    await check("TC_012")


async def test_tc_013_hard_reset(check: Check) -> None:
    """TC_013: Hard reset without transaction."""
    await check("TC_013")


async def test_tc_014_soft_reset(check: Check) -> None:
    """TC_014: Soft reset without transaction."""
    await check("TC_014")


async def test_tc_017_1_unlock(check: Check) -> None:
    """TC_017_1: Unlock connector, no charging session (not fixed cable)."""
    await check("TC_017_1")


async def test_tc_017_2_unlock_fixed_cable(check: Check) -> None:
    """TC_017_2: Unlock connector, no charging session (fixed cable)."""
    await check("TC_017_2")


async def test_tc_018_1_unlock_with_session(check: Check) -> None:
    """TC_018_1: Unlock connector with charging session."""
    await check("TC_018_1")


async def test_tc_030_unlock_failure(check: Check) -> None:
    """TC_030: Unlock connector, unlock failure."""
    await check("TC_030")


async def test_tc_031_unlock_unknown_connector(check: Check) -> None:
    """TC_031: Unlock connector, unknown connector."""
    await check("TC_031")


async def test_tc_019_1_get_all_configuration(check: Check) -> None:
    """TC_019_1: Retrieve all configuration keys."""
    await check("TC_019_1")


async def test_tc_019_2_get_one_configuration_key(check: Check) -> None:
    """TC_019_2: Retrieve a specific configuration key."""
    await check("TC_019_2")


async def test_tc_021_change_configuration(check: Check) -> None:
    """TC_021: Change/set configuration."""
    await check("TC_021")


async def test_tc_040_1_key_not_supported(check: Check) -> None:
    """TC_040_1: Configuration key not supported."""
    await check("TC_040_1")


async def test_tc_040_2_invalid_value(check: Check) -> None:
    """TC_040_2: Configuration key, invalid value."""
    await check("TC_040_2")


async def test_tc_026_remote_start_rejected(check: Check) -> None:
    """TC_026: Remote start charging session, rejected."""
    await check("TC_026")


async def test_tc_028_remote_stop_rejected(check: Check) -> None:
    """TC_028: Remote stop transaction, rejected."""
    await check("TC_028")


async def test_tc_061_clear_cache(check: Check) -> None:
    """TC_061: Clear authorization data in authorization cache."""
    await check("TC_061")


async def test_neg_unknown_transaction(check: Check) -> None:
    """NEG_UNKNOWN_TRANSACTION:

    StopTransaction / MeterValues for unknown or -1 transaction ids are answered.
    """
    await check("NEG_UNKNOWN_TRANSACTION")


async def test_neg_timestamps(check: Check) -> None:
    """NEG_TIMESTAMPS:

    Timestamps in every ISO 8601 form are accepted; the CSMS emits UTC with ms.
    """
    await check("NEG_TIMESTAMPS")


async def test_neg_retransmitted_start(check: Check) -> None:
    """NEG_RETRANSMIT: A retransmitted StartTransaction does not create a second transaction."""
    await check("NEG_RETRANSMIT")


async def test_neg_celcius(check: Check) -> None:
    """NEG_CELCIUS: MeterValues with the 1.6 'Celcius' spelling and every field are stored."""
    await check("NEG_CELCIUS")


# --- the spec's fine print (issue 25): each test cites its rule ---------------------------


async def test_ocpp16_4_2_no_calls_to_a_rejected_station(
    csms: Any, connect: Any, api: httpx.AsyncClient
) -> None:
    """OCPP 1.6 4.2: A station whose boot was Rejected: the Central System SHOULD NOT initiate
    any message; the API refuses with 409 instead of sending."""
    await csms.stations.create("CP-REJ")
    registration = "/stations/CP-REJ/registration"
    assert (await api.put(registration, json={"status": "Rejected"})).status_code == 200
    cp = await connect("CP-REJ", register=False)
    assert (await cp.boot())["status"] == "Rejected"
    refused = await api.post("/stations/CP-REJ/calls/ClearCache", json={})
    assert refused.status_code == 409
    assert "rejected" in refused.json()["detail"]
    # Once accepted, calls go out again; the first the station receives is this one, so the
    # refused ClearCache above never reached it.
    assert (await api.put(registration, json={"status": "Accepted"})).status_code == 200
    assert (await cp.boot())["status"] == "Accepted"
    call = asyncio.create_task(api.post("/stations/CP-REJ/calls/ClearCache", json={}))
    received = await cp.expect("ClearCache", timeout=10)
    await cp.reply(received, {"status": "Accepted"})
    assert (await call).status_code == 200
