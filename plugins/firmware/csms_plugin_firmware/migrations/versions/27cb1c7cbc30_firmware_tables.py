"""firmware tables

Revision ID: 27cb1c7cbc30
Revises:
Create Date: 2026-11-25 19:33:03.170724
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '27cb1c7cbc30'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('firmware_diagnostics_requests',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('station_id', sa.String(length=255), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=True),
    sa.Column('location', sa.Text(), nullable=False),
    sa.Column('start_time', sa.String(length=40), nullable=True),
    sa.Column('stop_time', sa.String(length=40), nullable=True),
    sa.Column('retries', sa.Integer(), nullable=True),
    sa.Column('retry_interval', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('announced_file_name', sa.String(length=255), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ftp_user', sa.String(length=32), nullable=True),
    sa.Column('ftp_password_hash', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firmware_diagnostics_requests')),
    sa.UniqueConstraint('ftp_user', name=op.f('uq_firmware_diagnostics_requests_ftp_user')),
    sa.UniqueConstraint('token', name=op.f('uq_firmware_diagnostics_requests_token'))
    )
    op.create_index(
        op.f('ix_firmware_diagnostics_requests_station_id'),
        'firmware_diagnostics_requests',
        ['station_id'],
        unique=False,
    )
    op.create_table('firmware_diagnostics_status_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('station_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firmware_diagnostics_status_events'))
    )
    op.create_index(
        op.f('ix_firmware_diagnostics_status_events_station_id'),
        'firmware_diagnostics_status_events',
        ['station_id'],
        unique=False,
    )
    op.create_table('firmware_images',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firmware_images')),
    sa.UniqueConstraint('token', name=op.f('uq_firmware_images_token'))
    )
    op.create_table('firmware_status_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('station_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firmware_status_events'))
    )
    op.create_index(
        op.f('ix_firmware_status_events_station_id'),
        'firmware_status_events',
        ['station_id'],
        unique=False,
    )
    op.create_table('firmware_updates',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('station_id', sa.String(length=255), nullable=False),
    sa.Column('location', sa.Text(), nullable=False),
    sa.Column('retrieve_date', sa.String(length=40), nullable=False),
    sa.Column('retries', sa.Integer(), nullable=True),
    sa.Column('retry_interval', sa.Integer(), nullable=True),
    sa.Column('image_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firmware_updates'))
    )
    op.create_index(
        op.f('ix_firmware_updates_station_id'),
        'firmware_updates',
        ['station_id'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f('ix_firmware_updates_station_id'),
        table_name='firmware_updates',
    )
    op.drop_table('firmware_updates')
    op.drop_index(
        op.f('ix_firmware_status_events_station_id'),
        table_name='firmware_status_events',
    )
    op.drop_table('firmware_status_events')
    op.drop_table('firmware_images')
    op.drop_index(
        op.f('ix_firmware_diagnostics_status_events_station_id'),
        table_name='firmware_diagnostics_status_events',
    )
    op.drop_table('firmware_diagnostics_status_events')
    op.drop_index(
        op.f('ix_firmware_diagnostics_requests_station_id'),
        table_name='firmware_diagnostics_requests',
    )
    op.drop_table('firmware_diagnostics_requests')
