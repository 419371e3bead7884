"""Test helpers for the kernel and for plugin authors (a pytest plugin, loaded automatically).

The app under test is the ``csms`` fixture; configure it with a marker, and every helper
follows it::

    @pytest.mark.csms(plugins=[("example", ExamplePlugin())], plugin_settings={...}, **settings)
    async def test_it(csms, connect, api, cli): ...

Fixtures:
- ``database_url``: a fresh database per test, with every installed plugin's migrations
  applied: SQLite in ``tmp_path``, or a new PostgreSQL database when
  ``CSMS_TEST_DATABASE_URL`` points at a server (``postgresql+asyncpg://...``).
- ``empty_database_url``: the same, without tables (for migration tests).
- ``csms``: the app under test, a real server on ephemeral ports: ``make_csms`` with the
  keyword arguments of the ``csms_options`` fixture (``{}``: every installed plugin, the
  defaults; a ``conftest.py`` may override it for its directory), updated by the test's
  ``@pytest.mark.csms(plugins=..., plugin_settings=..., **settings)`` marker.
- ``connect(station_id, password=None, register=True, **kwargs)``: a connected
  :class:`ChargePoint` of the ``csms`` app (registered first unless ``register=False``).
- ``api``: an authenticated ``httpx.AsyncClient`` for the ``csms`` app's API (``/api/v1``).
- ``cli(*args)``: ``run_cli(csms, *args)``.

More than one app (cluster nodes, a restart): build them with ``make_csms`` and reach each
with these, which never start the ``csms`` app:
- ``make_csms(plugins=None, plugin_settings=None, **settings)``: start an app. ``plugins=None``
  loads every installed plugin; pass ``[("name", module_or_object), ...]`` to load only
  those. ``plugin_settings`` fills the plugins' settings sections
  (``{"core": {"heartbeat_interval": 60}}``). Stopped at teardown.
- ``connect_to(app, station_id, ...)``: like ``connect``, to that app.
- ``api_for(app, **client_options)``: like ``api``, for that app (closed at teardown).
- ``run_cli(app, *args, env=None, input=None, check=True)``: run the ``csms`` command line,
  with the commands of that app's plugins, against that app's API with the test key; returns
  click's ``Result`` (the CLI is synchronous, so it runs in a thread while the server serves).
  A command that exits non-zero fails the test, unless ``check=False``.
- ``settle(app)``: wait until the messages stations sent so far are fully handled (replies,
  events, after-reply work) and what they wrote is committed.

- ``connect_after_backoff(cp)``: connect ``cp``, retrying while the server answers 429 (a
  login backoff).

The charge-point client (``ChargePoint``, ``IncomingCall``, ``eventually``) lives in
:mod:`csms_core.chargepoint` and is re-exported here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner, Result
from websockets.exceptions import InvalidStatus

from .chargepoint import ChargePoint, IncomingCall, Responder, eventually

__all__ = [
    "TEST_API_KEY",
    "TEST_PASSWORD",
    "ChargePoint",
    "IncomingCall",
    "Responder",
    "api_url",
    "connect_after_backoff",
    "eventually",
    "ocpp_url",
    "run_cli",
    "settle",
]

TEST_API_KEY = "test-operator-key"
TEST_PASSWORD = "0123456789abcdef0123"  # 20 characters: a valid AuthorizationKey


async def connect_after_backoff(cp: ChargePoint, timeout: float = 10.0) -> ChargePoint:
    """Connect, retrying while the server answers 429 (and only then)."""

    async def attempt() -> bool:
        try:
            await cp.connect()
        except InvalidStatus as exc:
            if exc.response.status_code != 429:
                raise
            return False
        return True

    await eventually(attempt, timeout)
    return cp


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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "csms(plugins=None, plugin_settings=None, **settings): the app the csms fixture starts"
        " (keyword arguments of make_csms, over the csms_options fixture)",
    )


@pytest.fixture
def csms_options() -> dict[str, Any]:
    """Arguments of ``make_csms`` for the ``csms`` app of every test in a directory:
    override this fixture in a ``conftest.py``; a test's ``csms`` marker overrides it."""
    return {}


@pytest.fixture
async def csms(
    request: pytest.FixtureRequest, make_csms: Callable[..., Any], csms_options: dict[str, Any]
) -> Any:
    """The app under test: ``make_csms(**csms_options)``, updated by the ``csms`` marker."""
    options = dict(csms_options)
    marker = request.node.get_closest_marker("csms")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("@pytest.mark.csms takes keyword arguments only")
        options.update(marker.kwargs)
    return await make_csms(**options)


