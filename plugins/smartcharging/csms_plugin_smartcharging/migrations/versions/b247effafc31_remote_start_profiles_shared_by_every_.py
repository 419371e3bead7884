"""Remote start profiles waiting for their transaction, shared by every node

Revision ID: b247effafc31
Revises: 8c4f2d6e0a13
Create Date: 2026-11-25 23:40:13
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b247effafc31"
down_revision = "8c4f2d6e0a13"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "smartcharging_remote_starts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("id_tag", sa.String(length=20), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smartcharging_remote_starts")),
    )
    op.create_index(
        "ix_smartcharging_remote_starts_station",
        "smartcharging_remote_starts",
        ["station_id", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_smartcharging_remote_starts_station", "smartcharging_remote_starts")
    op.drop_table("smartcharging_remote_starts")
