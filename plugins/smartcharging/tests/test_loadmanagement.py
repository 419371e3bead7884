"""Load management: the division itself (pure, with properties), then a site with three
stations whose shared limit holds as transactions come and go."""

from __future__ import annotations

from typing import Any

from csms_plugin_smartcharging.loadmanagement import Demand, allocate
from hypothesis import given
from hypothesis import strategies as st

from csms_core.testing import IncomingCall, eventually, settle


def test_fair_share_respects_maximums_and_minimums() -> None:
    demands = [Demand(("A", 1), 6, 16), Demand(("B", 1), 6, 8), Demand(("C", 1), 6, 32)]
    # B is capped at its 8 A; A and C split the rest evenly.
    assert allocate(40, demands) == {("A", 1): 16.0, ("B", 1): 8.0, ("C", 1): 16.0}
    assert allocate(30, demands) == {("A", 1): 11.0, ("B", 1): 8.0, ("C", 1): 11.0}
    # Not enough for every minimum: the latest arrival waits (0 A) instead of crawling.
    assert allocate(14, demands) == {("A", 1): 7.0, ("B", 1): 7.0, ("C", 1): 0.0}
    assert allocate(100, []) == {}


@given(
    st.integers(0, 2000).map(lambda v: v / 10),
    st.lists(
        st.tuples(st.integers(0, 160), st.integers(1, 640)).map(
            lambda mm: (mm[0] / 10, mm[1] / 10)
        ),
        max_size=12,
    ),
)
def test_allocation_never_exceeds_the_capacity(
    capacity: float, bounds: list[tuple[float, float]]
) -> None:
    demands = [Demand(("S", i), lo, hi) for i, (lo, hi) in enumerate(bounds)]
    shares = allocate(capacity, demands)
    assert set(shares) == {d.key for d in demands}
    assert sum(shares.values()) <= capacity + 1e-9
    for demand in demands:
        share = shares[demand.key]
        assert share <= demand.maximum
        assert share == 0 or share >= min(demand.minimum, demand.maximum) - 1e-9


