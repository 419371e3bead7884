"""Stored GetDiagnostics and UpdateFirmware locations lose their passwords

Revision ID: c81f0b6d2a47
Revises: 27cb1c7cbc30
Create Date: 2026-12-02 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from csms_core.redact import url_without_password

revision = "c81f0b6d2a47"
down_revision = "27cb1c7cbc30"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for table in ("firmware_diagnostics_requests", "firmware_updates"):
        rows = bind.execute(
            sa.text(f"SELECT id, location FROM {table} WHERE location LIKE '%@%'")
        ).all()
        for row_id, location in rows:
            stripped = url_without_password(location)
            if stripped != location:
                bind.execute(
                    sa.text(f"UPDATE {table} SET location = :location WHERE id = :id"),
                    {"location": stripped, "id": row_id},
                )


def downgrade() -> None:
    pass  # the passwords are gone for good
