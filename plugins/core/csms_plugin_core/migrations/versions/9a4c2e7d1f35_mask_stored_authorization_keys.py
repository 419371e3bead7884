"""AuthorizationKey values a station reported in GetConfiguration are masked at rest

Revision ID: 9a4c2e7d1f35
Revises: eb287f68b1f0
Create Date: 2026-12-02 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9a4c2e7d1f35"
down_revision = "eb287f68b1f0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The same mask as csms_core.redact, which new answers go through.
    op.execute(
        sa.text(
            "UPDATE core_configuration SET value = '***' "
            "WHERE lower(key) = 'authorizationkey' AND value IS NOT NULL AND value <> ''"
        )
    )


def downgrade() -> None:
    pass  # the clear-text values are gone for good
