"""substitutes and online events

Revision ID: 0007
Revises: 0006

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import services.common.db

# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NOT_LIVE = "status NOT IN ('cancelled', 'substituted')"


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('format', sa.String(length=20), server_default='in_person', nullable=False))
        batch_op.add_column(sa.Column('webinar_url', sa.String(length=500), nullable=True))

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('substitute_for', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('substituted_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('substituted_at', services.common.db.UTCDateTime(), nullable=True))

    # A substituted registration no longer holds its email for the event (the person may register again).
    op.drop_index('uq_registration_live_email', table_name='registrations')
    op.create_index('uq_registration_live_email', 'registrations', ['event_id', 'email_key'], unique=True,
                    sqlite_where=sa.text(NOT_LIVE), postgresql_where=sa.text(NOT_LIVE))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('uq_registration_live_email', table_name='registrations')
    op.create_index('uq_registration_live_email', 'registrations', ['event_id', 'email_key'], unique=True,
                    sqlite_where=sa.text("status != 'cancelled'"), postgresql_where=sa.text("status != 'cancelled'"))
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('substituted_at')
        batch_op.drop_column('substituted_by')
        batch_op.drop_column('substitute_for')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('webinar_url')
        batch_op.drop_column('format')
