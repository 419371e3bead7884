"""Migrations of the kernel and every installed plugin, on SQLite and PostgreSQL: one head
each, upgrades that build exactly the models, downgrades to base, together and each plugin
alone. (The plugins' own test suites do not repeat this.)"""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from csms_core.plugins import Plugins
from csms_core.storage import Database
from csms_core.storage.migrate import (
    KERNEL_TABLES,
    alembic_config,
    current_heads,
    downgrade_all,
    upgrade_all,
)


def all_tablesets():
    return [KERNEL_TABLES, *Plugins().build_registry().tables]


@pytest.mark.parametrize("tables", all_tablesets(), ids=lambda t: t.name)
def test_exactly_one_head(tables):
    script = ScriptDirectory.from_config(alembic_config(tables))
    assert len(script.get_heads()) == 1


async def test_upgrade_matches_models_and_downgrades_to_base(empty_database_url):
    db = Database(empty_database_url)
    plugin_tables = Plugins().build_registry().tables
    try:
        await upgrade_all(db, plugin_tables)
        heads = await current_heads(db, plugin_tables)
        assert all(heads.values()), heads

        def diff(connection):
            problems = {}
            for tables in [KERNEL_TABLES, *plugin_tables]:
                own = set(tables.metadata.tables)
                context = MigrationContext.configure(
                    connection,
                    opts={
                        "compare_type": True,
                        "include_object": lambda obj, name, type_, r, c, own=own: (
                            name in own if type_ == "table" else obj.table.name in own
                        ),
                    },
                )
                found = compare_metadata(context, tables.metadata)
                if found:
                    problems[tables.name] = found
            return problems

        async with db.engine.connect() as connection:
            assert await connection.run_sync(diff) == {}

        await downgrade_all(db, plugin_tables)
        heads = await current_heads(db, plugin_tables)
        assert not any(heads.values()), heads

        def leftover(connection):
            from sqlalchemy import inspect

            return [
                t for t in inspect(connection).get_table_names() if not t.startswith("alembic_")
            ]

        async with db.engine.connect() as connection:
            assert await connection.run_sync(leftover) == []
    finally:
        await db.close()


def _diff(connection, tables):
    own = set(tables.metadata.tables)
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "include_object": lambda obj, name, type_, r, c: (
                name in own if type_ == "table" else obj.table.name in own
            ),
        },
    )
    return compare_metadata(context, tables.metadata)


@pytest.mark.parametrize("tables", all_tablesets()[1:], ids=lambda t: t.name)
async def test_each_plugin_migrates_alone(empty_database_url, tables):
    """A plugin's migrations need no other plugin's tables, up or down (an operator may
    install any one of them)."""
    db = Database(empty_database_url)
    try:
        await upgrade_all(db, [tables])
        async with db.engine.connect() as connection:
            assert await connection.run_sync(_diff, tables) == []
        await downgrade_all(db, [tables])

        def names(connection):
            from sqlalchemy import inspect

            return set(inspect(connection).get_table_names())

        async with db.engine.connect() as connection:
            assert not await connection.run_sync(names) & set(tables.metadata.tables)
    finally:
        await db.close()


async def test_a_plugin_revision_is_written_to_its_versions_folder(empty_database_url, tmp_path):
    """A plugin ships only ``migrations/versions/``: ``csms db revision`` writes there with the
    kernel's template, and the revision applies with the kernel's environment."""
    from sqlalchemy import Column, Integer, MetaData, Table, inspect

    from csms_core.storage.migrate import TableSet, make_revision

    metadata = MetaData()
    Table("demo_things", metadata, Column("id", Integer, primary_key=True))
    tables = TableSet("demo", "demo", metadata, tmp_path / "migrations")
    db = Database(empty_database_url)
    try:
        await make_revision(db, tables, "demo things", autogenerate=True)
        (written,) = (tmp_path / "migrations" / "versions").iterdir()
        assert "demo things" in written.read_text() and "create_table" in written.read_text()
        assert [p.name for p in (tmp_path / "migrations").iterdir()] == ["versions"]
        await upgrade_all(db, [tables])
        assert (await current_heads(db, [tables]))["demo"] is not None
        async with db.engine.connect() as connection:
            names = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert "demo_things" in names
    finally:
        await db.close()
