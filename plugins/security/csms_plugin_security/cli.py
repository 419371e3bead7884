"""``csms security ...`` through a running server's API."""

from __future__ import annotations

import click

from csms_core.client import ApiClient, api_options

EVENT_COLUMNS = ["id", "type", "timestamp", "techInfo", "receivedAt"]


@click.group()
def security() -> None:
    """Security whitepaper: security events, keys, profiles and certificates."""


@security.command("events")
@click.argument("station_id")
@click.option("--type", "type_", help="Only events of this type.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0)
@api_options
def events(client: ApiClient, station_id: str, type_: str | None, limit: int, offset: int) -> None:
    """List STATION_ID's security events, newest first."""
    params: dict = {"limit": limit, "offset": offset}
    if type_:
        params["type"] = type_
    data = client.request("GET", f"/stations/{station_id}/security-events", params=params)
    client.show(data, EVENT_COLUMNS)
