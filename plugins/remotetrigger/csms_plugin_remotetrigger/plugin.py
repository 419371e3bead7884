"""Remote Trigger profile: hook implementations only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csms_core import Csms, hookimpl

from . import PLUGIN, actions, store
from .models import RemoteTriggerBase


@hookimpl
def register_actions(register: Any) -> None:
    register(
        actions.ACTION, check=actions.check, on_result=actions.on_result, permits=actions.permits
    )


@hookimpl
def register_tables(register: Any) -> None:
    register(PLUGIN, RemoteTriggerBase.metadata, Path(__file__).parent / "migrations")


@hookimpl
def register_api_routes(register: Any) -> None:
    from .api import router

    register(router)


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import trigger

    cli.add_command(trigger)


@hookimpl
def station_booted(app: Csms, station_id: str, status: str) -> None:
    # A new BootNotification.req: our answer to it is the station's current boot (errata 3.40).
    actions.state(app).boot_status[station_id] = status


@hookimpl
def station_disconnected(app: Csms, station_id: str) -> None:
    # It may come back on another node; from then on the kernel's stations table decides.
    actions.state(app).boot_status.pop(station_id, None)


@hookimpl
async def call_completed(
    app: Csms, station_id: str, action: str, request: dict, error: Any
) -> None:
    # Answered triggers are recorded by on_result; this records CALLERRORs and time-outs.
    if action == actions.ACTION and error is not None:
        await store.record(app, station_id, request, error=str(error))
