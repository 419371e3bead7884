"""Storage of the Core profile: module-level functions taking ``app`` first, each opening
its own session (``app.db.read()`` to read, ``app.db.transaction()`` to write, the group
commit ``app.db.write`` on the per-message hot paths). Private helpers take a session to
join their caller's transaction. Every SQL statement of the plugin is here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from csms_core import Csms, contracts
from csms_core.paging import Page, Paged, paginate
from csms_core.rpc import format_timestamp, parse_timestamp
from csms_core.storage.types import utcnow

from . import PLUGIN
from .models import (
    ConfigurationValue,
    ConnectorStatus,
    IdTag,
    MeterValue,
    Registration,
    StatusEvent,
    Transaction,
    UnmatchedStop,
)

Out = TypeVar("Out", bound=BaseModel)
MAX_INT32 = 2**31 - 1
ENERGY_REGISTER = "Energy.Active.Import.Register"


class Unknown(LookupError):
    """The row asked for does not exist."""


class Conflict(Exception):
    """The row is not in a state that allows the change."""


class Invalid(ValueError):
    """The change contradicts what is stored."""


def iso(moment: datetime | None) -> str | None:
    return format_timestamp(moment) if moment is not None else None


# --- id tags and authorization ------------------------------------------------------------


def id_tag_info(tag: IdTag | None) -> contracts.IdTagInfo:
    """idTagInfo as OCPP wants it (no nulls); an unknown tag is Invalid."""
    if tag is None:
        return {"status": "Invalid"}
    info: contracts.IdTagInfo = {"status": tag.effective_status}
    if tag.expiry_date is not None:
        info["expiryDate"] = format_timestamp(tag.expiry_date)
    if tag.parent_id_tag:
        info["parentIdTag"] = tag.parent_id_tag
    return info


async def _find_tag(session: AsyncSession, id_tag: str) -> IdTag | None:
    """OCPP idTags are case-insensitive (CiString20): "abc" finds "ABC"."""
    return await session.scalar(select(IdTag).where(func.lower(IdTag.id_tag) == id_tag.lower()))


async def _running_elsewhere(
    session: AsyncSession, id_tag: str, station_id: str, connector_id: int | None
) -> bool:
    """Does the tag already run a transaction other than on this very connector?

    Without a connector (Authorize) only other stations count: a station may authorize the
    tag to stop its own transaction, and a second start there is caught at StartTransaction.
    """
    query = select(Transaction.station_id, Transaction.connector_id).where(
        func.lower(Transaction.id_tag) == id_tag.lower(), Transaction.stop_timestamp.is_(None)
    )
    for other_station, other_connector in await session.execute(query):
        if other_station != station_id:
            return True
        if connector_id is not None and other_connector != connector_id:
            return True
    return False


async def _authorize(
    app: Csms,
    session: AsyncSession,
    id_tag: str,
    station_id: str,
    connector_id: int | None = None,
) -> contracts.IdTagInfo:
    """Re-verify a tag: stored status, expiry, then the concurrent-transaction policy."""
    info = id_tag_info(await _find_tag(session, id_tag))
    if (
        info["status"] == "Accepted"
        and not app.settings_for(PLUGIN).allow_concurrent_tx
        and await _running_elsewhere(session, id_tag, station_id, connector_id)
    ):
        info["status"] = "ConcurrentTx"
    return info


async def authorize(app: Csms, id_tag: str, station_id: str) -> contracts.IdTagInfo:
    """Authorize's answer (every tag swipe): a read, never the write lock."""
    async with app.db.read() as session:
        return await _authorize(app, session, id_tag, station_id)


async def tag(app: Csms, id_tag: str) -> IdTag | None:
    async with app.db.read() as session:
        return await _find_tag(session, id_tag)


async def all_tags(app: Csms) -> list[IdTag]:
    async with app.db.read() as session:
        return list(await session.scalars(select(IdTag).order_by(IdTag.id_tag)))


