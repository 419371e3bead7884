"""``csms reservations create|list|show|cancel`` against a running server."""

from __future__ import annotations

import json


async def test_create_list_show_cancel(cli, api, connect):
    cp = await connect("CP1")
    await cp.boot()
    cp.answer("ReserveNow", {"status": "Accepted"})
    cp.answer("CancelReservation", {"status": "Accepted"})
    assert (await api.post("/id-tags", json={"idTag": "TAG1"})).status_code in (200, 201)

    created = await cli(
        "reservations", "create", "CP1", "--connector", "2", "--id-tag", "TAG1", "--json"
    )
    assert created.exit_code == 0, created.output
    reservation = json.loads(created.output)
    assert (reservation["connectorId"], reservation["status"]) == (2, "Accepted")
    rid = str(reservation["reservationId"])

    listed = await cli("reservations", "list", "--station", "CP1", "--status", "Accepted")
    assert listed.exit_code == 0, listed.output
    header, row = listed.output.strip().splitlines()
    assert header.split()[:2] == ["reservationId", "stationId"]
    assert row.split()[:3] == [rid, "CP1", "2"]

    shown = await cli("reservations", "show", rid, "--json")
    assert json.loads(shown.output)["idTag"] == "TAG1"

    cancelled = await cli("reservations", "cancel", rid)
    assert cancelled.exit_code == 0, cancelled.output
    assert "Cancelled" in cancelled.output

    refused = await cli("reservations", "cancel", rid, check=False)
    assert refused.exit_code != 0 and "409" in refused.output
