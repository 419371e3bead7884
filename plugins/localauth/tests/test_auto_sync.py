"""Automatic sync: silent by default (conformance tools fail unsolicited calls), and when
enabled, a batched differential after tag changes and a check after boot."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from csms_core.testing import eventually

STATION = "LA1"


async def test_quiet_by_default(la: Any, api: Any, station: Any, recorder: Any) -> None:
    await la.add_tags("A")
    await api.patch("/id-tags/A", json={"status": "Blocked"})
    await asyncio.sleep(0.5)
    assert recorder.requests == []
    assert station.received.empty()


@pytest.fixture
def auto_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSMS_PLUGINS__LOCALAUTH__SYNC_ON_CHANGE", "true")
    monkeypatch.setenv("CSMS_PLUGINS__LOCALAUTH__SYNC_ON_BOOT", "true")
    monkeypatch.setenv("CSMS_PLUGINS__LOCALAUTH__SYNC_DELAY", "0.8")


async def test_changes_are_sent_as_one_differential(
    auto_sync: None, la: Any, api: Any, connect: Any, make_recorder: Any
) -> None:
    cp = await connect(STATION)
    other = await connect("LA2")
    for each in (cp, other):
        each.answer("GetLocalListVersion", {"listVersion": 0})
    recorder, other_recorder = make_recorder(cp), make_recorder(other)
    other_recorder.default = "NotSupported"
    await cp.boot()
    await other.boot()
    # After boot: the version is asked, and there is nothing to send yet.
    await eventually(lambda: _reported(la, STATION))
    await eventually(lambda: _reported(la, "LA2"))
    assert recorder.requests == []

    # Two changes in one batch window: one import, so a slow machine cannot split them.
    imported = await api.post(
        "/id-tags/import",
        content="idTag,status\nA,Accepted\nB,Accepted\n",
        headers={"Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    await eventually(lambda: len(recorder.requests) == len(other_recorder.requests) == 1)
    assert recorder.summary() == [("Differential", 1, 2)]
    assert other_recorder.summary() == [("Differential", 1, 2)]  # answered NotSupported

    await api.patch("/id-tags/B", json={"status": "Blocked"})
    await eventually(lambda: len(recorder.requests) == 2)
    assert recorder.requests[-1]["localAuthorizationList"] == [{"idTag": "B"}]
    await asyncio.sleep(1.0)
    assert len(other_recorder.requests) == 1  # a station without a local list is left alone
    assert (await la.show())["listVersion"] == 2


async def test_boot_with_a_stale_list_sends_full(
    auto_sync: None, la: Any, api: Any, connect: Any, make_recorder: Any
) -> None:
    await la.add_tags("A")
    await asyncio.sleep(1.2)  # that change's batch finds no station
    cp = await connect(STATION)
    cp.answer("GetLocalListVersion", {"listVersion": 9})  # not what we sent: mirror is stale
    recorder = make_recorder(cp)
    await cp.boot()
    await eventually(lambda: _synced(la, 10))
    assert recorder.summary() == [("Full", 10, 1)]


async def _reported(la: Any, station_id: str) -> bool:
    return (await la.show(station_id))["reportedVersion"] == 0


async def _synced(la: Any, version: int) -> bool:
    state = await la.show()
    return state["listVersion"] == version and not state["needsFull"]
