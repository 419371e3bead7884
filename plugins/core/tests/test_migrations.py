"""The core tables' migrations: one head, upgrade matches the models, downgrade to base."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from csms_plugin_core.models import CoreBase

from csms_core.plugins import TableSet
from csms_core.storage import Database
from csms_core.storage.migrate import alembic_config, downgrade_all, upgrade_all

TABLES = TableSet(
    "core", "core", CoreBase.metadata, Path(__file__).parents[1] / "csms_plugin_core" / "migrations"
)


def test_one_head() -> None:
    assert len(ScriptDirectory.from_config(alembic_config(TABLES)).get_heads()) == 1


async def test_upgrade_matches_models_and_downgrades(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        await upgrade_all(db, [TABLES])

        def diff(connection: Any) -> list:
            def ours(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
                # The kernel's tables and version tables are someone else's business.
                return type_ != "table" or name in CoreBase.metadata.tables

            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": ours}
            )
            return compare_metadata(context, CoreBase.metadata)

        async with db.engine.connect() as connection:
            assert await connection.run_sync(diff) == []
        await downgrade_all(db, [TABLES])

        def tables(connection: Any) -> set[str]:
            from sqlalchemy import inspect

            return set(inspect(connection).get_table_names())

        async with db.engine.connect() as connection:
            assert not {t for t in await connection.run_sync(tables) if t.startswith("core_")}
    finally:
        await db.close()
