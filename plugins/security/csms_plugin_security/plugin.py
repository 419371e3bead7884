"""Security whitepaper: hook implementations only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csms_core import hookimpl

from . import handlers
from .models import SecurityBase

NAME = "security"


@hookimpl
def register_handlers(register: Any) -> None:
    register("SecurityEventNotification", handlers.security_event_notification)


@hookimpl
def register_tables(register: Any) -> None:
    register(NAME, SecurityBase.metadata, Path(__file__).parent / "migrations")


@hookimpl
def register_api_routes(register: Any) -> None:
    from .api import router

    register(router)


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import security

    cli.add_command(security)
