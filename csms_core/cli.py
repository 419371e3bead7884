"""The ``csms`` command line: serve, db, plugins, api-keys, stations, call, plus plugins' own."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from . import __version__
from .client import (
    ApiClient,
    api_options,
    compact,
    parse_json_argument,
    station_id_argument,
    table,
)
from .errors import ConfigError
from .logs import configure_logging
from .plugins import Plugins
from .settings import Settings, load_settings


def _settings(config: Path | None, **overrides: Any) -> Settings:
    try:
        return load_settings(config, **overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _app(settings: Settings) -> Any:
    from .app import Csms

    try:
        return Csms(settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


config_option = click.option(
    "--config", type=click.Path(path_type=Path), envvar="CSMS_CONFIG", help="TOML config file."
)
database_option = click.option(
    "--database-url", envvar="CSMS_DATABASE_URL", help="SQLAlchemy async URL."
)
data_dir_option = click.option(
    "--data-dir", type=click.Path(path_type=Path), envvar="CSMS_DATA_DIR", help="Data folder."
)


@click.group()
@click.version_option(__version__, prog_name="csms")
def cli() -> None:
    """OCPP 1.6-J Charging Station Management System."""


@cli.command()
@config_option
@click.option("--host", envvar="CSMS_HOST", help="Listen address (default 0.0.0.0).")
@click.option("--ocpp-port", type=int, envvar="CSMS_OCPP_PORT", help="OCPP port (default 9000).")
@click.option("--api-port", type=int, envvar="CSMS_API_PORT", help="API port (default 8180).")
@database_option
@data_dir_option
@click.option(
    "--disable-plugin", "disabled", multiple=True, help="Plugin to leave off (repeatable)."
)
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]))
@click.option("--log-format", type=click.Choice(["text", "json"]))
@click.option("--tls-cert", type=click.Path(exists=True, path_type=Path), envvar="CSMS_TLS_CERT")
@click.option("--tls-key", type=click.Path(exists=True, path_type=Path), envvar="CSMS_TLS_KEY")
@click.option(
    "--tls-ca",
    type=click.Path(exists=True, path_type=Path),
    envvar="CSMS_TLS_CA",
    help="CA of station client certificates (security profile 3).",
)
@click.option("--no-migrate", is_flag=True, help="Do not apply migrations on start.")
@click.option(
    "--cluster-url",
    envvar="CSMS_CLUSTER_URL",
    help="NATS server shared by several nodes (nats://host:4222).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    envvar="CSMS_WORKERS",
    help="Processes sharing both ports, each a cluster node (needs --cluster-url).",
)
def serve(
    config: Path | None, disabled: tuple[str, ...], no_migrate: bool, workers: int, **options: Any
) -> None:
    """Run the OCPP server and the operator API."""
    if disabled:
        options["disabled_plugins"] = list(disabled)
    if no_migrate:
        options["auto_migrate"] = False
    settings = _settings(config, **options)
    configure_logging(settings.log_level, settings.log_format, settings.log_database)
    if workers > 1:
        _check_workers(settings)
    app = _app(settings)
    if not settings.api_keys:
        click.echo(
            "note: no API keys in settings; keys made with `csms api-keys create NAME` work too",
            err=True,
        )
    if workers > 1:
        from .workers import run_workers

        if settings.auto_migrate:
            # Once, here: N workers migrating at the same moment would race.
            _run_and_close(app, app.migrate())
        sys.exit(run_workers(settings, workers))
    loop_factory = None
    if settings.event_loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            raise click.ClickException("event_loop = uvloop needs: pip install uvloop") from None
        loop_factory = uvloop.new_event_loop
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(app.serve_forever())
    except OSError as exc:
        raise click.ClickException(str(exc)) from None


def _check_workers(settings: Settings) -> None:
    if not settings.cluster_url:
        raise click.ClickException(
            "--workers > 1 needs --cluster-url (or CSMS_CLUSTER_URL): each worker is a node of"
            " its own, and the nodes find each other's stations through NATS"
        )
    if settings.ocpp_port == 0 or settings.api_port == 0:
        raise click.ClickException("--workers > 1 needs fixed ports: the workers share them")
    if settings.database_url is None or settings.database_url.startswith("sqlite"):
        click.echo(
            "warning: several workers on SQLite contend for one file lock; use PostgreSQL",
            err=True,
        )


def _run_and_close(app: Any, coro: Any) -> None:
    async def run() -> None:
        try:
            await coro
        finally:
            await app.db.close()

    asyncio.run(run())


@cli.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@config_option
@database_option
@data_dir_option
def db_upgrade(config: Path | None, **options: Any) -> None:
    """Apply the kernel's and every enabled plugin's migrations."""
    app = _app(_settings(config, **options))

    async def run() -> None:
        try:
            await app.migrate()
        finally:
            await app.db.close()

    asyncio.run(run())
    click.echo("database is up to date")


@db.command("current")
@config_option
@database_option
@data_dir_option
def db_current(config: Path | None, **options: Any) -> None:
    """Show the revision of the kernel and each plugin."""
    from .storage.migrate import current_heads

    app = _app(_settings(config, **options))

    async def run() -> dict:
        try:
            return await current_heads(app.db, app.registry.tables)
        finally:
            await app.db.close()

    for name, revision in asyncio.run(run()).items():
        click.echo(f"{name}: {revision or '(none)'}")


@db.command("revision")
@click.argument("name")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate", is_flag=True, help="Compare the models with the database.")
@config_option
@database_option
@data_dir_option
def db_revision(
    name: str, message: str, autogenerate: bool, config: Path | None, **options: Any
) -> None:
    """Write a new migration for storage NAME (``kernel`` or a plugin's)."""
    from .storage.migrate import KERNEL_TABLES, make_revision

    app = _app(_settings(config, **options))
    tablesets = {t.name: t for t in [KERNEL_TABLES, *app.registry.tables]}
    if name not in tablesets:
        raise click.ClickException(f"unknown storage {name!r}; known: {', '.join(tablesets)}")

    async def run() -> None:
        try:
            await make_revision(app.db, tablesets[name], message, autogenerate)
        finally:
            await app.db.close()

    asyncio.run(run())


@cli.group()
def plugins() -> None:
    """Installed plugins."""


@plugins.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True)
def plugins_list(config: Path | None, as_json: bool) -> None:
    """Name, version, enabled, and the actions each handles or owns."""
    settings = _settings(config)
    try:
        manager = Plugins(disabled=settings.disabled_plugins)
        infos = manager.describe()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    rows = [
        {
            "name": i.name,
            "version": i.version,
            "enabled": i.enabled,
            "handles": ", ".join(i.handles),
            "sends": ", ".join(i.owns),
        }
        for i in infos
    ]
    if as_json:
        click.echo(json.dumps(rows))
    else:
        click.echo(table(rows, ["name", "version", "enabled", "handles", "sends"]))


