"""events.published_at: when an event was first published, so that the public feeds show a
cancelled event that had been public (and never a cancelled draft)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 03:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import services.common.db


# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', services.common.db.UTCDateTime(), nullable=True))
    # A published event was published by its last change at the latest; a cancelled one had been
    # public when people registered for it (a draft takes no registrations). A cancelled event
    # with nobody registered cannot be told from a cancelled draft: it stays out of the feeds.
    op.execute("UPDATE events SET published_at = updated_at WHERE status = 'published'")
    op.execute("UPDATE events SET published_at = updated_at WHERE status = 'cancelled' "
               "AND EXISTS (SELECT 1 FROM registrations WHERE registrations.event_id = events.id)")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('published_at')
