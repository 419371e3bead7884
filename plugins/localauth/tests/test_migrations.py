"""The plugin's migrations: one head, the tables match the models, and they downgrade."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from csms_plugin_localauth.models import LocalAuthBase
from sqlalchemy import inspect

from csms_core.plugins import TableSet
from csms_core.storage import Database, upgrade_all
from csms_core.storage.migrate import alembic_config, downgrade_all

TABLES = TableSet(
    "localauth",
    "localauth",
    LocalAuthBase.metadata,
    Path(__file__).parents[1] / "csms_plugin_localauth" / "migrations",
)


def test_one_head() -> None:
    assert len(ScriptDirectory.from_config(alembic_config(TABLES)).get_heads()) == 1


async def test_upgrade_matches_models_and_downgrades(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        await upgrade_all(db, [TABLES])

        own = set(LocalAuthBase.metadata.tables)

        def only_ours(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
            table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
            return table in own

        def diff(connection: Any) -> list:
            opts = {"compare_type": True, "include_object": only_ours}
            context = MigrationContext.configure(connection, opts=opts)
            return compare_metadata(context, LocalAuthBase.metadata)

        async with db.engine.connect() as connection:
            assert await connection.run_sync(diff) == []
        await downgrade_all(db, [TABLES])
        async with db.engine.connect() as connection:
            names = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert not [n for n in names if n.startswith("localauth_")]
    finally:
        await db.close()
