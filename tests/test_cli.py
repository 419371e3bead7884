"""The command line against a live server, and `csms serve` as a real process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from typing import Any

import httpx
from click.testing import CliRunner

from csms_core.cli import cli as csms_command_line
from csms_core.client import ApiClient
from csms_core.testing import TEST_API_KEY, TEST_PASSWORD, api_url, eventually


async def test_stations_and_call_commands(csms, booted, cli):
    added = await cli("stations", "add", "CP9", "--password", TEST_PASSWORD)
    assert added.exit_code == 0, added.output
    listed = await cli("stations", "list", "--json")
    assert {s["id"] for s in json.loads(listed.output)["items"]} == {"CP1", "CP9"}
    table = await cli("stations", "list")
    assert table.output.splitlines()[0].split()[:2] == ["id", "connected"]

    booted.answer("Reset", {"status": "Rejected"})
    called = await cli("call", "CP1", "Reset", '{"type": "Hard"}', "--json")
    assert called.exit_code == 0, called.output
    assert json.loads(called.output) == {"status": "Rejected"}

    refused = await cli("call", "CP1", "Reset", '{"type": "Sideways"}', check=False)
    assert refused.exit_code != 0 and "422" in refused.output
    missing = await cli("call", "NOPE", "Reset", '{"type": "Hard"}', check=False)
    assert missing.exit_code != 0 and "404" in missing.output
    bad_key = await cli("stations", "list", env={"CSMS_API_KEY": "wrong"}, check=False)
    assert bad_key.exit_code != 0 and "401" in bad_key.output
    removed = await cli("stations", "remove", "CP9")
    assert removed.exit_code == 0 and await csms.stations.get("CP9") is None


async def test_station_ids_are_quoted_in_api_paths(csms, cli):
    """An id the API accepts but a URL does not carry as it is (``#`` starts a fragment,
    ``?`` a query) reaches its own station."""
    for station_id in ["CP#1", "CP?2", "CP%3"]:
        await cli("stations", "add", station_id)
        shown = await cli("stations", "show", station_id, "--json")
        assert json.loads(shown.output)["id"] == station_id
        called = await cli("call", station_id, "Reset", '{"type": "Hard"}', check=False)
        assert called.exit_code != 0 and "409" in called.output  # registered, not connected
        await cli("stations", "remove", station_id)
        assert await csms.stations.get(station_id) is None


async def test_every_reads_a_list_page_by_page(csms):
    for n in range(5):
        await csms.stations.create(f"CP{n}")
    client = ApiClient(api_url(csms), TEST_API_KEY, as_json=True)
    stations = await asyncio.to_thread(client.every, "/stations", page_size=2)
    assert [s["id"] for s in stations] == [f"CP{n}" for n in range(5)]


async def test_serve_starts_on_sqlite_and_stops_cleanly_on_sigterm(tmp_path, serve):
    env = {**os.environ, "CSMS_API_KEYS": "k1", "CSMS_HOST": "127.0.0.1"}
    env.pop("CSMS_TEST_DATABASE_URL", None)
    created = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "csms_core.cli",
            "api-keys",
            "create",
            "ops",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    stored_key = created.stdout.strip()
    process = await serve(tmp_path, "--log-format", "json", env=env)
    # Ports chosen by the server itself and read from its log: a port picked here and bound
    # later may meanwhile go to another test's server (SO_REUSEPORT would even share it).
    logged: list[bytes] = []
    try:
        api_port = await asyncio.wait_for(_logged_api_port(process, logged), 60)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}") as client:

            async def healthy() -> bool:
                try:
                    return (await client.get("/health")).json()["status"] == "ok"
                except httpx.TransportError:
                    return False

            assert await eventually(healthy, timeout=60)
            headers = {"Authorization": f"Bearer {stored_key}"}
            assert (await client.get("/api/v1/stations", headers=headers)).status_code == 200
        process.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(process.communicate(), 20)
        stderr = b"".join(logged) + rest
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0
    messages = [json.loads(line)["message"] for line in stderr.decode().splitlines() if line]
    assert any("ready" in m for m in messages) and "stopping" in messages
    assert (tmp_path / "csms.db").exists()
    assert stored_key not in stderr.decode()


async def _logged_api_port(process: Any, logged: list[bytes]) -> int:
    assert process.stderr is not None
    while True:
        line = await process.stderr.readline()
        if not line:
            raise AssertionError("csms serve exited before its API listened")
        logged.append(line)
        message = json.loads(line)["message"]
        if message.startswith("operator API listening on "):
            return int(message.rsplit(":", 1)[1])


def test_plugins_list_shows_installed_plugins():
    result = CliRunner().invoke(csms_command_line, ["plugins", "list", "--json"])
    assert result.exit_code == 0, result.output
    from importlib.metadata import entry_points

    names = {row["name"] for row in json.loads(result.output)}
    assert names == {ep.name for ep in entry_points(group="csms.plugins")}


def test_unknown_disabled_plugin_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(
        csms_command_line, ["serve", "--disable-plugin", "nosuch", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert "cannot disable unknown plugin(s) nosuch" in result.output


def test_plugin_commands_follow_disabled_plugins_in_the_config_file(tmp_path):
    """Plugins' commands are added before click parses: the config file is read first."""
    config = tmp_path / "csms.toml"
    config.write_text('disabled_plugins = ["reservation"]\n')

    def commands(*args: str, **env: str) -> str:
        environ = {**os.environ, **env}
        environ.pop("CSMS_DISABLED_PLUGINS", None)
        result = subprocess.run(
            [sys.executable, "-m", "csms_core.cli", *args, "--help"],
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "reservations" in commands()
    assert "reservations" not in commands(CSMS_CONFIG=str(config))
    given = subprocess.run(
        [sys.executable, "-m", "csms_core.cli", "reservations", "--config", str(config)],
        env={k: v for k, v in os.environ.items() if k != "CSMS_DISABLED_PLUGINS"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "No such command 'reservations'" in given.stderr