@cli.group("api-keys")
def api_keys() -> None:
    """Operator API keys, stored hashed in the database."""


def _keys(config: Path | None, options: dict) -> tuple[Any, Any]:
    from .api.auth import ApiKeyStore

    app = _app(_settings(config, **options))
    return app, ApiKeyStore(app.db, [])


@api_keys.command("create")
@click.argument("name")
@config_option
@database_option
@data_dir_option
def api_keys_create(name: str, config: Path | None, **options: Any) -> None:
    """Create a key; it is printed once and never again."""
    app, store = _keys(config, options)

    async def run() -> Any:
        try:
            await app.migrate()
            return await store.create(name)
        finally:
            await app.db.close()

    record, key = asyncio.run(run())
    click.echo(key)
    click.echo(f"(key {record.id} '{name}': store it now, it cannot be shown again)", err=True)


@api_keys.command("list")
@config_option
@database_option
@data_dir_option
def api_keys_list(config: Path | None, **options: Any) -> None:
    app, store = _keys(config, options)

    async def run() -> Any:
        try:
            await app.migrate()
            return await store.list()
        finally:
            await app.db.close()

    rows = [
        {
            "id": k.id,
            "name": k.name,
            "prefix": k.prefix,
            "created": k.created_at,
            "revoked": k.revoked_at,
        }
        for k in asyncio.run(run())
    ]
    click.echo(table(rows, ["id", "name", "prefix", "created", "revoked"]))


