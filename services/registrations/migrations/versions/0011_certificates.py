"""certificates issued after the event, held for payment or released by staff

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 17:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import services.common.db


# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificates_issued_at', services.common.db.UTCDateTime(), nullable=True))
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_sent_at', services.common.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('certificate_released_at', services.common.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('certificate_released_by', sa.String(length=200), nullable=True))
    # Certificates already mailed under the old flow (at marking, for accredited events) count as issued.
    op.execute("UPDATE registrations SET certificate_sent_at = attended_at WHERE attended_at IS NOT NULL "
               "AND event_id IN (SELECT id FROM events WHERE accreditation_number IS NOT NULL)")
    op.execute("UPDATE events SET certificates_issued_at = updated_at WHERE id IN "
               "(SELECT event_id FROM registrations WHERE certificate_sent_at IS NOT NULL)")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('certificate_released_by')
        batch_op.drop_column('certificate_released_at')
        batch_op.drop_column('certificate_sent_at')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('certificates_issued_at')
