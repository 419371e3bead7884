"""reservation tables

Revision ID: 0e1b2c5e82a4
Revises:
Create Date: 2026-11-25 19:33:30.580442
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0e1b2c5e82a4"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reservation_reservations",
        sa.Column("reservation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("id_tag", sa.String(length=20), nullable=False),
        sa.Column("parent_id_tag", sa.String(length=20), nullable=True),
        sa.Column("expiry_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reservation_id", name=op.f("pk_reservation_reservations")),
    )
    op.create_table(
        "reservation_id_allocations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_id_allocations")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_reservation_reservations_station_status",
        "reservation_reservations",
        ["station_id", "status"],
    )
    op.create_index(
        "ix_reservation_reservations_status_expiry",
        "reservation_reservations",
        ["status", "expiry_date"],
    )


def downgrade() -> None:
    op.drop_index("ix_reservation_reservations_status_expiry", "reservation_reservations")
    op.drop_index("ix_reservation_reservations_station_status", "reservation_reservations")
    op.drop_table("reservation_reservations")
    op.drop_table("reservation_id_allocations")
