"""Named authorization lists: CRUD, assignment to stations, and what a station then gets."""

from __future__ import annotations

from typing import Any

STATION = "LA1"


async def test_crud(la: Any, api: Any, csms: Any) -> None:
    await la.add_tags("A", "B", "C")
    response = await api.post("/auth-lists", json={"name": "staff", "idTags": ["B", "A", "A"]})
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["name"], created["idTags"], created["stations"]) == ("staff", ["A", "B"], [])
    list_id = created["id"]
    assert (await api.post("/auth-lists", json={"name": "staff"})).status_code == 409
    unknown = await api.post("/auth-lists", json={"name": "x", "idTags": ["A", "NOPE"]})
    assert unknown.status_code == 422
    assert "NOPE" in unknown.json()["detail"]

    patched = await api.patch(
        f"/auth-lists/{list_id}",
        json={"description": "day shift", "addIdTags": ["C"], "removeIdTags": ["A"]},
    )
    assert patched.json()["idTags"] == ["B", "C"]
    assert patched.json()["description"] == "day shift"
    replaced = await api.patch(f"/auth-lists/{list_id}", json={"idTags": ["A"], "name": "s2"})
    assert (replaced.json()["idTags"], replaced.json()["name"]) == (["A"], "s2")
    page = (await api.get("/auth-lists")).json()
    assert (page["total"], page["items"][0]["id"]) == (1, list_id)

    await csms.stations.create(STATION)
    assigned = await api.put(f"/stations/{STATION}/auth-list", json={"authListId": list_id})
    assert assigned.json() == {"stationId": STATION, "authListId": list_id}
    assert (await api.get(f"/auth-lists/{list_id}")).json()["stations"] == [STATION]
    # Deleting an assigned list would silently widen the station to every tag: refused.
    assert (await api.delete(f"/auth-lists/{list_id}")).status_code == 409
    await api.put(f"/stations/{STATION}/auth-list", json={"authListId": None})
    assert (await api.get(f"/stations/{STATION}/auth-list")).json()["authListId"] is None
    assert (await api.delete(f"/auth-lists/{list_id}")).status_code == 204
    assert (await api.get(f"/auth-lists/{list_id}")).status_code == 404
    missing = await api.put(f"/stations/{STATION}/auth-list", json={"authListId": list_id})
    assert missing.status_code == 422
    assert (await api.put("/stations/NOPE/auth-list", json={"authListId": None})).status_code == 404


async def test_station_gets_its_list_members(
    la: Any, api: Any, station: Any, recorder: Any
) -> None:
    await la.add_tags("A", "B", "C")
    await la.add_tags("D", status="Blocked")
    list_id = (await api.post("/auth-lists", json={"name": "m", "idTags": ["A", "D"]})).json()["id"]
    await la.push("Full")
    assert [e["idTag"] for e in recorder.requests[-1]["localAuthorizationList"]] == [
        "A",
        "B",
        "C",
    ]
    await api.put(f"/stations/{STATION}/auth-list", json={"authListId": list_id})
    await la.push("Differential")
    # Blocked D stays out; B and C are deleted from the station.
    assert recorder.requests[-1]["localAuthorizationList"] == [{"idTag": "B"}, {"idTag": "C"}]
    await api.patch(f"/auth-lists/{list_id}", json={"addIdTags": ["C"]})
    await la.push("Differential")
    assert recorder.requests[-1]["localAuthorizationList"] == [
        {"idTag": "C", "idTagInfo": {"status": "Accepted"}}
    ]
    assert (await la.show())["authListId"] == list_id


async def test_routes_in_openapi(api: Any) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert {"/api/v1/auth-lists", "/api/v1/stations/{station_id}/local-list"} <= set(paths)
    assert "504" in paths["/api/v1/stations/{station_id}/local-list"]["post"]["responses"]


async def test_a_removed_station_frees_its_list_and_mirror(
    la: Any, api: Any, csms: Any, station: Any, recorder: Any
) -> None:
    await la.add_tags("A")
    list_id = (await api.post("/auth-lists", json={"name": "m", "idTags": ["A"]})).json()["id"]
    await api.put(f"/stations/{STATION}/auth-list", json={"authListId": list_id})
    await la.push("Full")
    assert (await la.show())["authListId"] == list_id
    assert (await api.delete(f"/auth-lists/{list_id}")).status_code != 204  # in use

    assert (await api.delete(f"/stations/{STATION}")).status_code == 204
    assert (await api.get(f"/auth-lists/{list_id}")).json()["stations"] == []
    assert (await api.delete(f"/auth-lists/{list_id}")).status_code == 204
    await csms.stations.create(STATION)  # the same id again starts from nothing
    shown = await la.show()
    assert shown["authListId"] is None and shown["listVersion"] == 0
