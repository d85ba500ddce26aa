"""statements staged until staff confirm their import

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 17:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import services.common.db


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'staged_statements',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('format', sa.String(length=20), nullable=False),
        sa.Column('statement_id', sa.String(length=120), nullable=True),
        sa.Column('lines', sa.JSON(), nullable=False),
        sa.Column('created_at', services.common.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('token'),
    )
    with op.batch_alter_table('staged_statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staged_statements_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('staged_statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staged_statements_created_at'))
    op.drop_table('staged_statements')
