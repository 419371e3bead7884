"""Transactions and meter values: offline and retransmitted messages, unknown ids, and
all-or-nothing storage."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from csms_plugin_core.models import Transaction
from csms_plugin_core.testing import NOW, start, stop
from sqlalchemy import insert, text

from csms_core.errors import CallErrorReceived
from csms_core.rpc import parse_timestamp
from csms_core.testing import eventually, settle


def sample(value: str, **attrs: Any) -> dict:
    return {"value": value, **attrs}


async def test_invalid_tag_still_gets_a_transaction_id(cp: Any, api: Any, add_tag: Any) -> None:
    """TC_037_3: an offline start with an unknown or blocked tag is recorded, status returned."""
    await add_tag("STOLEN", status="Blocked")
    unknown = await cp.call("StartTransaction", start("NOBODY"))
    assert unknown["transactionId"] > 0
    assert unknown["idTagInfo"] == {"status": "Invalid"}
    blocked = await cp.call("StartTransaction", start("STOLEN", connector=2))
    assert blocked["idTagInfo"]["status"] == "Blocked"
    assert blocked["transactionId"] != unknown["transactionId"]
    tx = (await api.get(f"/transactions/{unknown['transactionId']}")).json()
    assert (tx["idTag"], tx["idTagStatus"]) == ("NOBODY", "Invalid")


async def test_offline_transaction_with_past_timestamps(cp: Any, api: Any, add_tag: Any) -> None:
    """TC_037_1 / TC_039 / TC_007: started and stopped while offline, sent later."""
    await add_tag("TAG1")
    answer = await cp.call("StartTransaction", start("TAG1", timestamp="2020-03-01T08:00:00+02:00"))
    assert answer["idTagInfo"]["status"] == "Accepted"
    await cp.call(
        "StopTransaction",
        stop(answer["transactionId"], meter=2000, timestamp="2020-03-01T09:00:00Z", reason="Local"),
    )
    tx = (await api.get(f"/transactions/{answer['transactionId']}")).json()
    assert tx["startTimestamp"].startswith("2020-03-01T06:00:00")
    assert tx["stopTimestamp"].startswith("2020-03-01T09:00:00")
    assert tx["energyWh"] == 1000


async def test_transaction_ids_are_unique_across_stations(
    cp: Any, connect: Any, add_tag: Any
) -> None:
    other = await connect("CP2")
    await other.boot()
    ids = set()
    for connector in (1, 2, 3):
        ids.add(
            (await cp.call("StartTransaction", start(f"A{connector}", connector)))["transactionId"]
        )
        ids.add(
            (await other.call("StartTransaction", start(f"B{connector}", connector)))[
                "transactionId"
            ]
        )
    assert len(ids) == 6
    assert all(i > 0 for i in ids)


async def test_retransmitted_start_returns_the_same_id(
    cp: Any, api: Any, add_tag: Any, recorder: Any
) -> None:
    await add_tag("TAG1")
    first = await cp.call("StartTransaction", start("TAG1"))
    again = await cp.call("StartTransaction", start("TAG1"))
    assert again == first  # not ConcurrentTx with itself either
    assert (await api.get("/transactions")).json()["total"] == 1
    # Another meterStart is another transaction.
    other = await cp.call("StartTransaction", start("TAG2", connector=2, meter=7))
    assert other["transactionId"] != first["transactionId"]


async def test_concurrent_duplicate_starts_make_one_transaction(
    csms: Any, cp: Any, api: Any, add_tag: Any, recorder: Any
) -> None:
    """The station sends the same StartTransaction several times before any answer (a
    retransmission racing the original): the handlers run at once, one transaction results."""
    await add_tag("TAG1")
    for minute in range(5):
        payload = start("TAG1", timestamp=f"2026-01-01T12:0{minute}:00Z", meter=minute)
        answers = await asyncio.gather(*(cp.call("StartTransaction", payload) for _ in range(4)))
        assert len({a["transactionId"] for a in answers}) == 1, answers
        assert {a["idTagInfo"]["status"] for a in answers} == {"Accepted"}
    assert (await api.get("/transactions")).json()["total"] == 5
    await settle(csms)  # every answer's events have fired
    assert len(recorder.of("transaction_started")) == 5  # one event per transaction


async def waiting_for_our_insert(app: Any) -> bool:
    """Has the StartTransaction handler reached our uncommitted row? On PostgreSQL its
    insert waits on the row's lock; on SQLite its transaction began (BEGIN IMMEDIATE, which
    waits for our write lock before the handler reads anything)."""
    if app.db.is_sqlite:
        return app.db.engine.pool.checkedout() > 1  # ours and the handler's
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with app.db.read() as session:
        return bool(await session.scalar(waiting))


async def test_start_stored_meanwhile_by_another_node_is_answered(
    csms: Any, cp: Any, api: Any, recorder: Any
) -> None:
    """Forces the race: another writer (as another node would) stores the same start, still
    uncommitted, while the handler runs; the handler answers with that transaction's id."""
    moment = parse_timestamp(NOW)
    async with csms.db.engine.connect() as other:
        await other.begin()
        stored = await other.execute(
            insert(Transaction).values(
                station_id="CP1",
                connector_id=1,
                id_tag="tag1",  # idTags compare case-insensitively
                id_tag_status="Invalid",
                meter_start=1000,
                start_timestamp=moment,
                created_at=moment,
            )
        )
        (other_id,) = stored.inserted_primary_key
        answer = asyncio.ensure_future(cp.call("StartTransaction", start("TAG1")))
        await eventually(lambda: waiting_for_our_insert(csms))
        assert not answer.done()
        await other.commit()
    assert (await answer)["transactionId"] == other_id
    assert (await api.get("/transactions")).json()["total"] == 1
    await settle(csms)
    assert recorder.of("transaction_started") == []  # the other node announced it


