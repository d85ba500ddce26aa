"""the audit row is written before the action and keeps its outcome; who and action indexed for the filters

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 17:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import services.common.db


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('error', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('finished_at', services.common.db.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_who'), ['who'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_action'), ['action'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_action'))
        batch_op.drop_index(batch_op.f('ix_audit_who'))
        batch_op.drop_column('finished_at')
        batch_op.drop_column('error')
        batch_op.drop_column('outcome')
