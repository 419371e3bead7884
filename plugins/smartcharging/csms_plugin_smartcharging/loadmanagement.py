"""Load management: a charging group's capacity divided among its running transactions.

When a transaction in an enabled group starts or stops, the CSMS recomputes every share and
pushes TxProfiles (one Relative period, the share as limit) through ``app.call``. It runs in a
background task spawned after the event, so a station's StartTransaction is never delayed.

- Fair share is max-min fair: every transaction gets ``clamp(level, min, max)`` for the one
  water level that fills the capacity; nobody gets more than its connector's maximum.
- If the capacity cannot give every transaction its minimum, the earliest transactions keep
  charging and later ones get limit 0 (paused) until room frees up.
- Decreases are sent before increases, and if a decrease is not accepted no increase follows,
  so the sum of TxProfile limits never exceeds the group's limit.
- A station that disconnects keeps its share: offline it goes on with its last TxProfile
  (section 3.13.6). When it boots again it first gets the group's fallback TxDefaultProfile
  (a safe limit for transactions that start before the next division), then a new division.
- Several nodes: the division reads every running transaction and every pushed share from the
  database, and holds a per-group lock (a PostgreSQL advisory lock) while it divides and
  pushes, so whichever node saw the event, one division of a group runs at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from csms_core import Csms, Transaction, TransactionStarted, TransactionStopped

from . import PLUGIN, store
from .composite import parse_time, round_down
from .models import ChargingGroup
from .store import Key

log = logging.getLogger("csms.smartcharging.load")


@dataclass(frozen=True, slots=True)
class Demand:
    key: Key
    minimum: float
    maximum: float


def allocate(capacity: float, demands: Sequence[Demand]) -> dict[Key, float]:
    """Divide ``capacity`` among ``demands`` (in arrival order). Pure."""
    shares: dict[Key, float] = {}
    admitted: list[Demand] = []
    remaining = capacity
    for demand in demands:
        floor = min(demand.minimum, demand.maximum)
        if floor <= remaining + 1e-9:
            admitted.append(demand)
            remaining -= floor
        shares[demand.key] = 0.0

    def total(level: float) -> float:
        return sum(max(min(d.minimum, d.maximum), min(level, d.maximum)) for d in admitted)

    low, high = 0.0, max((d.maximum for d in admitted), default=0.0)
    if total(high) <= capacity:
        low = high
    else:
        for _ in range(60):  # bisection: ``low`` always fits
            middle = (low + high) / 2
            low, high = (middle, high) if total(middle) <= capacity else (low, middle)
    for demand in admitted:
        share = max(min(demand.minimum, demand.maximum), min(low, demand.maximum))
        shares[demand.key] = round_down(share)
    return shares


# --- state -------------------------------------------------------------------------------
#
# What was pushed lives in the database (``store.pushed_shares``), and one division of a group
# runs at a time in the whole cluster: each node sees only its own stations' events, and two
# nodes dividing at once from their own picture could together grant more than the limit.


@dataclass
class Runtime:
    """The plugin's state on this node: one waiter per group, so that queued events do not
    each hold a pooled connection while the division lock is taken."""

    locks: dict[int, asyncio.Lock] = field(default_factory=dict)


@contextlib.asynccontextmanager
async def group_lock(app: Csms, group_id: int) -> AsyncIterator[None]:
    """Hold the group's division for the whole cluster."""
    locks = app.plugin_state(PLUGIN, Runtime).locks
    async with locks.setdefault(group_id, asyncio.Lock()), store.division_lock(app, group_id):
        yield


async def current_allocation(app: Csms, group_id: int) -> dict[str, float]:
    shares = await store.pushed_shares(app, group_id)
    return {f"{s}/{c}": share for (s, c), (_, share) in sorted(shares.items())}


async def forget(app: Csms, group_id: int) -> None:
    """A deleted group: its TxProfiles end with their transactions."""
    async with group_lock(app, group_id):
        await store.drop_shares(app, group_id)


