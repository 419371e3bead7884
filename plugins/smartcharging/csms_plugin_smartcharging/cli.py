"""``csms profiles set|clear|list``, ``csms composite STATION CONNECTOR``, ``csms groups``."""

from __future__ import annotations

import click

from csms_core.client import ApiClient, api_options, compact, parse_json_argument

PURPOSES = click.Choice(["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"])


@click.group()
def profiles() -> None:
    """Charging profiles: set, clear, list what a station holds."""


@profiles.command("set")
@click.argument("station_id")
@click.argument("connector_id", type=int)
@click.argument("profile_json")
@api_options
def profiles_set(client: ApiClient, station_id: str, connector_id: int, profile_json: str) -> None:
    """Send SetChargingProfile with PROFILE_JSON (an OCPP ChargingProfile)."""
    body = {"connectorId": connector_id, "csChargingProfiles": parse_json_argument(profile_json)}
    client.show(client.request("POST", client.station(station_id, "charging-profiles"), json=body))


@profiles.command("clear")
@click.argument("station_id")
@click.option("--id", "profile_id", type=int, help="chargingProfileId")
@click.option("--connector", type=int, help="connectorId")
@click.option("--purpose", type=PURPOSES)
@click.option("--stack-level", type=int)
@api_options
def profiles_clear(
    client: ApiClient,
    station_id: str,
    profile_id: int | None,
    connector: int | None,
    purpose: str | None,
    stack_level: int | None,
) -> None:
    """Send ClearChargingProfile; the criteria given must all match, none clears all."""
    params = compact(
        id=profile_id, connectorId=connector, chargingProfilePurpose=purpose, stackLevel=stack_level
    )
    path = client.station(station_id, "charging-profiles")
    client.show(client.request("DELETE", path, params=params))


@profiles.command("list")
@click.argument("station_id")
@api_options
def profiles_list(client: ApiClient, station_id: str) -> None:
    """The profiles the station accepted and has not cleared."""
    data = client.request("GET", client.station(station_id, "charging-profiles"))
    client.show(
        data,
        [
            "connectorId",
            "chargingProfileId",
            "chargingProfilePurpose",
            "stackLevel",
            "transactionId",
            "installedAt",
        ],
    )


@click.command()
@click.argument("station_id")
@click.argument("connector_id", type=int)
@click.option("--duration", type=int, default=86400, show_default=True, help="Seconds.")
@click.option("--unit", type=click.Choice(["A", "W"]))
@click.option("--compare", is_flag=True, help="Also ask the station's GetCompositeSchedule.")
@api_options
def composite(
    client: ApiClient,
    station_id: str,
    connector_id: int,
    duration: int,
    unit: str | None,
    compare: bool,
) -> None:
    """The composite schedule the CSMS computes for a connector, from now."""
    params = compact(duration=duration, compare=compare, chargingRateUnit=unit)
    path = client.station(station_id, "connectors", str(connector_id), "composite-schedule")
    data = client.request("GET", path, params=params)
    if compare or client.as_json:
        client.show(data)
        return
    schedule = data["chargingSchedule"]
    click.echo(f"from {data['scheduleStart']} in {schedule['chargingRateUnit']}")
    client.show(schedule["chargingSchedulePeriod"], ["startPeriod", "limit", "numberPhases"])


@click.group()
def groups() -> None:
    """Charging groups (load management)."""


@groups.command("list")
@api_options
def groups_list(client: ApiClient) -> None:
    client.show(
        client.request("GET", "/charging-groups"),
        ["id", "name", "limit", "unit", "enabled", "fallbackLimit", "allocation"],
    )


@groups.command("create")
@click.argument("group_json")
@api_options
def groups_create(client: ApiClient, group_json: str) -> None:
    """Create a group from GROUP_JSON (name, limit, unit, enabled, fallbackLimit, members)."""
    client.show(client.request("POST", "/charging-groups", json=parse_json_argument(group_json)))


@groups.command("update")
@click.argument("group_id", type=int)
@click.argument("changes_json")
@api_options
def groups_update(client: ApiClient, group_id: int, changes_json: str) -> None:
    body = parse_json_argument(changes_json)
    client.show(client.request("PATCH", f"/charging-groups/{group_id}", json=body))


@groups.command("delete")
@click.argument("group_id", type=int)
@api_options
def groups_delete(client: ApiClient, group_id: int) -> None:
    client.request("DELETE", f"/charging-groups/{group_id}")
