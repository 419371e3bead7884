"""Test helpers for the kernel and for plugin authors (a pytest plugin, loaded automatically).

Fixtures:
- ``database_url``: a fresh database per test, with every installed plugin's migrations
  applied: SQLite in ``tmp_path``, or a new PostgreSQL database when
  ``CSMS_TEST_DATABASE_URL`` points at a server (``postgresql+asyncpg://...``).
- ``empty_database_url``: the same, without tables (for migration tests).
- ``make_csms(plugins=None, plugin_settings=None, **settings)``: start a real server on
  ephemeral ports. ``plugins=None`` loads every installed plugin; pass
  ``[("name", module_or_object), ...]`` to load only those. ``plugin_settings`` fills the
  plugins' settings sections (``{"core": {"heartbeat_interval": 60}}``).
- ``csms``: ``make_csms()`` with the defaults.
- ``api``: an ``httpx.AsyncClient`` for the ``csms`` server's API, authenticated.
- ``connect(station_id, password=None, ...)``: a connected :class:`ChargePoint`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import ssl
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from . import rpc
from .errors import CallErrorReceived

TEST_API_KEY = "test-operator-key"
TEST_PASSWORD = "0123456789abcdef0123"  # 20 characters: a valid AuthorizationKey


@dataclass
class IncomingCall:
    """A CALL the CSMS sent to our test charge point."""

    message_id: str
    action: str
    payload: dict


Responder = Callable[[IncomingCall], dict | Awaitable[dict]] | dict


class ChargePoint:
    """A scriptable OCPP-J 1.6 charge point for tests and tools.

    ``await cp.call(action, payload)`` sends a CALL and returns the CALLRESULT payload (raises
    CallErrorReceived on CALLERROR). CSMS-initiated CALLs are answered by ``answer(action, ...)``
    responders, or queued for ``await cp.expect(action)`` and ``await cp.reply(call, payload)``.
    """

    def __init__(
        self,
        url: str,
        station_id: str,
        password: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        subprotocols: tuple[str, ...] = ("ocpp1.6",),
    ) -> None:
        # OCPP-J 3.1.1: the identity is one path segment, percent-encoded ("RDAM%20123").
        self.url = url.rstrip("/") + "/" + quote(station_id, safe="")
        self.station_id = station_id
        self.password = password
        self.ssl_context = ssl_context
        self.subprotocols = subprotocols
        self.ws: ClientConnection | None = None
        self.responders: dict[str, Responder] = {}
        self.received: asyncio.Queue[IncomingCall] = asyncio.Queue()
        self.raw_frames: asyncio.Queue[list] = asyncio.Queue()
        self._pending: dict[str, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._after_reply: list[Callable[[], Awaitable[Any]]] = []

    async def connect(self) -> ChargePoint:
        headers = {}
        if self.password is not None:
            token = base64.b64encode(f"{self.station_id}:{self.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        self.ws = await ws_connect(
            self.url,
            subprotocols=list(self.subprotocols) or None,
            additional_headers=headers,
            ssl=self.ssl_context,
            open_timeout=10,
            ping_interval=None,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def __aenter__(self) -> ChargePoint:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def subprotocol(self) -> str | None:
        return self.ws.subprotocol if self.ws else None

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                message_type = frame[0] if isinstance(frame, list) and frame else None
                if message_type == rpc.CALL:
                    # A task, so a responder may itself call the CSMS and read the answer.
                    task = asyncio.create_task(self._on_call(IncomingCall(*frame[1:4])))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                    continue
                future = self._pending.pop(frame[1], None) if message_type else None
                if future is None:
                    self.raw_frames.put_nowait(frame)
                elif not future.done():
                    future.set_result(frame)
        except Exception:  # connection closed: fail whatever waits
            pass
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("connection closed"))

    async def _on_call(self, call: IncomingCall) -> None:
        responder = self.responders.get(call.action)
        if responder is None:
            self.received.put_nowait(call)
            return
        payload = responder(call) if callable(responder) else responder
        if asyncio.iscoroutine(payload):
            payload = await payload
        await self.reply(call, payload)
        # Follow-ups (a StartTransaction after RemoteStart...) run once the reply is out.
        while self._after_reply:
            task = asyncio.ensure_future(self._after_reply.pop(0)())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def after_reply(self, fn: Callable[[], Awaitable[Any]]) -> None:
        """From a responder: run ``fn()`` in a task once the reply to this CALL is sent."""
        self._after_reply.append(fn)

    def answer(self, action: str, responder: Responder) -> None:
        """Answer every ``action`` CALL with a payload, or with ``responder(call)``."""
        self.responders[action] = responder

    async def expect(self, action: str | None = None, timeout: float = 5.0) -> IncomingCall:
        """The next CSMS-initiated CALL not handled by a responder."""
        call = await asyncio.wait_for(self.received.get(), timeout)
        if action is not None and call.action != action:
            raise AssertionError(f"expected {action}, CSMS sent {call.action}: {call.payload}")
        return call

    async def reply(self, call: IncomingCall, payload: dict) -> None:
        assert self.ws is not None
        await self.ws.send(rpc.encode_result(call.message_id, payload))

    async def reply_error(self, call: IncomingCall, code: str, description: str = "") -> None:
        assert self.ws is not None
        await self.ws.send(rpc.encode_error(call.message_id, code, description))

    async def send_frame(self, frame: list | str, message_id: str | None = None) -> list:
        """Send a raw frame (list or text) and return the CSMS's answer frame."""
        assert self.ws is not None
        text = frame if isinstance(frame, str) else json.dumps(frame)
        if message_id is None and isinstance(frame, list) and len(frame) > 1:
            message_id = frame[1] if isinstance(frame[1], str) else None
        if message_id is None:
            await self.ws.send(text)
            return await asyncio.wait_for(self.raw_frames.get(), 10)
        future = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        await self.ws.send(text)
        return await asyncio.wait_for(future, 10)

    async def call(self, action: str, payload: dict | None = None) -> dict:
        message_id = str(uuid.uuid4())
        frame = await self.send_frame([rpc.CALL, message_id, action, payload or {}])
        if frame[0] == rpc.CALLERROR:
            raise CallErrorReceived(frame[2], frame[3], frame[4] if len(frame) > 4 else {})
        return frame[2]

    async def boot(
        self, vendor: str = "TestVendor", model: str = "TestModel", **fields: Any
    ) -> dict:
        return await self.call(
            "BootNotification", {"chargePointVendor": vendor, "chargePointModel": model, **fields}
        )


