"""cluster_url with credentials and TLS, against nats-server processes of the test's own
(user and password, token, TLS); the credentials never reach the log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from csms_core.app import Csms
from csms_core.settings import Settings
from csms_core.testing import ChargePoint, ocpp_url

pytestmark = pytest.mark.skipif(shutil.which("nats-server") is None, reason="needs nats-server")

PASSWORD = "broker-pass-7f3a9c"
TOKEN = "broker-token-51e0d2"


@contextlib.asynccontextmanager
async def nats_server(store: Path, *args: str) -> AsyncIterator[int]:
    """A JetStream nats-server on a port it picks; yields the port."""
    process = await asyncio.create_subprocess_exec(
        "nats-server",
        "-a",
        "127.0.0.1",
        "-p",
        "-1",
        "-js",
        "-sd",
        str(store),
        *args,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    try:

        async def listening() -> int:
            while line := await process.stderr.readline():
                found = re.search(rb"Listening for client connections on 127.0.0.1:(\d+)", line)
                if found:
                    return int(found[1])
            raise AssertionError("nats-server exited before it listened")

        port = await asyncio.wait_for(listening(), 20)
        # Keep reading, so that a full pipe never blocks the server.
        drain = asyncio.create_task(process.stderr.read())
        yield port
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
        with contextlib.suppress(Exception):
            await drain


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        f"{r.getMessage()} {r.exc_text or ''}"
        for when in ("setup", "call")
        for r in caplog.get_records(when)
    )


async def node_works(database_url: str, tmp_path: Path, cluster_url: str) -> None:
    """A node joins through ``cluster_url``, a station connects and gets a call; the node stops
    before its broker does."""
    app = Csms(
        Settings(
            host="127.0.0.1",
            ocpp_port=0,
            api_port=0,
            database_url=database_url,
            data_dir=tmp_path / "node",
            cluster_url=cluster_url,
            cluster_name="auth",
            ping_interval=None,
        )
    )
    await app.start()
    try:
        await app.stations.create("CP1")
        async with ChargePoint(ocpp_url(app), "CP1") as cp:
            assert (await cp.boot())["status"] == "Accepted"
            cp.answer("ClearCache", {"status": "Accepted"})
            assert await app.call("CP1", "ClearCache", {}) == {"status": "Accepted"}
    finally:
        await app.stop()


async def refused(database_url: str, tmp_path: Path, cluster_url: str) -> str:
    """Start a node's router against ``cluster_url``: the ConnectionError it fails with."""
    app = Csms(
        Settings(
            database_url=database_url,
            data_dir=tmp_path / "refused",
            cluster_url=cluster_url,
            cluster_name="auth",
        )
    )
    try:
        with pytest.raises(ConnectionError) as error:
            await app.router.start()
        return str(error.value)
    finally:
        await app.router.stop()
        await app.db.close()


async def test_user_and_password(all_logs: Any, database_url: str, tmp_path: Path) -> None:
    async with nats_server(tmp_path / "js", "--user", "csms", "--pass", PASSWORD) as port:
        await node_works(database_url, tmp_path, f"nats://csms:{PASSWORD}@127.0.0.1:{port}")
        wrong = await refused(
            database_url, tmp_path, f"nats://csms:wrong-{PASSWORD}@127.0.0.1:{port}"
        )
        assert "cannot reach NATS at nats://***@127.0.0.1" in wrong
    assert PASSWORD not in logged(all_logs) and PASSWORD not in wrong


async def test_token(all_logs: Any, database_url: str, tmp_path: Path) -> None:
    async with nats_server(tmp_path / "js", "--auth", TOKEN) as port:
        await node_works(database_url, tmp_path, f"nats://{TOKEN}@127.0.0.1:{port}")
    text = logged(all_logs)
    assert "joined cluster 'auth' at nats://***@127.0.0.1" in text
    assert TOKEN not in text


async def test_tls(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca.cert_pem.write_to_path(ca_file)
    cert.cert_chain_pems[0].write_to_path(cert_file)
    cert.private_key_pem.write_to_path(key_file)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # the system's CAs, in this test
    tls = ("--tls", "--tlscert", str(cert_file), "--tlskey", str(key_file))
    async with nats_server(tmp_path / "js", *tls) as port:
        await node_works(database_url, tmp_path, f"nats+tls://127.0.0.1:{port}")
    # TLS asked for, a server without it: refused, not silently in clear text.
    async with nats_server(tmp_path / "js-plain") as port:
        problem = await refused(database_url, tmp_path, f"tls://127.0.0.1:{port}")
    assert "does not require it" in problem
