"""Station-initiated Core messages. Each handler writes in one database transaction that
commits before the answer goes out; events that may call the station fire after the reply."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from csms_core.rpc import parse_timestamp, utc_now_iso

from . import store
from .models import (
    ConnectorStatus,
    MeterValue,
    Registration,
    StatusEvent,
    Transaction,
    UnmatchedStop,
)

MAX_INT32 = 2**31 - 1


def _settings(station: Any) -> Any:
    return station.app.settings_for("core")


async def boot_notification(station: Any, payload: dict) -> dict:
    app = station.app
    settings = _settings(station)
    override = await app.db.get(Registration, station.id)
    status = override.status if override is not None else settings.registration_status
    await app.stations.record_boot(station.id, payload, status)
    # Pending/Rejected: the interval tells the station when to boot again.
    interval = settings.heartbeat_interval if status == "Accepted" else settings.boot_retry_interval
    return {"status": status, "currentTime": utc_now_iso(), "interval": interval}


async def heartbeat(station: Any, payload: dict) -> dict:
    return {"currentTime": utc_now_iso()}


def _connector_upsert(dialect: str) -> Any:
    """INSERT .. ON CONFLICT DO UPDATE for the connector's latest status, built once."""
    statement = _UPSERTS.get(dialect)
    if statement is None:
        insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert_(ConnectorStatus)
        keys = ("station_id", "connector_id")
        statement = _UPSERTS[dialect] = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={
                c.name: statement.excluded[c.name]
                for c in ConnectorStatus.__table__.columns
                if c.name not in keys
            },
            # A late, older notification must not overwrite a newer status.
            where=ConnectorStatus.timestamp <= statement.excluded.timestamp,
        )
    return statement


_UPSERTS: dict[str, Any] = {}
_STATUS_EVENT_INSERT = insert(StatusEvent)
_METER_INSERT = insert(MeterValue)
_TX_LAST_METER = (
    update(Transaction)
    .where(
        Transaction.id == bindparam("b_tx"),
        Transaction.station_id == bindparam("b_station"),
        Transaction.stop_timestamp.is_(None),
    )
    .values(last_meter_wh=bindparam("b_wh"))
)


async def status_notification(station: Any, payload: dict) -> dict:
    app = station.app
    connector_id = payload["connectorId"]
    now = store.utcnow()
    timestamp = parse_timestamp(payload["timestamp"]) if payload.get("timestamp") else now
    values = {
        "station_id": station.id,
        "connector_id": connector_id,
        "status": payload["status"],
        "error_code": payload["errorCode"],
        "info": payload.get("info"),
        "vendor_id": payload.get("vendorId"),
        "vendor_error_code": payload.get("vendorErrorCode"),
        "timestamp": timestamp,
        "received_at": now,
    }
    # Group commit: answered once the batch holding both rows has committed.
    await app.db.write(
        (_connector_upsert(app.db.engine.dialect.name), values), (_STATUS_EVENT_INSERT, values)
    )
    station.after_reply(
        lambda: app.fire(
            "status_changed", station_id=station.id, connector_id=connector_id, status=payload
        )
    )
    return {}


async def authorize(station: Any, payload: dict) -> dict:
    async with station.app.db.session() as session:
        info = await store.authorize(session, _settings(station), payload["idTag"], station.id)
    return {"idTagInfo": info}


async def _same_start(
    session: AsyncSession, station_id: str, payload: dict, timestamp: datetime
) -> int | None:
    """The id of a transaction stored for this very StartTransaction (a retransmission)."""
    return await session.scalar(
        select(Transaction.id).where(
            Transaction.station_id == station_id,
            Transaction.connector_id == payload["connectorId"],
            func.lower(Transaction.id_tag) == payload["idTag"].lower(),
            Transaction.meter_start == payload["meterStart"],
            Transaction.start_timestamp == timestamp,
        )
    )


async def start_transaction(station: Any, payload: dict) -> dict:
    app = station.app
    connector_id = payload["connectorId"]
    id_tag = payload["idTag"]
    timestamp = parse_timestamp(payload["timestamp"])
    for attempt in range(2):
        try:
            async with app.db.session() as session, session.begin():
                info = await store.authorize(
                    session, _settings(station), id_tag, station.id, connector_id
                )
                same = await _same_start(session, station.id, payload, timestamp)
                if same is not None:
                    # A retransmission (our answer was lost): same id, nothing new.
                    return {"transactionId": same, "idTagInfo": info}
                tx = Transaction(
                    station_id=station.id,
                    connector_id=connector_id,
                    id_tag=id_tag,
                    id_tag_status=info["status"],
                    reservation_id=payload.get("reservationId"),
                    meter_start=payload["meterStart"],
                    start_timestamp=timestamp,
                    created_at=store.utcnow(),
                )
                session.add(tx)
                await session.flush()
                # A connector runs one transaction: one still open there lost its
                # StopTransaction.
                stale = await session.scalars(
                    select(Transaction).where(
                        Transaction.station_id == station.id,
                        Transaction.connector_id == connector_id,
                        Transaction.stop_timestamp.is_(None),
                        Transaction.id != tx.id,
                    )
                )
                for old in stale:
                    old.stop_timestamp = timestamp
                    old.review_note = (
                        f"no StopTransaction received; superseded by transaction {tx.id}"
                    )
                transaction_id = tx.id
            break
        except IntegrityError:
            # The same StartTransaction was stored between our read and our insert (the
            # station retransmitted it through another connection or node): the unique
            # index kept one, and the next round answers with its id.
            if attempt:
                raise
    started = {
        "transactionId": transaction_id,
        "connectorId": connector_id,
        "idTag": id_tag,
        "meterStart": payload["meterStart"],
        "timestamp": payload["timestamp"],
        "reservationId": payload.get("reservationId"),
        "idTagInfo": info,
    }
    station.after_reply(
        lambda: app.fire("transaction_started", station_id=station.id, transaction=started)
    )
    return {"transactionId": transaction_id, "idTagInfo": info}