async def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Wait until ``check()`` (sync or async) returns something truthy; return it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)


# --- pytest fixtures ---------------------------------------------------------------------


async def _create_pg_database(server_url: str, name: str, template: str | None = None) -> str:
    """Create database ``name`` on the server of ``server_url``; return its URL."""
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    admin_dsn = url.set(drivername="postgresql", database=url.database or "postgres")
    admin = await asyncpg.connect(admin_dsn.render_as_string(hide_password=False))
    try:
        suffix = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}"{suffix}')
    finally:
        await admin.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def _drop_pg_database(server_url: str, name: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    admin_dsn = url.set(drivername="postgresql", database=url.database or "postgres")
    admin = await asyncpg.connect(admin_dsn.render_as_string(hide_password=False))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _migrate(database_url: str, data_dir: Any) -> None:
    from .app import Csms
    from .settings import Settings

    app = Csms(Settings(database_url=database_url, data_dir=data_dir))
    try:
        await app.migrate()
    finally:
        await app.db.close()


def _copy_sqlite(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + "-wal")  # normally checkpointed away on close
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + "-wal"))


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: Any) -> Iterator[str]:
    """A database with every installed plugin's migrations applied, made once per test
    process: each test's ``database_url`` is a copy of it, since migrating costs a second or
    two per test (a SQLite file path, or a PostgreSQL database name)."""
    folder = tmp_path_factory.mktemp("template")
    server_url = os.environ.get("CSMS_TEST_DATABASE_URL")
    if not server_url:
        path = folder / "csms.db"
        asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}", folder))
        yield str(path)
        return
    name = f"csms_template_{uuid.uuid4().hex[:12]}"
    url = asyncio.run(_create_pg_database(server_url, name))
    asyncio.run(_migrate(url, folder))
    yield name
    asyncio.run(_drop_pg_database(server_url, name))


