"""SendLocalList and GetLocalListVersion against a real charge point: the OCTT cases
TC_042_1/2 and TC_043_1/3/4/5, differential content, recovery and splitting."""

from __future__ import annotations

from typing import Any

import pytest
from csms_plugin_localauth import plugin as localauth_plugin

from csms_core.testing import ChargePoint, eventually

STATION = "LA1"


async def test_tc_042_1_get_version_not_supported(la: Any, api: Any, station: ChargePoint) -> None:
    station.answer("GetLocalListVersion", {"listVersion": -1})
    response = await api.post(f"/stations/{STATION}/calls/GetLocalListVersion", json={})
    assert response.status_code == 200
    assert response.json() == {"listVersion": -1}
    assert (await la.show())["reportedVersion"] == -1


async def test_tc_042_2_get_version_empty(la: Any, api: Any, station: ChargePoint) -> None:
    station.answer("GetLocalListVersion", {"listVersion": 0})
    response = await api.post(f"/stations/{STATION}/calls/GetLocalListVersion", json={})
    assert response.json() == {"listVersion": 0}
    state = await la.show()
    assert (state["reportedVersion"], state["listVersion"], state["size"]) == (0, 0, 0)


async def test_tc_043_1_not_supported_is_recorded(la: Any, api: Any, recorder: Any) -> None:
    await la.add_tags("A")
    recorder.default = "NotSupported"
    result = await la.push("Full")
    assert result["status"] == "NotSupported"
    state = await la.show()
    assert (state["lastResult"], state["listVersion"], state["size"]) == ("NotSupported", 0, 0)


async def test_tc_043_3_failed_is_recorded(la: Any, api: Any, recorder: Any) -> None:
    await la.add_tags("A")
    recorder.default = "Failed"
    assert (await la.push("Full"))["status"] == "Failed"
    state = await la.show()
    assert (state["lastResult"], state["listVersion"], state["lastSyncAt"]) == ("Failed", 0, None)
    # The next attempt still goes above the failed version: versions never repeat.
    recorder.default = "Accepted"
    await la.push("Full")
    assert [r["listVersion"] for r in recorder.requests] == [1, 2]


async def test_tc_043_4_full_update(la: Any, api: Any, recorder: Any) -> None:
    await la.add_tags("A", "B")
    await la.add_tags("C", status="Blocked")
    await la.add_tags("D", expiryDate="2099-01-01T00:00:00Z", parentIdTag="A")
    result = await la.push("Full")
    assert (result["status"], result["listVersion"], result["size"]) == ("Accepted", 1, 3)
    [request] = recorder.requests
    assert request["updateType"] == "Full"
    assert request["listVersion"] == 1
    entries = {e["idTag"]: e["idTagInfo"] for e in request["localAuthorizationList"]}
    assert set(entries) == {"A", "B", "D"}  # Blocked C is not a valid tag
    assert entries["A"] == {"status": "Accepted"}
    assert entries["D"]["parentIdTag"] == "A"
    assert entries["D"]["expiryDate"].startswith("2099-01-01T00:00:00")
    state = await la.show(entries="true")
    assert (state["listVersion"], state["size"], state["lastResult"]) == (1, 3, "Accepted")
    assert state["lastSyncAt"] is not None
    assert [e["idTag"] for e in state["entries"]] == ["A", "B", "D"]


