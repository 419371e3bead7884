"""TC_044_1/2/3: UpdateFirmware and the FirmwareStatusNotification sequences that follow."""

from __future__ import annotations

import asyncio
import hashlib

import httpx
import pytest

from csms_core.testing import ChargePoint, IncomingCall

IMAGE = b"FWIMAGE" * 1000

SEQUENCES = {
    "TC_044_1 installed": ["Downloading", "Downloaded", "Installing", "Installed"],
    "TC_044_2 download failed": ["Downloading", "DownloadFailed"],
    "TC_044_3 installation failed": [
        "Downloading",
        "Downloaded",
        "Installing",
        "InstallationFailed",
    ],
}


async def upload_image(api: httpx.AsyncClient, name: str = "fw-1.2.bin") -> dict:
    response = await api.post("/firmware", files={"file": (name, IMAGE)})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("case", SEQUENCES)
async def test_update_firmware_sequences(
    case: str, api: httpx.AsyncClient, station: ChargePoint
) -> None:
    image = await upload_image(api)
    received: list[IncomingCall] = []

    def accept(call: IncomingCall) -> dict:
        received.append(call)
        return {}

    station.answer("UpdateFirmware", accept)
    response = await api.post(
        "/stations/CP1/firmware-update",
        json={"firmwareId": image["id"], "retries": 3, "retryInterval": 60},
    )
    assert response.status_code == 200, response.text
    assert response.json()["response"] == {}
    sent = received[0].payload
    assert sent["location"] == image["url"]
    assert sent["retries"] == 3 and sent["retryInterval"] == 60
    assert sent["retrieveDate"].endswith("Z")

    for status in SEQUENCES[case]:
        if status == "Downloaded":
            # The station really downloads what the CSMS handed it.
            async with httpx.AsyncClient() as http:
                download = await http.get(sent["location"])
            assert hashlib.sha256(download.content).hexdigest() == image["sha256"]
        assert await station.call("FirmwareStatusNotification", {"status": status}) == {}

    state = (await api.get("/stations/CP1/firmware")).json()
    assert state["status"] == SEQUENCES[case][-1]
    assert [h["status"] for h in state["history"]] == SEQUENCES[case]
    assert all(h["timestamp"] for h in state["history"])
    assert state["updates"][0]["firmwareId"] == image["id"]
    assert state["updates"][0]["location"] == image["url"]


async def test_generic_call_path_records_the_update(
    api: httpx.AsyncClient, station: ChargePoint
) -> None:
    station.answer("UpdateFirmware", {})
    payload = {"location": "ftp://files.example.com/fw.bin", "retrieveDate": "2026-01-01T00:00:00Z"}
    response = await api.post("/stations/CP1/calls/UpdateFirmware", json=payload)
    assert response.status_code == 200 and response.json() == {}
    updates = (await api.get("/stations/CP1/firmware")).json()["updates"]
    assert updates[0]["location"] == payload["location"]
    assert updates[0]["firmwareId"] is None


async def test_update_by_location_and_default_retrieve_date(
    api: httpx.AsyncClient, station: ChargePoint
) -> None:
    station.answer("UpdateFirmware", {})
    response = await api.post(
        "/stations/CP1/firmware-update", json={"location": "https://example.com/fw.bin"}
    )
    assert response.status_code == 200
    sent = response.json()["request"]
    assert sent["location"] == "https://example.com/fw.bin" and "retries" not in sent
    assert sent["retrieveDate"].endswith("Z")


async def test_refusals_share_the_generic_status_codes(
    api: httpx.AsyncClient, station: ChargePoint
) -> None:
    url = "/stations/CP1/firmware-update"
    # Neither or both sources, an unknown image: refused before anything is sent.
    assert (await api.post(url, json={})).status_code == 422
    both = {"firmwareId": 1, "location": "http://x/y"}
    assert (await api.post(url, json=both)).status_code == 422
    assert (await api.post(url, json={"firmwareId": 999})).status_code == 404
    # The plugin's own check, through both paths.
    bad = {"location": "not a url", "retrieveDate": "2026-01-01T00:00:00Z"}
    assert (await api.post("/stations/CP1/calls/UpdateFirmware", json=bad)).status_code == 422
    assert (await api.post(url, json={"location": "not a url"})).status_code == 422
    negative = {
        "location": "http://x/fw.bin",
        "retrieveDate": "2026-01-01T00:00:00Z",
        "retries": -1,
    }
    refused = await api.post("/stations/CP1/calls/UpdateFirmware", json=negative)
    assert refused.status_code == 422 and "retries" in refused.json()["detail"]
    # Unknown station, station offline, station answers CALLERROR: as the generic route.
    location = {"location": "http://example.com/fw.bin"}
    assert (await api.post("/stations/NOPE/firmware-update", json=location)).status_code == 404
    await api.post("/stations", json={"id": "CP2"})
    assert (await api.post("/stations/CP2/firmware-update", json=location)).status_code == 409
    request = asyncio.ensure_future(api.post(url, json=location))
    call = await station.expect("UpdateFirmware")
    await station.reply_error(call, "InternalError", "flash busy")
    response = await request
    assert response.status_code == 502
    assert response.json()["errorCode"] == "InternalError"
    # Nothing of the refused or failed calls was recorded as an update.
    assert (await api.get("/stations/CP1/firmware")).json()["updates"] == []


async def test_unknown_station_has_no_firmware_state(api: httpx.AsyncClient) -> None:
    response = await api.get("/stations/NOPE/firmware")
    assert response.status_code == 404
