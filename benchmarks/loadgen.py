"""A lean OCPP 1.6-J load generator: one coroutine per station, pre-encoded frames.

Each station talks to the server over its own ``websockets`` connection. Frames are
encoded once at import; per message only the message id is spliced in, so the client
spends its CPU on the socket, not on JSON.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

SUBPROTOCOL = "ocpp1.6"
TIMESTAMP = "2026-01-01T00:00:00.000Z"

BOOT = {"chargePointVendor": "Bench", "chargePointModel": "LoadGen", "firmwareVersion": "1.0"}
HEARTBEAT: dict[str, Any] = {}
METER_VALUES = {
    "connectorId": 1,
    "meterValue": [
        {
            "timestamp": TIMESTAMP,
            "sampledValue": [
                {"value": "12345.6", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"},
                {"value": "10.4", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
                {"value": "10.5", "measurand": "Current.Import", "phase": "L2", "unit": "A"},
                {"value": "10.3", "measurand": "Current.Import", "phase": "L3", "unit": "A"},
                {"value": "230.1", "measurand": "Voltage", "phase": "L1-N", "unit": "V"},
            ],
        }
    ],
}


def status(connector: int) -> dict:
    return {
        "connectorId": connector,
        "errorCode": "NoError",
        "status": "Available",
        "timestamp": TIMESTAMP,
    }


def _tail(action: str, payload: dict) -> str:
    # Everything after the message id: '","Action",{...}]'
    return '",' + json.dumps(action) + "," + json.dumps(payload, separators=(",", ":")) + "]"


HEAD = '[2,"'
TAILS = {
    "BootNotification": _tail("BootNotification", BOOT),
    "Heartbeat": _tail("Heartbeat", HEARTBEAT),
    "MeterValues": _tail("MeterValues", METER_VALUES),
    "StatusNotification": _tail("StatusNotification", status(1)),
    "StatusNotification2": _tail("StatusNotification", status(2)),
}

# The steady mix: 45% MeterValues, 45% Heartbeat, 10% StatusNotification, in 20 slots.
MIX = ["MeterValues"] * 9 + ["Heartbeat"] * 9 + ["StatusNotification"] * 2
random.Random(16).shuffle(MIX)


@dataclass
class Stats:
    """What all stations of one run observed; latencies in seconds."""

    latencies: list[float] = field(default_factory=list)
    sent: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)  # kind of failure -> count
    connected: int = 0
    booted: int = 0
    done: int = 0  # stations that finished their script (storm)
    finish_times: list[float] = field(default_factory=list)
    schedule_lag: list[float] = field(default_factory=list)  # fixed rate: send vs plan

    def error(self, kind: str) -> None:
        self.errors[kind] += 1


@dataclass
class Target:
    host: str
    port: int
    path: str = "/ocpp/"
    sources: int = 1  # loopback source addresses 127.0.0.1 .. 127.0.0.N

    def url(self, station_id: str) -> str:
        return f"ws://{self.host}:{self.port}{self.path}{station_id}"

    def source(self, index: int) -> tuple[str, int] | None:
        if self.sources <= 1:
            return None
        return (f"127.0.0.{1 + index % self.sources}", 0)


class Station:
    """One simulated charge point: a connection and a message counter."""

    __slots__ = ("id", "index", "next_id", "stats", "ws")

    def __init__(self, index: int, stats: Stats, prefix: str = "BENCH") -> None:
        self.index = index
        self.id = f"{prefix}{index:05d}"
        self.stats = stats
        self.ws: ClientConnection | None = None
        self.next_id = 0

    async def connect(self, target: Target, timeout: float = 60.0) -> bool:
        try:
            self.ws = await connect(
                target.url(self.id),
                subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
                compression=None,
                ping_interval=None,  # the server pings; we only answer
                open_timeout=timeout,
                close_timeout=2,
                max_queue=4,
                local_addr=target.source(self.index),
            )
        except Exception as exc:
            self.stats.error(f"connect: {type(exc).__name__}")
            return False
        self.stats.connected += 1
        return True

    async def call(self, kind: str, record: bool = True) -> bool:
        """Send one pre-encoded CALL and wait for its answer (closed loop)."""
        ws = self.ws
        assert ws is not None
        self.next_id += 1
        message_id = str(self.next_id)
        start = time.perf_counter()
        try:
            await ws.send(HEAD + message_id + TAILS[kind])
            answer = await ws.recv()
        except Exception as exc:
            self.stats.error(f"{kind}: {type(exc).__name__}")
            return False
        elapsed = time.perf_counter() - start
        if not isinstance(answer, str) or not answer.startswith(f'[3,"{message_id}"'):
            self.stats.error(f"{kind}: {str(answer)[:60]}")
            return False
        if record:
            self.stats.latencies.append(elapsed)
            self.stats.sent[kind] += 1
        return True

    async def boot(self) -> bool:
        ok = await self.call("BootNotification", record=False)
        if ok:
            self.stats.booted += 1
        return ok

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await self.ws.close()
            except Exception:
                pass

    # --- scripts ------------------------------------------------------------------

    async def closed_loop(self, deadline: float) -> None:
        """Send the mix back to back until the deadline."""
        mix = MIX
        slot = self.index % len(mix)
        while time.perf_counter() < deadline:
            if not await self.call(mix[slot]):
                return
            slot = (slot + 1) % len(mix)

    async def paced(self, start: float, interval: float, deadline: float) -> None:
        """Send the mix on a fixed schedule (one message per interval)."""
        mix = MIX
        slot = self.index % len(mix)
        # Spread the stations evenly over one interval.
        planned = start + interval * random.random()
        while planned < deadline:
            delay = planned - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                self.stats.schedule_lag.append(-delay)
            if not await self.call(mix[slot]):
                return
            slot = (slot + 1) % len(mix)
            planned += interval

    async def storm(self, target: Target, t0: float) -> None:
        """Connect, boot and report both connectors as fast as possible."""
        if not await self.connect(target):
            return
        if not await self.boot():
            return
        if not await self.call("StatusNotification"):
            return
        if not await self.call("StatusNotification2"):
            return
        self.stats.done += 1
        self.stats.finish_times.append(time.perf_counter() - t0)


async def connect_all(
    stations: list[Station], target: Target, concurrency: int = 500, boot: bool = True
) -> None:
    """Bring stations up with bounded concurrency (set-up, not measured)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(station: Station) -> None:
        async with gate:
            if await station.connect(target) and boot:
                await station.boot()

    await asyncio.gather(*(one(s) for s in stations))


async def close_all(stations: list[Station]) -> None:
    await asyncio.gather(*(s.close() for s in stations), return_exceptions=True)


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, int(fraction * len(sorted_values)))
    return sorted_values[index]


def latency_summary(latencies: list[float]) -> dict[str, float | None]:
    """p50/p90/p99/p999/max in milliseconds."""
    values = sorted(latencies)

    def ms(x: float | None) -> float | None:
        return None if x is None else round(x * 1000, 3)

    return {
        "p50_ms": ms(percentile(values, 0.50)),
        "p90_ms": ms(percentile(values, 0.90)),
        "p99_ms": ms(percentile(values, 0.99)),
        "p999_ms": ms(percentile(values, 0.999)),
        "max_ms": ms(values[-1] if values else None),
    }
