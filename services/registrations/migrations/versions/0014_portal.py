"""the municipality's page: login links and sessions (hashes only) and the record of logins

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 03:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import services.common.db


# revision identifiers, used by Alembic.
revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'portal_links',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('ico', sa.String(length=8), nullable=False),
        sa.Column('created_at', services.common.db.UTCDateTime(), nullable=False),
        sa.Column('expires_at', services.common.db.UTCDateTime(), nullable=False),
        sa.Column('used_at', services.common.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_table(
        'portal_sessions',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('session_hash', sa.String(length=64), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('ico', sa.String(length=8), nullable=False),
        sa.Column('created_at', services.common.db.UTCDateTime(), nullable=False),
        sa.Column('expires_at', services.common.db.UTCDateTime(), nullable=False),
        sa.Column('ended_at', services.common.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('session_hash'),
    )
    op.create_table(
        'portal_logins',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('logged_in_at', services.common.db.UTCDateTime(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('ico', sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('portal_logins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_logins_ico'), ['ico'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('portal_logins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_logins_ico'))
    op.drop_table('portal_logins')
    op.drop_table('portal_sessions')
    op.drop_table('portal_links')
