"""The documents service's own tables: the register of issued certificates, and the office's
texts of the certificate."""
from functools import partial

from sqlalchemy import Column, Integer, MetaData, String, Table, UniqueConstraint, select, update

from services.common import numbering, text_versions
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
    # What the certificate states, as first issued (domain.register_entry): kept for the public
    # verification page and as the register the law asks for, apart from the registration (which
    # loses the person sooner). Empty for a certificate issued before the register kept it, until it
    # is opened again; emptied of the holder after CERTIFICATES_KEEP_YEARS or at their request.
    Column("holder_first_name", String(100)),
    Column("holder_last_name", String(100)),
    Column("programme", String(300)),
    Column("accreditation_number", String(100)),
    Column("held_on", String(300)),
    Column("hours", Integer),
    Column("holder_erased_at", UTCDateTime),
    # The version of the office's text (``texts``) active when the certificate was issued: opened
    # again or as a duplicate it says what it said then. None: the default text (also every
    # certificate issued before the text could be edited).
    Column("text_version", Integer),
    UniqueConstraint("year", "number"),
)

# The office's texts of the certificate (``texts.py``), every version kept: who saved it and
# when. The one ``active`` row of a key is what new certificates use; a row without ``body`` is a
# return to the default text. A version is never changed once written (as notifications' texts).
texts = text_versions.texts_table(metadata)

# The last number given in each year; its row lock makes numbers sequential
# and unique however many certificates are issued at once.
certificate_counters = Table(
    "certificate_counters",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("last_number", Integer, nullable=False),
)


def get_certificate(conn, registration_id):
    return conn.execute(
        select(certificates).where(certificates.c.registration_id == registration_id)
    ).mappings().first()


def next_number(conn, year) -> int:
    return numbering.next_number(conn, certificate_counters, "year", year)


def skip_numbers(conn, gap: int, years) -> dict[int, int]:
    """After a restore: the certificates of each of ``years`` (those of the backup up to now)
    go on ``gap`` past the last number; ``{year: the next number}``."""
    return numbering.skip(conn, certificate_counters, "year", list(years), gap)


def add_certificate(conn, registration_id, year, number, issued_at, entry=None, text_version=None):
    conn.execute(certificates.insert().values(registration_id=registration_id, year=year, number=number,
                                              issued_at=issued_at, copies=0, text_version=text_version,
                                              **(entry or {})))
    return get_certificate(conn, registration_id)


def get_by_number(conn, year, number):
    return conn.execute(
        select(certificates).where(certificates.c.year == year, certificates.c.number == number)
    ).mappings().first()


def keep_entry(conn, registration_id, entry):
    """The register's entry of a certificate issued before the register kept one; never of a
    holder erased since."""
    conn.execute(update(certificates).where(certificates.c.registration_id == registration_id,
                                            certificates.c.programme.is_(None),
                                            certificates.c.holder_erased_at.is_(None)).values(**entry))
    return get_certificate(conn, registration_id)


def erase_holders(conn, now, registration_ids=None, issued_before=None):
    """Empty the holder's name from the register's entries of these registrations, or of every
    certificate issued before ``issued_before``; the number, dates and programme stay, and an entry
    once emptied is never filled again. Returns how many entries were emptied."""
    query = update(certificates).where(certificates.c.holder_erased_at.is_(None))
    if registration_ids is not None:
        query = query.where(certificates.c.registration_id.in_(list(registration_ids)))
    if issued_before is not None:
        query = query.where(certificates.c.issued_at < issued_before)
    return conn.execute(query.values(holder_first_name=None, holder_last_name=None,
                                     holder_erased_at=now)).rowcount


def count_copy(conn, registration_id, now):
    conn.execute(update(certificates).where(certificates.c.registration_id == registration_id)
                 .values(copies=certificates.c.copies + 1, duplicate_issued_at=now))
    return get_certificate(conn, registration_id)


def certificates_of(conn, registration_ids):
    """The certificates issued for these registrations, in one query."""
    if not registration_ids:
        return []
    return conn.execute(select(certificates).where(certificates.c.registration_id.in_(list(registration_ids)))
                        .order_by(certificates.c.registration_id)).mappings().all()

# The queries on it, one place for both services (services/common/text_versions.py).
active_text = partial(text_versions.active_text, texts=texts)
text_version = partial(text_versions.text_version, texts=texts)
text_history = partial(text_versions.text_history, texts=texts)
add_text_version = partial(text_versions.add_text_version, texts=texts)
