"""Building and sending updates: per-station version bookkeeping, splitting, recovery after
VersionMismatch or a failed Differential, and the optional automatic sync (on boot, on change)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from csms_core import Csms, IdTag, PayloadRejected
from csms_core.errors import CallFailed, UnknownStation

from . import PLUGIN, store
from .lists import Entries, config_int, desired_entries, plan_messages

log = logging.getLogger("csms.localauth")

# Set while this module sends: on_result then leaves VersionMismatch recovery to us.
in_push: ContextVar[bool] = ContextVar("localauth_in_push", default=False)


def needs_full_retry(update_type: str, status: str) -> bool:
    """OCPP 1.6 5.15: a Differential update answered Failed or VersionMismatch SHOULD be
    retried as a Full one (VersionMismatch is recovered from whatever the type)."""
    return status == "VersionMismatch" or (status == "Failed" and update_type == "Differential")


@dataclass
class SyncState:
    """The plugin's runtime state on this node: ``app.plugin_state(PLUGIN, SyncState)``."""

    # One update at a time per station: build, send every chunk, record, recover.
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    # The automatic sync gathering changes, until its window closes.
    batch: asyncio.Task | None = None
    # Work started in the background (syncs, recoveries), for idle().
    running: set[asyncio.Task] = field(default_factory=set)

    def lock(self, station_id: str) -> asyncio.Lock:
        return self.locks.setdefault(station_id, asyncio.Lock())


def runtime(app: Csms) -> SyncState:
    return app.plugin_state(PLUGIN, SyncState)


def _background(app: Csms, work: Coroutine[Any, Any, None]) -> asyncio.Task:
    running = runtime(app).running
    task = app.spawn(work)
    running.add(task)
    task.add_done_callback(running.discard)
    return task


async def idle(app: Csms) -> None:
    """Wait until the background work started so far (automatic syncs, recoveries after
    VersionMismatch) has finished, and the work that started meanwhile too."""
    running = runtime(app).running
    while running:
        await asyncio.gather(*running, return_exceptions=True)


# --- what a station should hold, and may hold ---------------------------------------------


async def limits(app: Csms, station_id: str) -> tuple[int | None, int | None]:
    """(SendLocalListMaxLength, LocalAuthListMaxLength) from the station's stored
    configuration, else the settings' fallbacks."""
    settings = app.settings_for(PLUGIN)
    config = await app.query("station_configuration", station_id=station_id)
    send_max = config_int(config, "SendLocalListMaxLength")
    if send_max is None or send_max < 1:
        send_max = settings.send_list_max_length
    list_max = config_int(config, "LocalAuthListMaxLength")
    if list_max is None or list_max < 0:
        list_max = settings.local_list_max_length
    return send_max, list_max


async def all_tags(app: Csms) -> list[IdTag]:
    tags = await app.query("list_id_tags")
    if tags is None:
        # No tag store (Core disabled): an empty answer would wipe every station's list.
        raise PayloadRejected("no plugin answers list_id_tags: is the core plugin enabled?")
    return tags


async def desired(app: Csms, station_id: str, tags: list[IdTag] | None = None) -> Entries:
    if tags is None:
        tags = await all_tags(app)
    members = await store.members_for(app, station_id)
    return desired_entries(tags, members, app.settings_for(PLUGIN).include_invalid)


# --- sending ------------------------------------------------------------------------------


async def push(
    app: Csms,
    station_id: str,
    update_type: str,
    timeout: float | None = None,
    tags: list[IdTag] | None = None,
) -> dict[str, Any]:
    """Bring the station's list up to date; a report of what was sent and answered.

    Raises PayloadRejected (list too long: nothing sent) or the CallFailed of app.call.
    ``tags``: the id tag store's answer, when the caller already asked (batch sync).
    """
    if await app.stations.get(station_id) is None:
        raise UnknownStation(station_id)
    report: dict[str, Any] = {"requestedUpdateType": update_type, "messages": []}
    async with runtime(app).lock(station_id):
        status = await _send(app, station_id, update_type, report, timeout, tags)
        # The update's type is its first message's: a split Full goes on in Differentials,
        # and one failing half-way keeps what was accepted for the next update to continue.
        sent_as = report["messages"][0]["updateType"] if report["messages"] else update_type
        if status is not None and needs_full_retry(sent_as, status):
            report["recovered"] = True
            status = await _recover(app, station_id, report, timeout)
    report["status"] = status or "UpToDate"
    return report


