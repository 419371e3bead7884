"""``csms greetings STATION``: the API client, never the database."""

from __future__ import annotations

import click

from csms_core.client import ApiClient, api_options, compact


@click.command()
@click.argument("station_id")
@click.option("--limit", type=click.IntRange(1, 1000), help="At most this many (default 100).")
@api_options
def greetings(client: ApiClient, station_id: str, limit: int | None) -> None:
    """The greetings a station sent, newest first."""
    page = client.request(
        "GET", client.station(station_id, "greetings"), params=compact(limit=limit)
    )
    client.show(page, ["stationId", "greetedAt"])
