"""The versions of the texts the office edits (notifications' emails, documents' certificate): the
table each of the two services keeps in its own database, and the four queries on it.

Guarantee: every version is kept, with who saved it and when, and is never changed once written;
a key has at most one ``active`` version, which is what new emails or certificates use; a row
without ``body`` is a return to the default text. Two saves of one key at once: the unique
(key, version) refuses the second (an IntegrityError that rolls its transaction back whole), so
there are never two active versions and never a lost one.
"""
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    RowMapping,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)

from services.common.db import UTCDateTime


def texts_table(metadata: MetaData) -> Table:
    """The ``texts`` table of a service's ``metadata`` (each service's migration makes its own)."""
    return Table(
        "texts",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("key", String(40), nullable=False),
        Column("version", Integer, nullable=False),
        Column("body", Text),
        Column("created_by", String(254), nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("active", Boolean, nullable=False, default=False),
        UniqueConstraint("key", "version", name="uq_texts_key_version"),
    )


def active_text(conn: Connection, key: str, *, texts: Table) -> RowMapping | None:
    """The active version of ``key`` (``version``, ``body``), or None: never saved."""
    return conn.execute(select(texts.c.version, texts.c.body).where(texts.c.key == key, texts.c.active)
                        ).mappings().first()


def text_version(conn: Connection, key: str, version: int, *, texts: Table) -> RowMapping | None:
    """Version ``version`` of ``key``, or None."""
    return conn.execute(select(texts).where(texts.c.key == key, texts.c.version == version)).mappings().first()


def text_history(conn: Connection, key: str, *, texts: Table) -> Sequence[RowMapping]:
    """Every version of ``key``, the newest first."""
    return conn.execute(select(texts).where(texts.c.key == key).order_by(texts.c.version.desc())).mappings().all()


def add_text_version(conn: Connection, key: str, body: str | None, created_by: str, now: datetime, *,
                     texts: Table) -> int:
    """A new version of ``key``, made the active one (see the module's guarantee)."""
    version: int = (conn.execute(select(func.max(texts.c.version)).where(texts.c.key == key)).scalar() or 0) + 1
    conn.execute(update(texts).where(texts.c.key == key, texts.c.active).values(active=False))
    conn.execute(texts.insert().values(key=key, version=version, body=body, created_by=created_by,
                                       created_at=now, active=True))
    return version
