"""Waiting for a triggered message: a waiter is registered before the TriggerMessage is sent
(a fast station may send the message before its TriggerMessage.conf is even processed) and
resolved by the ``station_message`` event."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Messages that carry a connectorId; for the others a requested connectorId is irrelevant
# and, as OCPP 1.6 section 5.17 says, ignored.
CONNECTOR_MESSAGES = frozenset({"MeterValues", "StatusNotification"})


@dataclass
class Waiter:
    station_id: str
    action: str
    connector_id: int | None
    future: asyncio.Future[dict[str, Any]] = field(repr=False)

    def matches(self, station_id: str, action: str, payload: dict[str, Any]) -> bool:
        if station_id != self.station_id or action != self.action:
            return False
        if self.connector_id is None or action not in CONNECTOR_MESSAGES:
            return True
        return payload.get("connectorId") == self.connector_id


class Waiters:
    """Waiters of this node (the station's messages arrive on the node holding its socket)."""

    def __init__(self) -> None:
        self._waiting: list[Waiter] = []

    @contextlib.contextmanager
    def expect(
        self, station_id: str, action: str, connector_id: int | None
    ) -> Iterator[asyncio.Future[dict[str, Any]]]:
        """A future resolved with ``{"action", "payload", "receivedAt"}`` of the first matching
        message; the waiter is removed on leaving the block whatever happened."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        waiter = Waiter(station_id, action, connector_id, future)
        self._waiting.append(waiter)
        try:
            yield future
        finally:
            self._waiting.remove(waiter)

    def deliver(self, station_id: str, action: str, payload: dict[str, Any]) -> None:
        for waiter in self._waiting:
            if not waiter.future.done() and waiter.matches(station_id, action, payload):
                waiter.future.set_result(
                    {"action": action, "payload": payload, "receivedAt": datetime.now(UTC)}
                )
