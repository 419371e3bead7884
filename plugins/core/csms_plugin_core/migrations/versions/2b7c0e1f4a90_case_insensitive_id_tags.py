"""idTags compare case-insensitively (OCPP CiString20)

Revision ID: 2b7c0e1f4a90
Revises: 476fb375ce09
Create Date: 2026-11-25 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2b7c0e1f4a90"
down_revision = "476fb375ce09"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "uq_core_id_tags_lower_id_tag", "core_id_tags", [sa.text("lower(id_tag)")], unique=True
    )
    op.create_index(
        "ix_core_transactions_lower_id_tag", "core_transactions", [sa.text("lower(id_tag)")]
    )


def downgrade() -> None:
    op.drop_index("ix_core_transactions_lower_id_tag", table_name="core_transactions")
    op.drop_index("uq_core_id_tags_lower_id_tag", table_name="core_id_tags")
