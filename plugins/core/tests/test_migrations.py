"""Data checks of the core migrations (the schema itself is checked by the kernel's
tests/test_migrations.py for every plugin)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from csms_plugin_core.models import CoreBase
from sqlalchemy import text

from csms_core.plugins import TableSet
from csms_core.storage import Database
from csms_core.storage.migrate import alembic_config, current_heads, upgrade_all

TABLES = TableSet(
    "core", "core", CoreBase.metadata, Path(__file__).parents[1] / "csms_plugin_core" / "migrations"
)
INSERT = text(
    "INSERT INTO core_transactions (station_id, connector_id, id_tag, id_tag_status,"
    " meter_start, start_timestamp, created_at)"
    " VALUES ('CP1', 1, :tag, 'Accepted', 10, '2026-01-01 12:00:00', '2026-01-01 12:00:00')"
)


async def test_unique_start_index_refuses_stored_duplicates(empty_database_url: str) -> None:
    """Duplicates stored before the index (two nodes racing) stop the upgrade and are named;
    once the operator removed one, it goes through."""
    db = Database(empty_database_url)
    try:
        await upgrade_all(db, [])  # the kernel
        async with db.engine.begin() as connection:
            await connection.run_sync(
                lambda sync: command.upgrade(alembic_config(TABLES, sync), "2b7c0e1f4a90")
            )
        async with db.engine.begin() as connection:
            await connection.execute(INSERT, {"tag": "TAG1"})
            await connection.execute(INSERT, {"tag": "tag1"})  # the same tag, other case
        with pytest.raises(RuntimeError, match=r"1 duplicated StartTransactions \(ids 1\.\.2"):
            await upgrade_all(db, [TABLES])
        assert (await current_heads(db, [TABLES]))["core"] == "2b7c0e1f4a90"
        async with db.engine.begin() as connection:
            await connection.execute(text("DELETE FROM core_transactions WHERE id = 2"))
        await upgrade_all(db, [TABLES])
        head = ScriptDirectory.from_config(alembic_config(TABLES)).get_current_head()
        assert (await current_heads(db, [TABLES]))["core"] == head
    finally:
        await db.close()
