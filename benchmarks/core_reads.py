"""Core's read paths against a real ``csms serve``: Authorize (every tag swipe) and two GET
routes, with server CPU per request. ``uv run python -m benchmarks.core_reads``.

An A/B script: run it on two commits back to back (same machine, same load) and compare.
Authorize runs twice: alone (from a few stations), and while other stations keep the
group commit busy with MeterValues, where a read that takes SQLite's write lock (``BEGIN
IMMEDIATE``) queues behind the writers. The GETs are ``GET /transactions`` (a page of 100
with its count) and ``GET /stations/{id}`` (the station with its connectors, answered by
core's ``station_connectors`` query).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

import httpx

from csms_core.chargepoint import ChargePoint

from .run import Options, Server, cpu_seconds, free_port, load_average

API_KEY = "benchmark-operator-key"
TAGS = 200
NOW = "2026-01-01T12:00:00Z"


def sample(value: int) -> dict[str, Any]:
    return {
        "timestamp": NOW,
        "sampledValue": [{"value": str(value), "measurand": "Energy.Active.Import.Register"}],
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summary(name: str, latencies: list[float], wall: float, cpu: float) -> dict[str, Any]:
    count = len(latencies)
    return {
        "name": name,
        "requests": count,
        "per_second": round(count / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "server_cpu_us_per_request": round(cpu / count * 1e6, 1),
    }


async def authorize_loop(station: ChargePoint, count: int, latencies: list[float]) -> None:
    for number in range(count):
        started = time.perf_counter()
        answer = await station.call("Authorize", {"idTag": f"TAG{number % TAGS}"})
        latencies.append(time.perf_counter() - started)
        assert answer["idTagInfo"]["status"] in ("Accepted", "ConcurrentTx"), answer


async def meter_loop(station: ChargePoint, tx_id: int, stop: asyncio.Event) -> int:
    sent = 0
    while not stop.is_set():
        payload = {"connectorId": 1, "transactionId": tx_id, "meterValue": [sample(sent)]}
        await station.call("MeterValues", payload)
        sent += 1
    return sent


async def authorize(
    server: Server, stations: list[ChargePoint], writers: list[tuple[ChargePoint, int]], n: int
) -> dict[str, Any]:
    """``n`` Authorize CALLs spread over ``stations`` (each closed-loop), while ``writers``
    send MeterValues back to back."""
    stop = asyncio.Event()
    background = [asyncio.ensure_future(meter_loop(w, tx, stop)) for w, tx in writers]
    latencies: list[float] = []
    cpu0, started = cpu_seconds(server.pid), time.perf_counter()
    await asyncio.gather(*(authorize_loop(s, n // len(stations), latencies) for s in stations))
    wall, cpu = time.perf_counter() - started, cpu_seconds(server.pid) - cpu0
    stop.set()
    meter_values = sum(await asyncio.gather(*background))
    name = f"authorize with {len(writers)} MeterValues writers" if writers else "authorize"
    result = summary(name, latencies, wall, cpu)
    if writers:
        # The server's CPU also served the writers: per Authorize it is not comparable.
        result["meter_values_sent"] = meter_values
        del result["server_cpu_us_per_request"]
    return result


async def get_route(server: Server, api: httpx.AsyncClient, path: str, n: int) -> dict[str, Any]:
    latencies: list[float] = []
    cpu0, started = cpu_seconds(server.pid), time.perf_counter()
    for _ in range(n):
        begun = time.perf_counter()
        response = await api.get(path)
        latencies.append(time.perf_counter() - begun)
        assert response.status_code == 200, response.text
    wall, cpu = time.perf_counter() - started, cpu_seconds(server.pid) - cpu0
    return summary(f"GET {path}", latencies, wall, cpu)


async def prepare(api: httpx.AsyncClient, url: str, count: int) -> list[ChargePoint]:
    """Boot ``count`` stations; each starts a transaction on connector 1 and reports two
    connectors, so the tables the reads touch are not empty."""
    for number in range(TAGS):
        response = await api.post("/id-tags", json={"idTag": f"TAG{number}"})
        assert response.status_code == 201, response.text
    stations = []
    for number in range(count):
        station = await ChargePoint(url, f"BENCH{number}").connect()
        await station.boot()
        for connector in (1, 2):
            status = {"connectorId": connector, "errorCode": "NoError", "status": "Available"}
            await station.call("StatusNotification", status)
        start = {"connectorId": 1, "idTag": f"TAG{number}", "meterStart": 0, "timestamp": NOW}
        station.tx_id = (await station.call("StartTransaction", start))["transactionId"]  # type: ignore[attr-defined]
        stations.append(station)
    return stations


async def main(n: int, gets: int, db: str) -> list[dict[str, Any]]:
    api_port = free_port()
    options = Options(db=db, server_env={"CSMS_API_KEYS": API_KEY, "CSMS_API_PORT": str(api_port)})
    server = Server("csms", options)
    await server.start()
    results: list[dict[str, Any]] = []
    headers = {"Authorization": f"Bearer {API_KEY}"}
    base = f"http://127.0.0.1:{api_port}/api/v1"
    try:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as api:
            stations = await prepare(api, f"ws://127.0.0.1:{server.port}", 6)
            swipers, writers = stations[:4], [(s, s.tx_id) for s in stations[4:]]  # type: ignore[attr-defined]
            load = load_average()
            await authorize(server, swipers, [], n // 10)  # warm-up
            results.append(await authorize(server, swipers, [], n))
            results.append(await authorize(server, swipers, writers, n))
            await get_route(server, api, "/transactions", gets // 10)
            results.append(await get_route(server, api, "/transactions", gets))
            results.append(await get_route(server, api, "/stations/BENCH0", gets))
            for result in results:
                result["load_before"] = load
            for station in stations:
                await station.close()
    finally:
        await server.stop()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=4000, help="Authorize CALLs per run")
    parser.add_argument("--gets", type=int, default=1000, help="requests per GET route")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    arguments = parser.parse_args()
    for line in asyncio.run(main(arguments.n, arguments.gets, arguments.db)):
        print(json.dumps(line))
