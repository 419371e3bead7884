"""Smart charging tables: installed-profile mirror and charging groups.

Revision ID: 16a19250068c
Revises:
Create Date: 2026-11-25 19:36:48
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "16a19250068c"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "smartcharging_groups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("limit", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=1), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("fallback_limit", sa.Float(), nullable=True),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smartcharging_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_smartcharging_groups_name")),
    )
    op.create_table(
        "smartcharging_profiles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("charging_profile_id", sa.Integer(), nullable=False),
        sa.Column("stack_level", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smartcharging_profiles")),
    )
    op.create_index(
        "ix_smartcharging_profiles_station",
        "smartcharging_profiles",
        ["station_id", "connector_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_smartcharging_profiles_station", table_name="smartcharging_profiles")
    op.drop_table("smartcharging_profiles")
    op.drop_table("smartcharging_groups")