async def tags(app: Csms, status: str | None, page: Page, model: type[Out]) -> Paged[Out]:
    query = select(IdTag).order_by(IdTag.id_tag)
    if status is not None:
        query = query.where(IdTag.status == status)
    async with app.db.read() as session:
        return await paginate(session, query, page, model)


@dataclass
class TagValues:
    """What an operator sets on a tag (creating, importing or changing it)."""

    id_tag: str
    status: str
    expiry_date: datetime | None
    parent_id_tag: str | None


def _new_tag(values: TagValues, now: datetime) -> IdTag:
    return IdTag(
        id_tag=values.id_tag,
        status=values.status,
        expiry_date=values.expiry_date,
        parent_id_tag=values.parent_id_tag,
        created_at=now,
        updated_at=now,
    )


async def create_tag(app: Csms, values: TagValues) -> IdTag:
    """Raises ``Conflict`` when the tag exists (in any spelling)."""
    async with app.db.transaction() as session:
        if await _find_tag(session, values.id_tag) is not None:
            raise Conflict(f"id tag {values.id_tag!r} already exists")
        row = _new_tag(values, utcnow())
        session.add(row)
    return row


async def import_tags(app: Csms, rows: Iterable[TagValues]) -> tuple[int, int]:
    """Create or update each tag, all in one transaction; (created, updated)."""
    created = updated = 0
    now = utcnow()
    async with app.db.transaction() as session:
        for values in rows:
            row = await _find_tag(session, values.id_tag)
            if row is None:
                session.add(_new_tag(values, now))
                created += 1
            else:
                row.status = values.status
                row.expiry_date = values.expiry_date
                row.parent_id_tag = values.parent_id_tag
                row.updated_at = now
                updated += 1
    return created, updated


async def _existing_tag(session: AsyncSession, id_tag: str) -> IdTag:
    row = await _find_tag(session, id_tag)
    if row is None:
        raise Unknown(f"id tag {id_tag!r} is unknown")
    return row


async def change_tag(app: Csms, id_tag: str, changes: dict[str, Any]) -> IdTag:
    """Set these columns; raises ``Unknown``."""
    async with app.db.transaction() as session:
        row = await _existing_tag(session, id_tag)
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
    return row


async def delete_tag(app: Csms, id_tag: str) -> None:
    """Raises ``Unknown``."""
    async with app.db.transaction() as session:
        await session.delete(await _existing_tag(session, id_tag))


# --- what stations report -----------------------------------------------------------------


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


async def record_status(app: Csms, station_id: str, status: contracts.StatusNotification) -> None:
    """The connector's latest status and its history row, in the group commit: returns
    once committed."""
    now = utcnow()
    values = {
        "station_id": station_id,
        "connector_id": status["connectorId"],
        "status": status["status"],
        "error_code": status["errorCode"],
        "info": status.get("info"),
        "vendor_id": status.get("vendorId"),
        "vendor_error_code": status.get("vendorErrorCode"),
        "timestamp": parse_timestamp(status["timestamp"]) if status.get("timestamp") else now,
        "received_at": now,
    }
    upsert = _connector_upsert(app.db.engine.dialect.name)
    await app.db.write((upsert, values), (_STATUS_EVENT_INSERT, values))


def _meter_rows(
    station_id: str,
    connector_id: int | None,
    transaction_id: int | None,
    meter_values: list[dict],
    source: str,
) -> list[dict[str, Any]]:
    """One row (a dict of MeterValue columns) per sampledValue."""
    now = utcnow()
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


def _to_wh(value: str, unit: str | None) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number * 1000 if unit == "kWh" else number


def _last_energy_wh(rows: list[dict[str, Any]]) -> float | None:
    """The latest whole-meter Energy.Active.Import.Register reading (the default measurand)."""
    best: tuple[datetime, float] | None = None
    for row in rows:
        if (row["measurand"] or ENERGY_REGISTER) != ENERGY_REGISTER:
            continue
        if row["phase"] or (row["format"] or "Raw") != "Raw":
            continue
        wh = _to_wh(row["value"], row["unit"])
        if wh is not None and (best is None or row["timestamp"] >= best[0]):
            best = (row["timestamp"], wh)
    return best[1] if best else None