def _meter_rows(
    station_id: str,
    connector_id: int | None,
    transaction_id: int | None,
    meter_values: list[dict],
    source: str,
) -> list[dict[str, Any]]:
    """One row (a dict of MeterValue columns) per sampledValue."""
    now = store.utcnow()
    rows = []
    for meter_value in meter_values:
        timestamp = parse_timestamp(meter_value["timestamp"])
        for sampled in meter_value["sampledValue"]:
            get = sampled.get
            rows.append(
                {
                    "station_id": station_id,
                    "connector_id": connector_id,
                    "transaction_id": transaction_id,
                    "timestamp": timestamp,
                    "value": sampled["value"],
                    "context": get("context"),
                    "format": get("format"),
                    "measurand": get("measurand"),
                    "phase": get("phase"),
                    "location": get("location"),
                    "unit": get("unit"),
                    "source": source,
                    "received_at": now,
                }
            )
    return rows


def _last_energy_wh(rows: list[dict[str, Any]]) -> float | None:
    """The latest whole-meter Energy.Active.Import.Register reading (the default measurand)."""
    best: tuple[datetime, float] | None = None
    for row in rows:
        if (row["measurand"] or store.ENERGY_REGISTER) != store.ENERGY_REGISTER:
            continue
        if row["phase"] or (row["format"] or "Raw") != "Raw":
            continue
        wh = store.to_wh(row["value"], row["unit"])
        if wh is not None and (best is None or row["timestamp"] >= best[0]):
            best = (row["timestamp"], wh)
    return best[1] if best else None


async def _own_transaction(
    session: AsyncSession, station_id: str, transaction_id: int | None
) -> Transaction | None:
    if transaction_id is None or not 0 < transaction_id <= MAX_INT32:
        return None
    # Locked until commit (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises): the
    # same StopTransaction arriving twice at once, say on two nodes, is applied once and
    # the second sees meterStop set.
    tx = await session.get(Transaction, transaction_id, with_for_update=True)
    return tx if tx is not None and tx.station_id == station_id else None


async def _unmatched_stop_known(
    session: AsyncSession, station_id: str, payload: dict, timestamp: datetime
) -> bool:
    found = await session.scalar(
        select(UnmatchedStop.id).where(
            UnmatchedStop.station_id == station_id,
            UnmatchedStop.transaction_id == payload["transactionId"],
            UnmatchedStop.meter_stop == payload["meterStop"],
            UnmatchedStop.timestamp == timestamp,
        )
    )
    return found is not None


async def stop_transaction(station: Any, payload: dict) -> dict:
    app = station.app
    transaction_id = payload["transactionId"]
    reason = payload.get("reason", "Local")  # optional; Local when absent (spec 6.48)
    timestamp = parse_timestamp(payload["timestamp"])
    stopped: dict[str, Any] | None = None
    async with app.db.session() as session, session.begin():
        answer: dict[str, Any] = {}
        if payload.get("idTag"):
            info = await store.authorize(session, _settings(station), payload["idTag"], station.id)
            if info["status"] == "ConcurrentTx":  # the tag is ending a transaction, not starting
                info["status"] = "Accepted"
            answer["idTagInfo"] = info
        tx = await _own_transaction(session, station.id, transaction_id)
        if tx is not None and tx.meter_stop is not None:
            return answer  # a retransmitted stop: already recorded
        if tx is None and await _unmatched_stop_known(session, station.id, payload, timestamp):
            return answer  # a retransmitted unmatched stop: already kept
        rows = _meter_rows(
            station.id,
            tx.connector_id if tx is not None else None,
            transaction_id,
            payload.get("transactionData") or [],
            "StopTransaction",
        )
        if rows:
            await session.execute(_METER_INSERT, rows)
        if tx is None:
            # Never lose a stop: keep it for an operator to reconcile.
            session.add(
                UnmatchedStop(
                    station_id=station.id,
                    transaction_id=transaction_id,
                    id_tag=payload.get("idTag"),
                    meter_stop=payload["meterStop"],
                    timestamp=timestamp,
                    reason=reason,
                    received_at=store.utcnow(),
                )
            )
        else:
            stopped = store.record_stop(
                tx,
                payload["meterStop"],
                timestamp,
                payload["timestamp"],
                reason,
                payload.get("idTag"),
            )
    if stopped is not None:
        station.after_reply(
            lambda: app.fire("transaction_stopped", station_id=station.id, transaction=stopped)
        )
    return answer


async def meter_values(station: Any, payload: dict) -> dict:
    app = station.app
    transaction_id = payload.get("transactionId")
    rows = _meter_rows(
        station.id, payload["connectorId"], transaction_id, payload["meterValue"], "MeterValues"
    )
    steps: list[Any] = [(_METER_INSERT, rows)]
    if transaction_id is not None and 0 < transaction_id <= MAX_INT32:
        reading = _last_energy_wh(rows)
        if reading is not None:
            # Only our own, still open transaction: the WHERE does the check, no read needed.
            steps.append(
                (_TX_LAST_METER, {"b_tx": transaction_id, "b_station": station.id, "b_wh": reading})
            )
    # Group commit: answered once the batch holding these rows has committed.
    await app.db.write(*steps)
    station.after_reply(
        lambda: app.fire("meter_values_received", station_id=station.id, payload=payload)
    )
    return {}
