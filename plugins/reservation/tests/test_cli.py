"""``csms reservations create|list|show|cancel`` against a running server."""

from __future__ import annotations

import asyncio
import json

from click.testing import CliRunner

from csms_core.cli import _add_plugin_commands, cli
from csms_core.testing import TEST_API_KEY, api_url


async def run(csms, *args: str):
    _add_plugin_commands()  # as `csms` does at start: the plugin's group comes from its hook
    env = {"CSMS_API_URL": api_url(csms), "CSMS_API_KEY": TEST_API_KEY}
    # The server shares this event loop: the blocking CLI runs in a thread.
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)


async def test_create_list_show_cancel(csms, api, connect):
    cp = await connect("CP1")
    await cp.boot()
    cp.answer("ReserveNow", {"status": "Accepted"})
    cp.answer("CancelReservation", {"status": "Accepted"})
    assert (await api.post("/id-tags", json={"idTag": "TAG1"})).status_code in (200, 201)

    created = await run(
        csms, "reservations", "create", "CP1", "--connector", "2", "--id-tag", "TAG1", "--json"
    )
    assert created.exit_code == 0, created.output
    reservation = json.loads(created.output)
    assert (reservation["connectorId"], reservation["status"]) == (2, "Accepted")
    rid = str(reservation["reservationId"])

    listed = await run(csms, "reservations", "list", "--station", "CP1", "--status", "Accepted")
    assert listed.exit_code == 0, listed.output
    header, row = listed.output.strip().splitlines()
    assert header.split()[:2] == ["reservationId", "stationId"]
    assert row.split()[:3] == [rid, "CP1", "2"]

    shown = await run(csms, "reservations", "show", rid, "--json")
    assert json.loads(shown.output)["idTag"] == "TAG1"

    cancelled = await run(csms, "reservations", "cancel", rid)
    assert cancelled.exit_code == 0, cancelled.output
    assert "Cancelled" in cancelled.output

    refused = await run(csms, "reservations", "cancel", rid)
    assert refused.exit_code != 0 and "409" in refused.output