async def record_meter_values(app: Csms, station_id: str, payload: contracts.MeterValues) -> None:
    """One row per sampled value and, for our own still open transaction, its last energy
    register reading (the WHERE checks that: no read needed). Group commit."""
    transaction_id = payload.get("transactionId")
    rows = _meter_rows(
        station_id, payload["connectorId"], transaction_id, payload["meterValue"], "MeterValues"
    )
    steps: list[Any] = [(_METER_INSERT, rows)]
    reading = _last_energy_wh(rows)
    if reading is not None and transaction_id is not None and 0 < transaction_id <= MAX_INT32:
        values = {"b_tx": transaction_id, "b_station": station_id, "b_wh": reading}
        steps.append((_TX_LAST_METER, values))
    await app.db.write(*steps)


async def registration(app: Csms, station_id: str) -> Registration | None:
    """The operator's answer to this station's boots, if they set one (on the boot path:
    concurrent look-ups share one query)."""
    return await app.db.get(Registration, station_id)


async def set_registration(app: Csms, station_id: str, status: str | None) -> None:
    """Answer this station's boots with ``status``; None: with the default setting."""
    async with app.db.transaction() as session:
        row = await session.get(Registration, station_id)
        if status is None:
            if row is not None:
                await session.delete(row)
        elif row is None:
            session.add(Registration(station_id=station_id, status=status, updated_at=utcnow()))
        else:
            row.status = status
            row.updated_at = utcnow()


def connector_dict(row: ConnectorStatus) -> contracts.Connector:
    return {
        "connectorId": row.connector_id,
        "status": row.status,
        "errorCode": row.error_code,
        "info": row.info,
        "vendorId": row.vendor_id,
        "vendorErrorCode": row.vendor_error_code,
        "timestamp": iso(row.timestamp),
    }


async def connectors(app: Csms, station_id: str) -> list[contracts.Connector]:
    async with app.db.read() as session:
        rows = await session.scalars(
            select(ConnectorStatus)
            .where(ConnectorStatus.station_id == station_id)
            .order_by(ConnectorStatus.connector_id)
        )
        return [connector_dict(r) for r in rows]


async def status_history(
    app: Csms, station_id: str, connector_id: int | None, page: Page, model: type[Out]
) -> Paged[Out]:
    """Every StatusNotification, newest first."""
    query = select(StatusEvent).where(StatusEvent.station_id == station_id)
    if connector_id is not None:
        query = query.where(StatusEvent.connector_id == connector_id)
    async with app.db.read() as session:
        return await paginate(session, query.order_by(StatusEvent.id.desc()), page, model)


async def meter_values(
    app: Csms,
    station_id: str,
    connector_id: int | None,
    transaction_id: int | None,
    page: Page,
    model: type[Out],
) -> Paged[Out]:
    """Every sampled value the station sent, newest first."""
    query = select(MeterValue).where(MeterValue.station_id == station_id)
    if connector_id is not None:
        query = query.where(MeterValue.connector_id == connector_id)
    if transaction_id is not None:
        query = query.where(MeterValue.transaction_id == transaction_id)
    query = query.order_by(MeterValue.timestamp.desc(), MeterValue.id.desc())
    async with app.db.read() as session:
        return await paginate(session, query, page, model)


# --- configuration snapshots --------------------------------------------------------------


async def configuration(app: Csms, station_id: str) -> list[ConfigurationValue]:
    async with app.db.read() as session:
        rows = await session.scalars(
            select(ConfigurationValue)
            .where(ConfigurationValue.station_id == station_id)
            .order_by(ConfigurationValue.key)
        )
        return list(rows)


