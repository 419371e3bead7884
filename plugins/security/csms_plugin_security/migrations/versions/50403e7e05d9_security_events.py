"""security events

Revision ID: 50403e7e05d9
Revises:
Create Date: 2026-11-25 23:03:41.563121
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "50403e7e05d9"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tech_info", sa.String(length=255), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_events")),
    )
    op.create_index(
        "ix_security_events_station_time", "security_events", ["station_id", "received_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_security_events_station_time", table_name="security_events")
    op.drop_table("security_events")
