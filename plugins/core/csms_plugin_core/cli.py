"""``csms id-tags`` and ``csms transactions``: thin clients of the operator API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from csms_core.client import ApiClient, api_options, compact

TAG_COLUMNS = ["idTag", "status", "effectiveStatus", "expiryDate", "parentIdTag"]
TX_COLUMNS = [
    "transactionId",
    "stationId",
    "connectorId",
    "idTag",
    "startTimestamp",
    "stopTimestamp",
    "stopReason",
    "energyWh",
]


@click.group("id-tags")
def id_tags() -> None:
    """Manage id tags (RFID cards, app tokens)."""


@id_tags.command("add")
@click.argument("id_tag")
@click.option(
    "--status",
    type=click.Choice(["Accepted", "Blocked", "Expired", "Invalid"]),
    default="Accepted",
    show_default=True,
)
@click.option("--expiry", help="expiryDate, ISO 8601 (e.g. 2027-01-01T00:00:00Z).")
@click.option("--parent", help="parentIdTag (group).")
@api_options
def id_tags_add(
    client: ApiClient, id_tag: str, status: str, expiry: str | None, parent: str | None
) -> None:
    """Add ID_TAG."""
    body = compact(idTag=id_tag, status=status, expiryDate=expiry, parentIdTag=parent)
    client.show(client.request("POST", "/id-tags", json=body), TAG_COLUMNS)


@id_tags.command("list")
@click.option("--status", type=click.Choice(["Accepted", "Blocked", "Expired", "Invalid"]))
@click.option("--offset", type=int, default=0)
@click.option("--limit", type=int, default=100)
@api_options
def id_tags_list(client: ApiClient, status: str | None, offset: int, limit: int) -> None:
    """List id tags."""
    params = compact(status=status, offset=offset, limit=limit)
    client.show(client.request("GET", "/id-tags", params=params), TAG_COLUMNS)


@id_tags.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@api_options
def id_tags_import(client: ApiClient, csv_file: Path) -> None:
    """Create or update tags from CSV_FILE (idTag,status,expiryDate,parentIdTag); all or nothing."""
    files = {"file": (csv_file.name, csv_file.read_bytes(), "text/csv")}
    result = client.request("POST", "/id-tags/import", files=files)
    client.show(result, ["created", "updated"])


@click.group()
def transactions() -> None:
    """Browse and export transactions."""


def _filters(
    station: str | None, id_tag: str | None, since: str | None, until: str | None, state: str | None
) -> dict[str, Any]:
    is_open = None if state is None else str(state == "open").lower()
    # "from" is a Python keyword: the names go in as a dict.
    return compact(
        **{"stationId": station, "idTag": id_tag, "from": since, "to": until, "open": is_open}
    )


def filter_options(fn: Any) -> Any:
    for option in reversed(
        [
            click.option("--station", help="Only this station."),
            click.option("--id-tag", help="Only this id tag."),
            click.option("--from", "since", help="Started at or after (ISO 8601)."),
            click.option("--to", "until", help="Started before (ISO 8601)."),
            click.option("--state", type=click.Choice(["open", "closed"])),
        ]
    ):
        fn = option(fn)
    return fn


@transactions.command("list")
@filter_options
@click.option("--offset", type=int, default=0)
@click.option("--limit", type=int, default=100)
@api_options
def transactions_list(client: ApiClient, offset: int, limit: int, **filters: Any) -> None:
    """List transactions, newest first."""
    params = {**_filters(**filters), "offset": offset, "limit": limit}
    client.show(client.request("GET", "/transactions", params=params), TX_COLUMNS)


@transactions.command("show")
@click.argument("transaction_id", type=int)
@click.option("--meter-values", is_flag=True, help="Also list its sampled values.")
@api_options
def transactions_show(client: ApiClient, transaction_id: int, meter_values: bool) -> None:
    """Show one transaction."""
    data = client.request("GET", f"/transactions/{transaction_id}")
    if meter_values:
        data["meterValues"] = client.every(f"/transactions/{transaction_id}/meter-values")
    client.show(data)


@transactions.command("export")
@filter_options
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File (default stdout)."
)
@api_options
def transactions_export(client: ApiClient, output: Path | None, **filters: Any) -> None:
    """Export matching transactions as CSV."""
    data = client.request("GET", "/transactions/export.csv", params=_filters(**filters))
    if output is None:
        click.echo(data.decode(), nl=False)
    else:
        output.write_bytes(data)
        click.echo(f"wrote {output}", err=True)


UNMATCHED_COLUMNS = [
    "id",
    "stationId",
    "transactionId",
    "meterStop",
    "timestamp",
    "reason",
    "resolution",
    "resolvedTransactionId",
]


@transactions.command("unmatched")
@click.option("--station", "station_id", help="Only this station's.")
@click.option("--open", "open_only", is_flag=True, help="Only those awaiting review.")
@click.option("--offset", type=int, default=0)
@click.option("--limit", type=int, default=100)
@api_options
def transactions_unmatched(
    client: ApiClient, station_id: str | None, open_only: bool, offset: int, limit: int
) -> None:
    """List StopTransactions for unknown transaction ids (kept for review), newest first."""
    resolved = "false" if open_only else None
    params = compact(stationId=station_id, resolved=resolved, offset=offset, limit=limit)
    client.show(
        client.request("GET", "/transactions/unmatched-stops", params=params), UNMATCHED_COLUMNS
    )


@transactions.command("resolve-stop")
@click.argument("stop_id", type=int)
@click.option("--apply-to", "transaction_id", type=int, help="End this open transaction with it.")
@click.option("--dismiss", is_flag=True, help="Mark it reviewed without applying it.")
@click.option("--note", help="Why (kept with the stop).")
@api_options
def transactions_resolve_stop(
    client: ApiClient, stop_id: int, transaction_id: int | None, dismiss: bool, note: str | None
) -> None:
    """Resolve an unmatched stop: --apply-to TRANSACTION or --dismiss."""
    if (transaction_id is None) == (not dismiss):
        raise click.UsageError("give exactly one of --apply-to TRANSACTION and --dismiss")
    if dismiss:
        path, body = "dismiss", {"note": note}
    else:
        path, body = "apply", {"transactionId": transaction_id, "note": note}
    client.show(
        client.request("POST", f"/transactions/unmatched-stops/{stop_id}/{path}", json=body)
    )
