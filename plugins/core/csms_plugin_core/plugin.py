"""Hook implementations of the Core profile plugin (the code lives in the modules beside)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csms_core import (
    Connector,
    Csms,
    IdTag,
    IdTagInfo,
    StationConfiguration,
    Transaction,
    hookimpl,
)

from . import PLUGIN, actions, handlers, store
from .models import CoreBase
from .settings import CoreSettings

HANDLERS = {
    "BootNotification": handlers.boot_notification,
    "Heartbeat": handlers.heartbeat,
    "StatusNotification": handlers.status_notification,
    "Authorize": handlers.authorize,
    "StartTransaction": handlers.start_transaction,
    "StopTransaction": handlers.stop_transaction,
    "MeterValues": handlers.meter_values,
}

# OCPP 1.6 section 9.1: the Core profile's configuration keys (key, type, read-only).
CONFIG_KEYS = [
    ("AllowOfflineTxForUnknownId", "boolean", False),
    ("AuthorizationCacheEnabled", "boolean", False),
    ("AuthorizeRemoteTxRequests", "boolean", False),
    ("BlinkRepeat", "integer", False),
    ("ClockAlignedDataInterval", "integer", False),
    ("ConnectionTimeOut", "integer", False),
    ("ConnectorPhaseRotation", "CSL", False),
    ("ConnectorPhaseRotationMaxLength", "integer", True),
    ("GetConfigurationMaxKeys", "integer", True),
    ("HeartbeatInterval", "integer", False),
    ("LightIntensity", "integer", False),
    ("LocalAuthorizeOffline", "boolean", False),
    ("LocalPreAuthorize", "boolean", False),
    ("MaxEnergyOnInvalidId", "integer", False),
    ("MeterValuesAlignedData", "CSL", False),
    ("MeterValuesAlignedDataMaxLength", "integer", True),
    ("MeterValuesSampledData", "CSL", False),
    ("MeterValuesSampledDataMaxLength", "integer", True),
    ("MeterValueSampleInterval", "integer", False),
    ("MinimumStatusDuration", "integer", False),
    ("NumberOfConnectors", "integer", True),
    ("ResetRetries", "integer", False),
    ("StopTransactionOnEVSideDisconnect", "boolean", False),
    ("StopTransactionOnInvalidId", "boolean", False),
    ("StopTxnAlignedData", "CSL", False),
    ("StopTxnAlignedDataMaxLength", "integer", True),
    ("StopTxnSampledData", "CSL", False),
    ("StopTxnSampledDataMaxLength", "integer", True),
    ("SupportedFeatureProfiles", "CSL", True),
    ("SupportedFeatureProfilesMaxLength", "integer", True),
    ("TransactionMessageAttempts", "integer", False),
    ("TransactionMessageRetryInterval", "integer", False),
    ("UnlockConnectorOnEVSideDisconnect", "boolean", False),
    ("WebSocketPingInterval", "integer", False),
]


# --- registration -------------------------------------------------------------------------


@hookimpl
def register_handlers(register: Any) -> None:
    for action, handler in HANDLERS.items():
        register(action, handler)


@hookimpl
def register_actions(register: Any) -> None:
    actions.register(register)


@hookimpl
def register_settings(register: Any) -> None:
    register(PLUGIN, CoreSettings)


@hookimpl
def register_config_keys(register: Any) -> None:
    for key, type_name, read_only in CONFIG_KEYS:
        register(key, type_name, "OCPP 1.6 Core profile (section 9.1)", read_only=read_only)


@hookimpl
def register_tables(register: Any) -> None:
    register(PLUGIN, CoreBase.metadata, Path(__file__).parent / "migrations")


@hookimpl
def register_api_routes(register: Any) -> None:
    from .api import router

    register(router)


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import id_tags, transactions

    cli.add_command(id_tags)
    cli.add_command(transactions)


# --- events -------------------------------------------------------------------------------


@hookimpl
def station_booted(app: Csms, station_id: str, status: str) -> None:
    # Unsolicited calls confuse conformance tools: only when the operator asked for it.
    if status == "Accepted" and app.settings_for(PLUGIN).get_configuration_on_boot:
        app.spawn(app.call(station_id, "GetConfiguration", {}))


@hookimpl
async def station_removed(app: Csms, station_id: str) -> None:
    await store.forget_station(app, station_id)


# --- answers to other plugins (read sessions: they never take the write lock) --------------


@hookimpl
async def station_connectors(app: Csms, station_id: str) -> list[Connector]:
    return await store.connectors(app, station_id)


@hookimpl
async def station_configuration(app: Csms, station_id: str) -> StationConfiguration | None:
    return await actions.snapshot(app, station_id)


@hookimpl
async def id_tag_info(app: Csms, id_tag: str) -> IdTagInfo | None:
    tag = await store.tag(app, id_tag)
    return store.id_tag_info(tag) if tag is not None else None


@hookimpl
async def list_id_tags(app: Csms) -> list[IdTag]:
    return [
        {"idTag": tag.id_tag, "idTagInfo": store.id_tag_info(tag)}
        for tag in await store.all_tags(app)
    ]


@hookimpl
async def active_transactions(app: Csms, station_id: str) -> list[Transaction]:
    return await store.running(app, station_id)