async def _configuration_key(
    session: AsyncSession, station_id: str, key: str
) -> ConfigurationValue | None:
    """The snapshot's row for ``key``, whatever its case (OCPP 1.6 keys are case-insensitive)."""
    return await session.scalar(
        select(ConfigurationValue).where(
            ConfigurationValue.station_id == station_id,
            func.lower(ConfigurationValue.key) == key.lower(),
        )
    )


async def configuration_value(app: Csms, station_id: str, key: str) -> str | None:
    async with app.db.read() as session:
        row = await _configuration_key(session, station_id, key)
    return row.value if row is not None else None


async def store_configuration(
    app: Csms, station_id: str, reported: list[dict[str, Any]], replaced: set[str] | None
) -> None:
    """Keep what a GetConfiguration answer reported (``configurationKey`` items). Rows of
    the keys in ``replaced`` (lower case) go first; None: the whole snapshot is replaced."""
    now = utcnow()
    async with app.db.transaction() as session:
        gone = delete(ConfigurationValue).where(ConfigurationValue.station_id == station_id)
        if replaced is None:
            await session.execute(gone)
        elif replaced:
            await session.execute(gone.where(func.lower(ConfigurationValue.key).in_(replaced)))
        for item in reported:
            session.add(
                ConfigurationValue(
                    station_id=station_id,
                    key=item["key"],
                    value=item.get("value"),
                    readonly=item.get("readonly", False),
                    updated_at=now,
                )
            )


async def set_configuration_value(app: Csms, station_id: str, key: str, value: str) -> None:
    """The station took ``value`` (ChangeConfiguration): the snapshot's row, in its spelling."""
    async with app.db.transaction() as session:
        row = await _configuration_key(session, station_id, key)
        if row is None:
            session.add(
                ConfigurationValue(
                    station_id=station_id,
                    key=key,
                    value=value,
                    readonly=False,
                    updated_at=utcnow(),
                )
            )
        else:
            row.value = value
            row.updated_at = utcnow()


# --- transactions -------------------------------------------------------------------------


def transaction_dict(tx: Transaction) -> dict[str, Any]:
    """A transaction in the API's (camelCase) keys, timestamps in ISO 8601: for CSV."""
    return {
        "transactionId": tx.id,
        "stationId": tx.station_id,
        "connectorId": tx.connector_id,
        "idTag": tx.id_tag,
        "idTagStatus": tx.id_tag_status,
        "reservationId": tx.reservation_id,
        "meterStart": tx.meter_start,
        "meterStop": tx.meter_stop,
        "startTimestamp": iso(tx.start_timestamp),
        "stopTimestamp": iso(tx.stop_timestamp),
        "stopReason": tx.stop_reason,
        "stopIdTag": tx.stop_id_tag,
        "energyWh": tx.energy_wh,
        "reviewNote": tx.review_note,
    }


@dataclass
class TransactionFilter:
    station_id: str | None = None
    id_tag: str | None = None
    since: datetime | None = None  # started at or after
    until: datetime | None = None  # started before
    is_open: bool | None = None  # True: running; False: stopped

    def query(self) -> Select:
        query = select(Transaction)
        if self.station_id is not None:
            query = query.where(Transaction.station_id == self.station_id)
        if self.id_tag is not None:
            query = query.where(Transaction.id_tag == self.id_tag)
        if self.since is not None:
            query = query.where(Transaction.start_timestamp >= self.since)
        if self.until is not None:
            query = query.where(Transaction.start_timestamp < self.until)
        if self.is_open is True:
            query = query.where(Transaction.stop_timestamp.is_(None))
        elif self.is_open is False:
            query = query.where(Transaction.stop_timestamp.is_not(None))
        return query


async def transactions(
    app: Csms, filters: TransactionFilter, page: Page, model: type[Out] | None = None
) -> Paged[Any]:
    """Newest first; without a model the items are the rows."""
    query = filters.query().order_by(Transaction.id.desc())
    async with app.db.read() as session:
        return await paginate(session, query, page, model)


