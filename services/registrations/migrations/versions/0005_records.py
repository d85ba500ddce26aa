"""records: the district of an organisation in the copy of the member register

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 04:20:00

The annual report counts attendees by district (okres); the members service already keeps
it and announces it, this copy now keeps it too. Rows copied before fill in at the next
periodic sync of the register.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('district')
