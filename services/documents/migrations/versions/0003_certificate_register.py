"""the register keeps what each certificate states: holder, programme, date, hours

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 09:00:00

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
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holder_first_name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('holder_last_name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('programme', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('accreditation_number', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('held_on', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('hours', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('holder_erased_at', services.common.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        for column in ('holder_erased_at', 'hours', 'held_on', 'accreditation_number', 'programme',
                       'holder_last_name', 'holder_first_name'):
            batch_op.drop_column(column)