async def test_concurrent_duplicate_stops_are_applied_once(
    csms: Any, cp: Any, api: Any, recorder: Any
) -> None:
    tx_id = (await cp.call("StartTransaction", start("TAG1")))["transactionId"]
    data = [{"timestamp": NOW, "sampledValue": [sample("1500")]}]
    payload = stop(tx_id, meter=3000, reason="Remote", transactionData=data)
    await asyncio.gather(*(cp.call("StopTransaction", payload) for _ in range(4)))
    assert len((await api.get(f"/transactions/{tx_id}/meter-values")).json()["items"]) == 1
    await settle(csms)
    assert len(recorder.of("transaction_stopped")) == 1


async def test_retransmitted_stop_is_idempotent(cp: Any, api: Any) -> None:
    tx_id = (await cp.call("StartTransaction", start("TAG1")))["transactionId"]
    data = [{"timestamp": NOW, "sampledValue": [sample("1500")]}]
    payload = stop(tx_id, meter=3000, reason="Remote", transactionData=data)
    assert await cp.call("StopTransaction", payload) == {}
    assert await cp.call("StopTransaction", payload) == {}
    values = (await api.get(f"/transactions/{tx_id}/meter-values")).json()["items"]
    assert len(values) == 1
    tx = (await api.get(f"/transactions/{tx_id}")).json()
    assert (tx["meterStop"], tx["stopReason"]) == (3000, "Remote")


async def test_stop_without_reason_means_local(cp: Any, api: Any) -> None:
    tx_id = (await cp.call("StartTransaction", start("TAG1")))["transactionId"]
    await cp.call("StopTransaction", stop(tx_id))
    assert (await api.get(f"/transactions/{tx_id}")).json()["stopReason"] == "Local"


@pytest.mark.parametrize("transaction_id", [-1, 0, 987654, 2**31 + 5])
async def test_stop_for_unknown_transaction_is_answered_and_kept(
    cp: Any, api: Any, add_tag: Any, transaction_id: int
) -> None:
    await add_tag("TAG1")
    data = [{"timestamp": NOW, "sampledValue": [sample("42", unit="Wh")]}]
    request = stop(
        transaction_id, meter=777, idTag="TAG1", reason="PowerLoss", transactionData=data
    )
    answer = await cp.call("StopTransaction", request)
    assert answer == {"idTagInfo": {"status": "Accepted"}}
    # Retransmitted (no answer seen): answered again, kept once.
    assert await cp.call("StopTransaction", request) == answer
    review = (await api.get("/transactions/unmatched-stops")).json()["items"]
    assert [(r["transactionId"], r["meterStop"], r["reason"]) for r in review] == [
        (transaction_id, 777, "PowerLoss")
    ]
    values = (await api.get("/stations/CP1/meter-values")).json()["items"]
    assert [(v["transactionId"], v["value"], v["source"]) for v in values] == [
        (transaction_id, "42", "StopTransaction")
    ]


async def test_stop_for_another_stations_transaction_is_not_applied(
    cp: Any, connect: Any, api: Any
) -> None:
    tx_id = (await cp.call("StartTransaction", start("TAG1")))["transactionId"]
    other = await connect("CP2")
    await other.boot()
    await other.call("StopTransaction", stop(tx_id))
    assert (await api.get(f"/transactions/{tx_id}")).json()["stopTimestamp"] is None
    page = (await api.get("/transactions/unmatched-stops", params={"stationId": "CP2"})).json()
    review = page["items"]
    assert review[0]["transactionId"] == tx_id


