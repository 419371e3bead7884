"""Operator API of the Core profile: id tags, transactions, and per-station resources
(configuration, status history, registration, convenience calls)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import Field, ValidationError
from sqlalchemy import Select, func, select, update

from csms_core.api.deps import (
    CALL_ERROR_RESPONSES,
    ApiModel,
    AppDep,
    PageDep,
    registered_station,
)

from . import store
from .models import (
    IdTag,
    MeterValue,
    Registration,
    StatusEvent,
    Transaction,
    UnmatchedStop,
)

router = APIRouter()

TagStatus = Literal["Accepted", "Blocked", "Expired", "Invalid"]


# --- id tags ------------------------------------------------------------------------------


class IdTagIn(ApiModel):
    id_tag: str = Field(min_length=1, max_length=20)
    status: TagStatus = "Accepted"
    expiry_date: datetime | None = None
    parent_id_tag: str | None = Field(None, max_length=20)


class IdTagPatch(ApiModel):
    status: TagStatus | None = None
    expiry_date: datetime | None = None
    parent_id_tag: str | None = Field(None, max_length=20)


class IdTagOut(ApiModel):
    id_tag: str
    status: str
    effective_status: str = Field(description="What Authorize answers now (expiry applied).")
    expiry_date: datetime | None
    parent_id_tag: str | None
    created_at: datetime
    updated_at: datetime


class IdTagList(ApiModel):
    items: list[IdTagOut]
    total: int
    offset: int
    limit: int


class ImportResult(ApiModel):
    created: int
    updated: int


def _tag_out(tag: IdTag) -> IdTagOut:
    return IdTagOut(
        id_tag=tag.id_tag,
        status=tag.status,
        effective_status=store.effective_status(tag),
        expiry_date=tag.expiry_date,
        parent_id_tag=tag.parent_id_tag,
        created_at=tag.created_at,
        updated_at=tag.updated_at,
    )


async def _tags_changed(app: Any, id_tags: list[str]) -> None:
    await app.fire("id_tags_changed", id_tags=id_tags)


@router.post("/id-tags", status_code=201, response_model=IdTagOut, tags=["id tags"])
async def create_id_tag(body: IdTagIn, app: AppDep) -> IdTagOut:
    now = store.utcnow()
    async with app.db.session() as session, session.begin():
        if await store.find_tag(session, body.id_tag) is not None:
            raise HTTPException(409, f"id tag {body.id_tag!r} already exists")
        tag = IdTag(
            id_tag=body.id_tag,
            status=body.status,
            expiry_date=body.expiry_date,
            parent_id_tag=body.parent_id_tag,
            created_at=now,
            updated_at=now,
        )
        session.add(tag)
    await _tags_changed(app, [body.id_tag])
    return _tag_out(tag)


@router.get("/id-tags", response_model=IdTagList, tags=["id tags"])
async def list_id_tags(
    app: AppDep, page: PageDep, status: Annotated[TagStatus | None, Query()] = None
) -> IdTagList:
    query = select(IdTag)
    if status is not None:
        query = query.where(IdTag.status == status)
    async with app.db.session() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        tags = await session.scalars(
            query.order_by(IdTag.id_tag).offset(page.offset).limit(page.limit)
        )
        items = [_tag_out(t) for t in tags]
    return IdTagList(items=items, total=total or 0, offset=page.offset, limit=page.limit)


async def _read_csv(request: Request) -> str:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(422, "multipart body needs a 'file' part")
        return (await upload.read()).decode("utf-8-sig")
    return (await request.body()).decode("utf-8-sig")


def _parse_csv(text: str) -> list[IdTagIn]:
    """Rows of idTag,status,expiryDate,parentIdTag; a header row is optional."""
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if rows and rows[0] and rows[0][0].strip().lower() in ("idtag", "id_tag", "id tag"):
        rows = rows[1:]
    fields = ("idTag", "status", "expiryDate", "parentIdTag")
    tags, errors = [], []
    for number, row in enumerate(rows, start=1):
        values = {f: c.strip() for f, c in zip(fields, row, strict=False) if c.strip()}
        try:
            tags.append(IdTagIn.model_validate(values))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            errors.append(f"row {number}: {problems}")
    if errors:
        raise HTTPException(422, {"message": "nothing imported", "errors": errors})
    return tags


@router.post(
    "/id-tags/import",
    response_model=ImportResult,
    tags=["id tags"],
    openapi_extra={
        "requestBody": {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
            }
        }
    },
)
async def import_id_tags(request: Request, app: AppDep) -> ImportResult:
    """Create or update tags from CSV (idTag,status,expiryDate,parentIdTag); all or nothing."""
    tags = _parse_csv(await _read_csv(request))
    created = updated = 0
    now = store.utcnow()
    async with app.db.session() as session, session.begin():
        for body in tags:
            tag = await store.find_tag(session, body.id_tag)
            if tag is None:
                session.add(
                    IdTag(
                        id_tag=body.id_tag,
                        status=body.status,
                        expiry_date=body.expiry_date,
                        parent_id_tag=body.parent_id_tag,
                        created_at=now,
                        updated_at=now,
                    )
                )
                created += 1
            else:
                tag.status = body.status
                tag.expiry_date = body.expiry_date
                tag.parent_id_tag = body.parent_id_tag
                tag.updated_at = now
                updated += 1
    if tags:
        await _tags_changed(app, [t.id_tag for t in tags])
    return ImportResult(created=created, updated=updated)


async def _get_tag(session: Any, id_tag: str) -> IdTag:
    tag = await store.find_tag(session, id_tag)
    if tag is None:
        raise HTTPException(404, f"id tag {id_tag!r} is unknown")
    return tag


@router.get("/id-tags/{id_tag}", response_model=IdTagOut, tags=["id tags"])
async def get_id_tag(id_tag: str, app: AppDep) -> IdTagOut:
    async with app.db.session() as session:
        return _tag_out(await _get_tag(session, id_tag))


@router.patch("/id-tags/{id_tag}", response_model=IdTagOut, tags=["id tags"])
async def patch_id_tag(id_tag: str, body: IdTagPatch, app: AppDep) -> IdTagOut:
    changes = body.model_dump(exclude_unset=True)  # an explicit null clears a field
    if changes.get("status", "") is None:
        raise HTTPException(422, "status cannot be null")
    async with app.db.session() as session, session.begin():
        tag = await _get_tag(session, id_tag)
        for name, value in changes.items():
            setattr(tag, name, value)
        tag.updated_at = store.utcnow()
    await _tags_changed(app, [id_tag])
    return _tag_out(tag)


@router.delete("/id-tags/{id_tag}", status_code=204, tags=["id tags"])
async def delete_id_tag(id_tag: str, app: AppDep) -> None:
    async with app.db.session() as session, session.begin():
        await session.delete(await _get_tag(session, id_tag))
    await _tags_changed(app, [id_tag])


# --- transactions -------------------------------------------------------------------------


class TransactionOut(ApiModel):
    transaction_id: int
    station_id: str
    connector_id: int
    id_tag: str
    id_tag_status: str = Field(description="The idTagInfo status answered at start.")
    reservation_id: int | None
    meter_start: int
    meter_stop: int | None
    start_timestamp: datetime
    stop_timestamp: datetime | None
    stop_reason: str | None
    stop_id_tag: str | None
    energy_wh: float | None = Field(
        description="meterStop - meterStart; while running, from the last energy register reading."
    )
    review_note: str | None = Field(description="Why an operator should look at this one.")


class TransactionList(ApiModel):
    items: list[TransactionOut]
    total: int
    offset: int
    limit: int


class MeterValueOut(ApiModel):
    timestamp: datetime
    connector_id: int | None
    transaction_id: int | None
    value: str
    context: str | None
    format: str | None
    measurand: str | None
    phase: str | None
    location: str | None
    unit: str | None
    source: str


class UnmatchedStopOut(ApiModel):
    id: int
    station_id: str
    transaction_id: int
    id_tag: str | None
    meter_stop: int
    timestamp: datetime
    reason: str
    received_at: datetime
    resolution: Literal["applied", "dismissed"] | None = Field(
        description="null while it awaits review."
    )
    resolved_transaction_id: int | None = Field(description="The transaction it closed.")
    resolution_note: str | None
    resolved_at: datetime | None


class ApplyStopIn(ApiModel):
    transaction_id: int = Field(description="The open transaction of the same station it ends.")
    note: str | None = Field(None, max_length=1000)


class DismissStopIn(ApiModel):
    note: str | None = Field(None, max_length=1000)


CSV_COLUMNS = [
    "transactionId",
    "stationId",
    "connectorId",
    "idTag",
    "meterStart",
    "meterStop",
    "startTimestamp",
    "stopTimestamp",
    "stopReason",
    "energyWh",
]


def _tx_out(tx: Transaction) -> TransactionOut:
    return TransactionOut.model_validate(store.transaction_dict(tx))


def _tx_query(
    station_id: str | None,
    id_tag: str | None,
    since: datetime | None,
    until: datetime | None,
    is_open: bool | None,
) -> Select:
    query = select(Transaction)
    if station_id is not None:
        query = query.where(Transaction.station_id == station_id)
    if id_tag is not None:
        query = query.where(Transaction.id_tag == id_tag)
    if since is not None:
        query = query.where(Transaction.start_timestamp >= since)
    if until is not None:
        query = query.where(Transaction.start_timestamp < until)
    if is_open is True:
        query = query.where(Transaction.stop_timestamp.is_(None))
    elif is_open is False:
        query = query.where(Transaction.stop_timestamp.is_not(None))
    return query


class TxFilters:
    def __init__(
        self,
        station_id: Annotated[str | None, Query(alias="stationId")] = None,
        id_tag: Annotated[str | None, Query(alias="idTag")] = None,
        since: Annotated[
            datetime | None, Query(alias="from", description="Started at or after.")
        ] = None,
        until: Annotated[datetime | None, Query(alias="to", description="Started before.")] = None,
        is_open: Annotated[
            bool | None, Query(alias="open", description="true: running; false: stopped.")
        ] = None,
    ) -> None:
        self.query = _tx_query(station_id, id_tag, since, until, is_open)


def _csv_response(transactions: list[Transaction]) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for tx in transactions:
        writer.writerow(store.transaction_dict(tx))
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="transactions.csv"'},
    )


@router.get("/transactions/export.csv", tags=["transactions"], response_class=Response)
async def export_transactions(app: AppDep, filters: Annotated[TxFilters, Depends()]) -> Response:
    """Every matching transaction as CSV (no paging)."""
    async with app.db.session() as session:
        rows = await session.scalars(filters.query.order_by(Transaction.id))
        return _csv_response(list(rows))


@router.get(
    "/transactions",
    response_model=TransactionList,
    tags=["transactions"],
    responses={200: {"content": {"text/csv": {}}}},
)
async def list_transactions(
    app: AppDep,
    page: PageDep,
    filters: Annotated[TxFilters, Depends()],
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """Newest first; ``format=csv`` returns the page as CSV."""
    async with app.db.session() as session:
        total = await session.scalar(select(func.count()).select_from(filters.query.subquery()))
        rows = list(
            await session.scalars(
                filters.query.order_by(Transaction.id.desc()).offset(page.offset).limit(page.limit)
            )
        )
    if format == "csv":
        return _csv_response(rows)
    return TransactionList(
        items=[_tx_out(tx) for tx in rows], total=total or 0, offset=page.offset, limit=page.limit
    )


@router.get(
    "/transactions/unmatched-stops", response_model=list[UnmatchedStopOut], tags=["transactions"]
)
async def unmatched_stops(
    app: AppDep,
    page: PageDep,
    station_id: Annotated[str | None, Query(alias="stationId")] = None,
    resolved: Annotated[bool | None, Query(description="Omit for all.")] = None,
) -> list[UnmatchedStopOut]:
    """StopTransactions for transaction ids we never issued (or -1), kept for review."""
    query = select(UnmatchedStop)
    if station_id is not None:
        query = query.where(UnmatchedStop.station_id == station_id)
    if resolved is not None:
        done = UnmatchedStop.resolution.is_not(None)
        query = query.where(done if resolved else ~done)
    async with app.db.session() as session:
        rows = await session.scalars(
            query.order_by(UnmatchedStop.id.desc()).offset(page.offset).limit(page.limit)
        )
        return [UnmatchedStopOut.model_validate(r) for r in rows]


async def _open_stop(session: Any, stop_id: int) -> UnmatchedStop:
    stop = await session.get(UnmatchedStop, stop_id, with_for_update=True)
    if stop is None:
        raise HTTPException(404, f"unmatched stop {stop_id} is unknown")
    if stop.resolution is not None:
        raise HTTPException(409, f"unmatched stop {stop_id} is already {stop.resolution}")
    return stop


@router.post(
    "/transactions/unmatched-stops/{stop_id}/apply",
    response_model=UnmatchedStopOut,
    tags=["transactions"],
)
async def apply_unmatched_stop(stop_id: int, body: ApplyStopIn, app: AppDep) -> UnmatchedStopOut:
    """End an open transaction of the same station with this stop (its meterStop, time,
    reason and the meter values it carried), as if the station had sent the right id."""
    async with app.db.session() as session, session.begin():
        stop = await _open_stop(session, stop_id)
        tx = await _get_tx(session, body.transaction_id)
        if tx.station_id != stop.station_id:
            raise HTTPException(
                409, f"transaction {tx.id} is {tx.station_id!r}'s, the stop {stop.station_id!r}'s"
            )
        if tx.stop_timestamp is not None:
            raise HTTPException(409, f"transaction {tx.id} has already stopped")
        if stop.timestamp < tx.start_timestamp:
            raise HTTPException(422, f"the stop is older than transaction {tx.id}'s start")
        stopped = store.record_stop(
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
        stop.resolution = "applied"
        stop.resolved_transaction_id = tx.id
        stop.resolution_note = body.note
        stop.resolved_at = store.utcnow()
        result = UnmatchedStopOut.model_validate(stop)
    # Observers (smart charging, load management) learn the transaction ended.
    await app.fire("transaction_stopped", station_id=stop.station_id, transaction=stopped)
    return result


@router.post(
    "/transactions/unmatched-stops/{stop_id}/dismiss",
    response_model=UnmatchedStopOut,
    tags=["transactions"],
)
async def dismiss_unmatched_stop(
    stop_id: int, body: DismissStopIn, app: AppDep
) -> UnmatchedStopOut:
    """Mark the stop reviewed without applying it to any transaction."""
    async with app.db.session() as session, session.begin():
        stop = await _open_stop(session, stop_id)
        stop.resolution = "dismissed"
        stop.resolution_note = body.note
        stop.resolved_at = store.utcnow()
        return UnmatchedStopOut.model_validate(stop)


async def _get_tx(session: Any, transaction_id: int) -> Transaction:
    tx = await session.get(Transaction, transaction_id) if transaction_id < 2**31 else None
    if tx is None:
        raise HTTPException(404, f"transaction {transaction_id} is unknown")
    return tx


@router.get("/transactions/{transaction_id}", response_model=TransactionOut, tags=["transactions"])
async def get_transaction(transaction_id: int, app: AppDep) -> TransactionOut:
    async with app.db.session() as session:
        return _tx_out(await _get_tx(session, transaction_id))


@router.get(
    "/transactions/{transaction_id}/meter-values",
    response_model=list[MeterValueOut],
    tags=["transactions"],
)
async def transaction_meter_values(transaction_id: int, app: AppDep) -> list[MeterValueOut]:
    """Every sampled value of the transaction (MeterValues and StopTransaction data)."""
    async with app.db.session() as session:
        tx = await _get_tx(session, transaction_id)
        rows = await session.scalars(
            select(MeterValue)
            .where(MeterValue.transaction_id == tx.id, MeterValue.station_id == tx.station_id)
            .order_by(MeterValue.timestamp, MeterValue.id)
        )
        return [_meter_out(r) for r in rows]


def _meter_out(row: MeterValue) -> MeterValueOut:
    return MeterValueOut(
        timestamp=row.timestamp,
        connector_id=row.connector_id,
        transaction_id=row.transaction_id,
        value=row.value,
        context=row.context,
        format=row.format,
        measurand=row.measurand,
        phase=row.phase,
        location=row.location,
        unit=row.unit,
        source=row.source,
    )


# --- per station --------------------------------------------------------------------------


class ConfigurationItem(ApiModel):
    key: str
    value: str | None
    readonly: bool
    updated_at: datetime


class ConfigurationOut(ApiModel):
    station_id: str
    items: list[ConfigurationItem] = Field(description="Empty until a GetConfiguration answer.")


class ConfigurationChange(ApiModel):
    key: str = Field(max_length=50)
    value: str = Field(max_length=500)


class ConfigurationFetch(ApiModel):
    key: list[str] | None = Field(None, description="Only these keys; all when absent.")


@router.get(
    "/stations/{station_id}/configuration", response_model=ConfigurationOut, tags=["stations"]
)
async def get_configuration(station_id: str, app: AppDep) -> ConfigurationOut:
    """The last GetConfiguration snapshot (kept current by accepted ChangeConfiguration)."""
    await registered_station(app, station_id)
    async with app.db.session() as session:
        rows = await store.configuration(session, station_id)
    items = [
        ConfigurationItem(key=r.key, value=r.value, readonly=r.readonly, updated_at=r.updated_at)
        for r in rows
    ]
    return ConfigurationOut(station_id=station_id, items=items)


@router.post(
    "/stations/{station_id}/configuration", responses=CALL_ERROR_RESPONSES, tags=["stations"]
)
async def change_configuration(station_id: str, body: ConfigurationChange, app: AppDep) -> Any:
    """ChangeConfiguration; answers the station's status (Accepted, Rejected, ...)."""
    return await app.call(station_id, "ChangeConfiguration", body.model_dump())


