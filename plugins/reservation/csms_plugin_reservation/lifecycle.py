"""How station events move reservations along: used by a transaction, expired by the clock,
flagged when the connector fails or another tag shows up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from csms_core import Csms, IdTagInfo, StatusNotification, TransactionStarted
from csms_core.storage.types import utcnow

from . import PLUGIN, store
from .models import ACCEPTED, CANCELLED, EXPIRED, TERMINATED, USED, Reservation

log = logging.getLogger("csms.reservation")

# A timer may fire a hair early; never spin on a reservation that is due "now".
EXPIRY_SLACK_SECONDS = 0.01


@dataclass
class Runtime:
    """The plugin's state on this node."""

    # Set whenever a reservation becomes active, so the expiry job re-plans.
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    # What "now" is for expiry and the checks: the wall clock, moved only by tests.
    clock: Callable[[], datetime] = utcnow


def runtime(app: Csms) -> Runtime:
    return app.plugin_state(PLUGIN, Runtime)


def now(app: Csms) -> datetime:
    return runtime(app).clock()


def replan_expiry(app: Csms) -> None:
    """A reservation became active (or the clock moved): the expiry job plans again."""
    runtime(app).changed.set()


def travel(app: Csms, seconds: float) -> None:
    """Move this node's reservation clock ``seconds`` from the wall clock (tests drive expiry
    with it instead of waiting)."""
    runtime(app).clock = lambda: utcnow() + timedelta(seconds=seconds)
    replan_expiry(app)


async def tag_group(app: Csms, id_tag: str, id_tag_info: IdTagInfo | None = None) -> set[str]:
    """The tag and its parent, casefolded (IdToken is case-insensitive)."""
    parent = (id_tag_info or {}).get("parentIdTag")
    if parent is None:
        info = await app.query("id_tag_info", id_tag=id_tag)
        parent = (info or {}).get("parentIdTag")
    return {t.casefold() for t in (id_tag, parent) if t}


def reserved_for(reservation: Reservation, group: set[str]) -> bool:
    """OCPP 1.6 §5.13: the incoming tag or its parent matches the reservation's tag or parent."""
    own = {t.casefold() for t in (reservation.id_tag, reservation.parent_id_tag) if t}
    return bool(own & group)


async def on_transaction_started(
    app: Csms, station_id: str, transaction: TransactionStarted
) -> None:
    reservation_id = transaction["reservationId"]
    if reservation_id is not None:
        record = await store.get(app, reservation_id)
        # Expired or terminated too: the station's clock or an offline start may beat us.
        if record is not None and record.station_id == station_id:
            if await store.end(
                app,
                reservation_id,
                USED,
                (ACCEPTED, EXPIRED, TERMINATED),
                transaction_id=transaction["transactionId"],
            ):
                log.info("reservation %s used by transaction", reservation_id)
            return
        log.warning(
            "%s started a transaction for unknown reservation %s", station_id, reservation_id
        )

    # The station may leave reservationId out: match the reserved connector and the tag group.
    connector_id = transaction["connectorId"]
    candidates = [
        r for r in await store.active(app, station_id) if r.connector_id in (connector_id, 0)
    ]
    if not candidates:
        return
    group = await tag_group(app, transaction["idTag"], transaction["idTagInfo"])
    matching = sorted(
        (r for r in candidates if reserved_for(r, group)),
        key=lambda r: r.connector_id == 0,  # the connector's own reservation first
    )
    if matching:
        await store.end(
            app, matching[0].reservation_id, USED, transaction_id=transaction["transactionId"]
        )
        return
    others = [r for r in candidates if r.connector_id == connector_id]
    await store.add_event(
        app,
        others,
        "TransactionByOtherTag",
        idTag=transaction["idTag"],
        transactionId=transaction["transactionId"],
    )


async def on_status_changed(
    app: Csms, station_id: str, connector_id: int, status: StatusNotification
) -> None:
    state = status["status"]
    if state not in ("Faulted", "Unavailable"):
        return
    # Connector 0 is the whole station: every reservation there is affected.
    affected = await store.active(app, station_id, None if connector_id == 0 else connector_id)
    if affected:
        log.warning(
            "%s connector %s is %s while reserved (%s)",
            station_id,
            connector_id,
            state,
            ", ".join(str(r.reservation_id) for r in affected),
        )
    await store.add_event(
        app, affected, f"Connector{state}", connectorId=connector_id, errorCode=status["errorCode"]
    )
    # OCPP 1.6 5.13: the station terminates a reservation whose connector (or itself, connector
    # 0) goes Faulted or Unavailable; the record follows it.
    for reservation in affected:
        await store.end(app, reservation.reservation_id, TERMINATED)


async def on_authorize(app: Csms, station_id: str, payload: dict) -> None:
    """Authorize carries no connectorId, so a tag that matches none of the station's
    reservations is noted on all of them for the operator to judge."""
    active = await store.active(app, station_id)
    if not active:
        return
    group = await tag_group(app, payload["idTag"])
    if any(reserved_for(r, group) for r in active):
        return
    log.info("%s: idTag %s authorized while reserved for others", station_id, payload["idTag"])
    await store.add_event(app, active, "AuthorizeByOtherTag", idTag=payload["idTag"])


async def on_station_booted(app: Csms, station_id: str, status: str) -> None:
    # Not every station keeps reservations through a reboot.
    active = await store.active(app, station_id)
    await store.add_event(app, active, "StationBooted", registration=status)


async def on_station_removed(app: Csms, station_id: str) -> None:
    """The station was deleted: its active reservations end (nothing can use them), and the
    records stay as history."""
    active = await store.active(app, station_id)
    await store.add_event(app, active, "StationRemoved")
    for reservation in active:
        await store.end(app, reservation.reservation_id, CANCELLED)


async def expire_now(app: Csms) -> list[int]:
    expired = await store.expire_overdue(app, now(app))
    if expired:
        log.info("reservations expired: %s", ", ".join(map(str, expired)))
    return expired


async def expire_forever(app: Csms) -> None:
    """Expires reservations at their expiryDate: wakes for the earliest one, when a new one
    is accepted, and at least every ``expiry_scan_seconds`` (another node may add some)."""
    changed = runtime(app).changed
    while True:
        # Clear first: a reservation accepted during the queries below still wakes us.
        changed.clear()
        delay = app.settings_for(PLUGIN).expiry_scan_seconds
        try:
            await expire_now(app)
            upcoming = await store.next_expiry(app)
            if upcoming is not None:
                due = (upcoming - now(app)).total_seconds() + EXPIRY_SLACK_SECONDS
                delay = min(delay, max(due, EXPIRY_SLACK_SECONDS))
        except Exception:
            log.exception("reservation expiry failed; retrying")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), delay)
