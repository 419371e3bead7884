"""Hook implementations of the Firmware Management plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csms_core import Csms, hookimpl

from . import PLUGIN, actions, handlers
from .models import FirmwareBase
from .settings import FirmwareSettings


@hookimpl
def register_handlers(register: Any) -> None:
    register("FirmwareStatusNotification", handlers.firmware_status_notification)
    register("DiagnosticsStatusNotification", handlers.diagnostics_status_notification)


@hookimpl
def register_actions(register: Any) -> None:
    register(
        "UpdateFirmware",
        check=actions.check_update_firmware,
        on_result=actions.on_update_firmware,
    )
    register(
        "GetDiagnostics",
        check=actions.check_get_diagnostics,
        on_result=actions.on_get_diagnostics,
    )


@hookimpl
def register_settings(register: Any) -> None:
    register(PLUGIN, FirmwareSettings)


@hookimpl
def register_tables(register: Any) -> None:
    register(PLUGIN, FirmwareBase.metadata, Path(__file__).parent / "migrations")


@hookimpl
def register_api_routes(register: Any) -> None:
    from .api import router

    register(router)


@hookimpl
def register_public_routes(register: Any) -> None:
    from .api import public_router

    register(public_router)


@hookimpl
async def startup(app: Csms) -> None:
    if app.settings_for(PLUGIN).ftp_enabled:
        from .ftp import FtpReceiver, state

        receiver = FtpReceiver(app)
        await receiver.start()
        state(app).ftp = receiver


@hookimpl
async def shutdown(app: Csms) -> None:
    from .ftp import state

    receiver, state(app).ftp = state(app).ftp, None
    if receiver is not None:
        await receiver.stop()


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import diagnostics, firmware

    cli.add_command(firmware)
    cli.add_command(diagnostics)
