"""ares lookups: what ARES said about IČOs outside the register, and when

Revision ID: 0003
Revises: 0002
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import services.common.db  # the UTCDateTime column type


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'ares_lookups',
        sa.Column('ico', sa.String(length=8), nullable=False),
        sa.Column('found', sa.Boolean(), nullable=False),
        sa.Column('name', sa.String(length=300), nullable=True),
        sa.Column('address', sa.String(length=300), nullable=True),
        sa.Column('dic', sa.String(length=14), nullable=True),
        sa.Column('district', sa.String(length=40), nullable=True),
        sa.Column('kind', sa.String(length=40), nullable=True),
        sa.Column('fetched_at', services.common.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('ico'),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('ares_lookups')