@pytest.fixture
async def database_url(tmp_path: Any, migrated_template: str) -> AsyncIterator[str]:
    """A fresh database per test with every installed plugin's tables: SQLite in
    ``tmp_path``, or a new PostgreSQL database when ``CSMS_TEST_DATABASE_URL`` points at a
    server (``postgresql+asyncpg://...``)."""
    server_url = os.environ.get("CSMS_TEST_DATABASE_URL")
    if not server_url:
        path = tmp_path / "csms.db"
        await asyncio.to_thread(_copy_sqlite, Path(migrated_template), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"csms_test_{uuid.uuid4().hex[:12]}"
    yield await _create_pg_database(server_url, name, template=migrated_template)
    await _drop_pg_database(server_url, name)


@pytest.fixture
async def empty_database_url(tmp_path: Any) -> AsyncIterator[str]:
    """Like ``database_url``, but empty: for migration tests."""
    server_url = os.environ.get("CSMS_TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"csms_test_{uuid.uuid4().hex[:12]}"
    yield await _create_pg_database(server_url, name)
    await _drop_pg_database(server_url, name)


@pytest.fixture
async def make_csms(tmp_path: Any, database_url: str) -> AsyncIterator[Callable[..., Any]]:
    from .app import Csms
    from .plugins import Plugins
    from .settings import Settings

    started: list[Csms] = []

    async def make(
        plugins: list[tuple[str, object]] | None = None,
        plugin_settings: dict[str, dict[str, Any]] | None = None,
        **overrides: Any,
    ) -> Csms:
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "ocpp_port": 0,
            "api_port": 0,
            "data_dir": tmp_path / f"data{len(started)}",
            "database_url": database_url,
            "api_keys": [TEST_API_KEY],
            "ping_interval": None,
            "call_timeout": 5.0,
        }
        values.update(overrides)
        if plugin_settings is not None:
            values["plugins"] = plugin_settings
        settings = Settings(**values)
        if plugins is None:
            manager = Plugins(disabled=settings.disabled_plugins)
        else:
            manager = Plugins(
                disabled=settings.disabled_plugins, extra=plugins, load_entry_points=False
            )
        app = Csms(settings, manager)
        await app.start()
        started.append(app)
        return app

    yield make
    for app in reversed(started):
        await app.stop()


@pytest.fixture
async def csms(make_csms: Callable[..., Any]) -> Any:
    return await make_csms()


def ocpp_url(app: Any, prefix: str = "/ocpp") -> str:
    scheme = "wss" if app.settings.tls_cert else "ws"
    return f"{scheme}://127.0.0.1:{app.ocpp.port}{prefix}"


def api_url(app: Any) -> str:
    scheme = "https" if app.settings.tls_cert else "http"
    return f"{scheme}://127.0.0.1:{app.api.port}"


@pytest.fixture
async def api(csms: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=api_url(csms) + "/api/v1",
        headers={"Authorization": f"Bearer {TEST_API_KEY}"},
        timeout=30,
    ) as client:
        yield client


@pytest.fixture
async def connect(csms: Any) -> AsyncIterator[Callable[..., Awaitable[ChargePoint]]]:
    """``await connect("CP1")`` registers CP1 if needed and opens its OCPP session."""
    opened: list[ChargePoint] = []

    async def open_station(
        station_id: str, password: str | None = None, register: bool = True, **kwargs: Any
    ) -> ChargePoint:
        if register and await csms.stations.get(station_id) is None:
            await csms.stations.create(station_id, password)
        cp = ChargePoint(ocpp_url(csms), station_id, password, **kwargs)
        await cp.connect()
        opened.append(cp)
        return cp

    yield open_station
    for cp in opened:
        await cp.close()