@router.post(
    "/stations/{station_id}/configuration/fetch", responses=CALL_ERROR_RESPONSES, tags=["stations"]
)
async def fetch_configuration(
    station_id: str, app: AppDep, body: ConfigurationFetch | None = None
) -> Any:
    """GetConfiguration (all keys, or some); the answer updates the stored snapshot."""
    payload = {"key": body.key} if body is not None and body.key else {}
    return await app.call(station_id, "GetConfiguration", payload)


class StatusEventOut(ApiModel):
    connector_id: int
    status: str
    error_code: str
    info: str | None
    vendor_id: str | None
    vendor_error_code: str | None
    timestamp: datetime | None
    received_at: datetime


class StatusHistory(ApiModel):
    items: list[StatusEventOut]
    total: int
    offset: int
    limit: int


@router.get(
    "/stations/{station_id}/status-history", response_model=StatusHistory, tags=["stations"]
)
async def status_history(
    station_id: str,
    app: AppDep,
    page: PageDep,
    connector_id: Annotated[int | None, Query(alias="connectorId")] = None,
) -> StatusHistory:
    """Every StatusNotification, newest first."""
    await registered_station(app, station_id)
    query = select(StatusEvent).where(StatusEvent.station_id == station_id)
    if connector_id is not None:
        query = query.where(StatusEvent.connector_id == connector_id)
    async with app.db.session() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await session.scalars(
            query.order_by(StatusEvent.id.desc()).offset(page.offset).limit(page.limit)
        )
        items = [
            StatusEventOut(
                connector_id=r.connector_id,
                status=r.status,
                error_code=r.error_code,
                info=r.info,
                vendor_id=r.vendor_id,
                vendor_error_code=r.vendor_error_code,
                timestamp=r.timestamp,
                received_at=r.received_at,
            )
            for r in rows
        ]
    return StatusHistory(items=items, total=total or 0, offset=page.offset, limit=page.limit)


