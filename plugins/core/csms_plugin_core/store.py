"""Queries shared by the handlers, the query hooks and the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from csms_core.rpc import format_timestamp
from csms_core.storage.types import utcnow

from .models import ConfigurationValue, ConnectorStatus, IdTag, Registration, Transaction

ENERGY_REGISTER = "Energy.Active.Import.Register"


def iso(moment: datetime | None) -> str | None:
    return format_timestamp(moment) if moment is not None else None


def effective_status(tag: IdTag, now: datetime | None = None) -> str:
    """The stored status, except that an Accepted tag past its expiryDate is Expired."""
    expiry = tag.expiry_date
    if tag.status == "Accepted" and expiry is not None and expiry <= (now or utcnow()):
        return "Expired"
    return tag.status


def id_tag_info(tag: IdTag | None) -> dict[str, Any]:
    """idTagInfo as OCPP wants it (no nulls); an unknown tag is Invalid."""
    if tag is None:
        return {"status": "Invalid"}
    info: dict[str, Any] = {"status": effective_status(tag)}
    if tag.expiry_date is not None:
        info["expiryDate"] = iso(tag.expiry_date)
    if tag.parent_id_tag:
        info["parentIdTag"] = tag.parent_id_tag
    return info


async def running_elsewhere(
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


async def find_tag(session: AsyncSession, id_tag: str) -> IdTag | None:
    """OCPP idTags are case-insensitive (CiString20): "abc" finds "ABC"."""
    return await session.scalar(select(IdTag).where(func.lower(IdTag.id_tag) == id_tag.lower()))


async def authorize(
    session: AsyncSession,
    settings: Any,
    id_tag: str,
    station_id: str,
    connector_id: int | None = None,
) -> dict[str, Any]:
    """Re-verify a tag: stored status, expiry, then the concurrent-transaction policy."""
    info = id_tag_info(await find_tag(session, id_tag))
    if (
        info["status"] == "Accepted"
        and not settings.allow_concurrent_tx
        and await running_elsewhere(session, id_tag, station_id, connector_id)
    ):
        info["status"] = "ConcurrentTx"
    return info


def energy_wh(tx: Transaction) -> float | None:
    if tx.meter_stop is not None:
        return float(tx.meter_stop - tx.meter_start)
    if tx.last_meter_wh is not None:
        return float(tx.last_meter_wh - tx.meter_start)
    return None


def transaction_dict(tx: Transaction) -> dict[str, Any]:
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
        "energyWh": energy_wh(tx),
        "reviewNote": tx.review_note,
    }


def connector_dict(row: ConnectorStatus) -> dict[str, Any]:
    return {
        "connectorId": row.connector_id,
        "status": row.status,
        "errorCode": row.error_code,
        "info": row.info,
        "vendorId": row.vendor_id,
        "vendorErrorCode": row.vendor_error_code,
        "timestamp": iso(row.timestamp),
    }


async def connectors(session: AsyncSession, station_id: str) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(ConnectorStatus)
        .where(ConnectorStatus.station_id == station_id)
        .order_by(ConnectorStatus.connector_id)
    )
    return [connector_dict(r) for r in rows]


async def configuration(session: AsyncSession, station_id: str) -> list[ConfigurationValue]:
    rows = await session.scalars(
        select(ConfigurationValue)
        .where(ConfigurationValue.station_id == station_id)
        .order_by(ConfigurationValue.key)
    )
    return list(rows)


async def open_transactions(session: AsyncSession, station_id: str) -> list[Transaction]:
    rows = await session.scalars(
        select(Transaction)
        .where(Transaction.station_id == station_id, Transaction.stop_timestamp.is_(None))
        .order_by(Transaction.id)
    )
    return list(rows)


def to_wh(value: str, unit: str | None) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    if unit == "kWh":
        return number * 1000
    return number


async def forget_station(session: AsyncSession, station_id: str) -> None:
    """The station was deleted: drop what describes it now (its registration answer, the
    connectors' latest status, its configuration) and close its open transactions, which
    would otherwise run forever (and make their tags ConcurrentTx). History stays:
    transactions, meter values, status history and unmatched stops."""
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


def record_stop(
    tx: Transaction,
    meter_stop: int,
    timestamp: datetime,
    timestamp_text: str,
    reason: str,
    id_tag: str | None,
) -> dict[str, Any]:
    """End ``tx`` (in the caller's session); returns the ``transaction_stopped`` event."""
    tx.meter_stop = meter_stop
    tx.stop_timestamp = timestamp
    tx.stop_reason = reason
    tx.stop_id_tag = id_tag
    return {
        "transactionId": tx.id,
        "connectorId": tx.connector_id,
        "idTag": tx.id_tag,
        "meterStop": meter_stop,
        "timestamp": timestamp_text,
        "reason": reason,
    }
