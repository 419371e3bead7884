"""Attacks on the OCPP port and on station ids, each against a real server (issue 16, items
3, 4, 6, 7, 9): the attacker does the attack, and the honest station must not notice."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from typing import Any
from urllib.parse import quote

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as sync_connect

from csms_core import hookimpl
from csms_core.errors import CallErrorReceived
from csms_core.security import LoginLimiter, station_id_problem
from csms_core.testing import (
    TEST_PASSWORD,
    ChargePoint,
    connect_after_backoff,
    eventually,
    ocpp_url,
)

WRONG = "wrong-password-123456"


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def refused(url: str, headers: dict[str, str] | None = None) -> Any:
    """The HTTP response with which the server refused a WebSocket handshake."""
    with pytest.raises(InvalidStatus) as caught:
        async with ws_connect(url, subprotocols=["ocpp1.6"], additional_headers=headers or {}):
            pass
    return caught.value.response


async def raw_handshake(port: int, path: str, headers: dict[str, str] | None = None) -> int:
    """The status of an upgrade request sent byte for byte (paths a client library would
    refuse to send)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n{extra}\r\n".encode()
    )
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


async def boots(cp: ChargePoint) -> bool:
    if cp.ws is None:
        await cp.connect()
    try:
        return (await cp.boot())["status"] == "Accepted"
    finally:
        await cp.close()


async def run_cli(*args: str, env: dict[str, str]) -> Any:
    from click.testing import CliRunner

    from csms_core.cli import cli

    # The server shares this event loop, so the (blocking) CLI runs in a thread.
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)


# --- item 3: the failed-login limiter ------------------------------------------------------


async def test_20_bad_logins_for_one_station_leave_others_from_the_address_alone(
    make_csms, test_plugin
):
    app = await make_csms(plugins=[("t", test_plugin)], trusted_proxies=["127.0.0.1"])
    for station_id in ("CP1", "CP2"):
        await app.stations.create(station_id, TEST_PASSWORD)
    url = ocpp_url(app)
    statuses = [(await refused(f"{url}/CP1", basic("CP1", WRONG))).status_code for _ in range(20)]
    assert set(statuses) == {401, 429} and statuses[:5] == [401] * 5
    # Another station behind the same address: unaffected, at once.
    assert await boots(ChargePoint(url, "CP2", TEST_PASSWORD))
    # CP1 itself from another address (a proxy we trust names it): unaffected.
    elsewhere = ChargePoint(url, "CP1", TEST_PASSWORD)
    async with ws_connect(
        elsewhere.url,
        subprotocols=["ocpp1.6"],
        additional_headers={**basic("CP1", TEST_PASSWORD), "X-Forwarded-For": "198.51.100.7"},
    ) as ws:
        await ws.send(
            json.dumps(
                [2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]
            )
        )
        assert json.loads(await ws.recv())[2]["status"] == "Accepted"
    # CP1 from the attacked address waits out its own backoff (see docs/security.md), and
    # is let in once it is over.
    assert await boots(await connect_after_backoff(ChargePoint(url, "CP1", TEST_PASSWORD)))


async def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    make_csms, test_plugin
):
    app = await make_csms(plugins=[("t", test_plugin)], auth_free_failures=2)
    await app.stations.create("CP1", TEST_PASSWORD)
    url = f"{ocpp_url(app)}/CP1"
    statuses = []
    for n in range(6):  # a made-up address per attempt does not reset anything
        headers = {**basic("CP1", WRONG), "X-Forwarded-For": f"203.0.113.{n}"}
        statuses.append((await refused(url, headers)).status_code)
    assert 429 in statuses  # one pair, 127.0.0.1 and CP1, whatever the header said


async def test_limiter_memory_is_bounded_under_a_flood_of_made_up_ids(make_csms, test_plugin):
    app = await make_csms(plugins=[("t", test_plugin)], auth_limiter_entries=100)
    await app.stations.create("CP1", TEST_PASSWORD)
    for n in range(300):
        assert await raw_handshake(app.ocpp.port, f"/ocpp/GHOST{n}") == 401
    assert len(app.ocpp.limiter) <= 100
    assert await boots(ChargePoint(ocpp_url(app), "CP1", TEST_PASSWORD))


def test_limiter_backoff_doubles_and_is_capped():
    limiter = LoginLimiter(free_failures=2, max_backoff=4, capacity=10)
    waits = []
    for _ in range(7):
        limiter.failed("a", "CP1")
        waits.append(round(limiter.retry_after("a", "CP1")))
    assert waits == [0, 0, 1, 2, 4, 4, 4]
    assert limiter.retry_after("a", "CP2") == 0 and limiter.retry_after("b", "CP1") == 0
    limiter.succeeded("a", "CP1")
    assert limiter.retry_after("a", "CP1") == 0
    for n in range(50):
        limiter.failed("a", f"X{n}")
    assert len(limiter) == 10


