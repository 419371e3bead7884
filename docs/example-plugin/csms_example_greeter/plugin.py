"""Hook implementations only; the code lives in the modules beside."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csms_core import Csms, hookimpl

from . import PLUGIN, handlers, store
from .models import GreeterBase
from .settings import GreeterSettings


@hookimpl
def register_settings(register: Any) -> None:
    # [plugins.greeter] greeting = "..." in the config file, or CSMS_PLUGINS__GREETER__GREETING
    register(PLUGIN, GreeterSettings)


@hookimpl
def register_data_transfer(register: Any) -> None:
    register(handlers.VENDOR_ID, handlers.hello, message_id="Hello")


@hookimpl
def register_tables(register: Any) -> None:
    # migrations/ holds only versions/: the kernel owns the Alembic environment.
    register(PLUGIN, GreeterBase.metadata, Path(__file__).parent / "migrations")


@hookimpl
def register_api_routes(register: Any) -> None:
    from .api import router

    register(router)


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import greetings

    cli.add_command(greetings)


@hookimpl
async def station_removed(app: Csms, station_id: str) -> None:
    await store.forget_station(app, station_id)
