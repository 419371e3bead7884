"""Station authentication: Basic auth (profile 1), TLS (profile 2), client certificates (3)."""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl

import pytest
import trustme
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidHandshake, InvalidStatus

from csms_core import hookimpl
from csms_core.security import hash_password, verify_password
from csms_core.testing import (
    TEST_PASSWORD,
    ChargePoint,
    connect_after_backoff,
    eventually,
    ocpp_url,
)


async def refused_status(url: str, headers: dict | None = None, ssl_context=None) -> int:
    with pytest.raises(InvalidStatus) as caught:
        async with ws_connect(
            url, subprotocols=["ocpp1.6"], additional_headers=headers or {}, ssl=ssl_context
        ):
            pass
    return caught.value.response.status_code


async def raw_handshake_status(port: int, path: str, ssl_context: ssl.SSLContext) -> int:
    """The HTTP status of a WebSocket upgrade request, read off the wire."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ssl_context)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n".encode()
    )
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_password_hash_is_salted_and_verifies():
    first, second = hash_password(TEST_PASSWORD), hash_password(TEST_PASSWORD)
    assert first != second and TEST_PASSWORD not in first
    assert verify_password(TEST_PASSWORD, first)
    assert not verify_password(TEST_PASSWORD + "x", first)


async def test_basic_auth_none_wrong_right(csms, caplog):
    await csms.stations.create("CP1", TEST_PASSWORD)
    url = f"{ocpp_url(csms)}/CP1"
    assert await refused_status(url) == 401
    assert await refused_status(url, basic("CP1", "wrong-password-123456")) == 401
    assert await refused_status(url, basic("CP2", TEST_PASSWORD)) == 401
    cp = ChargePoint(ocpp_url(csms), "CP1", TEST_PASSWORD)
    await cp.connect()
    try:
        assert (await cp.boot())["status"] == "Accepted"
    finally:
        await cp.close()
    assert "wrong-password" not in caplog.text
    assert TEST_PASSWORD not in caplog.text


async def test_failed_logins_back_off_per_address_and_station(make_csms, test_plugin):
    app = await make_csms(plugins=[("t", test_plugin)], auth_free_failures=3)
    await app.stations.create("CP1", TEST_PASSWORD)
    url = f"{ocpp_url(app)}/CP1"
    for _ in range(3):
        assert await refused_status(url, basic("CP1", "x" * 20)) == 401
    assert await refused_status(url, basic("CP1", "x" * 20)) == 401  # now it backs off
    # During its backoff the pair is not even checked: no guessing, whatever the password.
    assert await refused_status(url, basic("CP1", TEST_PASSWORD)) == 429
    # The backoff ends (1 s after the first failure beyond the free ones).
    cp = await connect_after_backoff(ChargePoint(ocpp_url(app), "CP1", TEST_PASSWORD))
    try:
        assert (await cp.boot())["status"] == "Accepted"
    finally:
        await cp.close()


async def test_require_password_refuses_stations_without_one(make_csms, test_plugin):
    app = await make_csms(plugins=[("t", test_plugin)], require_password=True)
    await app.stations.create("NOPW")
    assert await refused_status(f"{ocpp_url(app)}/NOPW") == 401


async def test_disabled_station_refused(csms):
    await csms.stations.create("CP1")
    await csms.stations.update("CP1", enabled=False)
    assert await refused_status(f"{ocpp_url(csms)}/CP1") == 403


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_cert(ca, tmp_path):
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_path, key_path = tmp_path / "server.pem", tmp_path / "server.key"
    cert.cert_chain_pems[0].write_to_path(cert_path)
    cert.private_key_pem.write_to_path(key_path)
    ca_path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(ca_path)
    return cert_path, key_path, ca_path


def client_context(ca, common_name: str | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(context)
    if common_name:
        ca.issue_cert(common_name=common_name).configure_cert(context)
    return context


async def test_tls_with_basic_auth_profile_2(make_csms, test_plugin, ca, server_cert):
    cert, key, _ = server_cert
    app = await make_csms(plugins=[("t", test_plugin)], tls_cert=cert, tls_key=key)
    await app.stations.create("CP1", TEST_PASSWORD)
    assert ocpp_url(app).startswith("wss://")
    cp = ChargePoint(ocpp_url(app), "CP1", TEST_PASSWORD, ssl_context=client_context(ca))
    await cp.connect()
    try:
        assert (await cp.boot())["status"] == "Accepted"
    finally:
        await cp.close()
    assert await refused_status(f"{ocpp_url(app)}/CP1", ssl_context=client_context(ca)) == 401


async def test_client_certificate_must_match_station_profile_3(
    make_csms, test_plugin, ca, server_cert
):
    cert, key, ca_path = server_cert
    app = await make_csms(plugins=[("t", test_plugin)], tls_cert=cert, tls_key=key, tls_ca=ca_path)
    await app.stations.create("CP1")
    good = ChargePoint(ocpp_url(app), "CP1", ssl_context=client_context(ca, "CP1"))
    await good.connect()
    try:
        assert (await good.boot())["status"] == "Accepted"
    finally:
        await good.close()
    mismatch = client_context(ca, "SOMEONE-ELSE")
    assert await raw_handshake_status(app.ocpp.port, "/ocpp/CP1", mismatch) == 403
    assert not await app.router.is_connected("CP1")
    with pytest.raises((ssl.SSLError, OSError, InvalidHandshake)):
        async with ws_connect(
            f"{ocpp_url(app)}/CP1", subprotocols=["ocpp1.6"], ssl=client_context(ca)
        ) as ws:
            await ws.recv()


# --- minimum security profile (whitepaper A05.FR.09) -----------------------------------------


class ProfileObserver:
    def __init__(self) -> None:
        self.profiles: dict[str, int] = {}

    @hookimpl
    def station_connected(self, station_id: str, security_profile: int) -> None:
        self.profiles[station_id] = security_profile


async def test_minimum_profile_1_refuses_a_station_without_password(csms):
    await csms.stations.create("CP1")
    await csms.stations.update("CP1", min_security_profile=1)
    assert await refused_status(f"{ocpp_url(csms)}/CP1") == 401
    await csms.stations.update("CP1", password=TEST_PASSWORD)
    async with ChargePoint(ocpp_url(csms), "CP1", TEST_PASSWORD) as cp:
        assert (await cp.boot())["status"] == "Accepted"


async def test_minimum_profile_2_refuses_plain_ws_even_with_the_right_password(csms):
    await csms.stations.create("CP1", TEST_PASSWORD)
    await csms.stations.update("CP1", min_security_profile=2)
    assert await refused_status(f"{ocpp_url(csms)}/CP1", basic("CP1", TEST_PASSWORD)) == 401


async def test_minimum_profile_over_tls(make_csms, test_plugin, ca, server_cert):
    cert, key, _ = server_cert
    app = await make_csms(plugins=[("t", test_plugin)], tls_cert=cert, tls_key=key)
    await app.stations.create("CP1", TEST_PASSWORD)
    await app.stations.update("CP1", min_security_profile=2)
    async with ChargePoint(ocpp_url(app), "CP1", TEST_PASSWORD, ssl_context=client_context(ca)):
        pass
    await app.stations.update("CP1", min_security_profile=3)  # no client certificates here
    url = f"{ocpp_url(app)}/CP1"
    headers = basic("CP1", TEST_PASSWORD)
    assert await refused_status(url, headers, ssl_context=client_context(ca)) == 401


async def test_station_connected_names_the_profile_used(make_csms, test_plugin, ca, server_cert):
    observer = ProfileObserver()
    plain = await make_csms(plugins=[("t", test_plugin), ("o", observer)])
    await plain.stations.create("P0")
    await plain.stations.create("P1", TEST_PASSWORD)
    async with (
        ChargePoint(ocpp_url(plain), "P0"),
        ChargePoint(ocpp_url(plain), "P1", TEST_PASSWORD),
    ):
        await eventually(lambda: len(observer.profiles) == 2)
    cert, key, ca_path = server_cert
    tls = await make_csms(plugins=[("t", test_plugin), ("o", observer)], tls_cert=cert, tls_key=key)
    await tls.stations.create("P2", TEST_PASSWORD)
    async with ChargePoint(ocpp_url(tls), "P2", TEST_PASSWORD, ssl_context=client_context(ca)):
        await eventually(lambda: "P2" in observer.profiles)
    mutual = await make_csms(
        plugins=[("t", test_plugin), ("o", observer)], tls_cert=cert, tls_key=key, tls_ca=ca_path
    )
    await mutual.stations.create("P3")
    async with ChargePoint(ocpp_url(mutual), "P3", ssl_context=client_context(ca, "P3")):
        await eventually(lambda: "P3" in observer.profiles)
    assert observer.profiles == {"P0": 0, "P1": 1, "P2": 2, "P3": 3}


async def test_new_authorization_key_is_not_in_the_frame_log(make_csms, caplog):
    class Owner:
        @hookimpl
        def register_actions(self, register):
            register("ChangeConfiguration")

    app = await make_csms(plugins=[("owner", Owner())])
    await app.stations.create("CP1")
    secret = "fedcba9876543210fedcba98"
    with caplog.at_level(logging.DEBUG, logger="csms.frames"):
        async with ChargePoint(ocpp_url(app), "CP1") as cp:
            # The session reads the level when it opens.
            cp.answer("ChangeConfiguration", {"status": "Accepted"})
            payload = {"key": "AuthorizationKey", "value": secret}
            assert await app.call("CP1", "ChangeConfiguration", payload) == {"status": "Accepted"}
            other = {"key": "HeartbeatInterval", "value": "60"}
            await app.call("CP1", "ChangeConfiguration", other)
    assert "AuthorizationKey" in caplog.text and "***" in caplog.text
    assert "HeartbeatInterval" in caplog.text  # other frames as they are
    assert secret not in caplog.text
