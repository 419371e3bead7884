"""``csms trigger STATION MESSAGE [--connector N] [--wait S]`` (through a running server's API)."""

from __future__ import annotations

from typing import get_args

import click

from csms_core.client import ApiClient, api_options, compact

from .actions import TriggerableMessage

MESSAGES = get_args(TriggerableMessage)


@click.command("trigger")
@click.argument("station_id")
@click.argument("message", type=click.Choice(MESSAGES, case_sensitive=False), metavar="MESSAGE")
@click.option("--connector", type=click.IntRange(min=0), help="Connector id (omit for all).")
@click.option(
    "--wait",
    type=click.FloatRange(min=0, min_open=True, max=300),
    help="Seconds to wait for the triggered message; it is printed when it arrives.",
)
@api_options
def trigger(
    client: ApiClient, station_id: str, message: str, connector: int | None, wait: float | None
) -> None:
    """Ask a station to send MESSAGE now (TriggerMessage).

    MESSAGE: BootNotification, DiagnosticsStatusNotification, FirmwareStatusNotification,
    Heartbeat, MeterValues or StatusNotification (any case).
    """
    # click.Choice returns the choice as spelled in MESSAGES, whatever case was typed.
    body = compact(requestedMessage=message, connectorId=connector, wait=wait)
    client.show(client.request("POST", client.station(station_id, "trigger"), json=body))