async def test_tc_043_5_differential_carries_exactly_the_changes(
    la: Any, api: Any, recorder: Any
) -> None:
    await la.add_tags("A", "B", "C")
    await la.push("Full")
    await la.add_tags("D")  # added
    assert (await api.patch("/id-tags/B", json={"status": "Blocked"})).status_code == 200
    assert (await api.delete("/id-tags/C")).status_code == 204  # both leave the list
    await api.patch("/id-tags/A", json={"parentIdTag": "D"})  # changed
    assert (await la.show())["pendingChanges"] == 4
    result = await la.push("Differential")
    assert (result["status"], result["listVersion"], result["size"]) == ("Accepted", 2, 2)
    request = recorder.requests[-1]
    assert (request["updateType"], request["listVersion"]) == ("Differential", 2)
    assert request["localAuthorizationList"] == [
        {"idTag": "B"},
        {"idTag": "C"},
        {"idTag": "A", "idTagInfo": {"status": "Accepted", "parentIdTag": "D"}},
        {"idTag": "D", "idTagInfo": {"status": "Accepted"}},
    ]
    # Nothing changed since: nothing is sent.
    assert (await la.push("Differential"))["status"] == "UpToDate"
    assert len(recorder.requests) == 2


async def test_raw_send_through_generic_endpoint_updates_the_mirror(
    la: Any, api: Any, recorder: Any
) -> None:
    payload = {
        "listVersion": 7,
        "updateType": "Full",
        "localAuthorizationList": [{"idTag": "X", "idTagInfo": {"status": "Accepted"}}],
    }
    response = await api.post(f"/stations/{STATION}/calls/SendLocalList", json=payload)
    assert response.json() == {"status": "Accepted"}
    state = await la.show(entries="true")
    assert (state["listVersion"], state["size"]) == (7, 1)
    assert state["entries"] == [{"idTag": "X", "idTagInfo": {"status": "Accepted"}}]
    # X is unknown to the store: the next differential removes it, above version 7.
    result = await la.push("Differential")
    assert recorder.requests[-1]["localAuthorizationList"] == [{"idTag": "X"}]
    assert (result["listVersion"], result["size"]) == (8, 0)


async def test_raw_send_refused_before_sending(
    la: Any, api: Any, station: ChargePoint, recorder: Any
) -> None:
    base = f"/stations/{STATION}/calls/SendLocalList"
    zero = {"listVersion": 0, "updateType": "Full", "localAuthorizationList": []}
    response = await api.post(base, json=zero)
    assert response.status_code == 422
    assert "errata" in response.json()["detail"]
    no_info = {"listVersion": 1, "updateType": "Full", "localAuthorizationList": [{"idTag": "A"}]}
    assert (await api.post(base, json=no_info)).status_code == 422
    entry = {"idTag": "A", "idTagInfo": {"status": "Accepted"}}
    twice = {"listVersion": 1, "updateType": "Full", "localAuthorizationList": [entry, entry]}
    assert (await api.post(base, json=twice)).status_code == 422
    await la.configure(station, SendLocalListMaxLength=1)
    two = [entry, {**entry, "idTag": "B"}]
    too_long = {"listVersion": 1, "updateType": "Differential", "localAuthorizationList": two}
    response = await api.post(base, json=too_long)
    assert response.status_code == 422
    assert "SendLocalListMaxLength is 1" in response.json()["detail"]
    assert recorder.requests == []


async def test_version_mismatch_recovers_with_full(
    la: Any, api: Any, station: ChargePoint, recorder: Any
) -> None:
    await la.add_tags("A", "B")
    station.answer("GetLocalListVersion", {"listVersion": 40})
    recorder.script = ["VersionMismatch"]
    result = await la.push("Differential")
    assert result["recovered"] is True
    assert result["status"] == "Accepted"
    # The Full goes above the version the station reported.
    assert recorder.summary() == [("Differential", 1, 2), ("Full", 41, 2)]
    state = await la.show()
    assert (state["listVersion"], state["size"], state["needsFull"]) == (41, 2, False)


async def test_version_mismatch_of_a_hand_sent_update_recovers_too(
    la: Any, api: Any, station: ChargePoint, recorder: Any
) -> None:
    await la.add_tags("A")
    station.answer("GetLocalListVersion", {"listVersion": 3})
    recorder.script = ["VersionMismatch"]
    payload = {"listVersion": 2, "updateType": "Differential", "localAuthorizationList": []}
    response = await api.post(f"/stations/{STATION}/calls/SendLocalList", json=payload)
    assert response.json() == {"status": "VersionMismatch"}
    # The recovery runs in the background once the hand-sent call is answered.
    await eventually(lambda: _version_is(la, 4))
    assert recorder.summary() == [("Differential", 2, 0), ("Full", 4, 1)]