async def test_meter_values_keep_every_attribute(cp: Any, api: Any) -> None:
    """Both spellings of Celsius, every attribute, with and without a transaction."""
    tx_id = (await cp.call("StartTransaction", start("TAG1")))["transactionId"]
    full = {
        "value": "23.5",
        "context": "Sample.Clock",
        "format": "Raw",
        "measurand": "Temperature",
        "phase": "N",
        "location": "Body",
        "unit": "Celsius",
    }
    await cp.call(
        "MeterValues",
        {
            "connectorId": 1,
            "transactionId": tx_id,
            "meterValue": [{"timestamp": NOW, "sampledValue": [full]}],
        },
    )
    await cp.call(
        "MeterValues",
        {
            "connectorId": 0,
            "meterValue": [
                {
                    "timestamp": "2026-01-01T12:01:00Z",
                    "sampledValue": [sample("24", measurand="Temperature", unit="Celcius")],
                }
            ],
        },
    )
    await cp.call(
        "StopTransaction",
        stop(
            tx_id,
            transactionData=[
                {
                    "timestamp": "2026-01-01T12:59:00Z",
                    "sampledValue": [sample("25", measurand="Temperature", unit="Celcius")],
                }
            ],
        ),
    )
    items = (await api.get("/stations/CP1/meter-values")).json()["items"]
    assert len(items) == 3
    stored = next(v for v in items if v["value"] == "23.5")
    assert {k: stored[k] for k in full} == full
    assert (stored["connectorId"], stored["transactionId"]) == (1, tx_id)
    station_level = next(v for v in items if v["value"] == "24")
    assert (station_level["connectorId"], station_level["transactionId"]) == (0, None)
    assert station_level["unit"] == "Celcius"
    of_tx = (await api.get(f"/transactions/{tx_id}/meter-values")).json()["items"]
    assert [(v["value"], v["source"]) for v in of_tx] == [
        ("23.5", "MeterValues"),
        ("25", "StopTransaction"),
    ]


async def test_failed_stop_leaves_nothing_half_written(cp: Any, api: Any) -> None:
    """The meter values are written before the stop fails on a value no column can hold:
    the whole message rolls back, the station gets InternalError and may retry."""
    tx_id = (await cp.call("StartTransaction", start("TAG1")))["transactionId"]
    data = [{"timestamp": NOW, "sampledValue": [sample("1500")]}]
    with pytest.raises(CallErrorReceived) as failure:
        await cp.call("StopTransaction", stop(tx_id, meter=2**70, transactionData=data))
    assert failure.value.code == "InternalError"
    page = (await api.get(f"/transactions/{tx_id}/meter-values")).json()
    assert page == {"items": [], "total": 0, "offset": 0, "limit": 100}
    tx = (await api.get(f"/transactions/{tx_id}")).json()
    assert tx["stopTimestamp"] is None and tx["meterStop"] is None
    # The retry with sane data is applied normally.
    await cp.call("StopTransaction", stop(tx_id, meter=3000, transactionData=data))
    assert len((await api.get(f"/transactions/{tx_id}/meter-values")).json()["items"]) == 1
    assert (await api.get(f"/transactions/{tx_id}")).json()["meterStop"] == 3000


async def test_new_start_on_busy_connector_closes_the_lost_one(
    cp: Any, api: Any, add_tag: Any
) -> None:
    """A connector runs one transaction: a new start means the old stop was lost."""
    await add_tag("TAG1")
    old = (await cp.call("StartTransaction", start("TAG1", meter=100)))["transactionId"]
    await cp.call(
        "MeterValues",
        {
            "connectorId": 1,
            "transactionId": old,
            "meterValue": [
                {
                    "timestamp": NOW,
                    "sampledValue": [sample("600", measurand="Energy.Active.Import.Register")],
                }
            ],
        },
    )
    new = await cp.call(
        "StartTransaction", start("TAG1", meter=700, timestamp="2026-01-01T14:00:00Z")
    )
    assert new["idTagInfo"]["status"] == "Accepted"  # not ConcurrentTx with the lost one
    closed = (await api.get(f"/transactions/{old}")).json()
    assert closed["stopTimestamp"] is not None
    assert closed["energyWh"] == 500
    assert str(new["transactionId"]) in closed["reviewNote"]
    running = (await api.get("/transactions", params={"open": "true"})).json()
    assert [t["transactionId"] for t in running["items"]] == [new["transactionId"]]


