"""The documents service's own tables: the register of issued certificates."""
from sqlalchemy import Column, Integer, MetaData, Table, UniqueConstraint, select, update

from services.common import numbering
from services.common.db import UTCDateTime

metadata = MetaData()

certificates = Table(
    "certificates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("registration_id", Integer, nullable=False, unique=True),
    Column("year", Integer, nullable=False),
    Column("number", Integer, nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    # Duplicates staff issued deliberately (the console's "Vydat duplikát"): how many, the last one's date.
    Column("copies", Integer, nullable=False, default=0),
    Column("duplicate_issued_at", UTCDateTime),
    UniqueConstraint("year", "number"),
)

# The last number given in each year; its row lock makes numbers sequential
# and unique however many certificates are issued at once.
certificate_counters = Table(
    "certificate_counters",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("last_number", Integer, nullable=False),
)


def get_certificate(session, registration_id):
    return session.execute(
        select(certificates).where(certificates.c.registration_id == registration_id)
    ).mappings().first()


def next_number(session, year) -> int:
    return numbering.next_number(session, certificate_counters, "year", year)


def add_certificate(session, registration_id, year, number, issued_at):
    session.execute(certificates.insert().values(registration_id=registration_id, year=year, number=number,
                                                 issued_at=issued_at, copies=0))
    return get_certificate(session, registration_id)


def count_copy(session, registration_id, now):
    session.execute(update(certificates).where(certificates.c.registration_id == registration_id)
                    .values(copies=certificates.c.copies + 1, duplicate_issued_at=now))
    return get_certificate(session, registration_id)


def certificates_of(session, registration_ids):
    """The certificates issued for these registrations, in one query."""
    if not registration_ids:
        return []
    return session.execute(select(certificates).where(certificates.c.registration_id.in_(list(registration_ids)))
                           .order_by(certificates.c.registration_id)).mappings().all()
