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


@security.command("set-key")
@click.argument("station_id")
@click.option(
    "--key",
    envvar="CSMS_NEW_AUTHORIZATION_KEY",
    help="The new key (16-40 characters; or CSMS_NEW_AUTHORIZATION_KEY, which keeps it out of "
    "the shell history). Default: 40 random hex digits the CSMS generates and never shows.",
)
@api_options
def set_key(client: ApiClient, station_id: str, key: str | None) -> None:
    """Give STATION_ID a new Basic-auth password (ChangeConfiguration AuthorizationKey)."""
    body = {"authorizationKey": key} if key else {}
    client.show(client.request("POST", f"/stations/{station_id}/authorization-key", json=body))


@security.command("upgrade-profile")
@click.argument("station_id")
@click.argument("profile", type=click.IntRange(1, 3))
@api_options
def upgrade_profile(client: ApiClient, station_id: str, profile: int) -> None:
    """Raise STATION_ID's security profile to PROFILE (ChangeConfiguration SecurityProfile)."""
    body = {"securityProfile": profile}
    client.show(client.request("POST", f"/stations/{station_id}/security-profile", json=body))


@security.command("profile")
@click.argument("station_id")
@api_options
def profile(client: ApiClient, station_id: str) -> None:
    """Show STATION_ID's minimum, last used and pending security profile."""
    client.show(client.request("GET", f"/stations/{station_id}/security-profile"))
