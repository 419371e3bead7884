"""Half-open connections against a real server: handshakes held from other addresses, a
trickling handshake, an API client whose headers never end, the descriptor reserve."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from csms_core.testing import ChargePoint, api_url, eventually, ocpp_url

ATTACKER = Path(__file__).with_name("halfopen.py")
# The attack: two processes, two addresses, 10,500 half-open handshakes each. The
# server (this process) gets at most SERVER_FDS descriptors, fewer than 21,000: it only stays
# up because it refuses what the limits say.
HALF_OPEN_PER_ADDRESS = int(os.environ.get("CSMS_TEST_HALF_OPEN_PER_ADDRESS", "10500"))
SERVER_FDS = 16384


@contextlib.contextmanager
def fd_limit(limit: int) -> Iterator[None]:
    """Lower this process's RLIMIT_NOFILE (soft and hard: the server raises soft to hard)."""
    saved = resource.getrlimit(resource.RLIMIT_NOFILE)
    hard = limit if saved[1] == resource.RLIM_INFINITY else min(limit, saved[1])
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        yield
    finally:
        with contextlib.suppress(ValueError, OSError):  # raising the hard limit needs root
            resource.setrlimit(resource.RLIMIT_NOFILE, saved)


async def closed_within(reader: asyncio.StreamReader, timeout: float) -> bool:
    """True when the server closes the connection (EOF or reset) within ``timeout``."""
    try:
        async with asyncio.timeout(timeout):
            while await reader.read(4096):
                pass
    except TimeoutError:
        return False
    except ConnectionError:
        pass
    return True


async def closed_while_trickling(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, headers: int
) -> bool:
    """Send one more header line every 0.2 s (a slowloris client, up to ``headers`` lines)
    and report whether the server closes the connection within 30 s."""

    async def trickle() -> None:
        with contextlib.suppress(ConnectionError):
            for n in range(headers):
                writer.write(b"X-Trickle: %d\r\n" % n)
                await writer.drain()
                await asyncio.sleep(0.2)  # the client's pace, not a wait for the server

    trickling = asyncio.create_task(trickle())
    try:
        return await closed_within(reader, 30)
    finally:
        trickling.cancel()
        writer.close()


async def start_attacker(port: int, source: str, count: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(ATTACKER),
        "127.0.0.1",
        str(port),
        source,
        str(count),
        stdout=asyncio.subprocess.PIPE,
    )


async def test_station_connects_while_others_hold_21000_half_open_handshakes(
    make_csms: Any,
) -> None:
    with fd_limit(SERVER_FDS):
        await _station_connects_during_attack(make_csms)


async def _station_connects_during_attack(make_csms: Any) -> None:
    csms = await make_csms()
    await csms.stations.create("CP0")
    await csms.stations.create("CP1")
    async with ChargePoint(ocpp_url(csms), "CP0") as earlier:
        await earlier.boot()
        attackers = [
            await start_attacker(csms.ocpp.port, f"127.0.0.{n}", HALF_OPEN_PER_ADDRESS)
            for n in (2, 3)
        ]
        try:
            for attacker in attackers:
                assert attacker.stdout is not None
                line = await asyncio.wait_for(attacker.stdout.readline(), 300)
                assert line.startswith(b"ready"), line
            # The attackers hold what the per-source limit lets them (some time out and are
            # opened again), and the rest of their 21,000 is refused at accept.
            held, limit = csms.ocpp.guard.in_progress, csms.settings.handshakes_per_source
            assert 0 < held["127.0.0.2"] <= limit and 0 < held["127.0.0.3"] <= limit, held

            start = time.monotonic()
            async with ChargePoint(ocpp_url(csms), "CP1") as station:
                assert (await station.boot())["status"] == "Accepted"
            assert time.monotonic() - start < 10
            async with httpx.AsyncClient(base_url=api_url(csms), timeout=10) as client:
                assert (await client.get("/health")).status_code == 200
            await earlier.call("Heartbeat")  # an established station goes on as before
        finally:
            for attacker in attackers:
                attacker.kill()
                await attacker.wait()


async def test_a_handshake_that_does_not_finish_is_closed(make_csms: Any) -> None:
    csms = await make_csms(handshake_timeout=1.0)
    reader, writer = await asyncio.open_connection("127.0.0.1", csms.ocpp.port)
    writer.write(b"GET /ocpp/CP1 HTTP/1.1\r\nHost: csms\r\n")
    assert await closed_while_trickling(reader, writer, headers=100)


async def test_handshakes_per_source_are_limited(make_csms: Any) -> None:
    csms = await make_csms(handshakes_per_source=3)
    await csms.stations.create("CP1")
    held = [
        await asyncio.open_connection("127.0.0.1", csms.ocpp.port, local_addr=("127.0.0.2", 0))
        for _ in range(3)
    ]
    await eventually(lambda: csms.ocpp.guard.in_progress["127.0.0.2"] == 3)
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", csms.ocpp.port, local_addr=("127.0.0.2", 0)
    )
    assert await closed_within(reader, 5)  # the fourth from that address, at once
    writer.close()
    async with ChargePoint(ocpp_url(csms), "CP1") as station:  # another address: as usual
        await station.boot()
    for _reader, held_writer in held:
        held_writer.close()
    await eventually(lambda: not csms.ocpp.guard.in_progress)


async def test_descriptor_reserve_keeps_the_api_answering(make_csms: Any) -> None:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # A reserve as large as the limit: every new station connection is refused ...
    csms = await make_csms(fd_reserve=soft)
    reader, writer = await asyncio.open_connection("127.0.0.1", csms.ocpp.port)
    writer.write(b"GET /ocpp/CP1 HTTP/1.1\r\nHost: csms\r\n\r\n")
    assert await closed_within(reader, 5)
    writer.close()
    # ... and the API, which the reserve is kept for, answers.
    async with httpx.AsyncClient(base_url=api_url(csms), timeout=10) as client:
        assert (await client.get("/health")).status_code == 200


async def test_api_client_trickling_headers_is_closed(make_csms: Any) -> None:
    csms = await make_csms(api_header_timeout=1.0)
    reader, writer = await asyncio.open_connection("127.0.0.1", csms.api.port)
    writer.write(b"GET /health HTTP/1.1\r\nHost: csms\r\n")
    assert await closed_while_trickling(reader, writer, headers=150)
    # A client that sends its headers in time is served.
    async with httpx.AsyncClient(base_url=api_url(csms), timeout=10) as client:
        assert (await client.get("/health")).status_code == 200


async def test_accept_errors_are_logged_once_per_interval(caplog: Any) -> None:
    from csms_core.handshakes import AcceptErrorFilter

    loop = asyncio.get_running_loop()
    passed_on: list[dict] = []
    log_filter = AcceptErrorFilter(lambda _loop, context: passed_on.append(context))
    error = OSError(24, "Too many open files")
    with caplog.at_level("ERROR", logger="csms.ocpp"):
        for _ in range(1000):  # what asyncio reports for each failed accept()
            log_filter(
                loop, {"message": "socket.accept() out of system resource", "exception": error}
            )
    lines = [r for r in caplog.records if "accept" in r.getMessage()]
    assert len(lines) == 1 and "Too many open files" in lines[0].getMessage()
    log_filter(loop, {"message": "Task exception was never retrieved"})
    assert len(passed_on) == 1  # anything else goes to the handler that was there
