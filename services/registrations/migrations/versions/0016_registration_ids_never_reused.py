"""registration ids are never given twice on SQLite (AUTOINCREMENT), so a restore can skip past a gap

A registration's id is its ticket number (T<id>) and its variable symbol. SQLite gives a table
without AUTOINCREMENT the largest id + 1, so the only way to make ids jump (tools/backup.py skips
past a gap after a restore, so that a ticket of a registration lost with the restore never
passes as a new one) is AUTOINCREMENT and its row in ``sqlite_sequence``. SQLite cannot add it
to a table: the table is made again. PostgreSQL's sequence already jumps (setval): nothing there.

Four tables refer to registrations, and the services keep SQLite's foreign keys on, inside the
migration's transaction where they cannot be turned off. So the rows are kept aside and taken
out of the table first (their references wait: ``defer_foreign_keys``), the empty table is made
again, and the rows are put back, which satisfies the waiting references before the commit.
Nothing is half done: it is all one transaction, and a failure rolls it all back.

Revision ID: 0016
Revises: 0015
Create Date: 2027-01-10 10:00:00

"""
from typing import Sequence, Union

from alembic import op

import services.common.db  # noqa: F401  (the UTCDateTime column type)


# revision identifiers, used by Alembic.
revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KEPT = "_registrations_kept"


def _make_again(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    columns = ", ".join(f'"{row[1]}"' for row in op.get_bind().exec_driver_sql("PRAGMA table_info(registrations)"))
    op.execute("PRAGMA defer_foreign_keys = ON")  # until the commit; SQLite turns it off there
    op.execute(f"CREATE TABLE {KEPT} AS SELECT * FROM registrations")
    op.execute("DELETE FROM registrations")
    with op.batch_alter_table("registrations", recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass
    op.execute(f"INSERT INTO registrations ({columns}) SELECT {columns} FROM {KEPT}")
    op.execute(f"DROP TABLE {KEPT}")


def upgrade() -> None:
    """Upgrade schema."""
    _make_again(autoincrement=True)


def downgrade() -> None:
    """Downgrade schema."""
    _make_again(autoincrement=False)