class RegistrationIn(ApiModel):
    status: Literal["Accepted", "Pending", "Rejected"] | None = Field(
        description="Answer to this station's next BootNotification; null: use the default."
    )


class RegistrationOut(ApiModel):
    station_id: str
    status: str = Field(description="What the next BootNotification will be answered.")
    override: bool = Field(description="False when the default setting applies.")
    current: str | None = Field(description="The status answered to the last boot.")


@router.get(
    "/stations/{station_id}/registration", response_model=RegistrationOut, tags=["stations"]
)
async def get_registration(station_id: str, app: AppDep) -> RegistrationOut:
    station = await registered_station(app, station_id)
    async with app.db.session() as session:
        row = await session.get(Registration, station_id)
    default = app.settings_for("core").registration_status
    return RegistrationOut(
        station_id=station_id,
        status=row.status if row else default,
        override=row is not None,
        current=station.registration_status,
    )


@router.put(
    "/stations/{station_id}/registration", response_model=RegistrationOut, tags=["stations"]
)
async def put_registration(station_id: str, body: RegistrationIn, app: AppDep) -> RegistrationOut:
    """Set how this station's boots are answered. Takes effect at its next BootNotification."""
    await registered_station(app, station_id)
    async with app.db.session() as session, session.begin():
        row = await session.get(Registration, station_id)
        if body.status is None:
            if row is not None:
                await session.delete(row)
        elif row is None:
            session.add(
                Registration(station_id=station_id, status=body.status, updated_at=store.utcnow())
            )
        else:
            row.status = body.status
            row.updated_at = store.utcnow()
    return await get_registration(station_id, app)


