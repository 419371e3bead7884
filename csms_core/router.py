"""The station registry / call router seam.

The API and plugins reach stations only through a CallRouter, never through a socket,
so a broker-backed router can route calls to whichever node holds the station.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Protocol

from .errors import StationNotConnected

if TYPE_CHECKING:
    from .session import StationSession
    from .watch import StationMessage


class CallRouter(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def attach(self, session: StationSession) -> StationSession | None:
        """Register a new session; returns the one it replaces on this node, if any."""

    async def detach(self, session: StationSession) -> None: ...
    async def is_connected(self, station_id: str) -> bool: ...
    async def connected_ids(self) -> set[str]: ...
    def held_elsewhere(self, station_id: str) -> bool:
        """Whether another node holds the station (and so checks calls to it)."""

    async def send_call(
        self,
        station_id: str,
        action: str,
        payload: dict,
        timeout: float,
        permits: Iterable[str] = (),
        checked: bool = True,
    ) -> dict:
        """Deliver a CALL to the station wherever it is connected; ``permits`` are actions
        it may send in answer before it is accepted. ``checked``: ``Csms.check_call`` passed
        on this node; if not, the node holding the station runs it before sending."""

    def relay(
        self, station_id: str, queue: asyncio.Queue[StationMessage]
    ) -> AbstractAsyncContextManager[None]:
        """While the block runs, put the station's messages into ``queue`` if another node
        holds it (this node's own messages reach the queue without the router)."""

    async def disconnect(self, station_id: str, code: int, reason: str) -> None:
        """Close the station's connection wherever it is (station disabled or removed)."""

    def local_session(self, station_id: str) -> StationSession | None: ...
    def local_sessions(self) -> list[StationSession]: ...
    async def run_singleton(self, name: str, factory: Callable[[], Awaitable[Any]]) -> None:
        """Run ``factory()`` on one node of the cluster at a time; returns when it does."""

    def is_leader(self) -> bool:
        """Whether this node is the cluster's leader (always, on a single node)."""


class LocalRouter:
    """Single node: every station is connected to this process or not at all."""

    def __init__(self) -> None:
        self._sessions: dict[str, StationSession] = {}

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def attach(self, session: StationSession) -> StationSession | None:
        previous = self._sessions.get(session.id)
        self._sessions[session.id] = session
        return previous

    async def detach(self, session: StationSession) -> None:
        if self._sessions.get(session.id) is session:
            del self._sessions[session.id]

    async def is_connected(self, station_id: str) -> bool:
        return station_id in self._sessions

    async def connected_ids(self) -> set[str]:
        return set(self._sessions)

    def held_elsewhere(self, station_id: str) -> bool:
        return False

    async def send_call(
        self,
        station_id: str,
        action: str,
        payload: dict,
        timeout: float,
        permits: Iterable[str] = (),
        checked: bool = True,
    ) -> dict:
        session = self._sessions.get(station_id)
        if session is None:
            raise StationNotConnected(station_id)
        return await session.call(action, payload, timeout, permits)

    @contextlib.asynccontextmanager
    async def relay(
        self, station_id: str, queue: asyncio.Queue[StationMessage]
    ) -> AsyncIterator[None]:
        yield  # one node: every message is delivered here already

    async def disconnect(self, station_id: str, code: int, reason: str) -> None:
        session = self._sessions.get(station_id)
        if session is not None:
            await session.close(code, reason)

    def local_session(self, station_id: str) -> StationSession | None:
        return self._sessions.get(station_id)

    def local_sessions(self) -> list[StationSession]:
        return list(self._sessions.values())

    async def run_singleton(self, name: str, factory: Callable[[], Awaitable[Any]]) -> None:
        await factory()

    def is_leader(self) -> bool:
        return True
