"""Operator API: id tags (CRUD, CSV import, events, query hooks) and transactions."""

from __future__ import annotations

import csv
import io
from typing import Any

NOW = "2026-01-01T12:00:00.000Z"


async def test_id_tag_crud_fires_events_and_answers_queries(
    csms: Any, api: Any, recorder: Any
) -> None:
    created = await api.post(
        "/id-tags",
        json={"idTag": "TAG1", "expiryDate": "2099-01-01T00:00:00Z", "parentIdTag": "FLEET"},
    )
    assert created.status_code == 201
    assert created.json()["status"] == "Accepted"
    assert (await api.post("/id-tags", json={"idTag": "TAG1"})).status_code == 409
    assert (await api.post("/id-tags", json={"idTag": "X" * 21})).status_code == 422
    assert (await api.post("/id-tags", json={"idTag": "T", "status": "Nope"})).status_code == 422
    info = await csms.query("id_tag_info", id_tag="TAG1")
    assert info == {
        "status": "Accepted",
        "expiryDate": "2099-01-01T00:00:00.000Z",
        "parentIdTag": "FLEET",
    }
    assert await csms.query("id_tag_info", id_tag="NOBODY") is None

    patched = await api.patch("/id-tags/TAG1", json={"status": "Blocked", "parentIdTag": None})
    assert patched.json()["status"] == "Blocked"
    assert patched.json()["parentIdTag"] is None
    assert patched.json()["expiryDate"].startswith("2099-01-01")
    assert (await api.patch("/id-tags/TAG1", json={"status": None})).status_code == 422
    assert (await api.get("/id-tags/TAG1")).json()["status"] == "Blocked"
    await api.post("/id-tags", json={"idTag": "OLD", "expiryDate": "2020-01-01T00:00:00Z"})
    assert (await api.get("/id-tags/OLD")).json()["effectiveStatus"] == "Expired"
    assert await csms.query("list_id_tags") == [
        {
            "idTag": "OLD",
            "idTagInfo": {"status": "Expired", "expiryDate": "2020-01-01T00:00:00.000Z"},
        },
        {
            "idTag": "TAG1",
            "idTagInfo": {"status": "Blocked", "expiryDate": "2099-01-01T00:00:00.000Z"},
        },
    ]
    listed = (await api.get("/id-tags", params={"status": "Blocked"})).json()
    assert (listed["total"], [t["idTag"] for t in listed["items"]]) == (1, ["TAG1"])

    assert (await api.delete("/id-tags/TAG1")).status_code == 204
    assert (await api.get("/id-tags/TAG1")).status_code == 404
    assert (await api.delete("/id-tags/TAG1")).status_code == 404
    assert [e["id_tags"] for e in recorder.of("id_tags_changed")] == [
        ["TAG1"],
        ["TAG1"],
        ["OLD"],
        ["TAG1"],
    ]


async def test_id_tag_change_applies_to_the_next_authorize(cp: Any, api: Any) -> None:
    await api.post("/id-tags", json={"idTag": "TAG1"})
    assert (await cp.call("Authorize", {"idTag": "TAG1"}))["idTagInfo"]["status"] == "Accepted"
    await api.patch("/id-tags/TAG1", json={"expiryDate": "2000-01-01T00:00:00Z"})
    assert (await cp.call("Authorize", {"idTag": "TAG1"}))["idTagInfo"]["status"] == "Expired"


async def test_id_tags_are_case_insensitive(cp: Any, api: Any) -> None:
    """OCPP idTags are CiString20: a station may send any spelling of a known tag."""
    assert (await api.post("/id-tags", json={"idTag": "AbC123"})).status_code == 201
    assert (await api.post("/id-tags", json={"idTag": "abc123"})).status_code == 409
    assert (await cp.call("Authorize", {"idTag": "ABC123"}))["idTagInfo"]["status"] == "Accepted"
    assert (await api.get("/id-tags/abc123")).json()["idTag"] == "AbC123"
    started = await cp.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": "abc123", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"},
    )
    assert started["idTagInfo"]["status"] == "Accepted"
    other = await cp.call(
        "StartTransaction",
        {"connectorId": 2, "idTag": "ABC123", "meterStart": 0, "timestamp": "2026-01-01T00:01:00Z"},
    )
    assert other["idTagInfo"]["status"] == "ConcurrentTx"


async def test_csv_import_text_and_multipart(api: Any, recorder: Any) -> None:
    text = (
        "idTag,status,expiryDate,parentIdTag\n"
        "A1,Accepted,,\n"
        "A2,Blocked,2030-01-01T00:00:00Z,A1\n"
        "A3\n"
    )
    response = await api.post("/id-tags/import", content=text, headers={"Content-Type": "text/csv"})
    assert response.json() == {"created": 3, "updated": 0}
    a2 = (await api.get("/id-tags/A2")).json()
    assert (a2["status"], a2["parentIdTag"]) == ("Blocked", "A1")
    assert (await api.get("/id-tags/A3")).json()["status"] == "Accepted"
    # No header, multipart, updates an existing tag.
    files = {"file": ("tags.csv", b"A3,Invalid\nA4,Accepted\n", "text/csv")}
    response = await api.post("/id-tags/import", files=files)
    assert response.json() == {"created": 1, "updated": 1}
    assert (await api.get("/id-tags/A3")).json()["status"] == "Invalid"
    assert recorder.of("id_tags_changed")[-1] == {"id_tags": ["A3", "A4"]}


