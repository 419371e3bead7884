"""Hook implementations of the Smart Charging plugin (nothing else lives here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csms_core import Csms, TransactionStarted, TransactionStopped, hookimpl

from . import PLUGIN, actions, loadmanagement, store
from .models import SmartChargingBase
from .settings import SmartChargingSettings

CONFIG_KEYS = [
    ("ChargeProfileMaxStackLevel", "integer", "Highest stackLevel; also profiles per purpose."),
    ("ChargingScheduleAllowedChargingRateUnit", "CSL", "Current and/or Power."),
    ("ChargingScheduleMaxPeriods", "integer", "Periods per ChargingSchedule."),
    ("ConnectorSwitch3to1PhaseSupported", "boolean", "Phase switching during a transaction."),
    ("MaxChargingProfilesInstalled", "integer", "Profiles installed at a time."),
]


# --- registration -------------------------------------------------------------------------


@hookimpl
def register_actions(register: Any) -> None:
    actions.register(register)


@hookimpl
def register_settings(register: Any) -> None:
    register(PLUGIN, SmartChargingSettings)


@hookimpl
def register_config_keys(register: Any) -> None:
    for key, type_name, description in CONFIG_KEYS:
        register(key, type_name, f"Smart Charging (9.4): {description}", read_only=True)


@hookimpl
def register_tables(register: Any) -> None:
    register(PLUGIN, SmartChargingBase.metadata, Path(__file__).parent / "migrations")


@hookimpl
def register_api_routes(register: Any) -> None:
    from .api import router

    register(router)


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import composite, groups, profiles

    cli.add_command(profiles)
    cli.add_command(composite)
    cli.add_command(groups)


# --- checks and events --------------------------------------------------------------------


@hookimpl
async def check_call(app: Csms, station_id: str, action: str, payload: dict) -> None:
    await actions.check_call(app, station_id, action, payload)


@hookimpl
async def call_completed(
    app: Csms, station_id: str, action: str, request: dict, response: dict | None
) -> None:
    if action == "RemoteStartTransaction":
        await actions.remember_remote_start(app, station_id, request, response)


@hookimpl
async def transaction_started(app: Csms, station_id: str, transaction: TransactionStarted) -> None:
    await actions.adopt_remote_start_profile(app, station_id, transaction)
    await loadmanagement.on_transaction_started(app, station_id, transaction)


@hookimpl
async def transaction_stopped(app: Csms, station_id: str, transaction: TransactionStopped) -> None:
    await store.end_transaction(
        app, station_id, transaction["connectorId"], transaction["transactionId"]
    )
    await loadmanagement.on_transaction_stopped(app, station_id, transaction)


@hookimpl
async def station_booted(app: Csms, station_id: str, status: str) -> None:
    if status == "Accepted" and await loadmanagement.groups_with(app, station_id):
        app.spawn(loadmanagement.on_boot(app, station_id))


@hookimpl
async def station_removed(app: Csms, station_id: str) -> None:
    await store.forget_station(app, station_id)
    await loadmanagement.on_station_removed(app, station_id)
