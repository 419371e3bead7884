"""Reservation records: reading them and moving them through their lifecycle. Module-level
functions taking ``app`` first, each opening its own session."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from csms_core import Csms
from csms_core.paging import Page, Paged, paginate
from csms_core.rpc import format_timestamp, parse_timestamp
from csms_core.storage.types import utcnow

from . import PLUGIN
from .models import ACCEPTED, EXPIRED, Reservation, ReservationIdAllocation

log = logging.getLogger("csms.reservation")

Out = TypeVar("Out", bound=BaseModel)


async def _active_by_station(
    session: AsyncSession, station_ids: Sequence[str]
) -> dict[str, list[Reservation]]:
    rows = await session.scalars(
        select(Reservation)
        .where(Reservation.station_id.in_(station_ids), Reservation.status == ACCEPTED)
        .order_by(Reservation.reservation_id)
    )
    found: dict[str, list[Reservation]] = {}
    for row in rows:
        found.setdefault(row.station_id, []).append(row)
    return found


async def get(app: Csms, reservation_id: int) -> Reservation | None:
    async with app.db.read() as session:
        return await session.get(Reservation, reservation_id)


async def page(
    app: Csms,
    page: Page,
    model: type[Out],
    station_id: str | None = None,
    status: str | None = None,
) -> Paged[Out]:
    """Reservations, newest id first, as a page of ``model``."""
    query = select(Reservation).order_by(Reservation.reservation_id.desc())
    if station_id is not None:
        query = query.where(Reservation.station_id == station_id)
    if status is not None:
        query = query.where(Reservation.status == status)
    async with app.db.read() as session:
        return await paginate(session, query, page, model)


async def active(app: Csms, station_id: str, connector_id: int | None = None) -> list[Reservation]:
    """Accepted reservations on a station (on one connector when given)."""
    if connector_id is None:
        # Every boot asks: concurrent boots (a reconnect storm) share one query.
        reader = app.db.batched("reservation.active", _active_by_station, ())
        return list(await reader.get(station_id))
    query = select(Reservation).where(
        Reservation.station_id == station_id,
        Reservation.status == ACCEPTED,
        Reservation.connector_id == connector_id,
    )
    async with app.db.read() as session:
        return list(await session.scalars(query.order_by(Reservation.reservation_id)))


async def next_id(app: Csms) -> int:
    """A reservationId unique across nodes, skipping any an operator chose himself."""
    async with app.db.transaction() as session:
        while True:
            result = await session.execute(insert(ReservationIdAllocation).values())
            (reservation_id,) = result.inserted_primary_key
            if await session.get(Reservation, reservation_id) is None:
                return reservation_id


async def record_answer(app: Csms, station_id: str, request: dict, status: str) -> Reservation:
    """Store a ReserveNow and the station's answer; a known reservationId is replaced,
    as the station replaces it (OCPP 1.6 §5.13)."""
    now = utcnow()
    values = {
        "station_id": station_id,
        "connector_id": request["connectorId"],
        "id_tag": request["idTag"],
        "parent_id_tag": request.get("parentIdTag"),
        "expiry_date": parse_timestamp(request["expiryDate"]),
        "status": status,
        "updated_at": now,
    }
    async with app.db.transaction() as session:
        record = await session.get(Reservation, request["reservationId"], with_for_update=True)
        if record is None:
            record = Reservation(
                reservation_id=request["reservationId"], created_at=now, events=[], **values
            )
            session.add(record)
        elif record.station_id != station_id:
            # Two nodes sent the same operator-chosen id to two stations at once.
            log.error(
                "reservation %s of %s not recorded: the id belongs to %s",
                request["reservationId"],
                station_id,
                record.station_id,
            )
        else:
            for name, value in values.items():
                setattr(record, name, value)
            record.transaction_id = None
    return record


async def end(
    app: Csms,
    reservation_id: int,
    status: str,
    from_statuses: Iterable[str] = (ACCEPTED,),
    **values: Any,
) -> bool:
    """Move a reservation to ``status`` if it is still in one of ``from_statuses``;
    conditional so that concurrent endings (expiry vs. a transaction) cannot both win."""
    async with app.db.transaction() as session:
        result = await session.execute(
            update(Reservation)
            .where(
                Reservation.reservation_id == reservation_id,
                Reservation.status.in_(list(from_statuses)),
            )
            .values(status=status, updated_at=utcnow(), **values)
        )
    return result.rowcount > 0


async def add_event(
    app: Csms, reservations: Iterable[Reservation], kind: str, **detail: Any
) -> None:
    """Append an operator-visible event (newest last, at most ``max_events`` kept)."""
    ids = [r.reservation_id for r in reservations]
    if not ids:
        return
    event = {"at": format_timestamp(utcnow()), "type": kind, **detail}
    keep = app.settings_for(PLUGIN).max_events
    async with app.db.transaction() as session:
        # Locked: two events at once (a fault and a reboot) must not lose one another.
        for record in await session.scalars(
            select(Reservation)
            .where(Reservation.reservation_id.in_(ids))
            .order_by(Reservation.reservation_id)
            .with_for_update()
        ):
            # A new list, so SQLAlchemy sees the JSON column change.
            record.events = [*(record.events or []), event][-keep:]


async def expire_overdue(app: Csms, now: datetime) -> list[int]:
    """Mark every active reservation whose expiryDate is ``now`` or earlier as Expired."""
    async with app.db.transaction() as session:
        ids = list(
            await session.scalars(
                select(Reservation.reservation_id).where(
                    Reservation.status == ACCEPTED, Reservation.expiry_date <= now
                )
            )
        )
        if ids:
            await session.execute(
                update(Reservation)
                .where(Reservation.reservation_id.in_(ids), Reservation.status == ACCEPTED)
                .values(status=EXPIRED, updated_at=now)
            )
    return ids


async def next_expiry(app: Csms) -> datetime | None:
    async with app.db.read() as session:
        return await session.scalar(
            select(func.min(Reservation.expiry_date)).where(Reservation.status == ACCEPTED)
        )
