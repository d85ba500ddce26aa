"""what a message is about: its registration and event version

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 20:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('event_version', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_messages_registration_id'), ['registration_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_registration_id'))
        batch_op.drop_column('event_version')
        batch_op.drop_column('registration_id')
