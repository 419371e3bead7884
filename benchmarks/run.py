"""Benchmark runner: starts a real server subprocess per scenario, drives it, writes JSON.

    python -m benchmarks.run                      # every scenario at full size (~3 min)
    python -m benchmarks.run steady reference     # some of them
    python -m benchmarks.run --quick              # small and short: a minute at most
    python -m benchmarks.run steady --db postgres # PostgreSQL (a fresh database) instead

The load generator runs in this process and shares the machine's cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .loadgen import Station, Stats, Target, close_all, connect_all, latency_summary

SCENARIOS = ("reference", "steady", "fixed", "idle", "storm")
RESULTS = Path(__file__).parent / "results"
STALL_RE = re.compile(r"event loop stalled for ([0-9.]+) ms")
MAX_STALL_RE = re.compile(r"event loop: longest stall ([0-9.]+) ms")
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Options:
    stations: int = 2000
    duration: float = 30.0
    warmup: float = 3.0
    fixed_stations: int = 10_000
    fixed_rate: float = 3000.0
    fixed_duration: float = 15.0
    idle_stations: int = 10_000
    idle_hold: float = 3.0
    storm_stations: int = 10_000
    db: str = "sqlite"
    sources: int = 1
    keep: bool = False
    server_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def quick(cls) -> Options:
        return cls(
            stations=200,
            duration=5.0,
            warmup=1.0,
            fixed_stations=1000,
            fixed_rate=500.0,
            fixed_duration=5.0,
            idle_stations=1000,
            idle_hold=1.0,
            storm_stations=1000,
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (``--workers``: the parent only supervises)."""
    pids, index = [pid], 0
    while index < len(pids):
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pids[index]}/task").iterdir():
                pids.extend(int(c) for c in (task / "children").read_text().split())
        index += 1
    return pids