# --- convenience calls: build the payload, then the one call path ------------------------
# app.call failures become 404/409/422/501/502/504 in the kernel's exception handler.


class RemoteStart(ApiModel):
    id_tag: str = Field(max_length=20)
    connector_id: int | None = Field(None, gt=0)
    charging_profile: dict[str, Any] | None = Field(None, description="A TxProfile, optional.")


class RemoteStop(ApiModel):
    transaction_id: int


class ResetIn(ApiModel):
    type: Literal["Hard", "Soft"]


class UnlockIn(ApiModel):
    connector_id: int = Field(gt=0)


class AvailabilityIn(ApiModel):
    connector_id: int = Field(0, ge=0, description="0: the whole station.")
    type: Literal["Operative", "Inoperative"]


class DataTransferIn(ApiModel):
    vendor_id: str = Field(max_length=255)
    message_id: str | None = Field(None, max_length=50)
    data: str | None = None


def _payload(body: ApiModel) -> dict[str, Any]:
    return body.model_dump(by_alias=True, exclude_none=True)


def _convenience(path: str, action: str, model: type[ApiModel], doc: str) -> None:
    async def route(station_id: str, body: Any, app: Any) -> Any:
        return await app.call(station_id, action, _payload(body))

    # Real objects, not strings: FastAPI resolves annotations in this module's globals.
    route.__annotations__ = {"station_id": str, "body": model, "app": AppDep, "return": Any}
    route.__doc__ = doc
    route.__name__ = action[0].lower() + action[1:]
    router.add_api_route(
        f"/stations/{{station_id}}/{path}",
        route,
        methods=["POST"],
        responses=CALL_ERROR_RESPONSES,
        tags=["stations"],
        summary=action,
    )


