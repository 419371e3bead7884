"""TC_045_1/2: GetDiagnostics, uploads to the CSMS (multipart POST, raw POST, PUT) and the
DiagnosticsStatusNotification sequences."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from csms_core.testing import ChargePoint, IncomingCall

LOG = b"2026-01-01 boot ok\n" * 2000


async def request_diagnostics(
    api: httpx.AsyncClient, station: ChargePoint, file_name: str | None = "diag.zip", **body: Any
) -> str:
    """Have the CSMS send GetDiagnostics; the station answers with ``file_name``."""
    received: list[IncomingCall] = []

    def answer(call: IncomingCall) -> dict:
        received.append(call)
        return {"fileName": file_name} if file_name else {}

    station.answer("GetDiagnostics", answer)
    response = await api.post("/stations/CP1/diagnostics-request", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["request"] == received[0].payload
    return received[0].payload["location"]


async def test_tc_045_1_diagnostics_uploaded(
    csms: Any, api: httpx.AsyncClient, station: ChargePoint
) -> None:
    location = await request_diagnostics(
        api,
        station,
        startTime="2026-01-01T00:00:00Z",
        stopTime="2026-01-02T00:00:00+00:00",
        retries=2,
        retryInterval=30,
    )
    assert location.startswith(f"http://127.0.0.1:{csms.api.port}/files/diagnostics/")

    assert await station.call("DiagnosticsStatusNotification", {"status": "Uploading"}) == {}
    async with httpx.AsyncClient() as http:  # stations have no API key
        upload = await http.post(location, files={"file": ("diag.zip", LOG)})
    assert upload.status_code == 201
    assert upload.json()["sha256"] == hashlib.sha256(LOG).hexdigest()
    assert await station.call("DiagnosticsStatusNotification", {"status": "Uploaded"}) == {}

    state = (await api.get("/stations/CP1/diagnostics")).json()
    assert state["status"] == "Uploaded"
    assert [h["status"] for h in state["history"]] == ["Uploading", "Uploaded"]
    request = state["requests"][0]
    assert request["startTime"] == "2026-01-01T00:00:00Z"
    assert request["stopTime"] == "2026-01-02T00:00:00Z"
    assert request["retries"] == 2 and request["retryInterval"] == 30
    assert request["announcedFileName"] == "diag.zip"
    assert request["file"]["size"] == len(LOG)

    files = (await api.get("/stations/CP1/diagnostics/files")).json()["items"]
    assert [(f["name"], f["size"]) for f in files] == [("diag.zip", len(LOG))]
    download = await api.get("/stations/CP1/diagnostics/files/diag.zip")
    assert download.status_code == 200 and download.content == LOG


async def test_tc_045_2_diagnostics_upload_failed(
    api: httpx.AsyncClient, station: ChargePoint
) -> None:
    await request_diagnostics(api, station)
    for status in ("Uploading", "UploadFailed"):
        assert await station.call("DiagnosticsStatusNotification", {"status": status}) == {}
    state = (await api.get("/stations/CP1/diagnostics")).json()
    assert state["status"] == "UploadFailed"
    assert [h["status"] for h in state["history"]] == ["Uploading", "UploadFailed"]
    assert state["requests"][0]["file"] is None
    assert (await api.get("/stations/CP1/diagnostics/files")).json()["items"] == []


async def test_put_and_raw_post_uploads(api: httpx.AsyncClient, station: ChargePoint) -> None:
    async with httpx.AsyncClient() as http:
        # PUT to the location plus the station's file name.
        location = await request_diagnostics(api, station, "a.tar.gz")
        put = await http.put(location + "a.tar.gz", content=LOG)
        assert put.status_code == 201 and put.json()["fileName"] == "a.tar.gz"
        # PUT to the location itself: named after GetDiagnostics.conf's fileName.
        location = await request_diagnostics(api, station, "b.log")
        assert (await http.put(location, content=b"bbb")).json()["fileName"] == "b.log"
        # A raw POST, and no file name announced at all.
        location = await request_diagnostics(api, station, None)
        raw = await http.post(location.rstrip("/"), content=b"ccc")
        assert raw.status_code == 201 and raw.json()["fileName"].startswith("diagnostics-")
    files = (await api.get("/stations/CP1/diagnostics/files")).json()["items"]
    assert sorted(f["name"] for f in files) == sorted(["a.tar.gz", "b.log", raw.json()["fileName"]])
    # A page like every list: newest upload first.
    page = (await api.get("/stations/CP1/diagnostics/files", params={"limit": 2})).json()
    assert (page["total"], page["offset"], page["limit"]) == (3, 0, 2)
    assert [f["name"] for f in page["items"]] == [f["name"] for f in files[:2]]
    assert files[0]["name"] == raw.json()["fileName"]
    assert (await api.get("/stations/CP1/diagnostics/files/a.tar.gz")).content == LOG
    assert (await api.get("/stations/CP1/diagnostics/files/b.log")).content == b"bbb"


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


async def test_upload_refusals(csms: Any, api: httpx.AsyncClient, station: ChargePoint) -> None:
    location = await request_diagnostics(api, station)
    data_dir = Path(csms.settings.data_dir)
    before = files_in(data_dir.parent)
    async with httpx.AsyncClient() as http:
        evil = await http.post(location, files={"file": ("../../../evil.sh", b"x")})
        assert evil.status_code == 400 and "must not contain a path" in evil.json()["detail"]
        backslash = await http.put(location + "..%5C..%5Cevil.sh", content=b"x")
        assert backslash.status_code == 400
        # An encoded slash becomes a path the route does not match.
        assert (await http.put(location + "..%2F..%2Fevil.sh", content=b"x")).status_code == 404
        unknown = location.replace("/diagnostics/", "/diagnostics/x").rstrip("/") + "/f.zip"
        assert (await http.put(unknown, content=b"x")).status_code == 404
    assert files_in(data_dir.parent) == before  # nothing written anywhere
    assert (await api.get("/stations/CP1/diagnostics/files/..%5Cx")).status_code == 400
    assert (await api.get("/stations/CP1/diagnostics/files/nothing.zip")).status_code == 404
    assert (await api.get("/stations/NOPE/diagnostics/files")).status_code == 404


@pytest.fixture
async def start_csms(
    make_csms: Any,
    plugins_under_test: Any,
    monkeypatch: pytest.MonkeyPatch,
    connect_to: Any,
    api_for: Any,
) -> Any:
    """``start(**settings)``: an app of its own with these firmware settings, through the
    environment as an operator sets them; its API client and its booted station CP1."""

    async def start(**settings: str) -> tuple[httpx.AsyncClient, ChargePoint]:
        for name, value in settings.items():
            monkeypatch.setenv(f"CSMS_PLUGINS__FIRMWARE__{name.upper()}", value)
        app = await make_csms(plugins=plugins_under_test)
        station = await connect_to(app, "CP1")
        await station.boot()
        return api_for(app), station

    return start


async def test_oversized_uploads(start_csms: Any) -> None:
    api, station = await start_csms(max_diagnostics_size="1000")
    async with httpx.AsyncClient() as http:
        location = await request_diagnostics(api, station)
        too_big = await http.put(location + "big.zip", content=b"x" * 1001)
        assert too_big.status_code == 413 and "1000 bytes" in too_big.json()["detail"]
        assert (await http.put(location + "ok.zip", content=b"x" * 1000)).status_code == 201
    items = (await api.get("/stations/CP1/diagnostics/files")).json()["items"]
    assert [f["name"] for f in items] == ["ok.zip"]


async def test_expired_upload_url(start_csms: Any) -> None:
    # The URL lives a microsecond from the request: past it before any upload can arrive
    # (the default day is what test_oversized_uploads and the others upload within).
    api, station = await start_csms(diagnostics_upload_ttl="0.000001")
    location = await request_diagnostics(api, station)
    async with httpx.AsyncClient() as http:
        expired = await http.put(location + "late.zip", content=b"x")
    assert expired.status_code == 410 and "expired" in expired.json()["detail"]
    files = (await api.get("/stations/CP1/diagnostics/files")).json()
    assert files["items"] == [] and files["total"] == 0


async def test_generic_get_diagnostics_with_external_location(
    api: httpx.AsyncClient, station: ChargePoint
) -> None:
    station.answer("GetDiagnostics", {"fileName": "remote.zip"})
    payload = {"location": "ftp://user:pw@files.example.com/diag/"}
    response = await api.post("/stations/CP1/calls/GetDiagnostics", json=payload)
    assert response.status_code == 200 and response.json() == {"fileName": "remote.zip"}
    state = await api.get("/stations/CP1/diagnostics")
    # Stored and returned without the password (the station got it; nobody else needs it).
    requests = state.json()["requests"]
    assert requests[0]["location"] == "ftp://user@files.example.com/diag/"
    assert ":pw@" not in state.text
    assert requests[0]["announcedFileName"] == "remote.zip"
    # The plugin's rule: startTime after stopTime is refused before sending.
    backwards = {**payload, "startTime": "2026-02-01T00:00:00Z", "stopTime": "2026-01-01T00:00:00Z"}
    refused = await api.post("/stations/CP1/calls/GetDiagnostics", json=backwards)
    assert refused.status_code == 422 and "startTime" in refused.json()["detail"]


async def test_failed_request_leaves_no_upload_url(
    api: httpx.AsyncClient, station: ChargePoint
) -> None:
    await api.post("/stations", json={"id": "OFFLINE"})
    response = await api.post("/stations/OFFLINE/diagnostics-request", json={})
    assert response.status_code == 409
    assert (await api.get("/stations/OFFLINE/diagnostics")).json()["requests"] == []
