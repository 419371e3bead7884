"""Building and sending updates: per-station version bookkeeping, splitting, recovery after
VersionMismatch, and the optional automatic sync (on boot, on change)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextvars import ContextVar
from typing import Any

from csms_core import PayloadRejected
from csms_core.errors import CallFailed, UnknownStation

from .lists import Entries, config_int, desired_entries, plan_messages
from .store import LocalAuthStore

log = logging.getLogger("csms.localauth")

# Set while this module sends: on_result then leaves VersionMismatch recovery to us.
in_push: ContextVar[bool] = ContextVar("localauth_in_push", default=False)


class LocalAuth:
    """The plugin's runtime state (``app.state["localauth"]``)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.settings = app.settings_for("localauth")
        self.store = LocalAuthStore(app.db)
        # One update at a time per station: build, send every chunk, record, recover.
        self._locks: dict[str, asyncio.Lock] = {}
        self._batch: asyncio.Task | None = None

    def _lock(self, station_id: str) -> asyncio.Lock:
        return self._locks.setdefault(station_id, asyncio.Lock())

    # --- what a station should hold, and may hold -------------------------------------

    async def limits(self, station_id: str) -> tuple[int | None, int | None]:
        """(SendLocalListMaxLength, LocalAuthListMaxLength) from the station's stored
        configuration, else the settings' fallbacks."""
        config = await self.app.query("station_configuration", station_id=station_id)
        send_max = config_int(config, "SendLocalListMaxLength")
        if send_max is None or send_max < 1:
            send_max = self.settings.send_list_max_length
        list_max = config_int(config, "LocalAuthListMaxLength")
        if list_max is None or list_max < 0:
            list_max = self.settings.local_list_max_length
        return send_max, list_max

    async def all_tags(self) -> list[dict]:
        tags = await self.app.query("list_id_tags")
        if tags is None:
            # No tag store (Core disabled): an empty answer would wipe every station's list.
            raise PayloadRejected("no plugin answers list_id_tags: is the core plugin enabled?")
        return tags

    async def desired(self, station_id: str, tags: list[dict] | None = None) -> Entries:
        if tags is None:
            tags = await self.all_tags()
        members = await self.store.members_for(station_id)
        return desired_entries(tags, members, self.settings.include_invalid)

    # --- sending ------------------------------------------------------------------------

    async def push(
        self,
        station_id: str,
        update_type: str,
        timeout: float | None = None,
        tags: list[dict] | None = None,
    ) -> dict[str, Any]:
        """Bring the station's list up to date; a report of what was sent and answered.

        Raises PayloadRejected (list too long: nothing sent) or the CallFailed of app.call.
        ``tags``: the id tag store's answer, when the caller already asked (batch sync).
        """
        if await self.app.stations.get(station_id) is None:
            raise UnknownStation(station_id)
        report: dict[str, Any] = {"requestedUpdateType": update_type, "messages": []}
        async with self._lock(station_id):
            status = await self._send(station_id, update_type, report, timeout, tags)
            if status == "VersionMismatch":
                report["recovered"] = True
                status = await self._recover(station_id, report, timeout)
        report["status"] = status or "UpToDate"
        return report

    async def _send(
        self,
        station_id: str,
        update_type: str,
        report: dict,
        timeout: float | None = None,
        tags: list[dict] | None = None,
    ) -> str | None:
        state = await self.store.state(station_id)
        if update_type == "Differential" and state is not None and state.needs_full:
            update_type = "Full"
            report["fullBecause"] = "the station's list is not known for sure"
        send_max, list_max = await self.limits(station_id)
        desired = await self.desired(station_id, tags)
        if list_max is not None and len(desired) > list_max:
            raise PayloadRejected(
                f"{station_id} should hold {len(desired)} entries, but its "
                f"LocalAuthListMaxLength is {list_max}; nothing was sent"
            )
        current = await self.store.mirror(station_id) if update_type == "Differential" else {}
        last = 0
        if state is not None:
            last = max(state.list_version, state.highest_version, state.reported_version or 0)
        messages = plan_messages(update_type, current, desired, last + 1, send_max)
        status = None
        for message in messages:
            token = in_push.set(True)
            try:
                response = await self.app.call(station_id, "SendLocalList", message, timeout)
            finally:
                in_push.reset(token)
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

    async def _recover(
        self, station_id: str, report: dict, timeout: float | None = None
    ) -> str | None:
        """After VersionMismatch: learn the station's version (so ours goes above it), then
        send the full list. Once: a second mismatch is recorded, not retried."""
        token = in_push.set(True)
        try:
            await self.app.call(station_id, "GetLocalListVersion", {}, timeout)
        except CallFailed as exc:
            log.info("%s: GetLocalListVersion before a full update failed: %s", station_id, exc)
        finally:
            in_push.reset(token)
        return await self._send(station_id, "Full", report, timeout)

    async def recover(self, station_id: str) -> None:
        """VersionMismatch to a SendLocalList sent by hand: the full list, in the background."""
        async with self._lock(station_id):
            report: dict[str, Any] = {"messages": []}
            try:
                await self._recover(station_id, report)
            except CallFailed as exc:
                log.warning("%s: recovery after VersionMismatch failed: %s", station_id, exc)

    # --- automatic sync (off by default) ----------------------------------------------

    def lists_changed(self) -> None:
        """Tags, authorization lists or assignments changed: sync connected stations after
        ``sync_delay``; changes meanwhile join the same batch."""
        if not self.settings.sync_on_change:
            return
        if self._batch is None or self._batch.done():
            self._batch = self.app.spawn(self._sync_later())

    async def _sync_later(self) -> None:
        await asyncio.sleep(self.settings.sync_delay)
        self._batch = None  # from here on, a change opens the next batch
        await self.sync_connected()

    async def sync_connected(self) -> None:
        """A differential update to every connected, accepted station whose list changed."""
        limit = asyncio.Semaphore(self.settings.sync_concurrency)
        try:
            tags = await self.all_tags()  # once for every station
        except PayloadRejected as exc:
            log.warning("automatic local list sync skipped: %s", exc)
            return

        async def one(station_id: str) -> None:
            async with limit:
                station = await self.app.stations.get(station_id)
                if station is None or station.registration_status != "Accepted":
                    return  # OCPP: no CSMS-initiated calls before an Accepted boot
                state = await self.store.state(station_id)
                if state is not None and (
                    state.reported_version == -1 or state.last_result == "NotSupported"
                ):
                    return  # no local list there; don't keep asking
                try:
                    await self.push(station_id, "Differential", tags=tags)
                except (CallFailed, PayloadRejected) as exc:
                    log.warning("%s: automatic local list update failed: %s", station_id, exc)

        await asyncio.gather(*(one(s) for s in sorted(await self.app.router.connected_ids())))

    async def forget(self, station_id: str) -> None:
        """The station was deleted (the mirror and the assignment go with it)."""
        async with self._lock(station_id):
            await self.store.forget_station(station_id)
        self._locks.pop(station_id, None)

    def booted(self, station_id: str, status: str) -> None:
        if self.settings.sync_on_boot and status == "Accepted":
            self.app.spawn(self._sync_after_boot(station_id))

    async def _sync_after_boot(self, station_id: str) -> None:
        # Let the BootNotification.conf reach the station before we ask anything.
        await asyncio.sleep(self.settings.sync_delay)
        with contextlib.suppress(CallFailed, PayloadRejected):
            token = in_push.set(True)
            try:
                # Its answer corrects the mirror (an empty list, or a version we did not set).
                answer = await self.app.call(station_id, "GetLocalListVersion", {})
            finally:
                in_push.reset(token)
            if answer["listVersion"] != -1:
                await self.push(station_id, "Differential")