@api_keys.command("revoke")
@click.argument("key_id", type=int)
@config_option
@database_option
@data_dir_option
def api_keys_revoke(key_id: int, config: Path | None, **options: Any) -> None:
    app, store = _keys(config, options)

    async def run() -> bool:
        try:
            await app.migrate()
            return await store.revoke(key_id)
        finally:
            await app.db.close()

    if not asyncio.run(run()):
        raise click.ClickException(f"no active API key {key_id}")
    click.echo(f"revoked key {key_id}")


STATION_COLUMNS = [
    "id",
    "connected",
    "registrationStatus",
    "chargePointVendor",
    "chargePointModel",
    "firmwareVersion",
    "lastSeen",
]


@cli.group()
def stations() -> None:
    """Manage stations through a running server's API."""


@stations.command("add")
@click.argument("station_id", callback=station_id_argument)
@click.option("--password", help="Basic-auth password, 16-40 characters.")
@api_options
def stations_add(client: ApiClient, station_id: str, password: str | None) -> None:
    body = compact(id=station_id, password=password or None)
    client.show(client.request("POST", "/stations", json=body), STATION_COLUMNS)


@stations.command("list")
@click.option("--connected/--disconnected", default=None)
@api_options
def stations_list(client: ApiClient, connected: bool | None) -> None:
    client.show(
        client.request("GET", "/stations", params=compact(connected=connected)), STATION_COLUMNS
    )


@stations.command("show")
@click.argument("station_id")
@api_options
def stations_show(client: ApiClient, station_id: str) -> None:
    client.show(client.request("GET", client.station(station_id)))


@stations.command("remove")
@click.argument("station_id")
@api_options
def stations_remove(client: ApiClient, station_id: str) -> None:
    client.request("DELETE", client.station(station_id))
    click.echo(f"removed {station_id}")


@cli.command("call")
@click.argument("station_id")
@click.argument("action")
@click.argument("payload", default="{}")
@click.option("--timeout", type=float, help="Seconds to wait for the station.")
@api_options
def call(
    client: ApiClient, station_id: str, action: str, payload: str, timeout: float | None
) -> None:
    """Send ACTION with PAYLOAD (JSON) to a station and print its answer."""
    answer = client.request(
        "POST",
        client.station(station_id, "calls", quote(action, safe="")),
        json=parse_json_argument(payload),
        params=compact(timeout=timeout),
    )
    client.show(answer)


def _config_file(argv: Sequence[str]) -> str | None:
    """The config file named by ``--config`` anywhere on the command line, else
    ``CSMS_CONFIG``: read before click parses, since it decides which plugins add commands."""
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    return os.environ.get("CSMS_CONFIG")


def _add_plugin_commands(argv: Sequence[str] = ()) -> None:
    """Commands of the plugins left on by the settings (config file and CSMS_* variables)."""
    try:
        disabled = load_settings(_config_file(argv)).disabled_plugins
    except ConfigError as exc:
        click.echo(f"warning: {exc}", err=True)  # the command itself reports it if it reads it
        disabled = []
    try:
        manager = Plugins(disabled=disabled)
    except ConfigError as exc:
        click.echo(f"warning: {exc}", err=True)
        return
    for impl in manager.pm.hook.register_commands.get_hookimpls():
        impl.function(cli)


def main() -> None:
    _add_plugin_commands(sys.argv[1:])
    cli(prog_name="csms")


if __name__ == "__main__":
    sys.exit(main())