_convenience("remote-start", "RemoteStartTransaction", RemoteStart, "Start charging remotely.")
_convenience("remote-stop", "RemoteStopTransaction", RemoteStop, "Stop a transaction remotely.")
_convenience("reset", "Reset", ResetIn, "Reset the station (Hard or Soft).")
_convenience("unlock", "UnlockConnector", UnlockIn, "Unlock a connector.")
_convenience("availability", "ChangeAvailability", AvailabilityIn, "Change availability.")
_convenience("data-transfer", "DataTransfer", DataTransferIn, "Send a DataTransfer.")


@router.post(
    "/stations/{station_id}/clear-cache", responses=CALL_ERROR_RESPONSES, tags=["stations"]
)
async def clear_cache(station_id: str, app: AppDep) -> Any:
    """Clear the station's authorization cache."""
    return await app.call(station_id, "ClearCache", {})


class MeterValueList(ApiModel):
    items: list[MeterValueOut]
    total: int
    offset: int
    limit: int


@router.get("/stations/{station_id}/meter-values", response_model=MeterValueList, tags=["stations"])
async def station_meter_values(
    station_id: str,
    app: AppDep,
    page: PageDep,
    connector_id: Annotated[int | None, Query(alias="connectorId")] = None,
    transaction_id: Annotated[int | None, Query(alias="transactionId")] = None,
) -> MeterValueList:
    """Every sampled value the station sent (in or outside transactions), newest first."""
    await registered_station(app, station_id)
    query = select(MeterValue).where(MeterValue.station_id == station_id)
    if connector_id is not None:
        query = query.where(MeterValue.connector_id == connector_id)
    if transaction_id is not None:
        query = query.where(MeterValue.transaction_id == transaction_id)
    async with app.db.session() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await session.scalars(
            query.order_by(MeterValue.timestamp.desc(), MeterValue.id.desc())
            .offset(page.offset)
            .limit(page.limit)
        )
        items = [_meter_out(r) for r in rows]
    return MeterValueList(items=items, total=total or 0, offset=page.offset, limit=page.limit)
