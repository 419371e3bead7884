"""Security whitepaper cases TC_086 and TC_087: TLS needs a server started with certificates,
so they are written here rather than as scenarios (csms selftest cannot restart the server
under test). The other security cases are scenarios (test_scenarios.py)."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from csms_simulator.scenarios import Context, available_actions
from websockets.exceptions import InvalidMessage, InvalidStatus

from csms_core.testing import ChargePoint, ocpp_url

PROFILE = "Security"  # the conformance table's section


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


def _server_files(ca: trustme.CA, tmp_path: Path) -> dict[str, Path]:
    server = ca.issue_cert("127.0.0.1", "localhost")
    cert, key = tmp_path / "server.pem", tmp_path / "server.key"
    server.cert_chain_pems[0].write_to_path(str(cert))
    for extra in server.cert_chain_pems[1:]:
        extra.write_to_path(str(cert), append=True)
    server.private_key_pem.write_to_path(str(key))
    return {"tls_cert": cert, "tls_key": key}


def _client_context(ca: trustme.CA | None, cert_for: str | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if ca is not None:
        ca.configure_trust(context)
        if cert_for is not None:
            ca.issue_cert(cert_for, common_name=cert_for).configure_cert(context)
    return context


async def _tls_context(app: Any, client: httpx.AsyncClient, ssl_context: ssl.SSLContext) -> Context:
    return Context(client, ocpp_url(app), "", available_actions(app), ssl_context=ssl_context)


async def test_tc_086_tls_server_certificate(
    make_csms: Any, api_for: Any, ca: trustme.CA, tmp_path: Path
) -> None:
    """TC_086: TLS with server certificate and Basic auth (security profile 2)."""
    app = await make_csms(require_password=True, **_server_files(ca, tmp_path))
    assert ocpp_url(app).startswith("wss://")
    client = api_for(app, verify=_client_context(ca), timeout=10)
    ctx = await _tls_context(app, client, _client_context(ca))
    station_id = await ctx.register("CP")
    cp = await ctx.connect("CP")
    assert cp.subprotocol == "ocpp1.6"
    # A station that does not trust the CSMS's certificate never completes the handshake.
    untrusting = ChargePoint(
        ocpp_url(app), station_id, ctx.passwords[station_id], _client_context(None)
    )
    with pytest.raises(ssl.SSLCertVerificationError):
        await untrusting.connect()
    # Profile 2 still needs the password.
    wrong = ChargePoint(ocpp_url(app), station_id, "x" * 20, _client_context(ca))
    with pytest.raises(InvalidStatus) as refused:
        await wrong.connect()
    assert refused.value.response.status_code == 401
    # Plain ws:// to the TLS port is no OCPP session.
    plain = ChargePoint(ocpp_url(app).replace("wss://", "ws://"), station_id)
    with pytest.raises(Exception):  # noqa: B017 - any handshake failure will do
        await plain.connect()
    await ctx.close()


async def test_tc_087_tls_client_certificate(
    make_csms: Any, api_for: Any, ca: trustme.CA, tmp_path: Path
) -> None:
    """TC_087: TLS with client certificate (security profile 3)."""
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    app = await make_csms(tls_ca=ca_file, **_server_files(ca, tmp_path))
    client = api_for(app, verify=_client_context(ca), timeout=10)
    ctx = await _tls_context(app, client, _client_context(ca, cert_for="CP"))
    await ctx.register("CP", password=None)
    cp = await ctx.connect("CP")
    assert cp.subprotocol == "ocpp1.6"
    # A certificate for another identity is refused.
    other = ChargePoint(ocpp_url(app), "CP", None, _client_context(ca, cert_for="CP-OTHER"))
    with pytest.raises(InvalidStatus) as refused:
        await other.connect()
    assert refused.value.response.status_code == 403
    # No client certificate at all: the TLS handshake fails.
    anonymous = ChargePoint(ocpp_url(app), "CP", None, _client_context(ca))
    with pytest.raises((ssl.SSLError, ConnectionError, InvalidMessage, OSError)):
        await anonymous.connect()
        await asyncio.wait_for(anonymous.call("Heartbeat", {}), 5)
    await ctx.close()
