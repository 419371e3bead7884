"""core tables

Revision ID: 476fb375ce09
Revises:
Create Date: 2026-11-25 19:32:42.314398
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "476fb375ce09"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_configuration",
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("readonly", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("station_id", "key", name=op.f("pk_core_configuration")),
    )
    op.create_table(
        "core_connectors",
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("connector_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error_code", sa.String(length=30), nullable=False),
        sa.Column("info", sa.String(length=50), nullable=True),
        sa.Column("vendor_id", sa.String(length=255), nullable=True),
        sa.Column("vendor_error_code", sa.String(length=50), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("station_id", "connector_id", name=op.f("pk_core_connectors")),
    )
    op.create_table(
        "core_id_tags",
        sa.Column("id_tag", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expiry_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("parent_id_tag", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_tag", name=op.f("pk_core_id_tags")),
    )
    op.create_table(
        "core_meter_values",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("context", sa.String(length=30), nullable=True),
        sa.Column("format", sa.String(length=20), nullable=True),
        sa.Column("measurand", sa.String(length=50), nullable=True),
        sa.Column("phase", sa.String(length=10), nullable=True),
        sa.Column("location", sa.String(length=10), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_meter_values")),
    )
    with op.batch_alter_table("core_meter_values", schema=None) as batch_op:
        batch_op.create_index(
            "ix_core_meter_values_station",
            ["station_id", "connector_id", "timestamp"],
            unique=False,
        )
        batch_op.create_index(
            "ix_core_meter_values_transaction", ["transaction_id", "timestamp"], unique=False
        )

    op.create_table(
        "core_registrations",
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_core_registrations")),
    )
    op.create_table(
        "core_status_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error_code", sa.String(length=30), nullable=False),
        sa.Column("info", sa.String(length=50), nullable=True),
        sa.Column("vendor_id", sa.String(length=255), nullable=True),
        sa.Column("vendor_error_code", sa.String(length=50), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_status_history")),
    )
    with op.batch_alter_table("core_status_history", schema=None) as batch_op:
        batch_op.create_index("ix_core_status_history_station", ["station_id", "id"], unique=False)

    op.create_table(
        "core_transactions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("id_tag", sa.String(length=20), nullable=False),
        sa.Column("id_tag_status", sa.String(length=16), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=True),
        sa.Column("meter_start", sa.BigInteger(), nullable=False),
        sa.Column("start_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_meter_wh", sa.Double(), nullable=True),
        sa.Column("meter_stop", sa.BigInteger(), nullable=True),
        sa.Column("stop_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stop_reason", sa.String(length=20), nullable=True),
        sa.Column("stop_id_tag", sa.String(length=20), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_transactions")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("core_transactions", schema=None) as batch_op:
        batch_op.create_index("ix_core_transactions_id_tag", ["id_tag"], unique=False)
        batch_op.create_index(
            "ix_core_transactions_open", ["station_id", "stop_timestamp"], unique=False
        )
        batch_op.create_index(
            "ix_core_transactions_start",
            ["station_id", "connector_id", "id_tag", "start_timestamp"],
            unique=False,
        )

    op.create_table(
        "core_unmatched_stops",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("id_tag", sa.String(length=20), nullable=True),
        sa.Column("meter_stop", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_unmatched_stops")),
    )


def downgrade() -> None:
    op.drop_table("core_unmatched_stops")
    with op.batch_alter_table("core_transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_core_transactions_start")
        batch_op.drop_index("ix_core_transactions_open")
        batch_op.drop_index("ix_core_transactions_id_tag")

    op.drop_table("core_transactions")
    with op.batch_alter_table("core_status_history", schema=None) as batch_op:
        batch_op.drop_index("ix_core_status_history_station")

    op.drop_table("core_status_history")
    op.drop_table("core_registrations")
    with op.batch_alter_table("core_meter_values", schema=None) as batch_op:
        batch_op.drop_index("ix_core_meter_values_transaction")
        batch_op.drop_index("ix_core_meter_values_station")

    op.drop_table("core_meter_values")
    op.drop_table("core_id_tags")
    op.drop_table("core_connectors")
    op.drop_table("core_configuration")
