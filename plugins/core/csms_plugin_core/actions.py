"""CSMS-initiated Core actions: checks that refuse a call before it is sent, and the
effects of answered calls (whichever endpoint sent them)."""

from __future__ import annotations

from typing import Any

from csms_core import Csms, PayloadRejected
from csms_core.redact import is_secret_key

from . import store

# Actions the CSMS owns in the Core profile; only the ones below have checks or effects.
ACTIONS = (
    "ChangeAvailability",
    "ChangeConfiguration",
    "ClearCache",
    "DataTransfer",
    "GetConfiguration",
    "RemoteStartTransaction",
    "RemoteStopTransaction",
    "Reset",
    "UnlockConnector",
)


async def require_accepted(app: Csms, station_id: str, payload: dict) -> None:
    """A Pending (or Rejected) station may be configured but not start or stop charging."""
    station = await app.stations.get(station_id)
    if station is None:
        return  # the kernel answers "unknown station"
    if station.registration_status != "Accepted":
        raise PayloadRejected(
            f"station {station_id!r} is not Accepted "
            f"(registration status {station.registration_status or 'never booted'})"
        )


async def check_remote_start(app: Csms, station_id: str, payload: dict) -> None:
    await require_accepted(app, station_id, payload)
    profile = payload.get("chargingProfile")
    if profile is not None:
        # Spec 5.11: only a TxProfile, and without transactionId (none exists yet).
        if profile.get("chargingProfilePurpose") != "TxProfile":
            raise PayloadRejected("chargingProfile must have chargingProfilePurpose TxProfile")
        if "transactionId" in profile:
            raise PayloadRejected("chargingProfile must not carry a transactionId")
    if payload.get("connectorId") == 0:
        raise PayloadRejected("connectorId must be greater than 0")


async def check_get_configuration(app: Csms, station_id: str, payload: dict) -> None:
    keys = payload.get("key") or []
    if not keys:
        return
    limit = await store.configuration_value(app, station_id, "GetConfigurationMaxKeys")
    if limit and limit.isdigit() and len(keys) > int(limit):
        raise PayloadRejected(
            f"{len(keys)} keys asked; the station accepts at most {limit} (GetConfigurationMaxKeys)"
        )


async def on_get_configuration(app: Csms, station_id: str, request: dict, response: dict) -> None:
    """Store the snapshot: replace it when all keys were asked, merge when only some. Keys
    are case-insensitive (OCPP 1.6): one row per key, in the spelling the station reported;
    a secret's value (AuthorizationKey, reported by some stations) arrives masked already:
    ``app.call`` masks every answer before ``on_result`` sees it."""
    reported = {item["key"].lower(): item for item in response.get("configurationKey") or []}
    replaced = None
    if request.get("key"):
        replaced = {key.lower() for key in response.get("unknownKey") or []} | set(reported)
    await store.store_configuration(app, station_id, list(reported.values()), replaced)


async def on_change_configuration(
    app: Csms, station_id: str, request: dict, response: dict
) -> None:
    """The station took the value (now or after a reboot): keep the snapshot current."""
    if response.get("status") not in ("Accepted", "RebootRequired"):
        return
    if is_secret_key(request["key"]):
        # Write-only (whitepaper 7.2): a station's password is never kept in clear text.
        return
    await store.set_configuration_value(app, station_id, request["key"], request["value"])


class Configuration(dict[str, str | None]):
    """A configuration snapshot whose look-ups ignore case, as OCPP 1.6 keys do: a station
    that reports ``supportedfeatureprofiles`` answers ``config.get("SupportedFeatureProfiles")``."""

    def __init__(self, items: dict[str, str | None]) -> None:
        super().__init__(items)
        self._spelling = {key.lower(): key for key in items}

    def _key(self, key: object) -> object:
        return self._spelling.get(key.lower(), key) if isinstance(key, str) else key

    def __getitem__(self, key: str) -> str | None:
        return super().__getitem__(self._key(key))  # type: ignore[arg-type]

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self._key(key))

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(self._key(key), default)  # type: ignore[arg-type]


async def snapshot(app: Csms, station_id: str) -> Configuration | None:
    rows = await store.configuration(app, station_id)
    return Configuration({row.key: row.value for row in rows}) if rows else None


def register(register_action: Any) -> None:
    special = {
        "GetConfiguration": {"check": check_get_configuration, "on_result": on_get_configuration},
        "ChangeConfiguration": {"on_result": on_change_configuration},
        "RemoteStartTransaction": {"check": check_remote_start},
        "RemoteStopTransaction": {"check": require_accepted},
    }
    for action in ACTIONS:
        register_action(action, **special.get(action, {}))
