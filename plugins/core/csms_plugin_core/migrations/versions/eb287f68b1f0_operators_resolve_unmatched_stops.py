"""Operators resolve unmatched stops: applied to a transaction, or dismissed

Revision ID: eb287f68b1f0
Revises: 5d3e9a7c1b20
Create Date: 2026-11-25 23:43:33
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "eb287f68b1f0"
down_revision = "5d3e9a7c1b20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite cannot drop columns in place (downgrade), so keep both the same.
    with op.batch_alter_table("core_unmatched_stops") as batch_op:
        batch_op.add_column(sa.Column("resolution", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("resolved_transaction_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("resolution_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("core_unmatched_stops") as batch_op:
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("resolution_note")
        batch_op.drop_column("resolved_transaction_id")
        batch_op.drop_column("resolution")
