"""``csms firmware ...`` and ``csms diagnostics ...``: operator commands over the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import click
import httpx
from pydantic.alias_generators import to_camel

from csms_core.client import ApiClient, api_options, compact

IMAGE_COLUMNS = ["id", "fileName", "size", "sha256", "url"]
FILE_COLUMNS = ["name", "size", "sha256", "uploadedAt", "requestId"]
HISTORY_COLUMNS = ["status", "timestamp"]


def _retry_options(fn: Any) -> Any:
    fn = click.option("--retries", type=click.IntRange(min=0), help="Attempts the station makes.")(
        fn
    )
    return click.option(
        "--retry-interval", type=click.IntRange(min=0), help="Seconds between attempts."
    )(fn)


def _send(client: ApiClient, station_id: str, resource: str, options: dict[str, Any]) -> None:
    """POST the options given to the station's ``resource`` (the API's camelCase names of
    the command's options); show the answer: the OCPP request sent and the response."""
    body = compact(**{to_camel(name): value for name, value in options.items()})
    client.show(client.request("POST", client.station(station_id, resource), json=body))


def _show_status(client: ApiClient, station_id: str, resource: str) -> None:
    """The station's last reported status of ``resource`` and its history."""
    state = client.request("GET", client.station(station_id, resource))
    if client.as_json:
        client.show(state)
        return
    click.echo(f"status: {state['status'] or '-'}")
    client.show(state["history"], HISTORY_COLUMNS)


@click.group()
def firmware() -> None:
    """Firmware images and updates (Firmware Management profile)."""


@firmware.command("upload")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@api_options
def firmware_upload(client: ApiClient, file: Path) -> None:
    """Upload FILE as a firmware image stations can download."""
    with file.open("rb") as fh:
        image = client.request("POST", "/firmware", files={"file": (file.name, fh)})
    client.show(image, IMAGE_COLUMNS)


@firmware.command("list")
@api_options
def firmware_list(client: ApiClient) -> None:
    """List hosted firmware images."""
    client.show(client.request("GET", "/firmware", params={"limit": 1000}), IMAGE_COLUMNS)


@firmware.command("delete")
@click.argument("firmware_id", type=int)
@api_options
def firmware_delete(client: ApiClient, firmware_id: int) -> None:
    """Delete a hosted image."""
    client.request("DELETE", f"/firmware/{firmware_id}")
    click.echo(f"deleted firmware image {firmware_id}")


@firmware.command("update")
@click.argument("station_id")
@click.option("--firmware-id", type=int, help="A hosted image (see `csms firmware list`).")
@click.option("--location", help="Or any URL the station can download from.")
@click.option("--retrieve-date", help="ISO 8601 date-time; default now.")
@_retry_options
@api_options
def firmware_update(client: ApiClient, station_id: str, **options: Any) -> None:
    """Send UpdateFirmware to STATION_ID."""
    if (options["firmware_id"] is None) == (options["location"] is None):
        raise click.UsageError("give exactly one of --firmware-id and --location")
    _send(client, station_id, "firmware-update", options)


@firmware.command("status")
@click.argument("station_id")
@api_options
def firmware_status(client: ApiClient, station_id: str) -> None:
    """Show STATION_ID's firmware status and its history."""
    _show_status(client, station_id, "firmware")


@click.group()
def diagnostics() -> None:
    """Diagnostics requests and uploaded files (Firmware Management profile)."""


@diagnostics.command("request")
@click.argument("station_id")
@click.option("--start-time", help="Oldest log entry wanted (ISO 8601).")
@click.option("--stop-time", help="Newest log entry wanted (ISO 8601).")
@click.option("--location", help="Upload URL; default: one on this CSMS.")
@_retry_options
@api_options
def diagnostics_request(client: ApiClient, station_id: str, **options: Any) -> None:
    """Send GetDiagnostics to STATION_ID; the station uploads its file to the CSMS."""
    _send(client, station_id, "diagnostics-request", options)


@diagnostics.command("list")
@click.argument("station_id")
@api_options
def diagnostics_list(client: ApiClient, station_id: str) -> None:
    """List the diagnostics files STATION_ID uploaded."""
    path = client.station(station_id, "diagnostics", "files")
    files = client.request("GET", path, params={"limit": 1000})
    client.show(files, FILE_COLUMNS)


@diagnostics.command("status")
@click.argument("station_id")
@api_options
def diagnostics_status(client: ApiClient, station_id: str) -> None:
    """Show STATION_ID's diagnostics status and its history."""
    _show_status(client, station_id, "diagnostics")


@diagnostics.command("fetch")
@click.argument("station_id")
@click.argument("name")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: NAME."
)
@api_options
def diagnostics_fetch(client: ApiClient, station_id: str, name: str, output: Path | None) -> None:
    """Download the diagnostics file NAME that STATION_ID uploaded."""
    target = output or Path(Path(name).name)
    path = client.station(station_id, "diagnostics", "files", quote(name, safe=""))
    url = f"{client.api_url}/api/v1{path}"
    headers = {"Authorization": f"Bearer {client.api_key}"} if client.api_key else {}
    try:
        # Streamed: diagnostics archives can be large.
        with httpx.stream("GET", url, headers=headers, timeout=330) as response:
            if response.status_code >= 400:
                response.read()
                raise click.ClickException(f"{response.status_code}: {_reason(response)}")
            with target.open("wb") as fh:
                for chunk in response.iter_bytes():
                    fh.write(chunk)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {client.api_url}: {exc}") from None
    click.echo(f"saved {target}")


def _reason(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail"))
    except ValueError:
        return response.text
