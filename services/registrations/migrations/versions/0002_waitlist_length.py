"""How many wait on each event, kept on the event's row

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 06:55:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(sa.Column("waitlist_length", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE events SET waitlist_length = (SELECT count(*) FROM registrations "
               "WHERE registrations.event_id = events.id AND registrations.status = 'waitlisted')")


def downgrade() -> None:
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_column("waitlist_length")
