"""security profiles

Revision ID: 40b38a24b463
Revises: 50403e7e05d9
Create Date: 2026-11-25 23:10:13.146207
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "40b38a24b463"
down_revision = "50403e7e05d9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_profiles",
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("connected_profile", sa.Integer(), nullable=True),
        sa.Column("pending_profile", sa.Integer(), nullable=True),
        sa.Column("pending_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_security_profiles")),
    )


def downgrade() -> None:
    op.drop_table("security_profiles")
