"""The OCTT Reservation test cases (TC_046..053) and the plugin's own rules, as a charge point."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from csms_plugin_reservation.cli import COLUMNS as CLI_COLUMNS
from csms_plugin_reservation.lifecycle import travel

from csms_core.testing import ChargePoint, eventually


def in_seconds(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def status(cp: ChargePoint, connector_id: int, state: str, error: str = "NoError") -> None:
    await cp.call(
        "StatusNotification", {"connectorId": connector_id, "errorCode": error, "status": state}
    )


async def start(cp: ChargePoint, id_tag: str, connector_id: int = 1, **extra: object) -> dict:
    return await cp.call(
        "StartTransaction",
        {
            "connectorId": connector_id,
            "idTag": id_tag,
            "meterStart": 0,
            "timestamp": datetime.now(UTC).isoformat(),
            **extra,
        },
    )


async def wait_for_status(
    api: httpx.AsyncClient, reservation_id: int, wanted: str, within: float = 5.0
) -> dict:
    """Wait until the reservation reaches ``wanted`` (events and expiry run after the reply)."""

    async def reached() -> dict | None:
        record = (await api.get(f"/reservations/{reservation_id}")).json()
        return record if record["status"] == wanted else None

    return await eventually(reached, within)


async def wait_for_event(
    api: httpx.AsyncClient, reservation_id: int, kind: str, within: float = 5.0
) -> list[dict]:
    async def noted() -> list[dict] | None:
        events = (await api.get(f"/reservations/{reservation_id}")).json()["events"]
        return events if any(e["type"] == kind for e in events) else None

    return await eventually(noted, within)


# --- OCTT test cases ----------------------------------------------------------------------


async def test_tc046_reserve_then_charge(api, station, reserve):
    response = await reserve()
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "Accepted"
    sent = station.got[0]
    assert sent.action == "ReserveNow"
    assert sent.payload["reservationId"] == created["reservationId"]
    assert sent.payload["connectorId"] == 1 and sent.payload["idTag"] == "TAG1"

    cp = station.cp
    await status(cp, 1, "Reserved")
    assert (await cp.call("Authorize", {"idTag": "TAG1"}))["idTagInfo"]["status"] == "Accepted"
    await status(cp, 1, "Preparing")
    answer = await start(cp, "TAG1", reservationId=created["reservationId"])
    record = await wait_for_status(api, created["reservationId"], "Used")
    assert record["status"] == "Used"
    assert record["transactionId"] == answer["transactionId"]
    # The reserving tag's own Authorize is no cause for alarm.
    assert not [e for e in record["events"] if e["type"] == "AuthorizeByOtherTag"]


async def test_tc047_reservation_expires(csms, api, station, reserve):
    created = (await reserve(expiryDate=in_seconds(60))).json()
    assert created["status"] == "Accepted"
    travel(csms, 61)
    record = await wait_for_status(api, created["reservationId"], "Expired")
    assert record["status"] == "Expired"
    # Once expired, the connector can be reserved again.
    assert (await reserve()).json()["status"] == "Accepted"


@pytest.mark.parametrize("answer", ["Faulted", "Occupied", "Unavailable", "Rejected"])
async def test_tc048_refused_answers_are_recorded_never_active(api, station, reserve, answer):
    station.reserve_answer = answer
    response = await reserve()
    assert response.status_code == 201
    assert response.json()["status"] == answer
    listed = (await api.get("/reservations", params={"status": "Accepted"})).json()
    assert listed["total"] == 0
    # Not active: it blocks nothing.
    station.reserve_answer = "Accepted"
    assert (await reserve()).json()["status"] == "Accepted"


async def configure(api: httpx.AsyncClient, station, zero_supported: str) -> None:
    """The station reports its configuration once asked (Core keeps the snapshot)."""
    station.cp.answer(
        "GetConfiguration",
        {
            "configurationKey": [
                {"key": "ReserveConnectorZeroSupported", "readonly": True, "value": zero_supported}
            ]
        },
    )
    response = await api.post("/stations/CP1/calls/GetConfiguration", json={})
    assert response.status_code == 200, response.text


async def test_tc049_reserve_connector_zero(api, station, reserve):
    await configure(api, station, "true")
    created = (await reserve(connectorId=0)).json()
    assert created["status"] == "Accepted"
    assert station.got[0].payload["connectorId"] == 0
    # A connector-0 reservation is used by a start on any connector (here without
    # reservationId, and IdToken compares case-insensitively).
    await start(station.cp, "tag1", connector_id=2)
    assert (await wait_for_status(api, created["reservationId"], "Used"))["status"] == "Used"


async def test_connector_zero_refused_when_not_supported(api, station, reserve):
    await configure(api, station, "false")
    response = await reserve(connectorId=0)
    assert response.status_code == 422
    assert "ReserveConnectorZeroSupported" in response.json()["detail"]
    assert station.got == []


async def test_tc051_cancel(api, station, reserve):
    created = (await reserve()).json()
    response = await api.delete(f"/reservations/{created['reservationId']}")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "Cancelled"
    cancel = station.got[-1]
    assert cancel.action == "CancelReservation"
    assert cancel.payload == {"reservationId": created["reservationId"]}
    # Nothing left to cancel.
    again = await api.delete(f"/reservations/{created['reservationId']}")
    assert again.status_code == 409


async def test_tc052_cancel_rejected(api, station, reserve):
    created = (await reserve()).json()
    station.cancel_answer = "Rejected"
    response = await api.delete(f"/reservations/{created['reservationId']}")
    assert response.status_code == 409
    assert "Rejected" in response.json()["detail"]
    record = (await api.get(f"/reservations/{created['reservationId']}")).json()
    # OCPP 1.6 5.1: the station holds none, so the record is no longer active either.
    assert record["status"] == "Terminated"
    assert [e["type"] for e in record["events"]] == ["CancelRejected"]
    # Through the generic endpoint, for a reservation the CSMS never made.
    generic = await api.post("/stations/CP1/calls/CancelReservation", json={"reservationId": 999})
    assert generic.status_code == 200 and generic.json() == {"status": "Rejected"}


async def test_tc053_parent_id_tag(api, station, reserve, add_tag):
    await add_tag("GROUP")
    await add_tag("MEMBER1", parent="GROUP")
    await add_tag("MEMBER2", parent="GROUP")
    created = (await reserve(idTag="MEMBER1")).json()
    # The tag's parent goes with the reservation, so the station lets the group in.
    assert station.got[0].payload["parentIdTag"] == "GROUP"
    assert created["parentIdTag"] == "GROUP"
    await start(station.cp, "MEMBER2", reservationId=created["reservationId"])
    assert (await wait_for_status(api, created["reservationId"], "Used"))["status"] == "Used"


async def test_start_without_reservation_id_by_group_member_uses_it(api, station, reserve, add_tag):
    await add_tag("GROUP")
    await add_tag("MEMBER1", parent="GROUP")
    await add_tag("MEMBER2", parent="GROUP")
    await add_tag("STRANGER")
    created = (await reserve(idTag="MEMBER1", connectorId=2)).json()
    # A start elsewhere, or by an outsider on the reserved connector, leaves it alone.
    await start(station.cp, "MEMBER2", connector_id=1)
    await start(station.cp, "STRANGER", connector_id=2)
    events = await wait_for_event(api, created["reservationId"], "TransactionByOtherTag")
    assert [e["idTag"] for e in events if e["type"] == "TransactionByOtherTag"] == ["STRANGER"]
    assert (await api.get(f"/reservations/{created['reservationId']}")).json()[
        "status"
    ] == "Accepted"
    # The station omitted reservationId: a group member on the reserved connector uses it.
    answer = await start(station.cp, "MEMBER2", connector_id=2)
    record = await wait_for_status(api, created["reservationId"], "Used")
    assert record["status"] == "Used" and record["transactionId"] == answer["transactionId"]


# --- operator visibility ------------------------------------------------------------------


@pytest.mark.parametrize("state", ["Faulted", "Unavailable"])
async def test_connector_failing_while_reserved_terminates_it(api, station, reserve, state):
    reserved = (await reserve(connectorId=1)).json()
    other = (await reserve(connectorId=2)).json()
    await status(station.cp, 1, state, error="GroundFailure" if state == "Faulted" else "NoError")
    record = await wait_for_status(api, reserved["reservationId"], "Terminated")
    assert record["events"][-1]["type"] == f"Connector{state}"
    assert record["events"][-1]["connectorId"] == 1
    untouched = (await api.get(f"/reservations/{other['reservationId']}")).json()
    assert untouched["status"] == "Accepted" and untouched["events"] == []


async def test_station_wide_trouble_terminates_every_reservation(api, station, reserve):
    ids = [(await reserve(connectorId=c)).json()["reservationId"] for c in (1, 2)]
    await status(station.cp, 0, "Unavailable")  # connector 0: the whole station
    for reservation_id in ids:
        record = await wait_for_status(api, reservation_id, "Terminated")
        assert [e["type"] for e in record["events"]] == ["ConnectorUnavailable"]


async def test_reboot_flags_active_reservations(api, station, reserve):
    reservation_id = (await reserve(connectorId=1)).json()["reservationId"]
    await station.cp.boot()  # a reboot may have wiped them on the station
    events = await wait_for_event(api, reservation_id, "StationBooted")
    assert [e["type"] for e in events] == ["StationBooted"]


async def test_removing_the_station_cancels_its_reservations(api, station, reserve):
    active = (await reserve(connectorId=1)).json()
    assert (await api.delete("/stations/CP1")).status_code == 204
    record = (await api.get(f"/reservations/{active['reservationId']}")).json()
    assert record["status"] == "Cancelled"  # kept as history, never active again
    assert [e["type"] for e in record["events"]] == ["StationRemoved"]


async def test_late_start_with_reservation_id_turns_expired_into_used(csms, api, station, reserve):
    created = (await reserve(expiryDate=in_seconds(60))).json()
    travel(csms, 61)
    assert (await wait_for_status(api, created["reservationId"], "Expired"))["status"] == "Expired"
    # The station's clock, or an offline start, beat our timer: the reservation was used.
    await start(station.cp, "TAG1", reservationId=created["reservationId"])
    assert (await wait_for_status(api, created["reservationId"], "Used"))["status"] == "Used"


async def test_authorize_by_another_tag_is_flagged(api, station, reserve, add_tag):
    await add_tag("OTHER")
    created = (await reserve()).json()
    await station.cp.call("Authorize", {"idTag": "TAG1"})
    await station.cp.call("Authorize", {"idTag": "OTHER"})
    events = await wait_for_event(api, created["reservationId"], "AuthorizeByOtherTag")
    assert [(e["type"], e.get("idTag")) for e in events] == [("AuthorizeByOtherTag", "OTHER")]


async def test_list_and_filter(api, station, reserve, connect):
    other = await connect("CP2")
    await other.boot()
    other.answer("ReserveNow", {"status": "Accepted"})
    first = (await reserve()).json()
    second = (await reserve(stationId="CP2")).json()
    station.reserve_answer = "Occupied"
    await reserve(connectorId=2)
    assert second["reservationId"] != first["reservationId"]

    everything = (await api.get("/reservations")).json()
    assert everything["total"] == 3
    on_cp2 = (await api.get("/reservations", params={"stationId": "CP2"})).json()
    assert [r["reservationId"] for r in on_cp2["items"]] == [second["reservationId"]]
    active_cp1 = (
        await api.get("/reservations", params={"stationId": "CP1", "status": "Accepted"})
    ).json()
    assert [r["reservationId"] for r in active_cp1["items"]] == [first["reservationId"]]
    shown = (await api.get(f"/reservations/{first['reservationId']}")).json()
    assert set(shown) >= set(CLI_COLUMNS)  # every column `csms reservations` shows
    assert (await api.get("/reservations/424242")).status_code == 404
    assert (await api.get("/reservations", params={"status": "Bogus"})).status_code == 422
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert {"/api/v1/reservations", "/api/v1/reservations/{reservation_id}"} <= set(paths)


async def test_generic_reserve_now_with_own_id_is_recorded(api, station):
    payload = {
        "connectorId": 2,
        "expiryDate": in_seconds(600),
        "idTag": "TAG1",
        "reservationId": 1,  # the first id the CSMS would pick
    }
    response = await api.post("/stations/CP1/calls/ReserveNow", json=payload)
    assert response.status_code == 200 and response.json() == {"status": "Accepted"}
    record = (await api.get("/reservations/1")).json()
    assert (record["stationId"], record["connectorId"], record["status"]) == ("CP1", 2, "Accepted")
    # Same id again replaces it, as the station does (OCPP 1.6 section 5.13).
    payload |= {"connectorId": 1}
    assert (await api.post("/stations/CP1/calls/ReserveNow", json=payload)).status_code == 200
    assert (await api.get("/reservations/1")).json()["connectorId"] == 1
    # Ids the CSMS picks itself never collide with one an operator chose.
    picked = await api.post(
        "/reservations",
        json={"stationId": "CP1", "connectorId": 2, "idTag": "TAG1", "expiryDate": in_seconds(60)},
    )
    assert picked.status_code == 201 and picked.json()["reservationId"] == 2
    assert len(station.got) == 3


# --- refused before sending (422, nothing sent) -------------------------------------------


async def test_refusals(api, station, reserve, add_tag, connect):
    await add_tag("BLOCKED", status="Blocked")
    await add_tag("OLD", expiry=in_seconds(-60))
    cases = [
        ({"expiryDate": in_seconds(-1)}, "future"),
        ({"idTag": "NOBODY"}, "unknown"),
        ({"idTag": "BLOCKED"}, "Blocked"),
        ({"idTag": "OLD"}, "expired"),
    ]
    for fields, reason in cases:
        response = await reserve(**fields)
        assert response.status_code == 422, fields
        assert reason.lower() in response.json()["detail"].lower(), response.json()
    assert station.got == []

    taken = (await reserve()).json()
    station.got.clear()
    second = await reserve()
    assert second.status_code == 422 and str(taken["reservationId"]) in second.json()["detail"]
    # Another station cannot take over an id, and a finished reservation's id is not reused.
    other = await connect("CP2")
    await other.boot()
    other.answer("ReserveNow", {"status": "Accepted"})
    stolen = await reserve(stationId="CP2", reservationId=taken["reservationId"])
    assert stolen.status_code == 422 and "belongs to station CP1" in stolen.json()["detail"]
    await api.delete(f"/reservations/{taken['reservationId']}")
    station.got.clear()
    reused = await reserve(connectorId=2, reservationId=taken["reservationId"])
    assert reused.status_code == 422 and "Cancelled" in reused.json()["detail"]
    # The same rules hold on the generic call endpoint.
    generic = await api.post(
        "/stations/CP1/calls/ReserveNow",
        json={"connectorId": 1, "expiryDate": in_seconds(-5), "idTag": "TAG1", "reservationId": 5},
    )
    assert generic.status_code == 422
    assert station.got == []


async def test_call_failures_map_like_the_generic_endpoint(api, station, reserve):
    assert (await reserve(stationId="NOWHERE")).status_code == 404
    await api.post("/stations", json={"id": "CP9"})
    assert (await reserve(stationId="CP9")).status_code == 409
    assert (await reserve(connectorId=-1)).status_code == 422
    assert (await api.delete("/reservations/31337")).status_code == 404

    del station.cp.responders["ReserveNow"]  # the station stays silent
    timed_out = await api.post(
        "/reservations",
        params={"timeout": 0.3},
        json={"stationId": "CP1", "connectorId": 1, "idTag": "TAG1", "expiryDate": in_seconds(60)},
    )
    assert timed_out.status_code == 504
    assert (await station.cp.expect("ReserveNow")).payload["idTag"] == "TAG1"
    assert (await api.get("/reservations")).json()["total"] == 0
