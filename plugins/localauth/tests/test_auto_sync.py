"""Automatic sync: silent by default (conformance tools fail unsolicited calls), and when
enabled, a batched differential after tag changes and a check after boot.

The batch window (``sync_delay``) is 0 here: each test waits for the sync the CSMS performs
(``sync.idle``: every automatic sync started so far has finished), then checks what the
stations received."""

from __future__ import annotations

from typing import Any

import pytest
from csms_plugin_localauth.sync import idle

from csms_core.testing import settle

STATION = "LA1"
AUTO_SYNC = {"sync_on_change": True, "sync_on_boot": True, "sync_delay": 0}


async def test_quiet_by_default(csms: Any, la: Any, api: Any, station: Any, recorder: Any) -> None:
    await la.add_tags("A", "B")  # B would be sent by an automatic sync
    await api.patch("/id-tags/A", json={"status": "Blocked"})
    await idle(csms)  # an automatic sync, had one started, would be over by now
    assert recorder.requests == []
    assert station.received.empty()


@pytest.mark.csms(plugin_settings={"localauth": AUTO_SYNC})
async def test_changes_are_sent_as_one_differential(
    csms: Any, la: Any, api: Any, connect: Any, make_recorder: Any
) -> None:
    cp = await connect(STATION)
    other = await connect("LA2")
    for each in (cp, other):
        each.answer("GetLocalListVersion", {"listVersion": 0})
    recorder, other_recorder = make_recorder(cp), make_recorder(other)
    other_recorder.default = "NotSupported"
    await cp.boot()
    await other.boot()
    await settle(csms)
    await idle(csms)
    # After boot: the version is asked, and there is nothing to send yet.
    assert (await la.show(STATION))["reportedVersion"] == 0
    assert (await la.show("LA2"))["reportedVersion"] == 0
    assert recorder.requests == []

    # Two changes in one event (one import): one differential per station.
    imported = await api.post(
        "/id-tags/import",
        content="idTag,status\nA,Accepted\nB,Accepted\n",
        headers={"Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    await idle(csms)
    assert recorder.summary() == [("Differential", 1, 2)]
    assert other_recorder.summary() == [("Differential", 1, 2)]  # answered NotSupported

    await api.patch("/id-tags/B", json={"status": "Blocked"})
    await idle(csms)
    assert len(recorder.requests) == 2
    assert recorder.requests[-1]["localAuthorizationList"] == [{"idTag": "B"}]
    assert len(other_recorder.requests) == 1  # a station without a local list is left alone
    assert (await la.show())["listVersion"] == 2


@pytest.mark.csms(plugin_settings={"localauth": AUTO_SYNC})
async def test_boot_with_a_stale_list_sends_full(
    csms: Any, la: Any, connect: Any, make_recorder: Any
) -> None:
    await la.add_tags("A")
    await idle(csms)  # that change's sync finds no station
    cp = await connect(STATION)
    cp.answer("GetLocalListVersion", {"listVersion": 9})  # not what we sent: mirror is stale
    recorder = make_recorder(cp)
    await cp.boot()
    await settle(csms)  # the boot's event has started the sync
    await idle(csms)
    assert recorder.summary() == [("Full", 10, 1)]
    state = await la.show()
    assert (state["listVersion"], state["needsFull"]) == (10, False)
