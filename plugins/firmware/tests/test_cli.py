"""``csms firmware ...`` and ``csms diagnostics ...`` against a running server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from csms_core.testing import ChargePoint, IncomingCall


async def test_firmware_commands(cli: Any, station: ChargePoint, tmp_path: Path) -> None:
    image = tmp_path / "fw-3.0.bin"
    image.write_bytes(b"new firmware")
    uploaded = json.loads((await cli("firmware", "upload", str(image), "--json")).output)
    assert uploaded["fileName"] == "fw-3.0.bin" and uploaded["size"] == 12
    listing = (await cli("firmware", "list")).output
    assert "fw-3.0.bin" in listing and uploaded["sha256"] in listing

    sent: list[IncomingCall] = []
    station.answer("UpdateFirmware", lambda call: sent.append(call) or {})
    await cli("firmware", "update", "CP1", "--firmware-id", str(uploaded["id"]), "--retries", "2")
    assert sent[0].payload["location"] == uploaded["url"] and sent[0].payload["retries"] == 2

    await station.call("FirmwareStatusNotification", {"status": "Downloading"})
    assert "Downloading" in (await cli("firmware", "status", "CP1")).output


async def test_diagnostics_commands(cli: Any, station: ChargePoint, tmp_path: Path) -> None:
    station.answer("GetDiagnostics", {"fileName": "cp1.log"})
    answer = json.loads((await cli("diagnostics", "request", "CP1", "--json")).output)
    assert answer["response"] == {"fileName": "cp1.log"}
    async with httpx.AsyncClient() as http:
        await http.put(answer["request"]["location"] + "cp1.log", content=b"log lines")

    assert "cp1.log" in (await cli("diagnostics", "list", "CP1")).output
    target = tmp_path / "fetched.log"
    await cli("diagnostics", "fetch", "CP1", "cp1.log", "-o", str(target))
    assert target.read_bytes() == b"log lines"


async def test_station_ids_are_quoted(cli: Any, csms: Any) -> None:
    # Unquoted, "CP#1" would name station "CP" (the rest a URL fragment): 404.
    await csms.stations.create("CP#1")
    assert "status: -" in (await cli("firmware", "status", "CP#1")).output
    assert "status: -" in (await cli("diagnostics", "status", "CP#1")).output
    request = await cli("diagnostics", "request", "CP#1", check=False)
    assert request.exit_code != 0 and "409" in request.output  # registered, not connected
