"""``csms id-tags`` and ``csms transactions`` against a running server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


async def test_id_tags_add_list_import(csms: Any, cli: Any, tmp_path: Path) -> None:
    await cli("id-tags", "add", "TAG1", "--expiry", "2099-01-01T00:00:00Z", "--parent", "P")
    await cli("id-tags", "add", "TAG2", "--status", "Blocked")
    listing = (await cli("id-tags", "list")).output
    assert listing.splitlines()[0].split() == [
        "idTag",
        "status",
        "effectiveStatus",
        "expiryDate",
        "parentIdTag",
    ]
    assert listing.splitlines()[2].split()[:3] == ["TAG2", "Blocked", "Blocked"]
    file = tmp_path / "tags.csv"
    file.write_text("idTag,status\nTAG3,Accepted\nTAG2,Accepted\n")
    imported = json.loads((await cli("id-tags", "import", str(file), "--json")).output)
    assert imported == {"created": 1, "updated": 1}
    tags = json.loads((await cli("id-tags", "list", "--json")).output)
    assert {t["idTag"]: t["status"] for t in tags["items"]} == {
        "TAG1": "Accepted",
        "TAG2": "Accepted",
        "TAG3": "Accepted",
    }


async def test_transactions_list_show_export(csms: Any, cli: Any, cp: Any, tmp_path: Path) -> None:
    answer = await cp.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": "TAG1", "meterStart": 10, "timestamp": "2026-01-01T10:00Z"},
    )
    tx_id = answer["transactionId"]
    await cp.call(
        "StopTransaction",
        {"transactionId": tx_id, "meterStop": 60, "timestamp": "2026-01-01T11:00Z"},
    )
    listing = (await cli("transactions", "list", "--station", "CP1", "--state", "closed")).output
    assert listing.splitlines()[1].split()[:4] == [str(tx_id), "CP1", "1", "TAG1"]
    empty = json.loads((await cli("transactions", "list", "--state", "open", "--json")).output)
    assert empty["total"] == 0
    shown = json.loads(
        (await cli("transactions", "show", str(tx_id), "--meter-values", "--json")).output
    )
    assert (shown["energyWh"], shown["meterValues"]) == (50.0, [])
    out = tmp_path / "tx.csv"
    await cli("transactions", "export", "-o", str(out))
    lines = out.read_text().splitlines()
    assert lines[0].startswith("transactionId,stationId")
    assert lines[1].startswith(f"{tx_id},CP1,1,TAG1,10,60,")


async def test_unmatched_stops_listed_and_resolved(csms: Any, cli: Any, cp: Any) -> None:
    start = {"connectorId": 1, "idTag": "TAG1", "meterStart": 10, "timestamp": "2026-01-01T10:00Z"}
    tx_id = (await cp.call("StartTransaction", start))["transactionId"]
    for meter in (500, 600):
        stop = {"transactionId": -1, "meterStop": meter, "timestamp": "2026-01-01T11:00Z"}
        await cp.call("StopTransaction", stop)
    page = json.loads((await cli("transactions", "unmatched", "--open", "--json")).output)
    stops = page["items"]
    assert [s["meterStop"] for s in stops] == [600, 500]  # newest first
    newest, oldest = stops[0]["id"], stops[1]["id"]
    both = ["transactions", "resolve-stop", str(newest), "--apply-to", str(tx_id), "--dismiss"]
    refused = await cli(*both, check=False)
    assert refused.exit_code != 0 and "exactly one" in refused.output
    await cli("transactions", "resolve-stop", str(newest), "--apply-to", str(tx_id))
    await cli("transactions", "resolve-stop", str(oldest), "--dismiss", "--note", "dup")
    still_open = await cli("transactions", "unmatched", "--open", "--json")
    assert json.loads(still_open.output)["items"] == []
    shown = json.loads((await cli("transactions", "show", str(tx_id), "--json")).output)
    assert shown["meterStop"] == 600
