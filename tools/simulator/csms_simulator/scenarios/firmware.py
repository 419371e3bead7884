"""OCTT 1.6 Central System test cases: Firmware Management profile."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from csms_core.chargepoint import ChargePoint

from ..profiles.firmware import upload
from . import BOOT, Context, Skip, scenario, status

FIRMWARE_URL = "http://firmware.example.com/sim-2.0.0.bin"


async def _firmware(ctx: Context, statuses: list[str]) -> ChargePoint:
    cp = await ctx.station("CP")
    payload = {"location": FIRMWARE_URL, "retrieveDate": "2026-01-01T00:00:00.000Z", "retries": 1}
    call, response = await ctx.csms_sends(cp, "UpdateFirmware", payload, {})
    assert call.payload["location"] == FIRMWARE_URL
    datetime.fromisoformat(call.payload["retrieveDate"].replace("Z", "+00:00"))
    assert response.status_code == 200 and response.json() == {}
    for state in statuses:
        answer = await ctx.call(cp, "FirmwareStatusNotification", {"status": state})
        assert answer == {}
    return cp


@scenario(
    "TC_044_1",
    "Firmware update, download and install",
    "FirmwareManagement",
    requires="UpdateFirmware FirmwareStatusNotification",
)
async def tc_044_1_firmware_installed(ctx: Context) -> None:
    # The CSMS hosts the image and sends its URL (firmware plugin routes); the station
    # really downloads it.
    image = b"SIMFW" * 1000
    uploaded = await ctx.api.post("/firmware", files={"file": ("sim-2.0.0.bin", image)})
    if uploaded.status_code == 404:
        raise Skip("the CSMS does not host firmware images (POST /firmware)")
    assert uploaded.status_code == 201, uploaded.text
    cp = await ctx.station("CP")
    body = {"firmwareId": uploaded.json()["id"]}
    call, response = await ctx.csms_sends(
        cp,
        "UpdateFirmware",
        {},
        {},
        send=lambda: ctx.api.post(f"/stations/{cp.station_id}/firmware-update", json=body),
    )
    assert response.status_code == 200, response.text
    async with httpx.AsyncClient(verify=False, timeout=ctx.timeout) as files:
        download = await files.get(call.payload["location"])
    assert download.status_code == 200 and download.content == image
    for state in ("Downloading", "Downloaded", "Installing", "Installed"):
        assert await ctx.call(cp, "FirmwareStatusNotification", {"status": state}) == {}
    recorded = (await ctx.api.get(f"/stations/{cp.station_id}/firmware")).json()
    assert recorded["status"] == "Installed", recorded
    cp = await ctx.reconnect(cp)  # the station reboots into the new firmware
    booted = await ctx.call(cp, "BootNotification", {**BOOT, "firmwareVersion": "2.0.0"})
    assert booted["status"] == "Accepted"
    await status(cp, 0, "Available")
    station = (await ctx.api.get(f"/stations/{cp.station_id}")).json()
    assert station["firmwareVersion"] == "2.0.0"


@scenario(
    "TC_044_2",
    "Firmware update, download failed",
    "FirmwareManagement",
    requires="UpdateFirmware FirmwareStatusNotification",
)
async def tc_044_2_download_failed(ctx: Context) -> None:
    await _firmware(ctx, ["Downloading", "DownloadFailed", "Idle"])


@scenario(
    "TC_044_3",
    "Firmware update, installation failed",
    "FirmwareManagement",
    requires="UpdateFirmware FirmwareStatusNotification",
)
async def tc_044_3_installation_failed(ctx: Context) -> None:
    await _firmware(ctx, ["Downloading", "Downloaded", "Installing", "InstallationFailed"])


async def _diagnostics(ctx: Context, statuses: list[str]) -> None:
    cp = await ctx.station("CP")
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    payload = {"location": "http://diagnostics.example.com/upload/", "stopTime": now}
    file_name = f"diag-{cp.station_id}.log"
    call, response = await ctx.csms_sends(cp, "GetDiagnostics", payload, {"fileName": file_name})
    assert call.payload["location"].startswith(("http://", "https://", "ftp://"))
    assert response.status_code == 200 and response.json() == {"fileName": file_name}
    for state in statuses:
        assert await ctx.call(cp, "DiagnosticsStatusNotification", {"status": state}) == {}


@scenario(
    "TC_045_1",
    "Get diagnostics, uploaded",
    "FirmwareManagement",
    requires="GetDiagnostics DiagnosticsStatusNotification",
)
async def tc_045_1_diagnostics_uploaded(ctx: Context) -> None:
    # The CSMS hands out an upload URL of its own; the station really uploads there.
    cp = await ctx.station("CP")
    file_name = f"diag-{cp.station_id}.log"
    call, response = await ctx.csms_sends(
        cp,
        "GetDiagnostics",
        {},
        {"fileName": file_name},
        send=lambda: ctx.api.post(f"/stations/{cp.station_id}/diagnostics-request", json={}),
    )
    if response.status_code == 404:
        raise Skip("the CSMS has no diagnostics-request route")
    assert response.status_code == 200, response.text
    assert await ctx.call(cp, "DiagnosticsStatusNotification", {"status": "Uploading"}) == {}
    assert await upload(call.payload["location"], file_name, b"diagnostics\n" * 100)
    assert await ctx.call(cp, "DiagnosticsStatusNotification", {"status": "Uploaded"}) == {}
    listed = (await ctx.api.get(f"/stations/{cp.station_id}/diagnostics/files")).json()
    names = [f["name"] for f in listed.get("items", listed)]
    assert file_name in names, listed


@scenario(
    "TC_045_2",
    "Get diagnostics, upload failed",
    "FirmwareManagement",
    requires="GetDiagnostics DiagnosticsStatusNotification",
)
async def tc_045_2_diagnostics_upload_failed(ctx: Context) -> None:
    await _diagnostics(ctx, ["Uploading", "UploadFailed", "Idle"])