def rss_bytes(pid: int) -> int:
    """Resident memory of the server's processes."""
    total = 0
    for each in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by the server's processes (live ones)."""
    total = 0
    for each in process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Server:
    """``csms serve`` (or the reference server) in a temp dir, on free ports."""

    def __init__(self, kind: str, options: Options) -> None:
        self.kind = kind
        self.options = options
        self.port = free_port()
        self.tmp = Path(tempfile.mkdtemp(prefix=f"csms-bench-{kind}-"))
        self.log_path = self.tmp / "server.log"
        self.process: subprocess.Popen | None = None
        self.pg_database: str | None = None

    async def start(self) -> None:
        env = dict(os.environ)
        if self.kind == "reference":
            command = [
                sys.executable,
                "-m",
                "benchmarks.reference_server",
                "--port",
                str(self.port),
            ]
        else:
            command = [str(Path(sys.executable).parent / "csms"), "serve"]
            env.update(
                CSMS_HOST="127.0.0.1",
                CSMS_OCPP_PORT=str(self.port),
                CSMS_API_PORT=str(free_port()),
                CSMS_DATA_DIR=str(self.tmp / "data"),
                CSMS_UNKNOWN_STATIONS="accept",
                CSMS_STALL_WARNING_MS="25",
            )
            if self.options.db == "postgres":
                self.pg_database = await create_pg_database()
                env["CSMS_DATABASE_URL"] = (
                    f"postgresql+asyncpg://postgres@127.0.0.1:5432/{self.pg_database}"
                )
            env.update(self.options.server_env)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: ASYNC220 - we only poll it
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).parent.parent,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited:\n{self.log_path.read_text()}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                await asyncio.sleep(0.5)  # let start-up settle (migrations, GC)
                return
            except OSError:
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.kind} server did not listen within 60 s")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def target(self) -> Target:
        return Target("127.0.0.1", self.port, sources=self.options.sources)

    async def stop(self) -> dict[str, Any]:
        """Stop it; what its log says about event-loop stalls."""
        assert self.process is not None
        self.process.terminate()
        try:
            await asyncio.to_thread(self.process.wait, 60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        text = self.log_path.read_text(errors="replace")
        stalls = [float(x) for x in STALL_RE.findall(text)]
        longest = MAX_STALL_RE.findall(text)
        errors = [line for line in text.splitlines() if " ERROR " in line or "Traceback" in line]
        if self.pg_database:
            await drop_pg_database(self.pg_database)
        if self.options.keep:
            print(f"kept {self.tmp}", flush=True)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return {
            "stalls_over_25ms": len(stalls),
            "longest_stall_ms": float(longest[-1])
            if longest
            else (max(stalls) if stalls else None),
            "server_log_errors": len(errors),
            "server_log_error_sample": errors[:5],
        }


async def create_pg_database() -> str:
    import asyncpg

    name = f"csms_bench_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return name


async def drop_pg_database(name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


class Window:
    """Wall time and CPU seconds (server and load generator) over a measured stretch."""

    profile_to: Path | None = None  # --profile: py-spy samples the server meanwhile

    def __init__(self, server: Server) -> None:
        self.server = server
        self.log_offset = server.log_path.stat().st_size
        self.spy: subprocess.Popen | None = None
        if Window.profile_to is not None and shutil.which("py-spy"):
            path = Window.profile_to.with_name(f"{Window.profile_to.stem}-{server.kind}.txt")
            self.spy = subprocess.Popen(
                ["py-spy", "record", "--pid", str(server.pid), "--format", "raw", "-o", str(path)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        self.t0 = time.perf_counter()
        self.server_cpu0 = cpu_seconds(server.pid)
        self.client_cpu0 = own_cpu_seconds()

    def close(self) -> dict[str, Any]:
        wall = time.perf_counter() - self.t0
        if self.spy is not None:
            self.spy.send_signal(2)  # py-spy writes its file on SIGINT
            self.spy.wait(30)
        with self.server.log_path.open("rb") as log:
            log.seek(self.log_offset)
            stalls = [float(x) for x in STALL_RE.findall(log.read().decode(errors="replace"))]
        return {
            # Stalls the server logged during the measured window (over 25 ms only).
            "window_stalls_over_25ms": len(stalls),
            "window_longest_stall_ms": max(stalls) if stalls else None,
            "seconds": round(wall, 3),
            "server_cpu_percent": round(
                100 * (cpu_seconds(self.server.pid) - self.server_cpu0) / wall, 1
            ),
            "loadgen_cpu_percent": round(100 * (own_cpu_seconds() - self.client_cpu0) / wall, 1),
        }


def errors_of(stats: Stats) -> dict[str, int]:
    return dict(stats.errors)


@contextlib.contextmanager
def client_gc_paused() -> Iterator[None]:
    """The load generator's own garbage collections (10,000 connections' objects to walk)
    pause its loop for tens of milliseconds, and every answer arriving meanwhile would be
    measured that much late: no collections during a measured window."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


async def steady(server: Server, options: Options) -> dict[str, Any]:
    stats = Stats()
    stations = [Station(i, stats) for i in range(options.stations)]
    await connect_all(stations, server.target())
    rss_connected = rss_bytes(server.pid)
    # Warm-up (not counted): caches, pools and the allocator settle.
    deadline = time.perf_counter() + options.warmup
    await asyncio.gather(*(s.closed_loop(deadline) for s in stations))
    stats.latencies.clear()
    stats.sent.clear()
    with client_gc_paused():
        window = Window(server)
        deadline = time.perf_counter() + options.duration
        await asyncio.gather(*(s.closed_loop(deadline) for s in stations))
        measured = window.close()
    rss_after = rss_bytes(server.pid)
    await close_all(stations)
    total = sum(stats.sent.values())
    return {
        "stations": options.stations,
        "connected": stats.connected,
        "booted": stats.booted,
        "messages": total,
        "by_action": dict(stats.sent),
        "messages_per_second": round(total / measured["seconds"], 1),
        # CPU per message hardly depends on what else the machine runs: compare these.
        "server_cpu_us_per_message": per_message(measured, "server", total),
        "loadgen_cpu_us_per_message": per_message(measured, "loadgen", total),
        "latency": latency_summary(stats.latencies),
        **measured,
        "rss_connected_bytes": rss_connected,
        "rss_after_bytes": rss_after,
        "errors": errors_of(stats),
    }


def per_message(measured: dict[str, Any], who: str, total: int) -> float | None:
    if not total:
        return None
    cpu = measured[f"{who}_cpu_percent"] / 100 * measured["seconds"]
    return round(cpu / total * 1e6, 1)


async def fixed(server: Server, options: Options) -> dict[str, Any]:
    stats = Stats()
    n = options.fixed_stations
    stations = [Station(i, stats) for i in range(n)]
    await connect_all(stations, server.target())
    rss_connected = rss_bytes(server.pid)
    interval = n / options.fixed_rate
    with client_gc_paused():
        window = Window(server)
        start = time.perf_counter()
        deadline = start + options.fixed_duration
        await asyncio.gather(*(s.paced(start, interval, deadline) for s in stations))
        measured = window.close()
    rss_after = rss_bytes(server.pid)
    await close_all(stations)
    total = sum(stats.sent.values())
    lag = sorted(stats.schedule_lag)
    return {
        "stations": n,
        "connected": stats.connected,
        "booted": stats.booted,
        "offered_per_second": options.fixed_rate,
        "messages": total,
        "messages_per_second": round(total / measured["seconds"], 1),
        "server_cpu_us_per_message": per_message(measured, "server", total),
        "latency": latency_summary(stats.latencies),
        # Sends the load generator made late: high values mean the client saturated.
        "late_sends": len(lag),
        "late_send_p99_ms": round(lag[int(0.99 * len(lag))] * 1000, 3) if lag else 0.0,
        **measured,
        "rss_connected_bytes": rss_connected,
        "rss_after_bytes": rss_after,
        "errors": errors_of(stats),
    }


async def idle(server: Server, options: Options) -> dict[str, Any]:
    stats = Stats()
    n = options.idle_stations
    stations = [Station(i, stats) for i in range(n)]
    rss_before = rss_bytes(server.pid)
    window = Window(server)
    await connect_all(stations, server.target())
    await asyncio.sleep(options.idle_hold)
    measured = window.close()
    rss_held = rss_bytes(server.pid)
    held = stats.booted
    await close_all(stations)
    return {
        "stations": n,
        "connected": stats.connected,
        "booted": stats.booted,
        "hold_seconds": options.idle_hold,
        "rss_before_bytes": rss_before,
        "rss_after_bytes": rss_held,
        "rss_per_station_kb": round((rss_held - rss_before) / max(held, 1) / 1024, 2),
        **measured,
        "errors": errors_of(stats),
    }


async def storm(server: Server, options: Options) -> dict[str, Any]:
    stats = Stats()
    n = options.storm_stations
    stations = [Station(i, stats) for i in range(n)]
    rss_before = rss_bytes(server.pid)
    window = Window(server)
    t0 = time.perf_counter()
    await asyncio.gather(*(s.storm(server.target(), t0) for s in stations))
    measured = window.close()
    rss_after = rss_bytes(server.pid)
    await close_all(stations)
    finish = sorted(stats.finish_times)
    refused = sum(v for k, v in stats.errors.items() if k.startswith("connect"))
    return {
        "stations": n,
        "connected": stats.connected,
        "booted": stats.booted,
        "completed": stats.done,
        "refused": refused,
        "lost": n - stats.done - refused,
        "all_booted_seconds": round(finish[-1], 3) if len(finish) == n else None,
        "p50_done_seconds": round(finish[len(finish) // 2], 3) if finish else None,
        "latency": latency_summary(stats.latencies),
        **measured,
        "rss_before_bytes": rss_before,
        "rss_after_bytes": rss_after,
        "errors": errors_of(stats),
    }


RUNNERS = {"reference": steady, "steady": steady, "fixed": fixed, "idle": idle, "storm": storm}


async def run_one(name: str, options: Options) -> dict[str, Any]:
    server = Server("reference" if name == "reference" else "csms", options)
    await server.start()
    rss_started = rss_bytes(server.pid)
    load_before = load_average()
    try:
        result = await RUNNERS[name](server, options)
    finally:
        server_report = await server.stop()
    return {
        "scenario": name,
        "server": server.kind,
        "db": None if name == "reference" else options.db,
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "rss_started_bytes": rss_started,
        **result,
        **server_report,
    }


def summary(result: dict[str, Any]) -> str:
    name = result["scenario"]
    lat = result.get("latency") or {}
    errors = sum(result.get("errors", {}).values())
    mb = 1024 * 1024
    parts = [f"{name:9s}", f"stations {result.get('booted', 0)}/{result['stations']}"]
    if "messages_per_second" in result:
        parts.append(f"{result['messages_per_second']:.0f} msg/s")
        if result.get("server_cpu_us_per_message"):
            parts.append(f"server {result['server_cpu_us_per_message']:.0f} us CPU/msg")
    if "ratio_to_reference" in result:
        parts.append(f"({result['ratio_to_reference']:.2f}x ref)")
    if lat.get("p50_ms") is not None:
        parts.append(
            f"p50/p99/p999 {lat['p50_ms']:.1f}/{lat['p99_ms']:.1f}/{lat['p999_ms']:.1f} ms"
        )
    if "all_booted_seconds" in result:
        parts.append(
            f"all booted in {result['all_booted_seconds']} s, "
            f"refused {result['refused']}, lost {result['lost']}"
        )
    if "rss_per_station_kb" in result:
        parts.append(f"{result['rss_per_station_kb']:.1f} KB/station")
    parts.append(
        f"RSS {result['rss_started_bytes'] / mb:.0f}->{result['rss_after_bytes'] / mb:.0f} MB"
    )
    if result["server"] == "reference":
        pass  # it has no stall monitor
    elif result.get("window_stalls_over_25ms"):
        parts.append(
            f"{result['window_stalls_over_25ms']} stalls >25 ms "
            f"(longest {result['window_longest_stall_ms']:.0f} ms)"
        )
    else:
        parts.append("no stall >25 ms")
    parts.append(f"errors {errors}")
    parts.append(f"load {result['load_average_before'][0]}")
    return ", ".join(parts)


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "commit": commit,
        "note": "load generator and server share the same cores",
    }


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def run(names: list[str], options: Options) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    reference: dict[str, Any] | None = None
    for name in names:
        result = await run_one(name, options)
        if name == "reference":
            reference = result
        elif name == "steady" and reference:
            result["ratio_to_reference"] = round(
                result["messages_per_second"] / reference["messages_per_second"], 2
            )
        results.append(result)
        print(summary(result), flush=True)
    return results


def _has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def parse_args(argv: list[str] | None = None) -> tuple[list[str], Options, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("scenarios", nargs="*", choices=[*SCENARIOS, []], metavar="SCENARIO")
    parser.add_argument("--quick", action="store_true", help="small counts, short durations")
    parser.add_argument("--stations", type=int, help="steady/reference stations")
    parser.add_argument("--duration", type=float, help="steady/reference seconds")
    parser.add_argument("--warmup", type=float)
    parser.add_argument("--fixed-stations", type=int)
    parser.add_argument("--fixed-rate", type=float, help="total msg/s offered")
    parser.add_argument("--fixed-duration", type=float)
    parser.add_argument("--idle-stations", type=int)
    parser.add_argument("--idle-hold", type=float)
    parser.add_argument("--storm-stations", type=int)
    parser.add_argument("--db", choices=["sqlite", "postgres"])
    parser.add_argument("--sources", type=int, help="loopback source addresses 127.0.0.1..N")
    parser.add_argument(
        "--server-env", action="append", default=[], metavar="K=V", help="extra CSMS_* settings"
    )
    parser.add_argument("--keep", action="store_true", help="keep the server's temp dir and log")
    parser.add_argument("--output", type=Path, help="JSON file (default: results/<time>.json)")
    parser.add_argument(
        "--client-loop",
        choices=["asyncio", "uvloop"],
        default="uvloop" if _has_uvloop() else "asyncio",
        help="the load generator's event loop (default uvloop when installed: a cheaper "
        "client leaves more of the shared cores to the server)",
    )
    parser.add_argument("--profile", type=Path, help="py-spy raw profile of the server to this")
    parser.add_argument("--label", default="", help="a word for the file name and the JSON")
    args = parser.parse_args(argv)
    options = Options.quick() if args.quick else Options()
    for key in (
        "stations",
        "duration",
        "warmup",
        "fixed_stations",
        "fixed_rate",
        "fixed_duration",
        "idle_stations",
        "idle_hold",
        "storm_stations",
        "db",
        "sources",
        "keep",
    ):
        value = getattr(args, key)
        if value is not None:
            setattr(options, key, value)
    for pair in args.server_env:
        key, _, value = pair.partition("=")
        options.server_env[key] = value
    names = args.scenarios or list(SCENARIOS)
    if "steady" in names and "reference" in names:  # the reference first: steady is a ratio
        names.remove("reference")
        names.insert(names.index("steady"), "reference")
    return names, options, args


def main(argv: list[str] | None = None) -> Path:
    names, options, args = parse_args(argv)
    raise_file_limit()
    Window.profile_to = args.profile
    started = datetime.now(UTC)
    loop_factory = None
    if args.client_loop == "uvloop":
        import uvloop

        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        results = runner.run(run(names, options))
    stamp = started.strftime("%Y%m%d-%H%M%S")
    label = f"-{args.label}" if args.label else ""
    output = args.output or RESULTS / f"{stamp}{label}-{'-'.join(names)}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "started": started.isoformat(),
        "label": args.label,
        "quick": args.quick,
        "client_loop": args.client_loop,
        "machine": machine(),
        "options": {k: v for k, v in vars(options).items()},
        "results": results,
    }
    output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {output}", flush=True)
    return output


if __name__ == "__main__":
    main()
