"""`csms serve` at debug level, as a real process: its whole log, while an operator uses an
API key, gives a station new AuthorizationKeys (in any case), the station reports its key in
GetConfiguration and uploads diagnostics by FTP with a password, holds none of those secrets
nor their hashes. The API's answers do not show them either."""

from __future__ import annotations

import asyncio
import ftplib
import io
import os
import re
import signal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa

from csms_core.api.auth import ApiKeyStore
from csms_core.security import hash_api_key
from csms_core.storage import Database
from csms_core.testing import ChargePoint, IncomingCall

STATION_PASSWORD = "first-station-pass-0001"
NEW_KEY = "second-station-key-0002"
NEW_KEY_LOWER_CASE_ROUTE = "third-station-key-00003"
EXTERNAL_FTP_PASSWORD = "external-ftp-pw-0004"


class ServerLog:
    """Reads a process's stderr to the end (a full pipe would block it)."""

    def __init__(self, process: Any) -> None:
        self.lines: list[str] = []
        self.changed = asyncio.Event()
        self.task = asyncio.create_task(self._read(process.stderr))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        try:
            while line := await stream.readline():
                self.lines.append(line.decode(errors="replace"))
                self.changed.set()
        finally:
            self.changed.set()

    async def port(self, announcement: str) -> int:
        pattern = re.compile(re.escape(announcement) + r" \S+:(\d+)")
        while True:
            for line in self.lines:
                if found := pattern.search(line):
                    return int(found[1])
            if self.task.done():
                raise AssertionError("csms serve exited:\n" + "".join(self.lines))
            self.changed.clear()
            await self.changed.wait()


def ftp_upload(location: str) -> str:
    url = urlsplit(location)
    with ftplib.FTP() as ftp:
        ftp.connect(url.hostname, url.port, timeout=10)
        ftp.login(url.username, url.password)
        return ftp.storbinary("STOR diag.tar", io.BytesIO(b"diagnostics"))


async def test_debug_log_and_answers_hold_no_secrets(
    database_url: str, tmp_path: Path, serve: Any
) -> None:
    db = Database(database_url)
    try:
        _, api_key = await ApiKeyStore(db, []).create("ops")
    finally:
        await db.close()
    env = {
        **os.environ,
        "CSMS_DATABASE_URL": database_url,
        "CSMS_HOST": "127.0.0.1",
        "CSMS_LOG_LEVEL": "debug",
        "CSMS_PLUGINS__FIRMWARE__FTP_ENABLED": "true",
        "CSMS_PLUGINS__FIRMWARE__FTP_PORT": "0",
    }
    process = await serve(tmp_path / "data", env=env)
    log = ServerLog(process)
    secrets = [api_key, STATION_PASSWORD, NEW_KEY, NEW_KEY_LOWER_CASE_ROUTE, EXTERNAL_FTP_PASSWORD]
    answers: list[str] = []
    try:
        api_port = await asyncio.wait_for(log.port("operator API listening on"), 60)
        ocpp_port = await asyncio.wait_for(log.port("OCPP server listening on"), 60)
        ocpp = f"ws://127.0.0.1:{ocpp_port}/ocpp"
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{api_port}/api/v1",
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=30,
        ) as api:

            async def ok(response: httpx.Response) -> Any:
                assert response.status_code in (200, 201), response.text
                answers.append(response.text)
                return response.json()

            await ok(await api.post("/stations", json={"id": "CP1", "password": STATION_PASSWORD}))
            received: list[IncomingCall] = []

            def diagnostics(call: IncomingCall) -> dict:
                received.append(call)
                return {"fileName": "diag.tar"}

            async with ChargePoint(ocpp, "CP1", STATION_PASSWORD) as cp:
                assert (await cp.boot())["status"] == "Accepted"
                cp.answer("ChangeConfiguration", {"status": "Accepted"})
                cp.answer(
                    "GetConfiguration",
                    {
                        "configurationKey": [
                            {"key": "AuthorizationKey", "readonly": False, "value": NEW_KEY},
                            {"key": "HeartbeatInterval", "readonly": False, "value": "60"},
                        ]
                    },
                )
                cp.answer("GetDiagnostics", diagnostics)
                await ok(
                    await api.post(
                        "/stations/CP1/authorization-key", json={"authorizationKey": NEW_KEY}
                    )
                )
                await ok(await api.post("/stations/CP1/configuration/fetch", json={}))
                await ok(
                    await api.post(
                        "/stations/CP1/calls/ChangeConfiguration",
                        json={"key": "authorizationkey", "value": NEW_KEY_LOWER_CASE_ROUTE},
                    )
                )
                external = f"ftp://diag:{EXTERNAL_FTP_PASSWORD}@files.example.com/up/"
                await ok(
                    await api.post("/stations/CP1/diagnostics-request", json={"location": external})
                )
                await ok(
                    await api.post("/stations/CP1/diagnostics-request", json={"protocol": "ftp"})
                )
                assert received[0].payload["location"] == external  # the station got it whole
                built_in = received[1].payload["location"]
                ftp_password = urlsplit(built_in).password
                assert ftp_password
                secrets.append(ftp_password)
                assert (await asyncio.to_thread(ftp_upload, built_in)).startswith("226")
            # The station's password is now the key it accepted last.
            async with ChargePoint(ocpp, "CP1", NEW_KEY_LOWER_CASE_ROUTE) as cp:
                assert (await cp.boot())["status"] == "Accepted"
            for path in (
                "/stations/CP1/configuration",
                "/stations/CP1/diagnostics",
                "/stations/CP1",
            ):
                await ok(await api.get(path))
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
        await log.task
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0
    text = "".join(log.lines)
    # The log is the full debug log: frames both ways, with the secrets' places masked.
    assert "'CP1' -> " in text and "'CP1' <- " in text and '"***"' in text
    assert "ftp://diag:***@files.example.com/up/" in text
    db = Database(database_url)
    try:
        async with db.engine.connect() as connection:
            stored = await connection.execute(sa.text("SELECT password_hash FROM stations"))
            hashes = [h.split("$")[-1] for h in stored.scalars() if h]
    finally:
        await db.close()
    assert hashes
    for secret in [*secrets, hash_api_key(api_key), *hashes]:
        assert secret not in text, f"{secret!r} is in the log"
        for answer in answers:
            assert secret not in answer, f"{secret!r} is in an API answer: {answer}"
