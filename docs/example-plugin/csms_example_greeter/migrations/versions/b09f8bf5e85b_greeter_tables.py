"""greeter tables

Revision ID: b09f8bf5e85b
Revises:
Create Date: 2026-12-02 07:24:10.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b09f8bf5e85b"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "greeter_greetings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("greeted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_greeter_greetings")),
    )
    op.create_index(
        "ix_greeter_greetings_station_time", "greeter_greetings", ["station_id", "greeted_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_greeter_greetings_station_time", table_name="greeter_greetings")
    op.drop_table("greeter_greetings")