async def test_split_at_send_local_list_max_length(
    la: Any, api: Any, station: ChargePoint, recorder: Any
) -> None:
    await la.add_tags("A", "B", "C", "D", "E")
    await la.configure(station, SendLocalListMaxLength=2, LocalAuthListMaxLength=10)
    result = await la.push("Full")
    assert recorder.summary() == [("Full", 1, 2), ("Differential", 2, 2), ("Differential", 3, 1)]
    assert (result["listVersion"], result["size"]) == (3, 5)
    # A station that stops half-way keeps what it accepted; the next differential continues.
    recorder.requests.clear()
    recorder.script = ["Accepted", "Failed"]
    assert (await la.push("Full"))["status"] == "Failed"
    state = await la.show()
    assert (state["listVersion"], state["size"], state["pendingChanges"]) == (4, 2, 3)
    recorder.requests.clear()
    await la.push("Differential")
    assert recorder.summary() == [("Differential", 6, 2), ("Differential", 7, 1)]


async def test_local_auth_list_max_length_refuses(
    la: Any, api: Any, station: ChargePoint, recorder: Any
) -> None:
    await la.add_tags("A", "B", "C")
    await la.configure(station, LocalAuthListMaxLength=2)
    response = await api.post(f"/stations/{STATION}/local-list", json={"updateType": "Full"})
    assert response.status_code == 422
    assert "LocalAuthListMaxLength is 2" in response.json()["detail"]
    raw = {
        "listVersion": 1,
        "updateType": "Full",
        "localAuthorizationList": [
            {"idTag": t, "idTagInfo": {"status": "Accepted"}} for t in ("A", "B", "C")
        ],
    }
    response = await api.post(f"/stations/{STATION}/calls/SendLocalList", json=raw)
    assert response.status_code == 422
    assert recorder.requests == []


async def test_timeout_makes_the_next_update_full(
    connect: Any, api: Any, la: Any, make_recorder: Any
) -> None:
    cp = await connect(STATION)
    await cp.boot()
    await la.add_tags("A")
    response = await api.post(
        f"/stations/{STATION}/local-list", json={"updateType": "Full"}, params={"timeout": 0.3}
    )
    # Not answered at all (no responder): queued in cp.received, the CSMS times out.
    assert response.status_code == 504
    call = await cp.expect("SendLocalList")
    state = await la.show()
    assert (state["lastResult"], state["needsFull"]) == ("Timeout", True)
    recorder = make_recorder(cp)
    result = await la.push("Differential")
    assert result["fullBecause"]
    assert recorder.summary() == [("Full", call.payload["listVersion"] + 1, 1)]


async def test_unknown_and_disconnected_station(la: Any, api: Any, csms: Any) -> None:
    response = await api.post("/stations/NOPE/local-list", json={"updateType": "Full"})
    assert response.status_code == 404
    await csms.stations.create("OFF")
    response = await api.post("/stations/OFF/local-list", json={"updateType": "Full"})
    assert response.status_code == 409
    assert (await la.show("OFF"))["listVersion"] == 0


async def _version_is(la: Any, version: int) -> bool:
    return (await la.show())["listVersion"] == version


@pytest.mark.csms(plugins=[("localauth", localauth_plugin)])
async def test_without_a_tag_store_nothing_is_wiped(csms: Any, api: Any) -> None:
    await csms.stations.create("ALONE")
    response = await api.post("/stations/ALONE/local-list", json={"updateType": "Full"})
    shown = (await api.get("/stations/ALONE/local-list")).json()
    assert (shown["listVersion"], shown["pendingChanges"]) == (0, None)
    assert response.status_code == 422
    assert "list_id_tags" in response.json()["detail"]
