"""The application object: settings, plugins, storage, the two servers and the call path."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from . import rpc
from .cluster import make_files, make_router
from .errors import (
    ActionNotAvailable,
    CallErrorReceived,
    CallTimeout,
    PayloadRejected,
    StationRejected,
    UnknownStation,
)
from .files import SharedFiles
from .plugins import OwnedAction, Plugins, await_me_maybe
from .redact import redact
from .router import CallRouter
from .server import OcppServer
from .settings import Settings
from .stations import StationStore
from .storage import Database, upgrade_all
from .watch import StationMessage, Watchers

log = logging.getLogger("csms")

State = TypeVar("State")

LAST_SEEN_FLUSH_SECONDS = 30.0


def tune_gc() -> None:
    """Start-up objects (modules, schemas, plugins) live forever: move them out of the
    collector's sight, and collect young objects less often. Every message allocates
    short-lived cycles-free objects; a full collection walks all of them and stalls
    every station on the node."""
    gc.collect()
    gc.freeze()
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(gen0, 50_000), max(gen1, 20), max(gen2, 100))


class Csms:
    """One CSMS node. ``await app.start()`` ... ``await app.stop()``."""

    def __init__(self, settings: Settings, plugins: Plugins | None = None) -> None:
        self.settings = settings
        self.plugins = plugins or Plugins(disabled=settings.disabled_plugins)
        self.registry = self.plugins.build_registry()
        self.plugin_settings: dict[str, BaseModel] = {
            name: settings.plugin_settings(name, model)
            for name, model in self.registry.settings_models.items()
        }
        self.schemas = rpc.SchemaSet.ocpp16()
        for action, request_schema, response_schema in self.registry.schemas:
            self.schemas.add(action, request_schema, response_schema)
        self.node_id = settings.node_id or f"{socket.gethostname()}-{os.getpid()}"
        self.db = Database(
            settings.effective_database_url, commit_delay=settings.commit_delay_ms / 1000
        )
        self.stations = StationStore(self.db)
        self.watchers = Watchers()
        self.router: CallRouter = make_router(self)  # LocalRouter unless cluster_url is set
        # Files every node must serve (plugins' uploads): data_dir, or shared in a cluster.
        self.files: SharedFiles = make_files(self, self.router)
        self.ocpp = OcppServer(self)
        self.api: Any = None
        self.state: dict[str, Any] = {}  # plugins' runtime state: see plugin_state()
        self._background: set[asyncio.Task] = set()
        self._stopping = asyncio.Event()

    # --- lifecycle --------------------------------------------------------------------

    async def migrate(self) -> None:
        await upgrade_all(self.db, self.registry.tables)

    async def start(self) -> None:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        if self.settings.auto_migrate:
            await self.migrate()
        await self.router.start()
        await self.files.start()
        await self.plugins.call_all("startup", app=self)
        await self.ocpp.start()
        # Imported here: plugins name Csms, and the command line that loads them should not
        # have to load the web framework too.
        from .api.server import ApiServer

        self.api = ApiServer(self)
        await self.api.start()
        self.spawn(self._flush_last_seen_forever())
        if self.settings.stall_warning_ms:
            self.spawn(self._watch_loop(self.settings.stall_warning_ms / 1000))
        log.info(
            "CSMS node %s ready: plugins %s",
            self.node_id,
            ", ".join(self.plugins.enabled) or "none",
        )

    async def stop(self) -> None:
        log.info("stopping")
        if self.api is not None:
            await self.api.stop()
        await self.ocpp.stop()
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self._flush_last_seen()
        await self.plugins.call_all("shutdown", app=self)
        await self.files.stop()
        await self.router.stop()
        await self.db.close()

    async def serve_forever(self) -> None:
        """Run until SIGINT/SIGTERM, then shut down cleanly."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._stopping.set)
        await self.start()
        if self.settings.gc_tuning:
            tune_gc()
        try:
            await self._stopping.wait()
        finally:
            await self.stop()

    def spawn(self, coro: Any) -> asyncio.Task:
        """Run a background task owned by the app; cancelled at shutdown, errors logged."""
        task = asyncio.ensure_future(coro)
        self._background.add(task)

        def done(t: asyncio.Task) -> None:
            self._background.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background task failed", exc_info=t.exception())

        task.add_done_callback(done)
        return task

    async def _flush_last_seen_forever(self) -> None:
        while True:
            await asyncio.sleep(LAST_SEEN_FLUSH_SECONDS)
            try:
                await self._flush_last_seen()
            except Exception:
                log.exception("could not store last-seen times")

    async def _watch_loop(self, threshold: float) -> None:
        """Wake every few ms; waking late means something blocked the loop that long."""
        period = min(0.005, threshold / 2)
        longest = 0.0
        loop = asyncio.get_running_loop()
        try:
            while True:
                planned = loop.time() + period
                await asyncio.sleep(period)
                late = loop.time() - planned
                longest = max(longest, late)
                if late > threshold:
                    log.warning("event loop stalled for %.1f ms", late * 1000)
        finally:
            log.info("event loop: longest stall %.1f ms", longest * 1000)

    async def _flush_last_seen(self) -> None:
        seen = {s.id: s.last_seen for s in self.router.local_sessions()}
        await self.stations.save_last_seen(seen)

    # --- for plugins ------------------------------------------------------------------

    def spawn_singleton(
        self, name: str, coro_factory: Callable[[], Awaitable[Any]]
    ) -> asyncio.Task:
        """Run a periodic job once per cluster: ``coro_factory()`` runs on one node at a time
        (the holder of lock ``name``), and moves to another node if that one stops or dies.
        On a single node it simply runs. Cancelled at shutdown like ``spawn``."""
        return self.spawn(self.router.run_singleton(name, coro_factory))

    def is_leader(self) -> bool:
        """Whether this node is the cluster's leader right now (always true on one node).
        For work done in passing; a job of its own is better off with ``spawn_singleton``."""
        return self.router.is_leader()

    def plugin_state(self, name: str, factory: Callable[[], State]) -> State:
        """The runtime state of plugin ``name`` on this node (``app.state[name]``), made by
        ``factory()`` on first use: in a hook, a route, or a check a tool runs before
        ``startup``. Per process: what other nodes must see goes into the database."""
        state = self.state.get(name)
        if state is None:
            state = self.state[name] = factory()
        return state

    def settings_for(self, name: str) -> Any:
        """A plugin's validated settings section."""
        return self.plugin_settings[name]

    async def fire(self, event: str, **kwargs: Any) -> None:
        """Fire an event (see hookspecs) to every plugin that implements it: the one way
        to fire, for the kernel and plugins alike. A failing implementation is logged."""
        await self.plugins.fire(event, app=self, **kwargs)

    async def query(self, question: str, **kwargs: Any) -> Any:
        """Ask a firstresult hook (see hookspecs); None when no plugin answers."""
        return await self.plugins.query(question, app=self, **kwargs)

    @contextlib.asynccontextmanager
    async def watch_station(self, station_id: str) -> AsyncIterator[asyncio.Queue[StationMessage]]:
        """A queue of the messages the station sends (each once handled and stored) from now
        until the block ends, whichever node holds it. Enter it before the call that makes
        the station send what you wait for: the answer may come before the call returns."""
        with self.watchers.watch(station_id) as queue:
            async with self.router.relay(station_id, queue):
                yield queue

    async def check_call(self, station_id: str, action: str, payload: dict) -> OwnedAction:
        """The kernel's checks of a CSMS-initiated call, the same wherever it comes from (this
        node's ``call``, or another node's through the cluster broker): an enabled plugin owns
        the action, the payload fits its schema, the owner's ``check`` and every ``check_call``
        hook accept it, and a station held here was not rejected at boot (OCPP 1.6 4.2).
        Raises ActionNotAvailable, StationRejected or PayloadRejected; returns the owner."""
        owned = self.registry.actions.get(action)
        if owned is None:
            raise ActionNotAvailable(action)
        session = self.router.local_session(station_id)
        if session is not None and session.rejected:
            raise StationRejected(station_id)
        try:
            self.schemas.validate_request(action, payload)
        except rpc.OcppError as error:
            raise PayloadRejected(error.description, error.code) from None
        if owned.check is not None:
            await await_me_maybe(owned.check(self, station_id, payload))
        if self.plugins.has_impls("check_call"):
            await self.plugins.call_all(
                "check_call", app=self, station_id=station_id, action=action, payload=payload
            )
        return owned

    async def call(
        self, station_id: str, action: str, payload: dict, timeout: float | None = None
    ) -> dict:
        """The one path for every CSMS-initiated call (API, CLI, plugins).

        Raises ActionNotAvailable, PayloadRejected, UnknownStation, StationNotConnected,
        StationRejected, CallTimeout or CallErrorReceived; fires ``call_completed`` either way
        once sent.
        The answer comes with its secrets masked (``csms_core.redact``): nothing the API, the
        CLI or a plugin shows or keeps can leak them.
        """
        owned = self.registry.actions.get(action)
        if owned is None:
            raise ActionNotAvailable(action)
        # A station held by another node: that node checks the call (it must check what
        # arrives through the broker anyway), so an honest call is checked once.
        checked = not self.router.held_elsewhere(station_id)
        if checked:
            await self.check_call(station_id, action, payload)
        # A connected station is registered: the database is asked only about the others
        # (is_connected is in memory, also with the cluster router).
        if (
            not await self.router.is_connected(station_id)
            and await self.stations.get(station_id) is None
        ):
            raise UnknownStation(station_id)
        timeout = timeout or self.settings.call_timeout
        try:
            permits = tuple(owned.permits(payload)) if owned.permits is not None else ()
            response = await self.router.send_call(
                station_id, action, payload, timeout, permits, checked=checked
            )
        except (CallErrorReceived, CallTimeout) as error:
            # The CALL went out: observers learn it failed (a timed-out one may have applied).
            await self.fire(
                "call_completed",
                station_id=station_id,
                action=action,
                request=payload,
                response=None,
                error=error,
            )
            raise
        response = redact(response)
        if owned.on_result is not None:
            await await_me_maybe(owned.on_result(self, station_id, payload, response))
        await self.fire(
            "call_completed",
            station_id=station_id,
            action=action,
            request=payload,
            response=response,
            error=None,
        )
        return response
