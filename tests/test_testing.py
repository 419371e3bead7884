"""The test helpers themselves: the csms marker, connect_to/api_for/run_cli, settle."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from csms_core import hookimpl
from csms_core.testing import run_cli, settle


class SlowAfterReply:
    """Heartbeats leave work behind: an event observer and after-reply work that takes a while."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.done: list[str] = []

    @hookimpl
    def register_handlers(self, register: Any) -> None:
        register("Heartbeat", self.heartbeat)

    async def heartbeat(self, station: Any, payload: dict) -> dict:
        async def later() -> None:
            await asyncio.sleep(0.5)  # slow work the station's answer does not wait for
            self.done.append(station.id)

        station.after_reply(later)
        return {"currentTime": "2026-01-01T00:00:00Z"}

    @hookimpl
    async def station_message(self, station_id: str, action: str) -> None:
        self.seen.append(action)


SLOW = SlowAfterReply()


@pytest.mark.csms(plugins=[("slow", SLOW)])
async def test_settle_waits_for_after_reply_work_and_events(csms: Any, connect: Any) -> None:
    SLOW.done.clear()
    await csms.stations.create("CP1")
    await csms.stations.update("CP1", registration_status="Accepted")  # no boot handler here
    cp = await connect("CP1")
    await cp.call("Heartbeat")
    await settle(csms)
    assert SLOW.done == ["CP1"]
    assert "Heartbeat" in SLOW.seen


async def test_marker_settings_reach_the_csms_fixture_and_api(
    csms: Any, api: Any, test_plugin: Any
) -> None:
    assert csms.plugins.enabled == ["kerneltest"]  # tests/conftest.py's csms_options
    assert (await api.get("/stations")).status_code == 200


@pytest.mark.csms(call_timeout=1.5)
async def test_marker_updates_the_directory_defaults(csms: Any) -> None:
    assert csms.settings.call_timeout == 1.5
    assert csms.plugins.enabled == ["kerneltest"]


async def test_helpers_for_another_app(
    make_csms: Any, connect_to: Any, api_for: Any, test_plugin: Any
) -> None:
    first = await make_csms(plugins=[("kerneltest", test_plugin)])
    second = await make_csms(plugins=[("kerneltest", test_plugin)])
    cp = await connect_to(second, "CP2")
    assert (await cp.boot())["status"] == "Accepted"
    listed = (await api_for(second).get("/stations")).json()["items"]
    assert [s["id"] for s in listed] == ["CP2"]
    assert await first.stations.get("CP2") is not None  # one database, two servers
    assert [s.id for s in second.router.local_sessions()] == ["CP2"]
    assert first.router.local_sessions() == []
    shown = await run_cli(second, "stations", "list", "--json")
    assert [s["id"] for s in json.loads(shown.output)["items"]] == ["CP2"]
    failed = await run_cli(first, "stations", "remove", "NOPE", check=False)
    assert failed.exit_code != 0 and "404" in failed.output
    with pytest.raises(AssertionError, match="404"):
        await run_cli(first, "stations", "remove", "NOPE")
