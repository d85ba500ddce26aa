"""The members service's own tables and queries."""
from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, MetaData, String, Table, delete, or_, select, true
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.common.db import UTCDateTime, utcnow
from services.common.outbox import outbox_table

metadata = MetaData()

organisations = Table(
    "organisations",
    metadata,
    Column("ico", String(8), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_folded", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("district", String(40)),
    Column("address", String(300)),
    Column("email", String(254)),
    Column("phone", String(40)),
    # For invoices: the tax number, and where the accounting department wants them.
    Column("dic", String(12)),
    Column("billing_email", String(254)),
    # How invoices, credit notes and certificates reach it: "email" (the default) or "databox"
    # (its data box in ISDS, found by the IČO; notifications falls back to email when it cannot).
    Column("delivery_channel", String(20), nullable=False, default="by_email", server_default="by_email"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ico", String(8), ForeignKey("organisations.ico"), nullable=False, index=True),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ico", String(8), ForeignKey("organisations.ico"), nullable=False, index=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("role", String(100)),
    Column("email", String(254)),
    Column("email_key", String(254), index=True),
    Column("phone", String(40)),
    Column("wants_announcements", Boolean, nullable=False, default=True),
    # Secret for the link in an announcement that turns announcements off.
    Column("unsubscribe_token", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    # May log in to the municipality's page (/obec) with a link sent to ``email``; staff can withdraw it.
    Column("portal_access", Boolean, nullable=False, default=True, server_default=true()),
)

# What ARES said about IČOs that are not in the register, and when: found (with the fields) or
# not found. The register itself is never filled from here; staff add an organisation themselves.
ares_lookups = Table(
    "ares_lookups",
    metadata,
    Column("ico", String(8), primary_key=True),
    Column("found", Boolean, nullable=False),
    Column("name", String(300)),
    Column("address", String(300)),
    Column("dic", String(14)),
    Column("district", String(40)),
    Column("kind", String(40)),
    Column("fetched_at", UTCDateTime, nullable=False),
)

outbox = outbox_table(metadata)

ORGANISATION_FIELDS = ("ico", "name", "kind", "district", "address", "email", "phone", "dic", "billing_email")
# Read with the register's fields; set on its own (``set_delivery_channel``), so an upsert keeps it.
READ_FIELDS = ORGANISATION_FIELDS + ("delivery_channel",)


def get_organisation(conn, ico):
    """The organisation as a dict with its ``periods``, or None."""
    row = conn.execute(select(organisations).where(organisations.c.ico == ico)).mappings().first()
    if row is None:
        return None
    return dict({field: row[field] for field in READ_FIELDS}, periods=get_periods(conn, ico))


def get_periods(conn, ico):
    rows = conn.execute(
        select(memberships.c.valid_from, memberships.c.valid_to)
        .where(memberships.c.ico == ico).order_by(memberships.c.valid_from)
    ).all()
    return [{"from": row.valid_from, "to": row.valid_to} for row in rows]


def all_organisations(conn):
    """Every organisation with its periods, by name."""
    periods = {}
    for row in conn.execute(select(memberships).order_by(memberships.c.valid_from)):
        periods.setdefault(row.ico, []).append({"from": row.valid_from, "to": row.valid_to})
    rows = conn.execute(select(organisations).order_by(organisations.c.name_folded)).mappings()
    return [dict({f: row[f] for f in READ_FIELDS}, periods=periods.get(row["ico"], [])) for row in rows]


def save_organisation(conn, data, name_folded):
    """Insert or update the organisation's own fields; True when it is new."""
    now = utcnow()
    values = {field: data.get(field) for field in ORGANISATION_FIELDS}
    values.update(name_folded=name_folded, updated_at=now)
    exists = conn.execute(select(organisations.c.ico).where(organisations.c.ico == data["ico"])).first()
    if exists:
        conn.execute(organisations.update().where(organisations.c.ico == data["ico"]).values(**values))
        return False
    conn.execute(organisations.insert().values(created_at=now, **values))
    return True


def replace_periods(conn, ico, periods):
    conn.execute(delete(memberships).where(memberships.c.ico == ico))
    for period in periods:
        conn.execute(memberships.insert().values(ico=ico, valid_from=period["from"], valid_to=period["to"]))


def find_organisations(conn, words, ico_prefix, limit):
    """Organisations whose folded name has a word starting with each of ``words``, or whose IČO
    starts with ``ico_prefix``; by name."""
    query = select(organisations.c.ico)
    if ico_prefix is not None:
        query = query.where(organisations.c.ico.like(_escape(ico_prefix) + "%", escape="\\"))
    for word in words:
        pattern = _escape(word)
        query = query.where(or_(
            organisations.c.name_folded.like(pattern + "%", escape="\\"),
            organisations.c.name_folded.like("% " + pattern + "%", escape="\\"),
            organisations.c.name_folded.like("%-" + pattern + "%", escape="\\"),
        ))
    icos = conn.scalars(query.order_by(organisations.c.name_folded).limit(limit)).all()
    return [get_organisation(conn, ico) for ico in icos]


def _escape(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def add_contact(conn, values):
    return conn.execute(contacts.insert().values(**values)).inserted_primary_key[0]


CONTACT_FIELDS = ("first_name", "last_name", "role", "email", "phone", "wants_announcements")


def update_contact(conn, contact_id, values):
    conn.execute(contacts.update().where(contacts.c.id == contact_id).values(**values))


def get_contact(conn, contact_id):
    return conn.execute(select(contacts).where(contacts.c.id == contact_id)).mappings().first()


def list_contacts(conn, ico=None, email_key=None):
    query = select(contacts)
    if ico is not None:
        query = query.where(contacts.c.ico == ico)
    if email_key is not None:
        query = query.where(contacts.c.email_key == email_key)
    return conn.execute(query.order_by(contacts.c.last_name, contacts.c.first_name, contacts.c.id)).mappings().all()


def delete_contacts(conn, contact_ids):
    return conn.execute(delete(contacts).where(contacts.c.id.in_(contact_ids))).rowcount


ARES_FIELDS = ("name", "address", "dic", "district", "kind")


def get_ares_lookup(conn, ico):
    row = conn.execute(select(ares_lookups).where(ares_lookups.c.ico == ico)).mappings().first()
    return dict(row) if row is not None else None


def save_ares_lookup(conn, ico, subject, fetched_at):
    """Keep ARES's answer for ``ico``: ``subject`` (its fields) or None for "not found". Two
    lookups of one IČO at once both write; the later one wins, neither fails."""
    values = {"found": subject is not None, "fetched_at": fetched_at,
              **{field: (subject or {}).get(field) for field in ARES_FIELDS}}
    dialect = conn.dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    conn.execute(insert(ares_lookups).values(ico=ico, **values)
                 .on_conflict_do_update(index_elements=[ares_lookups.c.ico], set_=values))


def set_wants_announcements(conn, token, wants):
    return conn.execute(
        contacts.update().where(contacts.c.unsubscribe_token == token).values(wants_announcements=wants)
    ).rowcount


def set_delivery_channel(conn, ico, channel) -> bool:
    return conn.execute(organisations.update().where(organisations.c.ico == ico)
                        .values(delivery_channel=channel)).rowcount == 1


def set_portal_access(conn, contact_id, allowed) -> None:
    conn.execute(contacts.update().where(contacts.c.id == contact_id).values(portal_access=bool(allowed)))


def portal_contacts(conn, email_key):
    """The contacts with this address that may log in to the municipality's page, oldest first."""
    return conn.execute(select(contacts).where(contacts.c.email_key == email_key, contacts.c.portal_access.is_(True))
                        .order_by(contacts.c.id)).mappings().all()
