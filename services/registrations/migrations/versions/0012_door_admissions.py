"""check-ins the door's phones made offline and sent later, with conflicts

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import services.common.db


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'door_admissions',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=False),
        sa.Column('device', sa.String(length=40), nullable=False),
        sa.Column('staff', sa.String(length=200), nullable=False),
        sa.Column('scanned_at', services.common.db.UTCDateTime(), nullable=False),
        sa.Column('received_at', services.common.db.UTCDateTime(), nullable=False),
        sa.Column('result', sa.String(length=20), nullable=False),
        sa.Column('other_at', services.common.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ),
        sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('registration_id', 'device', 'scanned_at', name='uq_door_admission'),
    )
    op.create_index(op.f('ix_door_admissions_event_id'), 'door_admissions', ['event_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_door_admissions_event_id'), table_name='door_admissions')
    op.drop_table('door_admissions')