def _member_of(group: ChargingGroup, station_id: str, connector_id: int | None) -> dict | None:
    """The member entry covering this connector (any of the station's when None)."""
    for member in group.members:
        if member["stationId"] != station_id:
            continue
        if connector_id is None or member.get("connectorId") in (None, connector_id):
            return member
    return None


async def groups_with(app: Csms, station_id: str, connector_id: int | None = None) -> list[int]:
    """The enabled groups the station (the connector, when given) is a member of."""
    groups = await store.enabled_groups(app)
    return [g.id for g in groups if _member_of(g, station_id, connector_id)]


# --- dividing and pushing -------------------------------------------------------------------


def _amps_to(unit: str, amps: float, voltage: float) -> float:
    return amps * voltage * 3 if unit == "W" else amps  # 3 phases: the spec's default


def _profile_id(app: Csms, connector_id: int) -> int:
    return app.settings_for(PLUGIN).load_profile_id_base + connector_id


def tx_profile(app: Csms, unit: str, connector_id: int, transaction_id: int, limit: float) -> dict:
    return {
        "connectorId": connector_id,
        "csChargingProfiles": {
            "chargingProfileId": _profile_id(app, connector_id),
            "transactionId": transaction_id,
            "stackLevel": app.settings_for(PLUGIN).load_stack_level,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
            },
        },
    }


Started = tuple[str, TransactionStarted]  # (station_id, transaction): an event's hint
Stopped = tuple[str, TransactionStopped]


async def _demands(
    app: Csms, group: ChargingGroup, started: Started | None, stopped: Stopped | None
) -> tuple[list[Demand], dict[Key, int]]:
    options = app.settings_for(PLUGIN)
    found: list[tuple[Any, int, Demand]] = []
    transactions: dict[Key, int] = {}
    for station_id in dict.fromkeys(m["stationId"] for m in group.members):
        running: list[Transaction | TransactionStarted] = list(
            await app.query("active_transactions", station_id=station_id) or []
        )
        # The event's own transaction, whether or not the query has caught up with it.
        if started and started[0] == station_id:
            running = [t for t in running if t["transactionId"] != started[1]["transactionId"]]
            running.append(started[1])
        if stopped and stopped[0] == station_id:
            running = [t for t in running if t["transactionId"] != stopped[1]["transactionId"]]
        profiles = await store.installed(app, station_id)
        for tx in running:
            member = _member_of(group, station_id, tx["connectorId"])
            if member is None:
                continue
            key = (station_id, tx["connectorId"])
            maximum = member.get("maxLimit") or _amps_to(
                group.unit, options.max_current, options.voltage
            )
            minimum = member.get("minLimit")
            if minimum is None:
                minimum = _amps_to(group.unit, options.min_current, options.voltage)
                for p in profiles:  # the EV's own minimum, when a profile carries it
                    schedule = p.profile["chargingSchedule"]
                    if (
                        p.connector_id in (0, tx["connectorId"])
                        and schedule.get("minChargingRate") is not None
                        and schedule["chargingRateUnit"] == group.unit
                    ):
                        minimum = max(minimum, schedule["minChargingRate"])
            started_at = parse_time(tx["timestamp"])
            found.append((started_at, tx["transactionId"], Demand(key, minimum, maximum)))
            transactions[key] = tx["transactionId"]
    found.sort(key=lambda item: (item[0] is None, item[0] or 0, item[1]))
    return [demand for _, _, demand in found], transactions


async def rebalance(
    app: Csms, group_id: int, started: Started | None = None, stopped: Stopped | None = None
) -> None:
    """Divide the group's capacity again and push what changed (decreases first)."""
    async with group_lock(app, group_id):
        await _rebalance(app, group_id, started, stopped)


