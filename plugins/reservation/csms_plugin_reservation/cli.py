"""``csms reservations create|list|show|cancel`` through a running server's API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from csms_core.client import ApiClient, api_options, compact

COLUMNS = [
    "reservationId",
    "stationId",
    "connectorId",
    "idTag",
    "parentIdTag",
    "expiryDate",
    "status",
]


@click.group()
def reservations() -> None:
    """Reserve connectors (ReserveNow), list and cancel reservations."""


@reservations.command("create")
@click.argument("station_id")
@click.option(
    "--connector", "connector_id", type=int, required=True, help="0: any connector of the station."
)
@click.option("--id-tag", required=True)
@click.option("--parent-id-tag", help="Default: the tag's parent, when known.")
@click.option("--expiry-date", help="ISO 8601; default: now + --minutes.")
@click.option("--minutes", type=float, default=30, show_default=True)
@click.option("--reservation-id", type=int, help="Default: the CSMS picks one.")
@api_options
def create(
    client: ApiClient,
    station_id: str,
    connector_id: int,
    id_tag: str,
    parent_id_tag: str | None,
    expiry_date: str | None,
    minutes: float,
    reservation_id: int | None,
) -> None:
    """Reserve a connector of STATION_ID for an idTag (sends ReserveNow)."""
    if expiry_date is None:
        expiry_date = (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()
    body = compact(
        stationId=station_id,
        connectorId=connector_id,
        idTag=id_tag,
        parentIdTag=parent_id_tag,
        expiryDate=expiry_date,
        reservationId=reservation_id,
    )
    client.show(client.request("POST", "/reservations", json=body), COLUMNS)


@reservations.command("list")
@click.option("--station", "station_id")
@click.option("--status", help="Accepted (active), Used, Cancelled, Expired, Rejected, ...")
@click.option("--limit", type=int, default=100, show_default=True)
@api_options
def list_(client: ApiClient, station_id: str | None, status: str | None, limit: int) -> None:
    """List reservations, newest first."""
    params = compact(limit=limit, stationId=station_id, status=status)
    client.show(client.request("GET", "/reservations", params=params), COLUMNS)


@reservations.command("show")
@click.argument("reservation_id", type=int)
@api_options
def show(client: ApiClient, reservation_id: int) -> None:
    """Show one reservation, with its events."""
    client.show(client.request("GET", f"/reservations/{reservation_id}"))


@reservations.command("cancel")
@click.argument("reservation_id", type=int)
@api_options
def cancel(client: ApiClient, reservation_id: int) -> None:
    """Send CancelReservation to the station holding it."""
    client.show(client.request("DELETE", f"/reservations/{reservation_id}"), COLUMNS)
