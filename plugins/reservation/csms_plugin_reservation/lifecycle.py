"""How station events move reservations along: used by a transaction, expired by the clock,
flagged when the connector fails or another tag shows up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from .models import ACCEPTED, CANCELLED, EXPIRED, USED, Reservation
from .store import ReservationStore, store_of, utcnow

log = logging.getLogger("csms.reservation")

# A timer may fire a hair early; never spin on a reservation that is due "now".
EXPIRY_SLACK_SECONDS = 0.01


async def tag_group(app: Any, id_tag: str, id_tag_info: dict | None = None) -> set[str]:
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


async def on_transaction_started(app: Any, station_id: str, transaction: dict) -> None:
    store = store_of(app)
    reservation_id = transaction.get("reservationId")
    if reservation_id is not None:
        record = await store.get(reservation_id)
        # Expired too: the station's clock or an offline start may beat our timer.
        if record is not None and record.station_id == station_id:
            if await store.end(
                reservation_id,
                USED,
                (ACCEPTED, EXPIRED),
                transaction_id=transaction.get("transactionId"),
            ):
                log.info("reservation %s used by transaction", reservation_id)
            return
        log.warning(
            "%s started a transaction for unknown reservation %s", station_id, reservation_id
        )

    # The station may leave reservationId out: match the reserved connector and the tag group.
    connector_id = transaction.get("connectorId")
    candidates = [r for r in await store.active(station_id) if r.connector_id in (connector_id, 0)]
    if not candidates:
        return
    group = await tag_group(app, transaction["idTag"], transaction.get("idTagInfo"))
    matching = sorted(
        (r for r in candidates if reserved_for(r, group)),
        key=lambda r: r.connector_id == 0,  # the connector's own reservation first
    )
    if matching:
        await store.end(
            matching[0].reservation_id, USED, transaction_id=transaction.get("transactionId")
        )
        return
    others = [r for r in candidates if r.connector_id == connector_id]
    await store.add_event(
        others,
        "TransactionByOtherTag",
        idTag=transaction["idTag"],
        transactionId=transaction.get("transactionId"),
    )


async def on_status_changed(app: Any, station_id: str, connector_id: int, status: dict) -> None:
    state = status.get("status")
    if state not in ("Faulted", "Unavailable"):
        return
    store = store_of(app)
    # Connector 0 is the whole station: every reservation there is affected.
    affected = await store.active(station_id, None if connector_id == 0 else connector_id)
    if affected:
        log.warning(
            "%s connector %s is %s while reserved (%s)",
            station_id,
            connector_id,
            state,
            ", ".join(str(r.reservation_id) for r in affected),
        )
    await store.add_event(
        affected,
        f"Connector{state}",
        connectorId=connector_id,
        errorCode=status.get("errorCode"),
    )


async def on_authorize(app: Any, station_id: str, payload: dict) -> None:
    """Authorize carries no connectorId, so a tag that matches none of the station's
    reservations is noted on all of them for the operator to judge."""
    store = store_of(app)
    active = await store.active(station_id)
    if not active:
        return
    group = await tag_group(app, payload["idTag"])
    if any(reserved_for(r, group) for r in active):
        return
    log.info("%s: idTag %s authorized while reserved for others", station_id, payload["idTag"])
    await store.add_event(active, "AuthorizeByOtherTag", idTag=payload["idTag"])


async def on_station_booted(app: Any, station_id: str, status: str) -> None:
    store = store_of(app)
    # Not every station keeps reservations through a reboot.
    await store.add_event(await store.active(station_id), "StationBooted", registration=status)


async def on_station_removed(app: Any, station_id: str) -> None:
    """The station was deleted: its active reservations end (nothing can use them), and the
    records stay as history."""
    store = store_of(app)
    active = await store.active(station_id)
    await store.add_event(active, "StationRemoved")
    for reservation in active:
        await store.end(reservation.reservation_id, CANCELLED)


class ExpiryJob:
    """Expires reservations at their expiryDate: wakes for the earliest one, when a new one
    is accepted, and at least every ``expiry_scan_seconds`` (another node may add some)."""

    def __init__(self, store: ReservationStore) -> None:
        self.store = store

    async def expire_now(self) -> list[int]:
        expired = await self.store.expire_overdue()
        if expired:
            log.info("reservations expired: %s", ", ".join(map(str, expired)))
        return expired

    async def run(self) -> None:
        while True:
            # Clear first: a reservation accepted during the queries below still wakes us.
            self.store.changed.clear()
            delay = self.store.settings.expiry_scan_seconds
            try:
                await self.expire_now()
                upcoming = await self.store.next_expiry()
                if upcoming is not None:
                    due = (upcoming - utcnow()).total_seconds() + EXPIRY_SLACK_SECONDS
                    delay = min(delay, max(due, EXPIRY_SLACK_SECONDS))
            except Exception:
                log.exception("reservation expiry failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.store.changed.wait(), delay)
