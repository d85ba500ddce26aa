"""a TOTP code is accepted once (the last used time step); a reset second factor is set up again at the next login; a good login clears the account's failed passwords without deleting them

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 17:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import services.common.db


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('totp_required', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('failures_cleared_at', services.common.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('failures_cleared_at')
        batch_op.drop_column('totp_required')
        batch_op.drop_column('totp_last_step')
