"""a bank line's reversal names the line it takes back; a refund says why

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 18:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reversal_of', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_transactions_reversal_of'), ['reversal_of'], unique=False)
        batch_op.create_foreign_key('fk_transactions_reversal_of', 'transactions', ['reversal_of'], ['id'])
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=300), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_column('reason')
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_transactions_reversal_of', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_transactions_reversal_of'))
        batch_op.drop_column('reversal_of')
