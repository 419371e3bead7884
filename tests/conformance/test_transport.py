"""Our own OCPP-J transport cases (no OCTT id), against all installed plugins.
Each test runs the scenario of the same id
(csms_simulator.scenarios), which asserts what the CSMS sends and answers."""

from __future__ import annotations

from csms_simulator.scenarios import Check


async def test_neg_bad_subprotocol(check: Check) -> None:
    """NEG_SUBPROTOCOL: Refuse a station offering no supported subprotocol."""
    await check("NEG_SUBPROTOCOL")


async def test_neg_unknown_identity(check: Check) -> None:
    """NEG_UNKNOWN_IDENTITY: Refuse an unknown station identity with HTTP 401, as a wrong
    password."""
    await check("NEG_UNKNOWN_IDENTITY")


async def test_neg_malformed_frames(check: Check) -> None:
    """NEG_MALFORMED: Malformed frames get CALLERRORs, the connection stays up."""
    await check("NEG_MALFORMED")


async def test_neg_oversized_message_id(check: Check) -> None:
    """NEG_MESSAGE_ID: Message ids longer than 36 characters are refused."""
    await check("NEG_MESSAGE_ID")


async def test_neg_calls_before_boot(check: Check) -> None:
    """NEG_BEFORE_BOOT: CALLs before an accepted BootNotification get SecurityError."""
    await check("NEG_BEFORE_BOOT")


async def test_neg_unknown_action(check: Check) -> None:
    """NEG_UNKNOWN_ACTION:

    Unknown actions get NotImplemented, invalid payloads a schema error code.
    """
    await check("NEG_UNKNOWN_ACTION")


async def test_neg_duplicate_message_id(check: Check) -> None:
    """NEG_DUPLICATE_ID: A CALL repeated with the same message id is answered each time."""
    await check("NEG_DUPLICATE_ID")


async def test_neg_crossing_calls(check: Check) -> None:
    """NEG_CROSSING_CALLS:

    Calls in both directions may cross; the CSMS keeps one outstanding call.
    """
    await check("NEG_CROSSING_CALLS")


async def test_neg_station_callerror(check: Check) -> None:
    """NEG_CALLERROR_502: A station's CALLERROR reaches the operator as 502 with its code."""
    await check("NEG_CALLERROR_502")