def ocpp_url(app: Any, prefix: str = "/ocpp") -> str:
    scheme = "wss" if app.settings.tls_cert else "ws"
    return f"{scheme}://127.0.0.1:{app.ocpp.port}{prefix}"


def api_url(app: Any) -> str:
    scheme = "https" if app.settings.tls_cert else "http"
    return f"{scheme}://127.0.0.1:{app.api.port}"


@pytest.fixture
async def api_for(make_csms: Any) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """``api_for(app, **client_options)``: an authenticated API client for ``app``
    (closed before ``make_csms`` stops the apps)."""
    async with contextlib.AsyncExitStack() as opened:

        def make(app: Any, **client_options: Any) -> httpx.AsyncClient:
            options: dict[str, Any] = {
                "base_url": api_url(app) + "/api/v1",
                "headers": {"Authorization": f"Bearer {TEST_API_KEY}"},
                "timeout": 30,
                **client_options,
            }
            client = httpx.AsyncClient(**options)
            opened.push_async_callback(client.aclose)
            return client

        yield make


@pytest.fixture
async def api(csms: Any, api_for: Callable[..., httpx.AsyncClient]) -> httpx.AsyncClient:
    """An authenticated API client for the ``csms`` app."""
    return api_for(csms)


@pytest.fixture
async def connect_to(make_csms: Any) -> AsyncIterator[Callable[..., Awaitable[ChargePoint]]]:
    """``await connect_to(app, "CP1")`` registers CP1 on ``app`` if needed and opens its
    OCPP session (closed before ``make_csms`` stops the apps)."""
    async with contextlib.AsyncExitStack() as opened:

        async def open_station(
            app: Any,
            station_id: str,
            password: str | None = None,
            register: bool = True,
            **kwargs: Any,
        ) -> ChargePoint:
            if register and await app.stations.get(station_id) is None:
                await app.stations.create(station_id, password)
            cp = ChargePoint(ocpp_url(app), station_id, password, **kwargs)
            await cp.connect()
            opened.push_async_callback(cp.close)
            return cp

        yield open_station


@pytest.fixture
async def connect(
    csms: Any, connect_to: Callable[..., Awaitable[ChargePoint]]
) -> Callable[..., Awaitable[ChargePoint]]:
    """``await connect("CP1")``: ``connect_to`` the ``csms`` app."""

    async def open_station(station_id: str, *args: Any, **kwargs: Any) -> ChargePoint:
        return await connect_to(csms, station_id, *args, **kwargs)

    return open_station


def _command_line(app: Any) -> click.Group:
    """``csms`` as its users have it: the kernel's commands and those of ``app``'s plugins."""
    from .cli import cli

    group = click.Group("csms", commands=dict(cli.commands))
    app.plugins.pm.hook.register_commands(cli=group)
    return group


async def run_cli(
    app: Any,
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    check: bool = True,
) -> Result:
    """Run ``csms *args`` against ``app``'s API with the test key and return click's
    ``Result``. A failing command fails the test with its output, unless ``check=False``."""
    env = {"CSMS_API_URL": api_url(app), "CSMS_API_KEY": TEST_API_KEY, **(env or {})}
    # The CLI's HTTP client is synchronous: a thread, so the server keeps serving.
    result = await asyncio.to_thread(
        CliRunner().invoke, _command_line(app), list(args), env=env, input=input
    )
    if check and result.exit_code != 0:
        raise AssertionError(f"csms {' '.join(args)} exited {result.exit_code}: {result.output}")
    return result


@pytest.fixture
def cli(csms: Any) -> Callable[..., Awaitable[Result]]:
    """``await cli("stations", "list")``: ``run_cli`` against the ``csms`` app."""

    async def run(*args: str, **kwargs: Any) -> Result:
        return await run_cli(csms, *args, **kwargs)

    return run


async def settle(app: Any) -> None:
    """Wait until the messages stations sent ``app`` so far are fully handled (the reply,
    the events it fired, after-reply work) and what they wrote is committed."""
    while True:
        busy = [session.idle() for session in app.router.local_sessions() if session.busy]
        if not busy:
            break
        await asyncio.gather(*busy)
    await app.db.write()  # a write of nothing returns once everything queued before it is in
