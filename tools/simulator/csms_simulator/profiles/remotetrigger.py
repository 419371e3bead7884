"""Remote Trigger profile: TriggerMessage sends the requested message after the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..station import SimStation


def trigger_message(station: SimStation, p: dict) -> dict:
    message, connector_id = p["requestedMessage"], p.get("connectorId")
    if connector_id is not None and connector_id not in station.connectors:
        return {"status": "Rejected"}
    senders: dict[str, Callable[[], Awaitable[object]]] = {
        "BootNotification": lambda: boot_again(station),
        "DiagnosticsStatusNotification": lambda: station.call(
            "DiagnosticsStatusNotification", {"status": "Idle"}
        ),
        "FirmwareStatusNotification": lambda: station.call(
            "FirmwareStatusNotification", {"status": "Idle"}
        ),
        "Heartbeat": lambda: station.call("Heartbeat", {}),
        "MeterValues": lambda: meter_values(station, connector_id),
        "StatusNotification": lambda: statuses(station, connector_id),
    }
    sender = senders.get(message)
    if sender is None:
        return {"status": "NotImplemented"}
    station.later(sender)
    return {"status": "Accepted"}


async def boot_again(station: SimStation) -> None:
    await station.call(
        "BootNotification",
        {
            "chargePointVendor": station.options.vendor,
            "chargePointModel": station.options.model,
            "firmwareVersion": station.firmware_version,
        },
    )


async def meter_values(station: SimStation, connector_id: int | None) -> None:
    for c in station.connectors.values():
        if c.id and connector_id in (None, c.id):
            await station.send_meter_values(c, "Trigger")


async def statuses(station: SimStation, connector_id: int | None) -> None:
    for c in station.connectors.values():
        if connector_id in (None, c.id):
            await station.set_status(c.id, c.status, c.error_code)


RESPONDERS: dict[str, Callable[[SimStation, dict], dict]] = {"TriggerMessage": trigger_message}
