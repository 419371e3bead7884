"""trigger history

Revision ID: d062b6419574
Revises:
Create Date: 2026-11-25 19:31:58.442700
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d062b6419574"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "remotetrigger_triggers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("requested_message", sa.String(length=40), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remotetrigger_triggers")),
    )
    op.create_index(
        "ix_remotetrigger_triggers_station_time",
        "remotetrigger_triggers",
        ["station_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_remotetrigger_triggers_station_time", table_name="remotetrigger_triggers")
    op.drop_table("remotetrigger_triggers")
