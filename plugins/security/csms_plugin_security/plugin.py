"""Security whitepaper: hook implementations only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csms_core import Csms, hookimpl

from . import PLUGIN, actions, handlers, profiles
from .models import SecurityBase
from .settings import SecuritySettings


@hookimpl
def register_handlers(register: Any) -> None:
    register("SecurityEventNotification", handlers.security_event_notification)
    register("SignCertificate", handlers.sign_certificate)


@hookimpl
def register_actions(register: Any) -> None:
    actions.register(register)


@hookimpl
def register_settings(register: Any) -> None:
    register(PLUGIN, SecuritySettings)


@hookimpl
def register_tables(register: Any) -> None:
    register(PLUGIN, SecurityBase.metadata, Path(__file__).parent / "migrations")


@hookimpl
def register_api_routes(register: Any) -> None:
    from .api import router

    register(router)


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import security

    cli.add_command(security)


@hookimpl
async def check_call(app: Csms, station_id: str, action: str, payload: dict) -> None:
    if action == profiles.CHANGE_CONFIGURATION:
        await profiles.check(app, station_id, payload)


@hookimpl
async def call_completed(
    app: Csms, station_id: str, action: str, request: dict, response: Any, error: Any
) -> None:
    if action == profiles.CHANGE_CONFIGURATION:
        await profiles.completed(app, station_id, request, response, error)
    elif action in actions.ACTIONS and error is not None:
        # Answered calls are recorded by on_result; this records CALLERRORs and time-outs.
        await actions.record(app, station_id, action, request, error=str(error))


@hookimpl
def station_connected(app: Csms, station_id: str, security_profile: int) -> None:
    # In the background: a reconnect storm should not wait on this plugin's bookkeeping.
    app.spawn(profiles.connected(app, station_id, security_profile))
