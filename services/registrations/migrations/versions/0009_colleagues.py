"""organisation keys: the organisation limit counts names typed without an IČO

Revision ID: 0009
Revises: 0008

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from services.common.orgname import organisation_key

# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_organisations_name_key'), ['name_key'], unique=False)
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_key', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_registrations_event_organisation_key', ['event_id', 'organisation_key'],
                              unique=False)
    # The keys of what is there already, computed as the service computes them.
    connection = op.get_bind()
    organisations = sa.table('organisations', sa.column('ico'), sa.column('name'), sa.column('name_key'))
    for ico, name in connection.execute(sa.select(organisations.c.ico, organisations.c.name)).all():
        connection.execute(organisations.update().where(organisations.c.ico == ico)
                           .values(name_key=organisation_key(name)))
    registrations = sa.table('registrations', sa.column('id'), sa.column('organisation_name'),
                             sa.column('organisation_key'))
    for registration_id, name in connection.execute(
            sa.select(registrations.c.id, registrations.c.organisation_name)
            .where(registrations.c.organisation_name.isnot(None))).all():
        connection.execute(registrations.update().where(registrations.c.id == registration_id)
                           .values(organisation_key=organisation_key(name)))


def downgrade() -> None:
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_registrations_event_organisation_key')
        batch_op.drop_column('organisation_key')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_name_key'))
        batch_op.drop_column('name_key')
