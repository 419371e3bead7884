"""Secrets stored before they were masked are masked by the migrations: a station's reported
AuthorizationKey in core's configuration snapshot, passwords in firmware locations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command

from csms_core.plugins import Plugins
from csms_core.storage import Database
from csms_core.storage.migrate import alembic_config, upgrade_all

# The revisions just before the masking ones.
BEFORE = {"core": "eb287f68b1f0", "firmware": "27cb1c7cbc30"}


async def test_migrations_mask_stored_secrets(empty_database_url: str) -> None:
    tablesets = [t for t in Plugins().build_registry().tables if t.name in BEFORE]
    db = Database(empty_database_url)
    now = datetime.now(UTC)
    try:
        await upgrade_all(db, [])  # the kernel's tables

        def to_before(connection: Any) -> None:
            for tables in tablesets:
                command.upgrade(alembic_config(tables, connection), BEFORE[tables.name])

        async with db.engine.begin() as connection:
            await connection.run_sync(to_before)
            await connection.execute(
                sa.text(
                    "INSERT INTO core_configuration (station_id, key, value, readonly, updated_at)"
                    " VALUES ('CP1', 'AuthorizationKey', 'clear-text-key-0123456789', false, :t),"
                    " ('CP1', 'HeartbeatInterval', '60', false, :t),"
                    " ('CP2', 'authorizationkey', '', false, :t)"
                ),
                {"t": now},
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO firmware_diagnostics_requests (station_id, location, requested_at)"
                    " VALUES ('CP1', 'ftp://diag:s3cret@files.example.com:2121/up/', :t),"
                    " ('CP1', 'https://csms.example.com/files/diagnostics/abc/', :t)"
                ),
                {"t": now},
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO firmware_updates (station_id, location, retrieve_date,"
                    " requested_at) VALUES ('CP1', 'ftp://fw:pa@ss@host/fw.bin', 'x', :t)"
                ),
                {"t": now},
            )
        await upgrade_all(db, tablesets)
        async with db.engine.connect() as connection:
            config = await connection.execute(
                sa.text("SELECT station_id, key, value FROM core_configuration ORDER BY 1, 2")
            )
            assert config.all() == [
                ("CP1", "AuthorizationKey", "***"),
                ("CP1", "HeartbeatInterval", "60"),
                ("CP2", "authorizationkey", ""),
            ]
            locations = await connection.execute(
                sa.text(
                    "SELECT location FROM firmware_diagnostics_requests UNION ALL "
                    "SELECT location FROM firmware_updates"
                )
            )
            assert sorted(locations.scalars()) == [
                "ftp://diag@files.example.com:2121/up/",
                "ftp://fw@host/fw.bin",
                "https://csms.example.com/files/diagnostics/abc/",
            ]
    finally:
        await db.close()