async def test_power_failure_boot_then_stop(cp: Any, api: Any, add_tag: Any) -> None:
    """TC_032_1: the station reboots mid-transaction and then reports the stop."""
    await add_tag("TAG1")
    tx_id = (await cp.call("StartTransaction", start("TAG1")))["transactionId"]
    assert (await cp.boot())["status"] == "Accepted"
    await cp.call(
        "StatusNotification", {"connectorId": 1, "status": "Finishing", "errorCode": "NoError"}
    )
    answer = await cp.call("StopTransaction", stop(tx_id, reason="PowerLoss", idTag="TAG1"))
    assert answer["idTagInfo"]["status"] == "Accepted"
    assert (await api.get(f"/transactions/{tx_id}")).json()["stopReason"] == "PowerLoss"


async def test_operator_applies_an_unmatched_stop_to_the_open_transaction(
    cp: Any, connect: Any, api: Any, recorder: Any
) -> None:
    """A station that lost its transaction id (say, after a reboot) stops with -1: the
    operator ends the right transaction with that stop, meter values included."""
    tx_id = (await cp.call("StartTransaction", start("TAG1", meter=1000)))["transactionId"]
    data = [{"timestamp": "2026-01-01T12:59:00Z", "sampledValue": [sample("4900", unit="Wh")]}]
    await cp.call("StopTransaction", stop(-1, meter=5000, reason="Reboot", transactionData=data))
    awaiting = {"resolved": False}
    [pending] = (await api.get("/transactions/unmatched-stops", params=awaiting)).json()["items"]

    other = await connect("CP2")
    await other.boot()
    foreign = (await other.call("StartTransaction", start("TAG2")))["transactionId"]
    refused = await api.post(
        f"/transactions/unmatched-stops/{pending['id']}/apply", json={"transactionId": foreign}
    )
    assert refused.status_code == 409 and "CP2" in refused.json()["detail"]
    missing = await api.post(
        f"/transactions/unmatched-stops/{pending['id']}/apply", json={"transactionId": 999999}
    )
    assert missing.status_code == 404

    applied = await api.post(
        f"/transactions/unmatched-stops/{pending['id']}/apply",
        json={"transactionId": tx_id, "note": "station rebooted mid-session"},
    )
    assert applied.status_code == 200, applied.text
    assert applied.json()["resolution"] == "applied"
    assert applied.json()["resolvedTransactionId"] == tx_id
    tx = (await api.get(f"/transactions/{tx_id}")).json()
    assert (tx["meterStop"], tx["stopReason"]) == (5000, "Reboot")
    assert tx["stopTimestamp"].startswith("2026-01-01T13:00:00")
    values = (await api.get(f"/transactions/{tx_id}/meter-values")).json()["items"]
    assert [(v["value"], v["source"]) for v in values] == [("4900", "StopTransaction")]
    # Resolved once: not again, and no longer among those awaiting review.
    again = await api.post(
        f"/transactions/unmatched-stops/{pending['id']}/dismiss", json={"note": "twice"}
    )
    assert again.status_code == 409
    left = (await api.get("/transactions/unmatched-stops", params=awaiting)).json()
    assert (left["items"], left["total"]) == ([], 0)
    # Observers learn the transaction ended, as if the station had sent the right id.
    [ended] = recorder.of("transaction_stopped")
    assert (ended["transactionId"], ended["meterStop"], ended["reason"]) == (tx_id, 5000, "Reboot")


async def test_operator_dismisses_an_unmatched_stop(cp: Any, api: Any) -> None:
    tx_id = (await cp.call("StartTransaction", start("TAG1")))["transactionId"]
    await cp.call("StopTransaction", stop(424242))
    [pending] = (await api.get("/transactions/unmatched-stops")).json()["items"]
    dismissed = await api.post(
        f"/transactions/unmatched-stops/{pending['id']}/dismiss", json={"note": "test station"}
    )
    assert dismissed.status_code == 200, dismissed.text
    assert (dismissed.json()["resolution"], dismissed.json()["resolutionNote"]) == (
        "dismissed",
        "test station",
    )
    assert (await api.get(f"/transactions/{tx_id}")).json()["stopTimestamp"] is None
    page = (await api.get("/transactions/unmatched-stops", params={"resolved": True})).json()
    assert page == {"items": [page["items"][0]], "total": 1, "offset": 0, "limit": 100}
    assert page["items"][0]["id"] == pending["id"]