async def all_transactions(app: Csms, filters: TransactionFilter) -> list[Transaction]:
    """Every matching transaction, oldest first (exports)."""
    async with app.db.read() as session:
        return list(await session.scalars(filters.query().order_by(Transaction.id)))


async def _existing_transaction(session: AsyncSession, transaction_id: int) -> Transaction:
    found = (
        await session.get(Transaction, transaction_id) if 0 < transaction_id <= MAX_INT32 else None
    )
    if found is None:
        raise Unknown(f"transaction {transaction_id} is unknown")
    return found


async def transaction(app: Csms, transaction_id: int) -> Transaction:
    """Raises ``Unknown``."""
    async with app.db.read() as session:
        return await _existing_transaction(session, transaction_id)


async def transaction_meter_values(
    app: Csms, transaction_id: int, page: Page, model: type[Out]
) -> Paged[Out]:
    """The transaction's sampled values, oldest first; raises ``Unknown``."""
    async with app.db.read() as session:
        tx = await _existing_transaction(session, transaction_id)
        query = (
            select(MeterValue)
            .where(MeterValue.transaction_id == tx.id, MeterValue.station_id == tx.station_id)
            .order_by(MeterValue.timestamp, MeterValue.id)
        )
        return await paginate(session, query, page, model)


async def running(app: Csms, station_id: str) -> list[contracts.Transaction]:
    """The station's open transactions, as ``active_transactions`` answers them."""
    async with app.db.read() as session:
        rows = await session.scalars(
            select(Transaction)
            .where(Transaction.station_id == station_id, Transaction.stop_timestamp.is_(None))
            .order_by(Transaction.id)
        )
        return [
            {
                "transactionId": tx.id,
                "connectorId": tx.connector_id,
                "idTag": tx.id_tag,
                "meterStart": tx.meter_start,
                "timestamp": format_timestamp(tx.start_timestamp),
                "reservationId": tx.reservation_id,
            }
            for tx in rows
        ]


async def _same_start(session: AsyncSession, station_id: str, start: dict, moment: datetime) -> Any:
    """The id of a transaction stored for this very StartTransaction (a retransmission)."""
    return await session.scalar(
        select(Transaction.id).where(
            Transaction.station_id == station_id,
            Transaction.connector_id == start["connectorId"],
            func.lower(Transaction.id_tag) == start["idTag"].lower(),
            Transaction.meter_start == start["meterStart"],
            Transaction.start_timestamp == moment,
        )
    )


async def _start(
    app: Csms, station_id: str, start: dict, moment: datetime
) -> tuple[int, contracts.IdTagInfo, bool]:
    connector_id = start["connectorId"]
    async with app.db.transaction() as session:
        info = await _authorize(app, session, start["idTag"], station_id, connector_id)
        same = await _same_start(session, station_id, start, moment)
        if same is not None:
            return same, info, False
        tx = Transaction(
            station_id=station_id,
            connector_id=connector_id,
            id_tag=start["idTag"],
            id_tag_status=info["status"],
            reservation_id=start.get("reservationId"),
            meter_start=start["meterStart"],
            start_timestamp=moment,
            created_at=utcnow(),
        )
        session.add(tx)
        await session.flush()
        # A connector runs one transaction: one still open there lost its StopTransaction.
        stale = await session.scalars(
            select(Transaction).where(
                Transaction.station_id == station_id,
                Transaction.connector_id == connector_id,
                Transaction.stop_timestamp.is_(None),
                Transaction.id != tx.id,
            )
        )
        for old in stale:
            old.stop_timestamp = moment
            old.review_note = f"no StopTransaction received; superseded by transaction {tx.id}"
        return tx.id, info, True


