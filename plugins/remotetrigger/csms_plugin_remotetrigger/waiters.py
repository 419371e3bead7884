"""Waiting for a triggered message. The watch starts before the TriggerMessage is sent (a
fast station may send the message before its TriggerMessage.conf is even processed) and
sees the station's messages on whichever node holds it (``app.watch_station``)."""

from __future__ import annotations

import asyncio
from typing import Any

from csms_core.watch import StationMessage

# Messages that carry a connectorId; for the others a requested connectorId is irrelevant
# and, as OCPP 1.6 section 5.17 says, ignored.
CONNECTOR_MESSAGES = frozenset({"MeterValues", "StatusNotification"})


def matches(message: StationMessage, action: str, connector_id: int | None) -> bool:
    if message.action != action:
        return False
    if connector_id is None or action not in CONNECTOR_MESSAGES:
        return True
    return message.payload.get("connectorId") == connector_id


async def first_match(
    messages: asyncio.Queue[StationMessage], action: str, connector_id: int | None
) -> dict[str, Any]:
    """``{"action", "payload", "receivedAt"}`` of the first matching message."""
    while True:
        message = await messages.get()
        if matches(message, action, connector_id):
            return {
                "action": message.action,
                "payload": message.payload,
                "receivedAt": message.received_at,
            }