async def _rebalance(
    app: Csms, group_id: int, started: Started | None = None, stopped: Stopped | None = None
) -> None:
    group = await store.group(app, group_id)
    pushed = await store.pushed_shares(app, group_id)
    if group is None or not group.enabled:
        await _release(app, group_id, pushed)
        return
    demands, transactions = await _demands(app, group, started, stopped)
    shares = allocate(group.limit, demands)
    # The transaction ended (its TxProfile went with it), or the member left the group.
    await store.drop_shares(app, group_id, [k for k in pushed if k not in shares])
    fallback = group.fallback_limit
    changes = []
    for key, share in shares.items():
        previous = pushed.get(key)
        if previous == (transactions[key], share):
            continue
        demand = next(d for d in demands if d.key == key)
        before = (
            previous[1]
            if previous and previous[0] == transactions[key]
            else (fallback if fallback is not None else demand.maximum)
        )
        changes.append((share - before, key, share))
    changes.sort()
    for delta, key, share in changes:
        station_id, connector_id = key
        payload = tx_profile(app, group.unit, connector_id, transactions[key], share)
        try:
            answer = await app.call(station_id, "SetChargingProfile", payload)
            accepted = answer.get("status") == "Accepted"
        except Exception as exc:
            log.warning("load management: %s connector %s: %s", station_id, connector_id, exc)
            accepted = False
        if accepted:
            await store.record_share(app, group_id, key, transactions[key], share)
        elif delta < 0:
            log.warning("load management: a decrease failed; holding back increases")
            return


async def _release(app: Csms, group_id: int, pushed: dict[Key, tuple[int, float]]) -> None:
    """A disabled group lifts the limits it imposed."""
    for station_id, connector_id in list(pushed):
        try:
            await app.call(
                station_id, "ClearChargingProfile", {"id": _profile_id(app, connector_id)}
            )
        except Exception as exc:
            log.warning("load management: could not clear %s/%s: %s", station_id, connector_id, exc)
        await store.drop_shares(app, group_id, [(station_id, connector_id)])


async def on_transaction_started(
    app: Csms, station_id: str, transaction: TransactionStarted
) -> None:
    for group_id in await groups_with(app, station_id, transaction["connectorId"]):
        app.spawn(rebalance(app, group_id, started=(station_id, transaction)))


async def on_transaction_stopped(
    app: Csms, station_id: str, transaction: TransactionStopped
) -> None:
    for group_id in await groups_with(app, station_id, transaction["connectorId"]):
        app.spawn(rebalance(app, group_id, stopped=(station_id, transaction)))


async def on_boot(app: Csms, station_id: str) -> None:
    """A member station (re)booted: safe default first, then a fresh division."""
    for group in await store.enabled_groups(app):
        members = [m for m in group.members if m["stationId"] == station_id]
        if not members:
            continue
        async with group_lock(app, group.id):
            await _after_boot(app, group, station_id, members)


async def _after_boot(
    app: Csms, group: ChargingGroup, station_id: str, members: list[dict[str, Any]]
) -> None:
    options = app.settings_for(PLUGIN)
    pushed = await store.pushed_shares(app, group.id)
    # Re-send: we cannot be sure what survived the reboot.
    await store.drop_shares(app, group.id, [k for k in pushed if k[0] == station_id])
    if group.fallback_limit is not None:
        for connector_id in sorted({m.get("connectorId") or 0 for m in members}):
            payload = {
                "connectorId": connector_id,
                "csChargingProfiles": {
                    "chargingProfileId": options.load_profile_id_base - connector_id - 1,
                    "stackLevel": options.load_stack_level,
                    "chargingProfilePurpose": "TxDefaultProfile",
                    "chargingProfileKind": "Relative",
                    "chargingSchedule": {
                        "chargingRateUnit": group.unit,
                        "chargingSchedulePeriod": [
                            {"startPeriod": 0, "limit": group.fallback_limit}
                        ],
                    },
                },
            }
            try:
                await app.call(station_id, "SetChargingProfile", payload)
            except Exception as exc:
                log.warning("load management: fallback profile for %s: %s", station_id, exc)
    await _rebalance(app, group.id)


async def on_station_removed(app: Csms, station_id: str) -> None:
    """The station was deleted: it leaves every group, its shares are forgotten, and the
    groups it was in divide again (the others may use its capacity)."""
    for group_id in await store.group_ids(app):
        async with group_lock(app, group_id):
            enabled = await store.remove_member(app, group_id, station_id)
        if enabled:
            app.spawn(rebalance(app, group_id))
