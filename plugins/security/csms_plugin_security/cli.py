"""``csms security ...`` through a running server's API."""

from __future__ import annotations

from typing import Any

import click

from csms_core.client import ApiClient, api_options, compact

from .messages import CERTIFICATE_TYPES, TRIGGERED

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
    params = compact(limit=limit, offset=offset, type=type_ or None)
    data = client.request("GET", client.station(station_id, "security-events"), params=params)
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
    client.show(client.request("POST", client.station(station_id, "authorization-key"), json=body))


@security.command("upgrade-profile")
@click.argument("station_id")
@click.argument("profile", type=click.IntRange(1, 3))
@api_options
def upgrade_profile(client: ApiClient, station_id: str, profile: int) -> None:
    """Raise STATION_ID's security profile to PROFILE (ChangeConfiguration SecurityProfile)."""
    body = {"securityProfile": profile}
    client.show(client.request("POST", client.station(station_id, "security-profile"), json=body))


@security.command("profile")
@click.argument("station_id")
@api_options
def profile(client: ApiClient, station_id: str) -> None:
    """Show STATION_ID's minimum, last used and pending security profile."""
    client.show(client.request("GET", client.station(station_id, "security-profile")))


@security.command("trigger")
@click.argument("station_id")
@click.argument(
    "message", type=click.Choice(list(TRIGGERED), case_sensitive=False), metavar="MESSAGE"
)
@click.option("--connector", type=click.IntRange(min=1), help="Connector id (omit: station).")
@api_options
def trigger(client: ApiClient, station_id: str, message: str, connector: int | None) -> None:
    """Send ExtendedTriggerMessage: ask STATION_ID to send MESSAGE now.

    MESSAGE: BootNotification, LogStatusNotification, FirmwareStatusNotification, Heartbeat,
    MeterValues, SignChargePointCertificate or StatusNotification (any case).
    """
    body = compact(requestedMessage=message, connectorId=connector)
    path = client.station(station_id, "extended-trigger")
    client.show(client.request("POST", path, json=body))


@security.command("sign-requests")
@click.argument("station_id")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@api_options
def sign_requests(client: ApiClient, station_id: str, limit: int) -> None:
    """List STATION_ID's SignCertificate requests and the certificates sent back."""
    path = client.station(station_id, "sign-requests")
    data = client.request("GET", path, params={"limit": limit})
    columns = ["id", "status", "reason", "serialNumber", "certificateStatus", "receivedAt"]
    client.show(data, columns)


@security.command("install")
@click.argument("station_id")
@click.argument("certificate_type", type=click.Choice(CERTIFICATE_TYPES))
@click.argument("pem_file", type=click.File("r"))
@api_options
def install(client: ApiClient, station_id: str, certificate_type: str, pem_file: Any) -> None:
    """Install the root certificate in PEM_FILE on STATION_ID (InstallCertificate)."""
    body = {"certificateType": certificate_type, "certificate": pem_file.read()}
    path = client.station(station_id, "certificates", "install")
    client.show(client.request("POST", path, json=body))


@security.command("delete")
@click.argument("station_id")
@click.option("--hash-algorithm", type=click.Choice(["SHA256", "SHA384", "SHA512"]), required=True)
@click.option("--issuer-name-hash", required=True)
@click.option("--issuer-key-hash", required=True)
@click.option("--serial-number", required=True)
@api_options
def delete(
    client: ApiClient,
    station_id: str,
    hash_algorithm: str,
    issuer_name_hash: str,
    issuer_key_hash: str,
    serial_number: str,
) -> None:
    """Delete a certificate from STATION_ID (DeleteCertificate), named by its hash data as
    `csms security certificates` shows it."""
    body = {
        "certificateHashData": {
            "hashAlgorithm": hash_algorithm,
            "issuerNameHash": issuer_name_hash,
            "issuerKeyHash": issuer_key_hash,
            "serialNumber": serial_number,
        }
    }
    path = client.station(station_id, "certificates", "delete")
    client.show(client.request("POST", path, json=body))


@security.command("certificates")
@click.argument("station_id")
@click.option(
    "--ask",
    "ask",
    type=click.Choice(CERTIFICATE_TYPES),
    help="Ask the station now (GetInstalledCertificateIds) instead of showing the last answers.",
)
@api_options
def certificates(client: ApiClient, station_id: str, ask: str | None) -> None:
    """Show the certificates STATION_ID reported as installed."""
    if ask:
        path = client.station(station_id, "certificates", "query")
        client.show(client.request("POST", path, json={"certificateType": ask}))
        return
    data = client.request("GET", client.station(station_id, "certificates"))
    client.show(data, ["certificateType", "status", "certificateHashData", "askedAt"])


@security.command("calls")
@click.argument("station_id")
@click.option("--action", help="Only this action.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@api_options
def calls(client: ApiClient, station_id: str, action: str | None, limit: int) -> None:
    """List the certificate calls and extended triggers sent to STATION_ID."""
    params = compact(limit=limit, action=action or None)
    data = client.request("GET", client.station(station_id, "certificate-calls"), params=params)
    client.show(data, ["id", "action", "status", "error", "createdAt"])
