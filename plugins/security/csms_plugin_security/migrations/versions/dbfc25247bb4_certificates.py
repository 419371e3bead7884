"""certificates

Revision ID: dbfc25247bb4
Revises: 40b38a24b463
Create Date: 2026-11-25 23:14:26.893549
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "dbfc25247bb4"
down_revision = "40b38a24b463"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_calls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_calls")),
    )
    op.create_index(
        "ix_security_calls_station_time", "security_calls", ["station_id", "created_at"]
    )
    op.create_table(
        "security_sign_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(length=255), nullable=False),
        sa.Column("csr", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("serial_number", sa.String(length=40), nullable=True),
        sa.Column("certificate", sa.Text(), nullable=True),
        sa.Column("certificate_status", sa.String(length=20), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_sign_requests")),
    )
    op.create_index(
        "ix_security_sign_requests_station_time",
        "security_sign_requests",
        ["station_id", "received_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_security_sign_requests_station_time", table_name="security_sign_requests")
    op.drop_table("security_sign_requests")
    op.drop_index("ix_security_calls_station_time", table_name="security_calls")
    op.drop_table("security_calls")
