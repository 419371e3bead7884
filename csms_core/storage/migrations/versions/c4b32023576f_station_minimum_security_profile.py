"""station minimum security profile

Revision ID: c4b32023576f
Revises: afd41654b41f
Create Date: 2026-11-25 23:05:56.318703
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c4b32023576f"
down_revision = "afd41654b41f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite cannot add a NOT NULL column in place.
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("min_security_profile", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.drop_column("min_security_profile")