# --- item 4: unknown ids --------------------------------------------------------------------


async def test_unknown_id_and_wrong_password_get_the_same_answer(make_csms, test_plugin):
    app = await make_csms(plugins=[("t", test_plugin)])
    await app.stations.create("CP1", TEST_PASSWORD)
    url = ocpp_url(app)
    wrong = await refused(f"{url}/CP1", basic("CP1", WRONG))
    unknown = await refused(f"{url}/NOBODY", basic("NOBODY", WRONG))
    no_credentials = await refused(f"{url}/NOBODY2")
    for response in (unknown, no_credentials):
        assert response.status_code == wrong.status_code == 401
        assert response.body == wrong.body
        assert response.headers["WWW-Authenticate"] == wrong.headers["WWW-Authenticate"]
    # Unknown ids count as failures, and back off exactly like a wrong password.
    statuses = [(await refused(f"{url}/NOBODY")).status_code for _ in range(8)]
    assert statuses[-1] == 429
    assert await boots(ChargePoint(url, "CP1", TEST_PASSWORD))


async def test_unknown_id_warnings_are_rate_limited(make_csms, test_plugin, caplog):
    app = await make_csms(plugins=[("t", test_plugin)])
    with caplog.at_level(logging.WARNING, logger="csms.ocpp"):
        for n in range(200):
            assert await raw_handshake(app.ocpp.port, f"/ocpp/ENUM{n}") == 401
    refusals = [r for r in caplog.records if "refused station" in r.getMessage()]
    assert 1 <= len(refusals) <= app.ocpp.refusals_log.burst


async def test_accept_policy_still_registers_unknown_stations(make_csms, test_plugin):
    app = await make_csms(plugins=[("t", test_plugin)], unknown_stations="accept")
    assert await boots(ChargePoint(ocpp_url(app), "RDAM 123"))
    assert await app.stations.get("RDAM 123") is not None


# --- item 7: station ids --------------------------------------------------------------------

BAD_IDS = {
    "empty": "",
    "C0 NUL": "A\x00B",
    "C0 newline": "a\nb",
    "C0 tab": "a\tb",
    "DEL": "a\x7fb",
    "C1 NEL": "a\x85b",
    "C1 CSI": "a\x9bb",
    "slash": "a/b",
    "colon": "a:b",
    "dot": ".",
    "dot dot": "..",
    "49 characters": "X" * 49,
    "zero-width space": "a\u200bb",
    "line separator": "a\u2028b",
}
GOOD_IDS = ["RDAM 123", "X" * 48, "Zürich-1", "a.b", "...", "cp#1?x=%20", "~_-+!"]


@pytest.mark.parametrize("station_id", BAD_IDS.values(), ids=BAD_IDS.keys())
def test_station_id_rule_refuses(station_id):
    assert station_id_problem(station_id)


@pytest.mark.parametrize("station_id", GOOD_IDS)
def test_station_id_rule_accepts(station_id):
    assert station_id_problem(station_id) is None


@pytest.mark.parametrize("station_id", BAD_IDS.values(), ids=BAD_IDS.keys())
async def test_api_refuses_bad_station_ids(api, station_id):
    response = await api.post("/stations", json={"id": station_id})
    assert response.status_code == 422, response.text
    assert "station id" in response.text or "48" in response.text


async def test_api_registers_fetches_and_deletes_printable_ids(api, csms):
    for station_id in GOOD_IDS:
        created = await api.post("/stations", json={"id": station_id})
        assert created.status_code == 201, created.text
        fetched = await api.get("/stations/" + quote(station_id, safe=""))
        assert fetched.status_code == 200 and fetched.json()["id"] == station_id
    # OCPP-J's example identity connects, percent-encoded in its URL.
    assert await boots(ChargePoint(ocpp_url(csms), "RDAM 123"))
    for station_id in GOOD_IDS:
        deleted = await api.delete("/stations/" + quote(station_id, safe=""))
        assert deleted.status_code == 204
    assert (await api.get("/stations")).json()["total"] == 0


async def test_api_nul_in_a_path_id_is_404_not_500(api):
    assert (await api.get("/stations/A%00B")).status_code == 404
    assert (await api.delete("/stations/A%00B")).status_code == 404


