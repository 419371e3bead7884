"""The optional built-in FTP receiver: per-request credentials, size limit, off by default."""

from __future__ import annotations

import asyncio
import ftplib
import io
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from csms_core.testing import ChargePoint, eventually


@pytest.fixture
async def ftp_csms(
    make_csms: Any,
    plugins_under_test: Any,
    monkeypatch: pytest.MonkeyPatch,
    connect_to: Any,
    api_for: Any,
) -> tuple[httpx.AsyncClient, ChargePoint]:
    monkeypatch.setenv("CSMS_PLUGINS__FIRMWARE__FTP_ENABLED", "true")
    monkeypatch.setenv("CSMS_PLUGINS__FIRMWARE__FTP_PORT", "0")
    monkeypatch.setenv("CSMS_PLUGINS__FIRMWARE__MAX_DIAGNOSTICS_SIZE", "100000")
    app = await make_csms(plugins=plugins_under_test)
    station = await connect_to(app, "CP1")
    await station.boot()
    station.answer("GetDiagnostics", {"fileName": "diag.tar"})
    return api_for(app), station


def ftp_upload(location: str, name: str, data: bytes, password: str | None = None) -> str:
    """What a station does with an ftp:// location (blocking; run on a thread)."""
    url = urlsplit(location)
    with ftplib.FTP() as ftp:
        ftp.connect(url.hostname, url.port, timeout=10)
        ftp.login(url.username, password or url.password)
        return ftp.storbinary(f"STOR {name}", io.BytesIO(data))


async def test_upload_by_ftp(ftp_csms: tuple[httpx.AsyncClient, ChargePoint]) -> None:
    api, station = ftp_csms
    response = await api.post("/stations/CP1/diagnostics-request", json={"protocol": "ftp"})
    assert response.status_code == 200, response.text
    location = response.json()["request"]["location"]
    assert location.startswith("ftp://diag-")

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
    api, _ = ftp_csms
    location = (
        await api.post("/stations/CP1/diagnostics-request", json={"protocol": "ftp"})
    ).json()["request"]["location"]
    with pytest.raises(ftplib.error_perm, match="530"):
        await asyncio.to_thread(ftp_upload, location, "x.tar", b"x", password="wrong")
    with pytest.raises(ftplib.error_perm, match="552"):
        await asyncio.to_thread(ftp_upload, location, "big.tar", b"x" * 200_000)
    assert (await api.get("/stations/CP1/diagnostics/files")).json()["items"] == []


async def test_ftp_is_off_by_default(api: httpx.AsyncClient, station: ChargePoint) -> None:
    response = await api.post("/stations/CP1/diagnostics-request", json={"protocol": "ftp"})
    assert response.status_code == 422
    assert "ftp_enabled" in response.json()["detail"]