async def test_csv_import_is_all_or_nothing(api: Any) -> None:
    text = "B1,Accepted\nB2,Sideways\nB3,Accepted,not-a-date\n"
    response = await api.post("/id-tags/import", content=text, headers={"Content-Type": "text/csv"})
    assert response.status_code == 422
    errors = response.json()["detail"]["errors"]
    assert [e.split(":")[0] for e in errors] == ["row 2", "row 3"]
    assert (await api.get("/id-tags")).json()["total"] == 0


async def run_transactions(cp: Any, other: Any) -> list[int]:
    ids = []
    for station, tag, connector, when in [
        (cp, "TAG1", 1, "2026-01-01T10:00:00Z"),
        (cp, "TAG2", 2, "2026-01-02T10:00:00Z"),
        (other, "TAG1", 1, "2026-01-03T10:00:00Z"),
    ]:
        answer = await station.call(
            "StartTransaction",
            {"connectorId": connector, "idTag": tag, "meterStart": 100, "timestamp": when},
        )
        ids.append(answer["transactionId"])
    await cp.call(
        "StopTransaction",
        {"transactionId": ids[0], "meterStop": 1100, "timestamp": "2026-01-01T11:00:00Z"},
    )
    return ids


async def test_transaction_listing_filters_paging_and_csv(cp: Any, connect: Any, api: Any) -> None:
    other = await connect("CP2")
    await other.boot()
    first, second, third = await run_transactions(cp, other)

    async def ids(**params: Any) -> list[int]:
        body = (await api.get("/transactions", params=params)).json()
        return [t["transactionId"] for t in body["items"]]

    assert await ids() == [third, second, first]
    assert await ids(stationId="CP1") == [second, first]
    assert await ids(idTag="TAG1") == [third, first]
    assert await ids(open="true") == [third, second]
    assert await ids(open="false") == [first]
    assert await ids(**{"from": "2026-01-02T00:00:00Z"}) == [third, second]
    assert await ids(to="2026-01-02T00:00:00Z") == [first]
    page = (await api.get("/transactions", params={"limit": 1, "offset": 1})).json()
    assert (page["total"], [t["transactionId"] for t in page["items"]]) == (3, [second])

    done = (await api.get(f"/transactions/{first}")).json()
    assert {
        k: done[k]
        for k in (
            "stationId",
            "connectorId",
            "idTag",
            "meterStart",
            "meterStop",
            "stopReason",
            "energyWh",
        )
    } == {
        "stationId": "CP1",
        "connectorId": 1,
        "idTag": "TAG1",
        "meterStart": 100,
        "meterStop": 1100,
        "stopReason": "Local",
        "energyWh": 1000.0,
    }
    assert (await api.get("/transactions/999999")).status_code == 404

    export = await api.get("/transactions/export.csv", params={"stationId": "CP1"})
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [int(r["transactionId"]) for r in rows] == [first, second]
    assert rows[0]["energyWh"] == "1000.0"
    assert rows[1]["stopTimestamp"] == ""
    paged_csv = await api.get("/transactions", params={"format": "csv", "limit": 1})
    assert [int(r["transactionId"]) for r in csv.DictReader(io.StringIO(paged_csv.text))] == [third]


async def test_station_resources_need_a_known_station(api: Any) -> None:
    for path in ("configuration", "status-history", "registration", "meter-values"):
        assert (await api.get(f"/stations/NOPE/{path}")).status_code == 404
    assert (
        await api.put("/stations/NOPE/registration", json={"status": "Accepted"})
    ).status_code == 404


async def test_unknown_station_booted_has_no_connectors(csms: Any, api: Any) -> None:
    await csms.stations.create("CP5")
    assert (await api.get("/stations/CP5")).json()["connectors"] == []
    assert await csms.query("station_connectors", station_id="CP5") == []
    assert (await api.get("/stations/CP5/configuration")).json() == {
        "stationId": "CP5",
        "items": [],
    }


async def test_removing_a_station_forgets_its_state_and_keeps_its_history(
    csms: Any, cp: Any, api: Any
) -> None:
    await cp.call(
        "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging"}
    )
    cp.answer(
        "GetConfiguration",
        {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "60"}]},
    )
    assert (await api.post("/stations/CP1/calls/GetConfiguration", json={})).status_code == 200
    await api.put("/stations/CP1/registration", json={"status": "Rejected"})
    started = await cp.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": "TAG1", "meterStart": 0, "timestamp": "2026-01-01T12:00:00Z"},
    )
    assert (await api.delete("/stations/CP1")).status_code == 204

    # The same id registered again starts from nothing...
    await csms.stations.create("CP1")
    assert (await api.get("/stations/CP1")).json()["connectors"] == []
    assert (await api.get("/stations/CP1/configuration")).json()["items"] == []
    assert (await api.get("/stations/CP1/registration")).json()["override"] is False
    # ...while the transaction stays, closed for an operator to review.
    tx = (await api.get(f"/transactions/{started['transactionId']}")).json()
    assert tx["stopTimestamp"] is not None and "station removed" in tx["reviewNote"]
    assert len((await api.get("/stations/CP1/status-history")).json()["items"]) == 1
