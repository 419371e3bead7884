"""`csms serve --workers N`: N nodes on one pair of ports, stopped together by SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal

import httpx
from click.testing import CliRunner

from csms_core.cli import cli
from csms_core.testing import TEST_API_KEY, ChargePoint, eventually

from .conftest import free_port


def test_workers_need_a_cluster_url(tmp_path):
    env = {"CSMS_CLUSTER_URL": ""}
    result = CliRunner().invoke(
        cli, ["serve", "--workers", "2", "--data-dir", str(tmp_path)], env=env
    )
    assert result.exit_code != 0
    assert "--workers > 1 needs --cluster-url" in result.output


async def test_two_workers_share_the_ports_and_stop_on_sigterm(
    tmp_path, database_url, nats_url, cluster_name, serve
):
    ocpp_port, api_port = free_port(), free_port()
    env = {
        **os.environ,
        "CSMS_API_KEYS": TEST_API_KEY,
        "CSMS_HOST": "127.0.0.1",
        "CSMS_CLUSTER_NAME": cluster_name,
        "CSMS_CLUSTER_TTL": "3",
        "CSMS_UNKNOWN_STATIONS": "accept",
    }
    log = tmp_path / "serve.log"
    process = await serve(
        tmp_path,
        *("--workers", "2", "--cluster-url", nats_url, "--database-url", database_url),
        env=env,
        stderr=log.open("w"),
        ocpp_port=ocpp_port,
        api_port=api_port,
    )
    headers = {"Authorization": f"Bearer {TEST_API_KEY}"}
    base = f"http://127.0.0.1:{api_port}"
    stations: list[ChargePoint] = []
    try:
        seen: set[str] = set()

        async def both_workers_answer() -> bool:
            assert process.returncode is None, log.read_text()[-2000:]
            try:
                # A new connection each time: the kernel picks a worker per connection.
                async with httpx.AsyncClient() as client:
                    seen.add((await client.get(base + "/health")).json()["node"])
            except httpx.TransportError:
                return False
            return len(seen) == 2

        await eventually(both_workers_answer, timeout=90)
        # Stations land on either worker; calls through either worker reach them all.
        for i in range(6):
            cp = await ChargePoint(f"ws://127.0.0.1:{ocpp_port}/ocpp", f"CP{i}").connect()
            await cp.boot()
            cp.answer("ClearCache", {"status": "Accepted"})
            stations.append(cp)
        for _ in range(3):
            async with httpx.AsyncClient(base_url=base + "/api/v1", headers=headers) as client:
                for cp in stations:
                    answer = await client.post(
                        f"/stations/{cp.station_id}/calls/ClearCache", json={}
                    )
                    assert answer.status_code == 200, answer.text
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 40)
        assert process.returncode == 0, log.read_text()[-2000:]
        text = log.read_text()
        assert text.count("stopping") == 2
    finally:
        for cp in stations:
            await cp.close()
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_only_nats_is_supported(tmp_path):
    result = CliRunner().invoke(
        cli,
        ["serve", "--cluster-url", "redis://127.0.0.1:6379", "--data-dir", str(tmp_path)],
    )
    assert result.exit_code != 0
    assert "only NATS is supported" in result.output