async def start_transaction(
    app: Csms, station_id: str, start: dict
) -> tuple[int, contracts.IdTagInfo, bool]:
    """Store a StartTransaction (its payload): the transaction's id, the tag's idTagInfo,
    and whether it is new (False: a retransmission, answered with the id already given)."""
    moment = parse_timestamp(start["timestamp"])
    try:
        return await _start(app, station_id, start, moment)
    except IntegrityError:
        # The same StartTransaction was stored between our read and our insert (the
        # station retransmitted it through another connection or node): the unique index
        # kept one, and a second round answers with its id.
        return await _start(app, station_id, start, moment)


def _end(
    tx: Transaction,
    meter_stop: int,
    moment: datetime,
    timestamp: str,
    reason: str,
    id_tag: str | None,
) -> contracts.TransactionStopped:
    """End ``tx`` (in the caller's session); returns the ``transaction_stopped`` event."""
    tx.meter_stop = meter_stop
    tx.stop_timestamp = moment
    tx.stop_reason = reason
    tx.stop_id_tag = id_tag
    return {
        "transactionId": tx.id,
        "connectorId": tx.connector_id,
        "idTag": tx.id_tag,
        "meterStop": meter_stop,
        "timestamp": timestamp,
        "reason": reason,
    }


async def _own_transaction(
    session: AsyncSession, station_id: str, transaction_id: int
) -> Transaction | None:
    if not 0 < transaction_id <= MAX_INT32:
        return None
    # Locked until commit (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises): the
    # same StopTransaction arriving twice at once, say on two nodes, is applied once and
    # the second sees meterStop set.
    tx = await session.get(Transaction, transaction_id, with_for_update=True)
    return tx if tx is not None and tx.station_id == station_id else None


async def _unmatched_stop_known(
    session: AsyncSession, station_id: str, stop: dict, moment: datetime
) -> bool:
    found = await session.scalar(
        select(UnmatchedStop.id).where(
            UnmatchedStop.station_id == station_id,
            UnmatchedStop.transaction_id == stop["transactionId"],
            UnmatchedStop.meter_stop == stop["meterStop"],
            UnmatchedStop.timestamp == moment,
        )
    )
    return found is not None


async def stop_transaction(
    app: Csms, station_id: str, stop: dict
) -> tuple[contracts.IdTagInfo | None, contracts.TransactionStopped | None]:
    """Store a StopTransaction (its payload) with its transactionData: the tag's
    idTagInfo (None without a tag) and the ``transaction_stopped`` event (None: a
    retransmission, or a stop for a transaction we do not know, kept for an operator to
    reconcile)."""
    moment = parse_timestamp(stop["timestamp"])
    async with app.db.transaction() as session:
        info = None
        if stop.get("idTag"):
            info = await _authorize(app, session, stop["idTag"], station_id)
            if info["status"] == "ConcurrentTx":  # the tag is ending a transaction, not starting
                info["status"] = "Accepted"
        tx = await _own_transaction(session, station_id, stop["transactionId"])
        if tx is not None and tx.meter_stop is not None:
            return info, None  # a retransmitted stop: already recorded
        if tx is None and await _unmatched_stop_known(session, station_id, stop, moment):
            return info, None  # a retransmitted unmatched stop: already kept
        rows = _meter_rows(
            station_id,
            tx.connector_id if tx is not None else None,
            stop["transactionId"],
            stop.get("transactionData") or [],
            "StopTransaction",
        )
        if rows:
            await session.execute(_METER_INSERT, rows)
        reason = stop.get("reason", "Local")  # optional; Local when absent (spec 6.48)
        if tx is not None:
            ended = _end(
                tx, stop["meterStop"], moment, stop["timestamp"], reason, stop.get("idTag")
            )
            return info, ended
        # Never lose a stop: keep it for an operator to reconcile.
        session.add(
            UnmatchedStop(
                station_id=station_id,
                transaction_id=stop["transactionId"],
                id_tag=stop.get("idTag"),
                meter_stop=stop["meterStop"],
                timestamp=moment,
                reason=reason,
                received_at=utcnow(),
            )
        )
        return info, None


# --- unmatched stops ----------------------------------------------------------------------


