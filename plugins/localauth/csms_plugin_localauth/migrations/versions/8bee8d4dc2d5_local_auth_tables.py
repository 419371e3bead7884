"""localauth tables: authorization lists, members, per-station state and mirror

Revision ID: 8bee8d4dc2d5
Revises:
Create Date: 2026-11-25 19:34:10.466878
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '8bee8d4dc2d5'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('localauth_auth_lists',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_localauth_auth_lists')),
    sa.UniqueConstraint('name', name=op.f('uq_localauth_auth_lists_name'))
    )
    op.create_table('localauth_entries',
    sa.Column('station_id', sa.String(length=255), nullable=False),
    sa.Column('id_tag', sa.String(length=20), nullable=False),
    sa.Column('id_tag_info', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('station_id', 'id_tag', name=op.f('pk_localauth_entries'))
    )
    op.create_table('localauth_auth_list_members',
    sa.Column('auth_list_id', sa.Integer(), nullable=False),
    sa.Column('id_tag', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(
        ['auth_list_id'], ['localauth_auth_lists.id'],
        name=op.f('fk_localauth_auth_list_members_auth_list_id_localauth_auth_lists'),
        ondelete='CASCADE',
    ),
    sa.PrimaryKeyConstraint('auth_list_id', 'id_tag', name=op.f('pk_localauth_auth_list_members'))
    )
    op.create_table('localauth_stations',
    sa.Column('station_id', sa.String(length=255), nullable=False),
    sa.Column('auth_list_id', sa.Integer(), nullable=True),
    sa.Column('list_version', sa.Integer(), nullable=False),
    sa.Column('highest_version', sa.Integer(), nullable=False),
    sa.Column('needs_full', sa.Boolean(), nullable=False),
    sa.Column('reported_version', sa.Integer(), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_update_type', sa.String(length=16), nullable=True),
    sa.Column('last_result', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(
        ['auth_list_id'], ['localauth_auth_lists.id'],
        name=op.f('fk_localauth_stations_auth_list_id_localauth_auth_lists'),
        ondelete='RESTRICT',
    ),
    sa.PrimaryKeyConstraint('station_id', name=op.f('pk_localauth_stations'))
    )
    op.create_index(
        op.f('ix_localauth_stations_auth_list_id'), 'localauth_stations', ['auth_list_id']
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_localauth_stations_auth_list_id'), table_name='localauth_stations')
    op.drop_table('localauth_stations')
    op.drop_table('localauth_auth_list_members')
    op.drop_table('localauth_entries')
    op.drop_table('localauth_auth_lists')
