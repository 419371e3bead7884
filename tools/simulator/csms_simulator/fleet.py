"""Many simulated stations in one event loop, an optional transaction rate, a status line."""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import sys
import time
from collections.abc import Callable
from typing import TextIO

from .station import SimOptions, SimStation, Stats


class Fleet:
    def __init__(
        self,
        url: str,
        count: int,
        id_prefix: str = "SIM",
        password: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        options: SimOptions | None = None,
        first: int = 1,
    ) -> None:
        self.stats = Stats(stations=count)
        self.options = options or SimOptions()
        width = max(3, len(str(first + count - 1)))
        self.stations = [
            SimStation(
                url,
                f"{id_prefix}{n:0{width}d}",
                password,
                ssl_context,
                self.options,
                self.stats,
            )
            for n in range(first, first + count)
        ]
        self.stop = asyncio.Event()

    async def run(
        self,
        duration: float | None = None,
        rate: float = 0.0,
        ramp_up: float | None = None,
        progress: Callable[[Stats, float], None] | None = None,
    ) -> Stats:
        """Run until ``duration`` seconds pass (None: until cancelled).

        ``rate``: new transactions per second across the fleet; ``ramp_up``: spread the
        connections over this many seconds (default: 200 stations a second).
        """
        ramp = ramp_up if ramp_up is not None else len(self.stations) / 200
        started = time.monotonic()
        tasks = [
            asyncio.ensure_future(self._start(station, ramp * i / max(len(self.stations), 1)))
            for i, station in enumerate(self.stations)
        ]
        helpers = []
        if rate > 0:
            helpers.append(asyncio.ensure_future(self._generate(rate)))
        if progress is not None:
            helpers.append(asyncio.ensure_future(self._report(progress, started)))
        try:
            if duration is None:
                await self.stop.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), duration)
        finally:
            self.stop.set()
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            # Stations end their transactions and disconnect; do not wait forever for it.
            _done, pending = await asyncio.wait(tasks, timeout=15)
            for task in pending:
                task.cancel()
            if progress is not None:
                progress(self.stats, time.monotonic() - started)
        return self.stats

    async def _start(self, station: SimStation, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        await station.run(self.stop)

    async def _generate(self, rate: float) -> None:
        """Start transactions on random idle booted stations at ``rate`` per second."""
        while True:
            await asyncio.sleep(random.expovariate(rate))
            for station in random.sample(self.stations, min(20, len(self.stations))):
                connector_id = station.idle_connector()
                if station.booted.is_set() and connector_id is not None:
                    # Mark it busy now so the next pick does not choose the same connector.
                    station.connectors[connector_id].status = "Preparing"
                    station.spawn(
                        station.charge_for(
                            connector_id,
                            self.options.tx_duration,
                            random.choice(self.options.id_tags),
                        )
                    )
                    break

    async def _report(self, progress: Callable[[Stats, float], None], started: float) -> None:
        while True:
            await asyncio.sleep(1.0)
            progress(self.stats, time.monotonic() - started)


class StatusLine:
    """A single status line, refreshed in place on a terminal (one line per second otherwise)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out if out is not None else sys.stderr
        self.tty = self.out.isatty()
        self._last_messages = 0
        self._last_time = 0.0

    def __call__(self, stats: Stats, elapsed: float) -> None:
        window = max(elapsed - self._last_time, 1e-6)
        rate = (stats.messages - self._last_messages) / window
        self._last_messages, self._last_time = stats.messages, elapsed
        line = (
            f"[{elapsed:7.1f}s] connected {stats.connected}/{stats.stations}"
            f"  booted {stats.booted}  tx {stats.active_transactions} active"
            f" / {stats.transactions} total  {rate:7.1f} msg/s"
            f"  messages {stats.messages}  refused {stats.refused}  errors {stats.errors}"
        )
        if self.tty:
            self.out.write("\r" + line.ljust(120))
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def finish(self, stats: Stats) -> None:
        if self.tty:
            self.out.write("\n")
        if stats.last_error:
            self.out.write(f"last error: {stats.last_error}\n")
        self.out.flush()
