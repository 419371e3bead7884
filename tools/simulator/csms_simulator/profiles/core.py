"""Core profile: availability, configuration, cache, data transfer, remote start/stop, reset,
unlock."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import smartcharging

if TYPE_CHECKING:
    from ..station import SimStation

# key: (default value, read-only)
DEFAULT_CONFIGURATION: dict[str, tuple[str, bool]] = {
    "AllowOfflineTxForUnknownId": ("false", False),
    "AuthorizationCacheEnabled": ("true", False),
    "AuthorizeRemoteTxRequests": ("false", False),
    "ClockAlignedDataInterval": ("0", False),
    "ConnectionTimeOut": ("60", False),
    "GetConfigurationMaxKeys": ("50", True),
    "HeartbeatInterval": ("300", False),
    "LocalAuthorizeOffline": ("true", False),
    "LocalPreAuthorize": ("false", False),
    "MeterValuesAlignedData": ("Energy.Active.Import.Register", False),
    "MeterValuesSampledData": ("Energy.Active.Import.Register,Power.Active.Import", False),
    "MeterValueSampleInterval": ("60", False),
    "NumberOfConnectors": ("2", True),
    "ResetRetries": ("1", False),
    "ConnectorPhaseRotation": ("NotApplicable", False),
    "StopTransactionOnEVSideDisconnect": ("true", False),
    "StopTransactionOnInvalidId": ("true", False),
    "StopTxnAlignedData": ("", False),
    "StopTxnSampledData": ("Energy.Active.Import.Register", False),
    "SupportedFeatureProfiles": (
        "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger",
        True,
    ),
    "TransactionMessageAttempts": ("3", False),
    "TransactionMessageRetryInterval": ("60", False),
    "UnlockConnectorOnEVSideDisconnect": ("true", False),
    "LocalAuthListEnabled": ("true", False),
    "LocalAuthListMaxLength": ("100", True),
    "SendLocalListMaxLength": ("100", True),
    "ReserveConnectorZeroSupported": ("true", True),
    "ChargeProfileMaxStackLevel": ("10", True),
    "ChargingScheduleAllowedChargingRateUnit": ("Current,Power", True),
    "ChargingScheduleMaxPeriods": ("24", True),
    "MaxChargingProfilesInstalled": ("10", True),
    "AuthorizationKey": ("", False),
}
INTEGER_KEYS = {
    "ClockAlignedDataInterval",
    "ConnectionTimeOut",
    "HeartbeatInterval",
    "MeterValueSampleInterval",
    "ResetRetries",
    "TransactionMessageAttempts",
    "TransactionMessageRetryInterval",
}
BOOLEAN_KEYS = {k for k, (v, _) in DEFAULT_CONFIGURATION.items() if v in ("true", "false")}


def change_availability(station: SimStation, p: dict) -> dict:
    targets = [c for c in station.connectors.values() if p["connectorId"] in (0, c.id)]
    if not targets:
        return {"status": "Rejected"}
    new = "Available" if p["type"] == "Operative" else "Unavailable"
    if any(c.transaction_id is not None for c in targets):
        return {"status": "Scheduled"}

    async def apply() -> None:
        for c in targets:
            if c.status != new:
                await station.set_status(c.id, new)

    station.later(apply)
    return {"status": "Accepted"}


def change_configuration(station: SimStation, p: dict) -> dict:
    key, value = p["key"], p["value"]
    if key not in DEFAULT_CONFIGURATION:
        return {"status": "NotSupported"}
    if DEFAULT_CONFIGURATION[key][1]:
        return {"status": "Rejected"}
    if key in INTEGER_KEYS and not (value.isdigit() and int(value) >= 0):
        return {"status": "Rejected"}
    if key in BOOLEAN_KEYS and value.lower() not in ("true", "false"):
        return {"status": "Rejected"}
    station.config[key] = value
    if key == "HeartbeatInterval" and int(value) > 0:
        station.heartbeat_interval = float(value)
    if key == "MeterValueSampleInterval":
        station.meter_interval = float(value)
    return {"status": "Accepted"}


def get_configuration(station: SimStation, p: dict) -> dict:
    keys = p.get("key") or list(station.config)
    known = [
        {"key": k, "readonly": DEFAULT_CONFIGURATION[k][1], "value": station.config[k]}
        for k in keys
        if k in station.config
    ]
    answer: dict[str, Any] = {"configurationKey": known}
    unknown = [k for k in keys if k not in station.config]
    if unknown:
        answer["unknownKey"] = unknown
    return answer


def clear_cache(station: SimStation, p: dict) -> dict:
    return {"status": "Accepted"}


def data_transfer(station: SimStation, p: dict) -> dict:
    if p["vendorId"] != station.options.vendor:
        return {"status": "UnknownVendorId"}
    return {"status": "Accepted", "data": p.get("data", "")}


def remote_start_transaction(station: SimStation, p: dict) -> dict:
    connector_id = p.get("connectorId") or station.idle_connector()
    connector = station.connectors.get(connector_id or -1)
    if (
        not connector
        or connector.transaction_id is not None
        or connector.status not in ("Available", "Preparing")
    ):
        return {"status": "Rejected"}
    profile = p.get("chargingProfile")
    authorize = station.config["AuthorizeRemoteTxRequests"] == "true"

    async def start() -> None:
        transaction_id = await station.start_transaction(connector.id, p["idTag"], authorize)
        if transaction_id is not None and profile is not None:
            tx_profile = {**profile, "transactionId": transaction_id}
            smartcharging.store_profile(station, connector.id, tx_profile)

    station.later(start)
    return {"status": "Accepted"}


def remote_stop_transaction(station: SimStation, p: dict) -> dict:
    connector = station.find_transaction(p["transactionId"])
    if connector is None:
        return {"status": "Rejected"}
    station.later(lambda: station.stop_transaction(connector.id, "Remote"))
    return {"status": "Accepted"}


def reset(station: SimStation, p: dict) -> dict:
    async def reboot() -> None:
        await station.stop_all_transactions("HardReset" if p["type"] == "Hard" else "SoftReset")
        station.reboot()

    station.later(reboot)
    return {"status": "Accepted"}


def unlock_connector(station: SimStation, p: dict) -> dict:
    connector = station.connectors.get(p["connectorId"])
    if connector is None or connector.id == 0:
        return {"status": "NotSupported"}
    if connector.transaction_id is not None:
        station.later(lambda: station.stop_transaction(connector.id, "UnlockCommand"))
    return {"status": "Unlocked"}


RESPONDERS: dict[str, Callable[[SimStation, dict], dict]] = {
    "ChangeAvailability": change_availability,
    "ChangeConfiguration": change_configuration,
    "ClearCache": clear_cache,
    "DataTransfer": data_transfer,
    "GetConfiguration": get_configuration,
    "RemoteStartTransaction": remote_start_transaction,
    "RemoteStopTransaction": remote_stop_transaction,
    "Reset": reset,
    "UnlockConnector": unlock_connector,
}