@pytest.mark.parametrize(
    "segment", ["a%0Ab", "a%00b", "a%7Fb", "a%C2%85b", "a%2Fb", "a:b", "..", "X" * 49]
)
async def test_handshake_refuses_bad_ids_and_logs_them_quoted(csms, segment, caplog):
    await csms.stations.create("CP1")
    with caplog.at_level(logging.WARNING, logger="csms.ocpp"):
        assert await raw_handshake(csms.ocpp.port, f"/ocpp/{segment}") == 400
    assert all("\n" not in r.getMessage() for r in caplog.records)
    assert await boots(ChargePoint(ocpp_url(csms), "CP1"))


async def test_forged_log_line_in_a_boot_field_is_quoted(booted, caplog):
    with caplog.at_level(logging.INFO, logger="csms.session"):
        await booted.boot(firmwareVersion="1.0\n2026-01-01 00:00:00 INFO csms: fake")
    assert any("booted" in r.getMessage() for r in caplog.records)
    assert all("\n" not in r.getMessage() for r in caplog.records)


async def test_cli_uses_the_same_rule_and_percent_encodes(csms):
    from csms_core.testing import TEST_API_KEY, api_url

    env = {"CSMS_API_URL": api_url(csms), "CSMS_API_KEY": TEST_API_KEY}
    bad = await run_cli("stations", "add", "a:b", env=env)
    assert bad.exit_code != 0 and "cannot contain ':'" in bad.output
    for station_id in ("RDAM 123", "cp#1?x=%20"):
        added = await run_cli("stations", "add", station_id, env=env)
        assert added.exit_code == 0, added.output
        shown = await run_cli("stations", "show", station_id, "--json", env=env)
        assert shown.exit_code == 0 and json.loads(shown.output)["id"] == station_id
        removed = await run_cli("stations", "remove", station_id, env=env)
        assert removed.exit_code == 0 and await csms.stations.get(station_id) is None


# --- item 6: one CALL at a time, floods, frame size ----------------------------------------


