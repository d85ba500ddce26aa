"""a duplicate certificate is a deliberate act, recorded with its date

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 17:25:00

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
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duplicate_issued_at', services.common.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('duplicate_issued_at')