class Site:
    """What the stations were told, checked against the group limit at every message."""

    def __init__(self, limit: float, fallback: float) -> None:
        self.limit = limit
        self.fallback = fallback
        self.running: dict[tuple[str, int], int] = {}  # (station, connector) -> transactionId
        self.tx_limits: dict[tuple[str, int], tuple[int, float]] = {}
        self.defaults: dict[str, float] = {}
        self.worst = 0.0

    def drawn(self) -> float:
        total = 0.0
        for key, transaction_id in self.running.items():
            told = self.tx_limits.get(key)
            if told and told[0] == transaction_id:
                total += told[1]
            else:  # no TxProfile yet: the fallback TxDefaultProfile applies
                total += self.defaults.get(key[0], float("inf"))
        self.worst = max(self.worst, total)
        return total

    def responder(self, station_id: str) -> Any:
        def answer(call: IncomingCall) -> dict:
            p = call.payload["csChargingProfiles"]
            limit = p["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]
            if p["chargingProfilePurpose"] == "TxDefaultProfile":
                self.defaults[station_id] = limit
            else:
                key = (station_id, call.payload["connectorId"])
                self.tx_limits[key] = (p["transactionId"], limit)
            self.drawn()
            return {"status": "Accepted"}

        return answer


async def settled(api: Any, group_id: int, expected: dict[str, float]) -> dict:
    """The group once its allocation is ``expected`` (divisions run after the events)."""
    seen: list[dict] = []

    async def reached() -> dict | None:
        group = (await api.get(f"/charging-groups/{group_id}")).json()
        seen.append(group["allocation"])
        return group if group["allocation"] == expected else None

    try:
        return await eventually(reached)
    except AssertionError:
        raise AssertionError(f"allocation {seen[-1]} never became {expected}") from None


async def test_group_limit_holds_as_transactions_come_and_go(
    csms: Any, api: Any, connect: Any, sc: Any
) -> None:
    assert (await api.post("/id-tags", json={"idTag": "TAG1"})).status_code == 201
    site = Site(limit=32, fallback=0)
    body = {
        "name": "garage",
        "limit": 32,
        "unit": "A",
        "enabled": True,
        "fallbackLimit": 0,
        "members": [
            {"stationId": "CPA", "maxLimit": 16},
            {"stationId": "CPB", "connectorId": 1, "maxLimit": 16},
            {"stationId": "CPC", "maxLimit": 16},
        ],
    }
    created = await api.post("/charging-groups", json=body)
    assert created.status_code == 201, created.text
    group_id = created.json()["id"]
    stations = {}
    for station_id in ("CPA", "CPB", "CPC"):
        await csms.stations.create(station_id, None)
        cp = await connect(station_id, register=False)
        cp.answer("SetChargingProfile", site.responder(station_id))
        stations[station_id] = await sc.boot_station(cp)
    await eventually(lambda: len(site.defaults) == 3)  # each booted member gets the safe default
    assert site.defaults == {"CPA": 0, "CPB": 0, "CPC": 0}

    async def start(station_id: str, connector_id: int) -> None:
        transaction_id = await sc.start_transaction(stations[station_id], connector_id)
        site.running[(station_id, connector_id)] = transaction_id

    async def stop(station_id: str, connector_id: int) -> None:
        transaction_id = site.running.pop((station_id, connector_id))
        await sc.stop_transaction(stations[station_id], transaction_id)

    await start("CPA", 1)
    await settled(api, group_id, {"CPA/1": 16.0})
    await start("CPB", 1)
    await settled(api, group_id, {"CPA/1": 16.0, "CPB/1": 16.0})
    await start("CPB", 2)  # not a member connector: left alone
    site.running.pop(("CPB", 2))
    await start("CPC", 1)
    await settled(api, group_id, {"CPA/1": 10.6, "CPB/1": 10.6, "CPC/1": 10.6})
    await start("CPA", 2)
    await settled(api, group_id, {"CPA/1": 8.0, "CPA/2": 8.0, "CPB/1": 8.0, "CPC/1": 8.0})
    await stop("CPB", 1)
    await settled(api, group_id, {"CPA/1": 10.6, "CPA/2": 10.6, "CPC/1": 10.6})
    await stop("CPA", 1)
    await stop("CPC", 1)
    await settled(api, group_id, {"CPA/2": 16.0})
    # At no moment did the stations, together, have permission for more than the group's 32 A.
    assert 0 < site.worst <= site.limit

    # Disabling the group lifts its limits.
    clears: list[dict] = []
    stations["CPA"].answer(
        "ClearChargingProfile", lambda call: clears.append(call.payload) or {"status": "Accepted"}
    )
    response = await api.patch(f"/charging-groups/{group_id}", json={"enabled": False})
    assert response.status_code == 200 and response.json()["enabled"] is False
    await settled(api, group_id, {})
    assert clears == [{"id": 900_002}]


async def test_groups_are_off_by_default_and_crud(
    csms: Any, api: Any, connect: Any, sc: Any
) -> None:
    body = {
        "name": "site",
        "limit": 11000,
        "unit": "W",
        "fallbackLimit": 690,  # what a boot would get, were the group enabled
        "members": [{"stationId": "CP9"}],
    }
    created = await api.post("/charging-groups", json=body)
    assert created.status_code == 201 and created.json()["enabled"] is False
    group_id = created.json()["id"]
    assert (await api.post("/charging-groups", json=body)).status_code == 409
    # A disabled group sends nothing, not even on boot.
    cp = await connect("CP9")
    sent: list[dict] = []
    cp.answer(
        "SetChargingProfile", lambda call: sent.append(call.payload) or {"status": "Accepted"}
    )
    await sc.boot_station(cp)
    await settle(csms)  # station_booted has run: it started nothing for a disabled group
    assert sent == []
    patched = await api.patch(
        f"/charging-groups/{group_id}", json={"limit": 7000, "fallbackLimit": 1380}
    )
    assert patched.json()["limit"] == 7000 and patched.json()["fallbackLimit"] == 1380
    # Enabled, the next boot gets the fallback, and only it: one division per group runs at a
    # time, so anything the first boot had set off would have come first.
    assert (await api.patch(f"/charging-groups/{group_id}", json={"enabled": True})).is_success
    await sc.boot_station(cp)
    await eventually(lambda: sent)
    assert [
        (
            p["csChargingProfiles"]["chargingProfilePurpose"],
            p["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"],
        )
        for p in sent
    ] == [("TxDefaultProfile", 1380)]
    listed = (await api.get("/charging-groups")).json()
    assert [g["name"] for g in listed["items"]] == ["site"] and listed["total"] == 1
    assert (await api.delete(f"/charging-groups/{group_id}")).status_code == 204
    assert (await api.get(f"/charging-groups/{group_id}")).status_code == 404


async def test_a_removed_station_leaves_its_groups_and_mirror(
    csms: Any, api: Any, connect: Any, sc: Any
) -> None:
    assert (await api.post("/id-tags", json={"idTag": "TAG1"})).status_code == 201
    body = {
        "name": "garage",
        "limit": 20,
        "unit": "A",
        "enabled": True,
        "members": [{"stationId": "CPA", "maxLimit": 16}, {"stationId": "CPB", "maxLimit": 16}],
    }
    group_id = (await api.post("/charging-groups", json=body)).json()["id"]
    stations = {}
    for station_id in ("CPA", "CPB"):
        await csms.stations.create(station_id, None)
        cp = await connect(station_id, register=False)
        cp.answer("SetChargingProfile", {"status": "Accepted"})
        stations[station_id] = await sc.boot_station(cp)
    await sc.start_transaction(stations["CPA"], 1)
    await sc.start_transaction(stations["CPB"], 1)
    await settled(api, group_id, {"CPA/1": 10.0, "CPB/1": 10.0})
    assert (await api.get("/stations/CPA/charging-profiles")).json()["items"]

    assert (await api.delete("/stations/CPA")).status_code == 204
    group = await settled(api, group_id, {"CPB/1": 16.0})  # CPB may use the whole 16 A now
    assert [m["stationId"] for m in group["members"]] == ["CPB"]
    await csms.stations.create("CPA", None)  # the same id again: a new station, no profiles
    assert (await api.get("/stations/CPA/charging-profiles")).json()["items"] == []
