"""Kernel tests run against a small in-test plugin, never the installed profile plugins."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import IO, Any

import pytest

from csms_core import PayloadRejected, hookimpl
from csms_core.testing import ChargePoint, ocpp_url


class KernelTestPlugin:
    """Just enough OCPP for the kernel's tests: boot, heartbeat, a slow and a failing action."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.results: list[tuple[str, dict, dict | None]] = []
        self.boot_status = "Accepted"
        # Authorize of idTag SLOW: started when the handler runs, waits for released.
        self.slow_started = asyncio.Event()
        self.slow_released = asyncio.Event()

    @hookimpl
    def register_handlers(self, register: Any) -> None:
        register("BootNotification", self.boot)
        register("Heartbeat", self.heartbeat)
        register("Authorize", self.authorize)
        register("StatusNotification", self.fail)

    @hookimpl
    def register_actions(self, register: Any) -> None:
        register("Reset", on_result=self.on_reset)
        register("ChangeAvailability", check=self.check_availability)
        register("ClearCache")

    async def boot(self, station: Any, payload: dict) -> dict:
        await station.app.stations.record_boot(station.id, payload, self.boot_status)
        return {
            "status": self.boot_status,
            "currentTime": "2026-01-01T00:00:00.000Z",
            "interval": 300,
        }

    async def heartbeat(self, station: Any, payload: dict) -> dict:
        return {"currentTime": "2026-01-01T00:00:00.000Z"}

    async def authorize(self, station: Any, payload: dict) -> dict:
        if payload["idTag"] == "SLOW":
            self.slow_started.set()
            await self.slow_released.wait()
        return {"idTagInfo": {"status": "Accepted"}}

    async def fail(self, station: Any, payload: dict) -> dict:
        raise RuntimeError("plugin bug")

    def check_availability(self, app: Any, station_id: str, payload: dict) -> None:
        if payload["connectorId"] > 10:
            raise PayloadRejected("connectorId above 10 is not allowed here")

    async def on_reset(self, app: Any, station_id: str, request: dict, response: dict) -> None:
        self.results.append((station_id, request, response))

    @hookimpl
    def station_connected(self, station_id: str) -> None:
        self.events.append(("connected", station_id))

    @hookimpl
    def station_disconnected(self, station_id: str) -> None:
        self.events.append(("disconnected", station_id))

    @hookimpl
    def station_booted(self, station_id: str, status: str) -> None:
        self.events.append(("booted", (station_id, status)))

    @hookimpl
    async def station_removed(self, app: Any, station_id: str) -> None:
        # Recorded with what the database says at that moment: the delete has committed.
        self.events.append(("removed", (station_id, await app.stations.get(station_id))))


class CallGuard:
    """A check_call hook, as another plugin would have: counts the calls it sees and refuses
    a ChangeAvailability to Inoperative."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def check_call(self, station_id: str, action: str, payload: dict) -> None:
        self.seen.append(action)
        if action == "ChangeAvailability" and payload.get("type") == "Inoperative":
            raise PayloadRejected("this site never goes Inoperative")


@pytest.fixture
def call_guard() -> type[CallGuard]:
    """``call_guard()``: a new :class:`CallGuard` plugin."""
    return CallGuard


@pytest.fixture
def test_plugin() -> KernelTestPlugin:
    return KernelTestPlugin()


@pytest.fixture
def csms_options(test_plugin: KernelTestPlugin) -> dict[str, Any]:
    return {"plugins": [("kerneltest", test_plugin)]}


Serve = Callable[..., Awaitable[asyncio.subprocess.Process]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """``await serve(data_dir, *options, env=..., stderr=...)``: ``csms serve`` in a process
    (ports 0, chosen by the server, unless ``ocpp_port``/``api_port`` are given); killed at
    teardown if still running."""
    processes: list[asyncio.subprocess.Process] = []

    async def start(
        data_dir: Path,
        *options: str,
        env: dict[str, str],
        stderr: int | IO[Any] = asyncio.subprocess.PIPE,
        ocpp_port: int = 0,
        api_port: int = 0,
    ) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "csms_core.cli", "serve", "--data-dir", str(data_dir)),
            *("--ocpp-port", str(ocpp_port), "--api-port", str(api_port), *options),
            env=env,
            stderr=stderr,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.fixture
async def booted(csms: Any, connect: Any) -> ChargePoint:
    cp = await connect("CP1")
    assert (await cp.boot())["status"] == "Accepted"
    return cp


__all__ = ["KernelTestPlugin", "ocpp_url"]