async def unmatched_stops(
    app: Csms, station_id: str | None, resolved: bool | None, page: Page, model: type[Out]
) -> Paged[Out]:
    """Newest first."""
    query = select(UnmatchedStop).order_by(UnmatchedStop.id.desc())
    if station_id is not None:
        query = query.where(UnmatchedStop.station_id == station_id)
    if resolved is not None:
        done = UnmatchedStop.resolution.is_not(None)
        query = query.where(done if resolved else ~done)
    async with app.db.read() as session:
        return await paginate(session, query, page, model)


async def _open_stop(session: AsyncSession, stop_id: int) -> UnmatchedStop:
    stop = await session.get(UnmatchedStop, stop_id, with_for_update=True)
    if stop is None:
        raise Unknown(f"unmatched stop {stop_id} is unknown")
    if stop.resolution is not None:
        raise Conflict(f"unmatched stop {stop_id} is already {stop.resolution}")
    return stop


def _resolve(stop: UnmatchedStop, resolution: str, note: str | None) -> None:
    stop.resolution = resolution
    stop.resolution_note = note
    stop.resolved_at = utcnow()


async def apply_unmatched_stop(
    app: Csms, stop_id: int, transaction_id: int, note: str | None
) -> tuple[UnmatchedStop, contracts.TransactionStopped]:
    """End an open transaction of the same station with this stop (its meterStop, time,
    reason and the meter values it carried); the stop and the ``transaction_stopped``
    event. Raises ``Unknown``, ``Conflict`` or ``Invalid``."""
    async with app.db.transaction() as session:
        stop = await _open_stop(session, stop_id)
        tx = await _existing_transaction(session, transaction_id)
        if tx.station_id != stop.station_id:
            raise Conflict(
                f"transaction {tx.id} is {tx.station_id!r}'s, the stop {stop.station_id!r}'s"
            )
        if tx.stop_timestamp is not None:
            raise Conflict(f"transaction {tx.id} has already stopped")
        if stop.timestamp < tx.start_timestamp:
            raise Invalid(f"the stop is older than transaction {tx.id}'s start")
        stopped = _end(
            tx,
            stop.meter_stop,
            stop.timestamp,
            stop.timestamp.isoformat(),
            stop.reason,
            stop.id_tag,
        )
        # The stop's transactionData, stored under the id it came with, belongs to this one.
        await session.execute(
            update(MeterValue)
            .where(
                MeterValue.station_id == stop.station_id,
                MeterValue.transaction_id == stop.transaction_id,
                MeterValue.source == "StopTransaction",
                MeterValue.timestamp >= tx.start_timestamp,
                MeterValue.timestamp <= stop.timestamp,
            )
            .values(transaction_id=tx.id, connector_id=tx.connector_id)
        )
        _resolve(stop, "applied", note)
        stop.resolved_transaction_id = tx.id
    return stop, stopped


async def dismiss_unmatched_stop(app: Csms, stop_id: int, note: str | None) -> UnmatchedStop:
    """Mark the stop reviewed; raises ``Unknown`` or ``Conflict``."""
    async with app.db.transaction() as session:
        stop = await _open_stop(session, stop_id)
        _resolve(stop, "dismissed", note)
    return stop


# --- a station removed --------------------------------------------------------------------


async def forget_station(app: Csms, station_id: str) -> None:
    """The station was deleted: drop what describes it now (its registration answer, the
    connectors' latest status, its configuration) and close its open transactions, which
    would otherwise run forever (and make their tags ConcurrentTx). History stays:
    transactions, meter values, status history and unmatched stops."""
    async with app.db.transaction() as session:
        for model in (Registration, ConnectorStatus, ConfigurationValue):
            await session.execute(delete(model).where(model.station_id == station_id))
        await session.execute(
            update(Transaction)
            .where(Transaction.station_id == station_id, Transaction.stop_timestamp.is_(None))
            .values(
                stop_timestamp=utcnow(),
                review_note="station removed before its StopTransaction arrived",
            )
        )
