"""attendance per session: a row per registration and session, and the event's certificate share

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 10:00:00

"""
import json
from datetime import datetime, timezone
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import services.common.db


# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_share', sa.Integer(), nullable=False, server_default='100'))
    attendance = op.create_table(
        'session_attendance',
        sa.Column('registration_id', sa.Integer(), nullable=False),
        sa.Column('session_index', sa.Integer(), nullable=False),
        sa.Column('checked_in_at', services.common.db.UTCDateTime(), nullable=True),
        sa.Column('attended_at', services.common.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], ),
        sa.PrimaryKeyConstraint('registration_id', 'session_index'),
    )
    # What was one check-in and one mark per registration: the check-in is the first session's
    # (the door admitted the person once); the mark was attendance of the whole event, so every
    # session is marked and the hours stay what they were.
    bind = op.get_bind()
    sessions_of = {}
    for event_id, sessions in bind.execute(sa.text("SELECT id, sessions FROM events")):
        if isinstance(sessions, str):
            sessions = json.loads(sessions)
        sessions_of[event_id] = len(sessions) if sessions else 1
    rows = []
    for registration_id, event_id, checked_in_at, attended_at in bind.execute(sa.text(
            "SELECT id, event_id, checked_in_at, attended_at FROM registrations "
            "WHERE checked_in_at IS NOT NULL OR attended_at IS NOT NULL")):
        for index in range(sessions_of.get(event_id, 1)):
            rows.append({"registration_id": registration_id, "session_index": index,
                         "checked_in_at": _moment(checked_in_at) if index == 0 else None,
                         "attended_at": _moment(attended_at)})
    rows = [row for row in rows if row["checked_in_at"] is not None or row["attended_at"] is not None]
    if rows:
        op.bulk_insert(attendance, rows)


def _moment(value):
    """A moment as the raw query gives it (naive UTC, or a text on SQLite), aware."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('session_attendance')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('certificate_share')
