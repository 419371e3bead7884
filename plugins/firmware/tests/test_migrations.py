"""The plugin's migrations: one head, they build exactly the models, and they undo cleanly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import csms_plugin_firmware
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from csms_plugin_firmware.models import FirmwareBase
from sqlalchemy import inspect

from csms_core.plugins import TableSet
from csms_core.storage import Database
from csms_core.storage.migrate import alembic_config, downgrade_all, upgrade_all

TABLES = TableSet(
    "firmware",
    "firmware",
    FirmwareBase.metadata,
    Path(csms_plugin_firmware.__file__).parent / "migrations",
)
OWN = set(FirmwareBase.metadata.tables)


def test_one_head() -> None:
    assert len(ScriptDirectory.from_config(alembic_config(TABLES)).get_heads()) == 1


async def test_upgrade_matches_models_and_downgrade_removes_them(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        await upgrade_all(db, [TABLES])

        def diff(connection: Any) -> list:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_name": lambda name, type_, parent: type_ != "table" or name in OWN,
                },
            )
            return compare_metadata(context, FirmwareBase.metadata)

        async with db.engine.connect() as connection:
            assert await connection.run_sync(diff) == []
        await downgrade_all(db, [TABLES])
        async with db.engine.connect() as connection:
            names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert not names & OWN
    finally:
        await db.close()
