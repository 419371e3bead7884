"""The plugin's migrations: one head, upgrade matches the models, downgrade to base."""

from __future__ import annotations

from typing import Any

import csms_plugin_security.plugin
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from csms_plugin_security.models import SecurityBase
from sqlalchemy import inspect

from csms_core.storage import Database
from csms_core.storage.migrate import alembic_config, downgrade_all, upgrade_all


def tablesets() -> list[Any]:
    from csms_core.plugins import Plugins

    plugins = Plugins(extra=[("security", csms_plugin_security.plugin)], load_entry_points=False)
    return plugins.build_registry().tables


async def test_migrations(empty_database_url: str) -> None:
    [tables] = tablesets()
    assert len(ScriptDirectory.from_config(alembic_config(tables)).get_heads()) == 1
    db = Database(empty_database_url)
    try:
        await upgrade_all(db, [tables])

        def diff(connection: Any) -> list:
            own = set(SecurityBase.metadata.tables)

            def include(obj: Any, name: Any, type_: str, reflected: bool, _: Any) -> bool:
                table = obj if type_ == "table" else getattr(obj, "table", None)
                return table is None or table.name in own  # not the kernel's tables

            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include}
            )
            return compare_metadata(context, SecurityBase.metadata)

        async with db.engine.connect() as connection:
            assert await connection.run_sync(diff) == []
        await downgrade_all(db, [tables])
        async with db.engine.connect() as connection:
            names = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert not [name for name in names if name.startswith("security_")]
    finally:
        await db.close()
