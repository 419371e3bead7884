"""``csms local-list push|show``: the operator commands, through the API."""

from __future__ import annotations

import click

from csms_core.client import ApiClient, api_options, table


@click.group("local-list")
def local_list() -> None:
    """Stations' Local Authorization Lists (versions are kept for you)."""


@local_list.command("push")
@click.argument("station_id")
@click.option("--full", is_flag=True, help="Send the whole list, not only what changed.")
@api_options
def push(client: ApiClient, station_id: str, full: bool) -> None:
    """Bring STATION's list up to date (SendLocalList)."""
    body = {"updateType": "Full" if full else "Differential"}
    result = client.request("POST", client.station(station_id, "local-list"), json=body)
    if client.as_json:
        client.show(result)
        return
    client.show(result["messages"], ["updateType", "listVersion", "entries", "status"])
    click.echo(f"{result['status']}: version {result['listVersion']}, {result['size']} entries")


@local_list.command("show")
@click.argument("station_id")
@click.option("--entries", is_flag=True, help="Also list the entries.")
@api_options
def show(client: ApiClient, station_id: str, entries: bool) -> None:
    """What STATION last accepted: version, size, last sync and result."""
    params = {"entries": "true"} if entries else {}
    result = client.request("GET", client.station(station_id, "local-list"), params=params)
    if client.as_json:
        client.show(result)
        return
    for key in (
        "listVersion",
        "size",
        "authListId",
        "lastSyncAt",
        "lastUpdateType",
        "lastResult",
        "needsFull",
        "reportedVersion",
        "pendingChanges",
    ):
        click.echo(f"{key}: {'-' if result.get(key) is None else result[key]}")
    if entries:
        rows = [{"idTag": e["idTag"], **e["idTagInfo"]} for e in result.get("entries") or []]
        click.echo(table(rows, ["idTag", "status", "expiryDate", "parentIdTag"]))
