"""Hook implementations of the Reservation profile plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csms_core import Csms, StatusNotification, TransactionStarted, hookimpl

from . import PLUGIN, actions, lifecycle
from .models import ReservationBase
from .settings import ReservationSettings


@hookimpl
def register_actions(register: Any) -> None:
    register("ReserveNow", check=actions.check_reserve_now, on_result=actions.on_reserve_now_result)
    register("CancelReservation", on_result=actions.on_cancel_reservation_result)


@hookimpl
def register_settings(register: Any) -> None:
    register(PLUGIN, ReservationSettings)


@hookimpl
def register_config_keys(register: Any) -> None:
    register(
        "ReserveConnectorZeroSupported",
        "boolean",
        "Whether the station accepts reservations of connector 0.",
        read_only=True,
    )


@hookimpl
def register_tables(register: Any) -> None:
    register(PLUGIN, ReservationBase.metadata, Path(__file__).parent / "migrations")


@hookimpl
def register_api_routes(register: Any) -> None:
    from .api import router

    register(router)


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import reservations

    cli.add_command(reservations)


@hookimpl
async def startup(app: Csms) -> None:
    # Overdue ones (the server was down at their expiryDate) expire before stations connect.
    await lifecycle.expire_now(app)
    # The timer runs once per cluster (on one node it simply runs); other nodes' new
    # reservations reach it through the database at its next scan.
    app.spawn_singleton("reservation-expiry", lambda: lifecycle.expire_forever(app))


@hookimpl
async def transaction_started(app: Csms, station_id: str, transaction: TransactionStarted) -> None:
    await lifecycle.on_transaction_started(app, station_id, transaction)


@hookimpl
async def status_changed(
    app: Csms, station_id: str, connector_id: int, status: StatusNotification
) -> None:
    await lifecycle.on_status_changed(app, station_id, connector_id, status)


@hookimpl
def station_message(app: Csms, station_id: str, action: str, payload: dict) -> Any:
    # Fired for every station message: not even a coroutine for all but Authorize.
    if action == "Authorize":
        return lifecycle.on_authorize(app, station_id, payload)
    return None


@hookimpl
async def station_booted(app: Csms, station_id: str, status: str) -> None:
    await lifecycle.on_station_booted(app, station_id, status)


@hookimpl
async def station_removed(app: Csms, station_id: str) -> None:
    await lifecycle.on_station_removed(app, station_id)
