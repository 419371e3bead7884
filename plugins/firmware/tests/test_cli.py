"""``csms firmware ...`` and ``csms diagnostics ...`` against a running server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import click
import httpx
from click.testing import CliRunner, Result
from csms_plugin_firmware import plugin

from csms_core.testing import TEST_API_KEY, ChargePoint, IncomingCall, api_url


def make_cli() -> click.Group:
    group = click.Group("csms")
    plugin.register_commands(group)  # the hook the real ``csms`` calls
    return group


async def run(csms: Any, *args: str) -> Result:
    # The CLI is synchronous HTTP; it runs on a thread so the server keeps serving.
    env = {"CSMS_API_URL": api_url(csms), "CSMS_API_KEY": TEST_API_KEY}
    result = await asyncio.to_thread(CliRunner().invoke, make_cli(), list(args), env=env)
    assert result.exit_code == 0, result.output
    return result


async def test_firmware_commands(csms: Any, station: ChargePoint, tmp_path: Path) -> None:
    image = tmp_path / "fw-3.0.bin"
    image.write_bytes(b"new firmware")
    uploaded = json.loads((await run(csms, "firmware", "upload", str(image), "--json")).output)
    assert uploaded["fileName"] == "fw-3.0.bin" and uploaded["size"] == 12
    listing = (await run(csms, "firmware", "list")).output
    assert "fw-3.0.bin" in listing and uploaded["sha256"] in listing

    sent: list[IncomingCall] = []
    station.answer("UpdateFirmware", lambda call: sent.append(call) or {})
    await run(
        csms, "firmware", "update", "CP1", "--firmware-id", str(uploaded["id"]), "--retries", "2"
    )
    assert sent[0].payload["location"] == uploaded["url"] and sent[0].payload["retries"] == 2

    await station.call("FirmwareStatusNotification", {"status": "Downloading"})
    assert "Downloading" in (await run(csms, "firmware", "status", "CP1")).output


async def test_diagnostics_commands(csms: Any, station: ChargePoint, tmp_path: Path) -> None:
    station.answer("GetDiagnostics", {"fileName": "cp1.log"})
    answer = json.loads((await run(csms, "diagnostics", "request", "CP1", "--json")).output)
    assert answer["response"] == {"fileName": "cp1.log"}
    async with httpx.AsyncClient() as http:
        await http.put(answer["request"]["location"] + "cp1.log", content=b"log lines")

    assert "cp1.log" in (await run(csms, "diagnostics", "list", "CP1")).output
    target = tmp_path / "fetched.log"
    await run(csms, "diagnostics", "fetch", "CP1", "cp1.log", "-o", str(target))
    assert target.read_bytes() == b"log lines"
