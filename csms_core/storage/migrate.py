"""Alembic per plugin: each storage name has its own versions folder and its own version
table (``alembic_version_<name>``), so plugins migrate independently.

The kernel owns the Alembic environment (``migrations/env.py`` and ``script.py.mako``
beside this module) for every storage name: a plugin ships only its revisions, in
``<migrations_dir>/versions/``, and the kernel points that name's version table at them.
New revisions: ``csms db revision <name> -m "..." [--autogenerate]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from .database import Database
from .models import KernelBase
from .types import UtcDateTime

# The one Alembic environment: env.py and script.py.mako, for the kernel and every plugin.
ENVIRONMENT = Path(__file__).parent / "migrations"


@dataclass(slots=True)
class TableSet:
    """A storage name's tables (``register_tables``): ``migrations_dir`` holds ``versions/``."""

    plugin: str
    name: str
    metadata: MetaData
    migrations_dir: Path

    @property
    def versions_dir(self) -> Path:
        return self.migrations_dir / "versions"


KERNEL_TABLES = TableSet("kernel", "kernel", KernelBase.metadata, ENVIRONMENT)


def version_table(name: str) -> str:
    return f"alembic_version_{name}"


def alembic_config(tables: TableSet, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", _option(ENVIRONMENT))
    config.set_main_option("version_locations", _option(tables.versions_dir))
    config.set_main_option("path_separator", "os")  # alembic >= 1.16
    config.set_main_option("version_path_separator", "os")  # older ones
    config.attributes["tables"] = tables
    config.attributes["connection"] = connection
    return config


def _option(path: Path) -> str:
    return str(path).replace("%", "%%")  # config values are %-interpolated


def _render_item(type_: str, obj: Any, _context: Any) -> str | bool:
    """Autogenerate writes our column types as plain SQLAlchemy: a revision must not
    depend on the kernel's Python classes, which may change after it was written."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_env() -> None:
    """Body of env.py: migrate one storage name on the connection we were given."""
    tables: TableSet = context.config.attributes["tables"]
    connection: Connection = context.config.attributes["connection"]
    own = set(tables.metadata.tables)

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, _: Any) -> bool:
        if type_ == "table":
            return name in own
        table = getattr(obj, "table", None)
        return table is None or table.name in own

    context.configure(
        connection=connection,
        target_metadata=tables.metadata,
        version_table=version_table(tables.name),
        include_object=include_object,
        render_item=_render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection, tablesets: list[TableSet], action: str, target: str) -> None:
    for tables in tablesets:
        config = alembic_config(tables, connection)
        if action == "upgrade":
            command.upgrade(config, target)
        else:
            command.downgrade(config, target)


async def upgrade_all(db: Database, tablesets: Iterable[TableSet], target: str = "head") -> None:
    """Kernel first, then plugins in registration order."""
    async with db.engine.begin() as connection:
        await connection.run_sync(_run, [KERNEL_TABLES, *tablesets], "upgrade", target)


async def downgrade_all(db: Database, tablesets: Iterable[TableSet], target: str = "base") -> None:
    """Plugins first (they may refer to stations), the kernel last."""
    async with db.engine.begin() as connection:
        await connection.run_sync(
            _run, [*reversed(list(tablesets)), KERNEL_TABLES], "downgrade", target
        )


async def current_heads(db: Database, tablesets: Iterable[TableSet]) -> dict[str, str | None]:
    """The revision each storage name is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    def read(connection: Connection) -> dict[str, str | None]:
        result = {}
        for tables in [KERNEL_TABLES, *tablesets]:
            ctx = MigrationContext.configure(
                connection, opts={"version_table": version_table(tables.name)}
            )
            result[tables.name] = ctx.get_current_revision()
        return result

    async with db.engine.connect() as connection:
        return await connection.run_sync(read)


async def make_revision(db: Database, tables: TableSet, message: str, autogenerate: bool) -> None:
    """Write a new migration for one storage name into its versions folder (for plugin
    authors: ``csms db revision <name>``)."""
    tables.versions_dir.mkdir(parents=True, exist_ok=True)

    def write(connection: Connection) -> None:
        command.revision(
            alembic_config(tables, connection), message=message, autogenerate=autogenerate
        )

    async with db.engine.begin() as connection:
        await connection.run_sync(write)
