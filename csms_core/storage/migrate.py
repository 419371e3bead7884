"""Alembic per plugin: each storage name has its own migration folder and its own
version table (``alembic_version_<name>``), so plugins migrate independently.

A plugin's ``migrations/env.py`` is two lines::

    from csms_core.storage.migrate import run_env
    run_env()
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy.engine import Connection

from ..plugins import TableSet
from .database import Database
from .models import KernelBase

KERNEL_TABLES = TableSet(
    "kernel", "kernel", KernelBase.metadata, Path(__file__).parent / "migrations"
)


def version_table(name: str) -> str:
    return f"alembic_version_{name}"


def alembic_config(tables: TableSet, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(tables.migrations_dir))
    config.attributes["tables"] = tables
    config.attributes["connection"] = connection
    return config


def run_env() -> None:
    """Body of every env.py: migrate one storage name on the connection we were given."""
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
    """Write a new migration for one storage name (for plugin authors)."""

    def write(connection: Connection) -> None:
        command.revision(
            alembic_config(tables, connection), message=message, autogenerate=autogenerate
        )

    async with db.engine.begin() as connection:
        await connection.run_sync(write)
