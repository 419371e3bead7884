"""``/transactions``: charging sessions, their meter values and CSV export, and the
StopTransactions for unknown transactions that wait for an operator."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field

from csms_core.api import ApiModel, AppDep, Paged, PageDep

from .. import store
from ..models import Transaction
from .common import MeterValueOut, refusals

router = APIRouter(tags=["transactions"])


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


def transaction_filter(
    station_id: Annotated[str | None, Query(alias="stationId")] = None,
    id_tag: Annotated[str | None, Query(alias="idTag")] = None,
    since: Annotated[
        datetime | None, Query(alias="from", description="Started at or after.")
    ] = None,
    until: Annotated[datetime | None, Query(alias="to", description="Started before.")] = None,
    is_open: Annotated[
        bool | None, Query(alias="open", description="true: running; false: stopped.")
    ] = None,
) -> store.TransactionFilter:
    return store.TransactionFilter(station_id, id_tag, since, until, is_open)


FilterDep = Annotated[store.TransactionFilter, Depends(transaction_filter)]


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


@router.get("/transactions/export.csv", response_class=Response)
async def export_transactions(app: AppDep, filters: FilterDep) -> Response:
    """Every matching transaction as CSV (no paging)."""
    return _csv_response(await store.all_transactions(app, filters))


@router.get(
    "/transactions",
    response_model=Paged[TransactionOut],
    responses={200: {"content": {"text/csv": {}}}},
)
async def list_transactions(
    app: AppDep,
    page: PageDep,
    filters: FilterDep,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """Newest first; ``format=csv`` returns the page as CSV."""
    if format == "csv":
        return _csv_response((await store.transactions(app, filters, page)).items)
    return await store.transactions(app, filters, page, TransactionOut)


@router.get("/transactions/unmatched-stops", response_model=Paged[UnmatchedStopOut])
async def unmatched_stops(
    app: AppDep,
    page: PageDep,
    station_id: Annotated[str | None, Query(alias="stationId")] = None,
    resolved: Annotated[bool | None, Query(description="Omit for all.")] = None,
) -> Paged[UnmatchedStopOut]:
    """StopTransactions for transaction ids we never issued (or -1), kept for review,
    newest first."""
    return await store.unmatched_stops(app, station_id, resolved, page, UnmatchedStopOut)


@router.post("/transactions/unmatched-stops/{stop_id}/apply", response_model=UnmatchedStopOut)
async def apply_unmatched_stop(stop_id: int, body: ApplyStopIn, app: AppDep) -> UnmatchedStopOut:
    """End an open transaction of the same station with this stop (its meterStop, time,
    reason and the meter values it carried), as if the station had sent the right id."""
    with refusals():
        stop, stopped = await store.apply_unmatched_stop(
            app, stop_id, body.transaction_id, body.note
        )
    # Observers (smart charging, load management) learn the transaction ended.
    await app.fire("transaction_stopped", station_id=stop.station_id, transaction=stopped)
    return UnmatchedStopOut.model_validate(stop)


@router.post("/transactions/unmatched-stops/{stop_id}/dismiss", response_model=UnmatchedStopOut)
async def dismiss_unmatched_stop(
    stop_id: int, body: DismissStopIn, app: AppDep
) -> UnmatchedStopOut:
    """Mark the stop reviewed without applying it to any transaction."""
    with refusals():
        return UnmatchedStopOut.model_validate(
            await store.dismiss_unmatched_stop(app, stop_id, body.note)
        )


@router.get("/transactions/{transaction_id}", response_model=TransactionOut)
async def get_transaction(transaction_id: int, app: AppDep) -> TransactionOut:
    with refusals():
        return TransactionOut.model_validate(await store.transaction(app, transaction_id))


@router.get("/transactions/{transaction_id}/meter-values", response_model=Paged[MeterValueOut])
async def transaction_meter_values(
    transaction_id: int, app: AppDep, page: PageDep
) -> Paged[MeterValueOut]:
    """The transaction's sampled values (MeterValues and StopTransaction data), oldest first."""
    with refusals():
        return await store.transaction_meter_values(app, transaction_id, page, MeterValueOut)
