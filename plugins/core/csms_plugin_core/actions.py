"""CSMS-initiated Core actions: checks that refuse a call before it is sent, and the
effects of answered calls (whichever endpoint sent them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from csms_core import PayloadRejected
from csms_core.redact import is_secret_key, redact

from . import store
from .models import ConfigurationValue

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


async def require_accepted(app: Any, station_id: str, payload: dict) -> None:
    """A Pending (or Rejected) station may be configured but not start or stop charging."""
    station = await app.stations.get(station_id)
    if station is None:
        return  # the kernel answers "unknown station"
    if station.registration_status != "Accepted":
        raise PayloadRejected(
            f"station {station_id!r} is not Accepted "
            f"(registration status {station.registration_status or 'never booted'})"
        )


async def check_remote_start(app: Any, station_id: str, payload: dict) -> None:
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


async def check_get_configuration(app: Any, station_id: str, payload: dict) -> None:
    keys = payload.get("key") or []
    if not keys:
        return
    async with app.db.session() as session:
        limit = await _stored(session, station_id, "GetConfigurationMaxKeys")
    if limit is not None and limit.value and limit.value.isdigit() and len(keys) > int(limit.value):
        raise PayloadRejected(
            f"{len(keys)} keys asked; the station accepts at most {limit.value} "
            "(GetConfigurationMaxKeys)"
        )


async def on_get_configuration(app: Any, station_id: str, request: dict, response: dict) -> None:
    """Store the snapshot: replace it when all keys were asked, merge when only some. Keys
    are case-insensitive (OCPP 1.6): one row per key, in the spelling the station reported;
    a secret's value (AuthorizationKey, reported by some stations) is kept masked."""
    now = store.utcnow()
    asked = request.get("key") or []
    reported = {
        item["key"].lower(): redact(item) for item in response.get("configurationKey") or []
    }
    async with app.db.session() as session, session.begin():
        if not asked:
            await session.execute(
                delete(ConfigurationValue).where(ConfigurationValue.station_id == station_id)
            )
        else:
            gone = {key.lower() for key in response.get("unknownKey") or []} | set(reported)
            if gone:
                await session.execute(
                    delete(ConfigurationValue).where(
                        ConfigurationValue.station_id == station_id,
                        func.lower(ConfigurationValue.key).in_(gone),
                    )
                )
        for item in reported.values():
            session.add(
                ConfigurationValue(
                    station_id=station_id,
                    key=item["key"],
                    value=item.get("value"),
                    readonly=item.get("readonly", False),
                    updated_at=now,
                )
            )


async def on_change_configuration(app: Any, station_id: str, request: dict, response: dict) -> None:
    """The station took the value (now or after a reboot): keep the snapshot current."""
    if response.get("status") not in ("Accepted", "RebootRequired"):
        return
    if is_secret_key(request["key"]):
        # Write-only (whitepaper 7.2): a station's password is never kept in clear text.
        return
    async with app.db.session() as session, session.begin():
        row = await _stored(session, station_id, request["key"])
        if row is None:
            session.add(
                ConfigurationValue(
                    station_id=station_id,
                    key=request["key"],
                    value=request["value"],
                    readonly=False,
                    updated_at=store.utcnow(),
                )
            )
        else:
            row.value = request["value"]
            row.updated_at = store.utcnow()


async def _stored(session: Any, station_id: str, key: str) -> ConfigurationValue | None:
    """The snapshot's row for ``key``, whatever its case (OCPP 1.6 keys are case-insensitive)."""
    return await session.scalar(
        select(ConfigurationValue).where(
            ConfigurationValue.station_id == station_id,
            func.lower(ConfigurationValue.key) == key.lower(),
        )
    )


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


async def snapshot(app: Any, station_id: str) -> Configuration | None:
    async with app.db.session() as session:
        rows = await store.configuration(session, station_id)
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
