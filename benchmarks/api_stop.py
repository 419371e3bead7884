"""How long stopping the operator API takes with a client's idle keep-alive connection open,
as at the end of every test: ``uv run python -m benchmarks.api_stop``.

uvicorn's own loop polls for shutdown every 0.1 s and sleeps 0.1 s while shutting down;
the embedded server stops on an event instead (api.stop() 125 ms -> 0.4 ms median here)."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from csms_core.app import Csms
from csms_core.plugins import Plugins
from csms_core.settings import Settings


async def stop_once(folder: Path) -> float:
    settings = Settings(
        host="127.0.0.1",
        ocpp_port=0,
        api_port=0,
        data_dir=folder,
        database_url=f"sqlite+aiosqlite:///{folder}/csms.db",
        api_keys=["benchmark-key"],
    )
    app = Csms(settings, Plugins(extra=[], load_entry_points=False))
    await app.start()
    try:
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{app.api.port}/health")
            assert health.status_code == 200
            started = time.perf_counter()
            await app.api.stop()
            return time.perf_counter() - started
    finally:
        await app.stop()


async def main(runs: int = 10) -> None:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            times.append(await stop_once(Path(folder)))
    median, worst = statistics.median(times) * 1000, max(times) * 1000
    print(f"api.stop() over {runs} runs: median {median:.2f} ms, max {worst:.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
