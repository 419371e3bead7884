"""Watching a station's messages: ``async with app.watch_station(station_id) as messages``.

The messages arrive on the node holding the station's socket. This node's watchers are kept
here and fed by the session once each message is handled (so it is stored); a watcher on
another node gets them relayed by the router.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple


class StationMessage(NamedTuple):
    action: str
    payload: dict[str, Any]
    received_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "payload": self.payload,
            "receivedAt": self.received_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StationMessage:
        return cls(data["action"], data["payload"], datetime.fromisoformat(data["receivedAt"]))


class Watchers:
    """This node's watchers, per station."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[StationMessage]]] = {}

    def __bool__(self) -> bool:
        return bool(self._queues)

    @contextlib.contextmanager
    def watch(self, station_id: str) -> Iterator[asyncio.Queue[StationMessage]]:
        queue: asyncio.Queue[StationMessage] = asyncio.Queue()
        self._queues.setdefault(station_id, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._queues[station_id]
            queues.discard(queue)
            if not queues:
                del self._queues[station_id]

    def deliver(self, station_id: str, action: str, payload: dict[str, Any]) -> None:
        queues = self._queues.get(station_id)
        if queues:
            message = StationMessage(action, payload, datetime.now(UTC))
            for queue in queues:
                queue.put_nowait(message)
