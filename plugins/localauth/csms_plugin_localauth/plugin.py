"""Hook implementations of the Local Authorization List Management plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csms_core import Csms, hookimpl
from csms_core.errors import CallTimeout

from . import PLUGIN, actions, store, sync
from .models import LocalAuthBase
from .settings import LocalAuthSettings


@hookimpl
def register_actions(register: Any) -> None:
    register(
        "SendLocalList",
        check=actions.check_send_local_list,
        on_result=actions.on_send_local_list,
    )
    register("GetLocalListVersion", on_result=actions.on_get_local_list_version)


@hookimpl
def register_settings(register: Any) -> None:
    register(PLUGIN, LocalAuthSettings)


@hookimpl
def register_config_keys(register: Any) -> None:
    section = "OCPP 1.6 Local Auth List Management profile (section 9.2)"
    register("LocalAuthListEnabled", "boolean", section)
    register("LocalAuthListMaxLength", "integer", section, read_only=True)
    register("SendLocalListMaxLength", "integer", section, read_only=True)


@hookimpl
def register_tables(register: Any) -> None:
    register(PLUGIN, LocalAuthBase.metadata, Path(__file__).parent / "migrations")


@hookimpl
def register_api_routes(register: Any) -> None:
    from .api import router

    register(router)


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import local_list

    cli.add_command(local_list)


@hookimpl
def station_booted(app: Csms, station_id: str, status: str) -> None:
    sync.booted(app, station_id, status)


@hookimpl
async def station_removed(app: Csms, station_id: str) -> None:
    await sync.forget(app, station_id)


@hookimpl
def id_tags_changed(app: Csms) -> None:
    sync.lists_changed(app)


@hookimpl
async def call_completed(
    app: Csms, station_id: str, action: str, request: dict, error: Any
) -> None:
    if action != "SendLocalList" or error is None:
        return
    # A timed-out update may have been applied: the next one is Full.
    timeout = isinstance(error, CallTimeout)
    result = "Timeout" if timeout else f"CallError {getattr(error, 'code', '')}".strip()
    await store.record_failure(app, station_id, request, result, timeout)
