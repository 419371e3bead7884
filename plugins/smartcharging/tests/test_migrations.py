"""The migration creates exactly the tables the models declare, and goes back down."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from csms_plugin_smartcharging.models import SmartChargingBase

from csms_core.storage.migrate import alembic_config, downgrade_all


async def test_one_head_no_drift_and_downgrade(csms: Any) -> None:
    tables = next(t for t in csms.registry.tables if t.name == "smartcharging")
    assert len(ScriptDirectory.from_config(alembic_config(tables)).get_heads()) == 1
    ours = set(SmartChargingBase.metadata.tables)

    def drift(connection: Any) -> list:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SmartChargingBase.metadata)
        # Other plugins' tables and indexes show up as removals: not ours to judge.
        return [d for d in diff if _table_of(d) in ours]

    async with csms.db.engine.connect() as connection:
        assert await connection.run_sync(drift) == []
    await downgrade_all(csms.db, [tables], "base")
    async with csms.db.engine.connect() as connection:
        names = await connection.run_sync(lambda c: set(c.dialect.get_table_names(c)))
    assert not names & ours


def _table_of(difference: Any) -> str | None:
    if isinstance(difference, list):  # column changes come as a list of tuples
        return difference[0][2]
    thing = difference[1]
    return getattr(thing, "name", None) if difference[0].endswith("_table") else thing.table.name