class HoldingPlugin:
    """DataTransfer "HOLD" calls the station back with Reset, then answers when released."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.release = asyncio.Event()

    @hookimpl
    def register_data_transfer(self, register: Any) -> None:
        register("test", self.data_transfer)

    async def data_transfer(self, station: Any, payload: dict) -> dict:
        self.started.append(payload["data"])
        if payload["data"] == "HOLD":
            # A handler may call its station back and wait for the answer.
            await station.app.call(station.id, "Reset", {"type": "Soft"})
            await self.release.wait()
        return {"status": "Accepted"}


def transfer(data: str) -> dict:
    return {"vendorId": "test", "data": data}


async def test_one_call_at_a_time_and_answers_to_our_calls_still_flow(make_csms, test_plugin):
    holding = HoldingPlugin()
    app = await make_csms(plugins=[("t", test_plugin), ("h", holding)])
    await app.stations.create("CP1")
    async with ChargePoint(ocpp_url(app), "CP1") as cp:
        await cp.boot()
        reset_answered = asyncio.Event()

        async def answer_reset(call: Any) -> dict:
            reset_answered.set()
            return {"status": "Accepted"}

        cp.answer("Reset", answer_reset)
        first = asyncio.create_task(cp.call("DataTransfer", transfer("HOLD")))
        try:
            await asyncio.wait_for(reset_answered.wait(), 5)
            second = asyncio.create_task(cp.call("DataTransfer", transfer("NEXT")))
            # A CALLRESULT sent after the second CALL: once it is resolved, the second CALL
            # has been read too; its handler must not have started.
            await app.call("CP1", "Reset", {"type": "Hard"})
            assert holding.started == ["HOLD"] and not second.done()
        finally:
            holding.release.set()  # the session waits for its handlers when it closes
        assert (await first)["status"] == "Accepted"
        assert (await second)["status"] == "Accepted"
        assert holding.started == ["HOLD", "NEXT"]


async def test_calls_beyond_the_queue_get_a_callerror_and_the_station_carries_on(
    make_csms, test_plugin
):
    holding = HoldingPlugin()
    app = await make_csms(plugins=[("t", test_plugin), ("h", holding)], max_queued_calls=2)
    await app.stations.create("CP1")
    async with ChargePoint(ocpp_url(app), "CP1") as cp:
        await cp.boot()
        cp.answer("Reset", {"status": "Accepted"})
        first = asyncio.create_task(cp.call("DataTransfer", transfer("HOLD")))
        try:
            await eventually(lambda: holding.started == ["HOLD"])
            queued = [
                asyncio.create_task(cp.call("DataTransfer", transfer(f"Q{n}"))) for n in range(2)
            ]
            await eventually(lambda: len(cp._pending) == 3)  # both sent, behind HOLD
            with pytest.raises(CallErrorReceived) as caught:
                await cp.call("DataTransfer", transfer("ONE-TOO-MANY"))
            assert caught.value.code == "GenericError" and "4.1.1" in caught.value.description
        finally:
            holding.release.set()  # the session waits for its handlers when it closes
        for call in (first, *queued):
            assert (await call)["status"] == "Accepted"
        assert holding.started == ["HOLD", "Q0", "Q1"]
        assert "currentTime" in await cp.call("Heartbeat")


def meter_values_frame(message_id: str, size: int) -> str:
    sample = {
        "value": "12345.6",
        "context": "Sample.Periodic",
        "measurand": "Energy.Active.Import.Register",
        "unit": "Wh",
    }
    count = size // (len(json.dumps(sample)) + 2)
    payload = {
        "connectorId": 1,
        "meterValue": [{"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [sample] * count}],
    }
    return json.dumps([2, message_id, "MeterValues", payload])


async def test_a_flooding_station_does_not_delay_another_stations_heartbeat(make_csms):
    """40 MeterValues of ~60 KB sent at once, without waiting for answers; meanwhile another
    station's heartbeats are answered within 150 ms (a safety bound: the target is
    milliseconds, see benchmarks)."""
    app = await make_csms()  # every installed plugin: core stores each sampled value
    for station_id in ("FLOOD", "HONEST"):
        await app.stations.create(station_id)
    frames = [meter_values_frame(f"m{n}", 60_000) for n in range(40)]
    assert all(60_000 <= len(frame) < app.settings.max_message_size for frame in frames)
    boot = [2, "boot", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]

    def flood() -> list[list]:
        # Its own thread and client: the flooder's sending does not run on the server's loop.
        with sync_connect(f"{ocpp_url(app)}/FLOOD", subprotocols=["ocpp1.6"]) as ws:
            ws.send(json.dumps(boot))
            assert json.loads(ws.recv(10))[2]["status"] == "Accepted"
            for frame in frames:
                ws.send(frame)
            return [json.loads(ws.recv(60)) for _ in frames]

    async with ChargePoint(ocpp_url(app), "HONEST") as honest:
        assert (await honest.boot())["status"] == "Accepted"
        flooding = asyncio.ensure_future(asyncio.to_thread(flood))
        loop = asyncio.get_running_loop()
        waits = []
        while not flooding.done():
            started = loop.time()
            await honest.call("Heartbeat")
            waits.append(loop.time() - started)
        answers = await flooding
    assert len(waits) >= 3
    # The suite shares two cores between four workers: one heartbeat may lose the CPU to
    # another process for a while, whatever the server does. Every other one is in bound.
    *rest, worst = sorted(waits)
    assert rest[-1] < 0.150, f"heartbeats waited {[round(w * 1000) for w in waits]} ms"
    assert worst < 0.500, f"a heartbeat waited {worst * 1000:.0f} ms"
    results = [a for a in answers if a[0] == 3]
    refusals = [a for a in answers if a[0] == 4]
    assert len(results) >= app.settings.max_queued_calls
    assert all(a[2] == "GenericError" for a in refusals)


async def test_default_frame_limit_is_64_kib(csms, booted):
    assert csms.settings.max_message_size == 64 * 1024
    await booted.ws.send(json.dumps([2, "big", "Heartbeat", {"x": "y" * 70_000}]))
    await asyncio.wait_for(booted.ws.wait_closed(), 5)
    assert booted.ws.close_code == 1009  # message too big


# --- item 9: input that used to end in a 500 or a dead connection --------------------------


@pytest.mark.parametrize("depth", [30_000, 100_000])
async def test_deeply_nested_frame_gets_a_callerror_and_the_connection_stays(
    make_csms, test_plugin, depth
):
    app = await make_csms(plugins=[("t", test_plugin)], max_message_size=1 << 20)
    await app.stations.create("CP1")
    async with ChargePoint(ocpp_url(app), "CP1") as cp:
        await cp.boot()
        answer = await cp.send_frame("[" * depth + "]" * depth)
        assert answer[0] == 4 and answer[2] == "FormationViolation"
        assert "currentTime" in await cp.call("Heartbeat")


async def test_deeply_nested_frame_within_the_default_limit(booted):
    answer = await booted.send_frame("[" * 30_000)
    assert answer[0] == 4 and answer[2] == "FormationViolation"
    assert "currentTime" in await booted.call("Heartbeat")


@pytest.mark.parametrize("offset", [2**63, 2**63 - 1, 2**64, 10**30])
async def test_huge_offset_is_a_422(api, offset):
    response = await api.get("/stations", params={"offset": offset})
    assert response.status_code == 422, response.text
    assert (await api.get("/stations", params={"offset": 0})).status_code == 200
