"""The optional built-in FTP receiver: per-request credentials, size limit, off by default."""

from __future__ import annotations

import asyncio
import ftplib
import io
import logging
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from csms_core.testing import ChargePoint, eventually


@pytest.fixture
def upload_ttl() -> str:
    """diagnostics_upload_ttl of ``ftp_csms`` (a test may parametrize it)."""
    return "86400"


@pytest.fixture
async def ftp_csms(
    make_csms: Any,
    plugins_under_test: Any,
    monkeypatch: pytest.MonkeyPatch,
    connect_to: Any,
    api_for: Any,
    upload_ttl: str,
) -> tuple[httpx.AsyncClient, ChargePoint]:
    monkeypatch.setenv("CSMS_PLUGINS__FIRMWARE__FTP_ENABLED", "true")
    monkeypatch.setenv("CSMS_PLUGINS__FIRMWARE__FTP_PORT", "0")
    monkeypatch.setenv("CSMS_PLUGINS__FIRMWARE__MAX_DIAGNOSTICS_SIZE", "100000")
    monkeypatch.setenv("CSMS_PLUGINS__FIRMWARE__DIAGNOSTICS_UPLOAD_TTL", upload_ttl)
    app = await make_csms(plugins=plugins_under_test)
    station = await connect_to(app, "CP1")
    await station.boot()
    return api_for(app), station


async def request_ftp_upload(api: httpx.AsyncClient, station: ChargePoint) -> str:
    """GetDiagnostics to the built-in receiver; the location the station got (only the
    station learns the upload account's password: the API's answer leaves it out)."""
    received: list[dict] = []

    def answer(call: Any) -> dict:
        received.append(call.payload)
        return {"fileName": "diag.tar"}

    station.answer("GetDiagnostics", answer)
    response = await api.post("/stations/CP1/diagnostics-request", json={"protocol": "ftp"})
    assert response.status_code == 200, response.text
    location = received[0]["location"]
    password = urlsplit(location).password
    assert location.startswith("ftp://diag-") and password
    assert password not in response.text
    state = await api.get("/stations/CP1/diagnostics")
    assert password not in state.text
    # Stored without the password, and the station's answer found its row all the same.
    [stored] = state.json()["requests"]
    assert stored["location"] == location.replace(f":{password}@", "@")
    assert stored["announcedFileName"] == "diag.tar"
    return location


def ftp_upload(location: str, name: str, data: bytes, password: str | None = None) -> str:
    """What a station does with an ftp:// location (blocking; run on a thread)."""
    url = urlsplit(location)
    with ftplib.FTP() as ftp:
        ftp.connect(url.hostname, url.port, timeout=10)
        ftp.login(url.username, password or url.password)
        return ftp.storbinary(f"STOR {name}", io.BytesIO(data))


async def test_upload_by_ftp(ftp_csms: tuple[httpx.AsyncClient, ChargePoint]) -> None:
    api, station = ftp_csms
    location = await request_ftp_upload(api, station)

    await station.call("DiagnosticsStatusNotification", {"status": "Uploading"})
    reply = await asyncio.to_thread(ftp_upload, location, "diag.tar", b"logs" * 1000)
    assert reply.startswith("226")
    await station.call("DiagnosticsStatusNotification", {"status": "Uploaded"})

    # Recorded just after the 226 reply (pyftpdlib sends it before on_file_received).
    async def listed() -> list:
        return (await api.get("/stations/CP1/diagnostics/files")).json()["items"]

    files = await eventually(listed)
    assert [(f["name"], f["size"]) for f in files] == [("diag.tar", 4000)]
    assert (await api.get("/stations/CP1/diagnostics/files/diag.tar")).content == b"logs" * 1000
    assert (await api.get("/stations/CP1/diagnostics")).json()["status"] == "Uploaded"


async def test_ftp_refusals(ftp_csms: tuple[httpx.AsyncClient, ChargePoint]) -> None:
    api, station = ftp_csms
    location = await request_ftp_upload(api, station)
    with pytest.raises(ftplib.error_perm, match="530"):
        await asyncio.to_thread(ftp_upload, location, "x.tar", b"x", password="wrong")
    with pytest.raises(ftplib.error_perm, match="552"):
        await asyncio.to_thread(ftp_upload, location, "big.tar", b"x" * 200_000)
    assert (await api.get("/stations/CP1/diagnostics/files")).json()["items"] == []


# The account lives a microsecond from the request: expired before the station logs in.
@pytest.mark.parametrize("upload_ttl", ["0.000001"])
async def test_expired_ftp_account(ftp_csms: tuple[httpx.AsyncClient, ChargePoint]) -> None:
    api, station = ftp_csms
    location = await request_ftp_upload(api, station)
    with pytest.raises(ftplib.error_perm, match="530 This upload account has expired"):
        await asyncio.to_thread(ftp_upload, location, "late.tar", b"x")
    assert (await api.get("/stations/CP1/diagnostics/files")).json()["items"] == []


async def test_ftp_is_off_by_default(api: httpx.AsyncClient, station: ChargePoint) -> None:
    response = await api.post("/stations/CP1/diagnostics-request", json={"protocol": "ftp"})
    assert response.status_code == 422
    assert "ftp_enabled" in response.json()["detail"]


@pytest.fixture
def info_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


async def test_the_receiver_announces_itself_once(
    info_logs: pytest.LogCaptureFixture, ftp_csms: tuple[httpx.AsyncClient, ChargePoint]
) -> None:
    """Its I/O loop is polled in slices, not restarted: pyftpdlib's serve_forever() logged
    ">>> starting FTP server" for every slice and every FTP command, five times a second."""
    api, station = ftp_csms
    location = await request_ftp_upload(api, station)
    # A session of several commands: each was one more start-up line before.
    reply = await asyncio.to_thread(ftp_upload, location, "diag.tar", b"logs")
    assert reply.startswith("226")
    logged = [
        record.getMessage() for when in ("setup", "call") for record in info_logs.get_records(when)
    ]
    assert sum("FTP receiver for diagnostics listening on" in m for m in logged) == 1
    assert not [m for m in logged if ">>> starting" in m]