async def _send(
    app: Csms,
    station_id: str,
    update_type: str,
    report: dict,
    timeout: float | None = None,
    tags: list[IdTag] | None = None,
) -> str | None:
    state = await store.station_state(app, station_id)
    if update_type == "Differential" and state is not None and state.needs_full:
        update_type = "Full"
        report["fullBecause"] = "the station's list is not known for sure"
    send_max, list_max = await limits(app, station_id)
    wanted = await desired(app, station_id, tags)
    if list_max is not None and len(wanted) > list_max:
        raise PayloadRejected(
            f"{station_id} should hold {len(wanted)} entries, but its "
            f"LocalAuthListMaxLength is {list_max}; nothing was sent"
        )
    current = await store.mirror(app, station_id) if update_type == "Differential" else {}
    last = 0
    if state is not None:
        last = max(state.list_version, state.highest_version, state.reported_version or 0)
    status = None
    for message in plan_messages(update_type, current, wanted, last + 1, send_max):
        response = await _call(app, station_id, "SendLocalList", message, timeout)
        status = response["status"]
        report["messages"].append(
            {
                "updateType": message["updateType"],
                "listVersion": message["listVersion"],
                "entries": len(message["localAuthorizationList"]),
                "status": status,
            }
        )
        if status != "Accepted":
            break  # the mirror holds what was accepted; the next update continues
    return status


async def _call(
    app: Csms, station_id: str, action: str, payload: dict, timeout: float | None = None
) -> dict:
    """``app.call`` marked as ours (``in_push``), so on_result leaves recovery to us."""
    token = in_push.set(True)
    try:
        return await app.call(station_id, action, payload, timeout)
    finally:
        in_push.reset(token)


async def _recover(
    app: Csms, station_id: str, report: dict, timeout: float | None = None
) -> str | None:
    """After VersionMismatch or a failed Differential: learn the station's version (so ours
    goes above it), then send the full list. Once: a second failure is recorded, not retried."""
    try:
        await _call(app, station_id, "GetLocalListVersion", {}, timeout)
    except CallFailed as exc:
        log.info("%s: GetLocalListVersion before a full update failed: %s", station_id, exc)
    return await _send(app, station_id, "Full", report, timeout)


def recover_later(app: Csms, station_id: str) -> None:
    """VersionMismatch or a failed Differential, to a SendLocalList sent by hand: the full
    list, in the background (once the current call has finished)."""
    _background(app, _recover_locked(app, station_id))


async def _recover_locked(app: Csms, station_id: str) -> None:
    async with runtime(app).lock(station_id):
        try:
            await _recover(app, station_id, {"messages": []})
        except CallFailed as exc:
            log.warning("%s: the full update after a refused one failed: %s", station_id, exc)


async def forget(app: Csms, station_id: str) -> None:
    """The station was deleted (the mirror and the assignment go with it)."""
    state = runtime(app)
    async with state.lock(station_id):
        await store.forget_station(app, station_id)
    state.locks.pop(station_id, None)


# --- automatic sync (off by default) ------------------------------------------------------


def lists_changed(app: Csms) -> None:
    """Tags, authorization lists or assignments changed: sync connected stations after
    ``sync_delay``; changes meanwhile join the same batch."""
    if not app.settings_for(PLUGIN).sync_on_change:
        return
    state = runtime(app)
    if state.batch is None or state.batch.done():
        state.batch = _background(app, _sync_later(app))


async def _sync_later(app: Csms) -> None:
    await asyncio.sleep(app.settings_for(PLUGIN).sync_delay)
    runtime(app).batch = None  # from here on, a change opens the next batch
    await sync_connected(app)


async def sync_connected(app: Csms) -> None:
    """A differential update to every connected, accepted station whose list changed."""
    limit = asyncio.Semaphore(app.settings_for(PLUGIN).sync_concurrency)
    try:
        tags = await all_tags(app)  # once for every station
    except PayloadRejected as exc:
        log.warning("automatic local list sync skipped: %s", exc)
        return

    async def one(station_id: str) -> None:
        async with limit:
            station = await app.stations.get(station_id)
            if station is None or station.registration_status != "Accepted":
                return  # OCPP: no CSMS-initiated calls before an Accepted boot
            state = await store.station_state(app, station_id)
            if state is not None and (
                state.reported_version == -1 or state.last_result == "NotSupported"
            ):
                return  # no local list there; don't keep asking
            try:
                await push(app, station_id, "Differential", tags=tags)
            except (CallFailed, PayloadRejected) as exc:
                log.warning("%s: automatic local list update failed: %s", station_id, exc)

    await asyncio.gather(*(one(s) for s in sorted(await app.router.connected_ids())))


def booted(app: Csms, station_id: str, status: str) -> None:
    if app.settings_for(PLUGIN).sync_on_boot and status == "Accepted":
        _background(app, _sync_after_boot(app, station_id))


async def _sync_after_boot(app: Csms, station_id: str) -> None:
    # Let the BootNotification.conf reach the station before we ask anything.
    await asyncio.sleep(app.settings_for(PLUGIN).sync_delay)
    with contextlib.suppress(CallFailed, PayloadRejected):
        # Its answer corrects the mirror (an empty list, or a version we did not set).
        answer = await _call(app, station_id, "GetLocalListVersion", {})
        if answer["listVersion"] != -1:
            await push(app, station_id, "Differential")
