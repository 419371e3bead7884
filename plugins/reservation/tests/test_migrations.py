"""The plugin's migrations: one head, they build exactly the models' table, and go back down."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from csms_plugin_reservation import plugin
from csms_plugin_reservation.models import ReservationBase

from csms_core.storage.migrate import alembic_config, downgrade_all


async def test_migrations_match_models_and_downgrade(make_csms):
    app = await make_csms(plugins=[("reservation", plugin)])  # start-up migrates
    (tables,) = app.registry.tables
    assert len(ScriptDirectory.from_config(alembic_config(tables)).get_heads()) == 1

    own = set(ReservationBase.metadata.tables)

    def differences(connection: sa.Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _: kind != "table" or name in own,
            },
        )
        return compare_metadata(context, ReservationBase.metadata)

    async with app.db.engine.connect() as connection:
        assert await connection.run_sync(differences) == []

    await downgrade_all(app.db, app.registry.tables)
    async with app.db.engine.connect() as connection:
        names = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
    assert not own & set(names)
