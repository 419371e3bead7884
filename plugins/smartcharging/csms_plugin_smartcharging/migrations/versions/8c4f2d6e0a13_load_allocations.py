"""Load management's pushed shares, shared by every node

Revision ID: 8c4f2d6e0a13
Revises: 16a19250068c
Create Date: 2026-11-25 22:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "8c4f2d6e0a13"
down_revision = "16a19250068c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "smartcharging_allocations",
        sa.Column("group_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("connector_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "group_id", "station_id", "connector_id", name=op.f("pk_smartcharging_allocations")
        ),
    )


def downgrade() -> None:
    op.drop_table("smartcharging_allocations")
