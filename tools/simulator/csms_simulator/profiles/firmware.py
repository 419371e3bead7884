"""Firmware Management profile: firmware updates (download, install, reboot) and diagnostics
uploads over HTTP(S)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx

from csms_core.rpc import parse_timestamp

if TYPE_CHECKING:
    from ..station import SimStation

MAX_RETRIEVE_WAIT = 3600.0  # s; a retrieveDate further ahead is treated as in an hour


def update_firmware(station: SimStation, p: dict) -> dict:
    async def update() -> None:
        start = parse_timestamp(p["retrieveDate"])
        wait = (start - datetime.now(UTC)).total_seconds()
        await asyncio.sleep(min(max(wait, 0), MAX_RETRIEVE_WAIT))  # the station's own clock
        await notify(station, "Downloading")
        outcome = station.options.firmware_outcome
        if outcome == "DownloadFailed" or not await download(p["location"]):
            await notify(station, "DownloadFailed")
            return
        await notify(station, "Downloaded")
        await notify(station, "Installing")
        if outcome == "InstallationFailed":
            await notify(station, "InstallationFailed")
            return
        station.firmware_version = f"{station.options.firmware_version}+{int(time.time())}"
        await notify(station, "Installed")
        # A new firmware means a reboot: boot again with the new version.
        await station.stop_all_transactions("Reboot")
        station.reboot()

    station.later(update)
    return {}


async def notify(station: SimStation, status: str) -> None:
    await station.call("FirmwareStatusNotification", {"status": status})


def get_diagnostics(station: SimStation, p: dict) -> dict:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    file_name = f"diagnostics-{station.id}-{stamp}.log"

    async def send_file() -> None:
        await station.call("DiagnosticsStatusNotification", {"status": "Uploading"})
        content = diagnostics_text(station).encode()
        ok = station.options.diagnostics_outcome == "Uploaded" and await upload(
            p["location"], file_name, content
        )
        status = "Uploaded" if ok else "UploadFailed"
        await station.call("DiagnosticsStatusNotification", {"status": status})

    station.later(send_file)
    return {"fileName": file_name}


def diagnostics_text(station: SimStation) -> str:
    lines = [f"station {station.id} firmware {station.firmware_version}"]
    lines += [f"connector {c.id}: {c.status} {c.error_code}" for c in station.connectors.values()]
    lines += [
        f"config {k}={v}" for k, v in sorted(station.config.items()) if k != "AuthorizationKey"
    ]
    return "\n".join(lines) + "\n"


async def download(location: str) -> bool:
    if not location.startswith(("http://", "https://")):
        return False
    try:
        async with httpx.AsyncClient(timeout=30, verify=False) as client:
            response = await client.get(location)
        return response.status_code == 200
    except httpx.HTTPError:
        return False


async def upload(location: str, file_name: str, content: bytes) -> bool:
    """HTTP upload: multipart POST to the location, else PUT to location/fileName."""
    if not location.startswith(("http://", "https://")):
        return False
    try:
        async with httpx.AsyncClient(timeout=30, verify=False) as client:
            response = await client.post(location, files={"file": (file_name, content)})
            if response.status_code in (404, 405):
                response = await client.put(location.rstrip("/") + "/" + file_name, content=content)
        return response.status_code < 300
    except httpx.HTTPError:
        return False


RESPONDERS: dict[str, Callable[[SimStation, dict], dict]] = {
    "GetDiagnostics": get_diagnostics,
    "UpdateFirmware": update_firmware,
}
