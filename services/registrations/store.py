"""The registrations service's own tables and queries."""
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeDecorator

from services.common.db import UTCDateTime
from services.common.orgname import organisation_key
from services.common.outbox import delete_rows_about, outbox_table  # noqa: F401 (used as store.delete_rows_about)
from services.common.vocabulary import NOT_LIVE, EventFormat, EventStatus, RegistrationStatus

metadata = MetaData()


class Sessions(TypeDecorator):
    """An event's sessions, ``[{starts_at, ends_at, title, venue}]`` with aware datetimes, kept
    as JSON with UTC ISO texts; None for an event without sessions."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if not value:
            return None
        return [dict(item, starts_at=item["starts_at"].astimezone(UTC).isoformat(),
                     ends_at=item["ends_at"].astimezone(UTC).isoformat()) for item in value]

    def process_result_value(self, value, dialect):
        if not value:
            return None
        return [dict(item, starts_at=datetime.fromisoformat(item["starts_at"]),
                     ends_at=datetime.fromisoformat(item["ends_at"])) for item in value]


events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("topic", String(100), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("lecturer", String(200), nullable=False, default=""),
    Column("venue", String(300), nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    # A multi-day event or a series; starts_at and ends_at are then its first start and last end.
    Column("sessions", Sessions),
    Column("capacity", Integer, nullable=False),
    Column("seats_taken", Integer, nullable=False, default=0),
    Column("waitlist_taken", Integer, nullable=False, default=0),
    # How many wait now: a new registration's place in line, without counting rows
    # while every registration for the event queues on this row's lock.
    Column("waitlist_length", Integer, nullable=False, default=0, server_default="0"),
    Column("registration_opens_at", UTCDateTime),
    Column("registration_closes_at", UTCDateTime, nullable=False),
    Column("price_member", Integer, nullable=False, default=0),
    Column("price_non_member", Integer, nullable=False, default=0),
    Column("waitlist_enabled", Boolean, nullable=False, default=True),
    Column("max_per_organisation", Integer),
    Column("accreditation_number", String(60)),
    Column("hours", Integer, nullable=False, default=0),
    Column("collects_birth_date", Boolean, nullable=False, default=False),
    # Days after the payment was asked for when an unpaid seat is released (None: never);
    # the person is warned the day before.
    Column("release_unpaid_after_days", Integer),
    # in_person, online or hybrid; the webinar link goes to confirmed attendees only, never public.
    Column("format", String(20), nullable=False, default=EventFormat.IN_PERSON, server_default=EventFormat.IN_PERSON),
    Column("webinar_url", String(500)),
    # The event's own questions on the form: a list of {id, label, type, options, required}
    # (None: none). Answers are kept by question id (registrations.answers).
    Column("questions", JSON),
    Column("status", String(20), nullable=False, default=EventStatus.DRAFT),
    # The share of the sessions (per cent) a person must attend to have attended the event and get
    # its certificate (``domain.reaches_share``); 100: all of them.
    Column("certificate_share", Integer, nullable=False, default=100, server_default="100"),
    # When staff first issued the event's certificates: from then on a held one goes out as soon
    # as its payment arrives or staff release it.
    Column("certificates_issued_at", UTCDateTime),
    Column("cancel_reason", Text),
    # When the event was first published (None: never): a cancelled event that was public stays in
    # the public calendar feed as cancelled; a cancelled draft was never public and is not shown.
    Column("published_at", UTCDateTime),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

registrations = Table(
    "registrations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False),
    Column("token", String(64), nullable=False, unique=True),
    Column("ticket_code", String(40)),
    Column("status", String(20), nullable=False),
    Column("waitlist_position", Integer),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False),
    Column("phone", String(40)),
    Column("position", String(200)),
    Column("note", Text),
    Column("birth_date", Date),
    Column("organisation_ico", String(8), index=True),
    Column("organisation_name", String(200)),
    # The organisation's name normalised (services.common.orgname): the organisation limit
    # counts registrations with the same IČO or this same key.
    Column("organisation_key", String(200)),
    Column("is_member", Boolean, nullable=False),
    Column("price", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("cancelled_at", UTCDateTime),
    Column("checked_in_at", UTCDateTime),
    Column("attended_at", UTCDateTime),
    Column("reminded_at", UTCDateTime),
    # What payments asked this registration to pay (variable symbol, amount, due date, account,
    # QR Platba text, invoice number), and when it was paid: told by payments' events.
    Column("payment", JSON),
    Column("paid_at", UTCDateTime),
    Column("release_warned_at", UTCDateTime),
    # A seat handed to a substitute: the old registration becomes ``substituted`` and names the new
    # one (``substituted_by``); the new one names the registration it replaced (``substitute_for``).
    Column("substitute_for", Integer),
    Column("substituted_by", Integer),
    Column("substituted_at", UTCDateTime),
    # Answers to the event's questions: question id -> text, option, list of options, or bool.
    Column("answers", JSON),
    # The certificate: when ``attendance_confirmed`` was recorded for it (once: a conditional
    # update), and a fee's payment waived for it by staff (who, when).
    Column("certificate_sent_at", UTCDateTime),
    Column("certificate_released_at", UTCDateTime),
    Column("certificate_released_by", String(200)),
    # SQLite: ids never given twice (not even the last one's, once deleted), and they can be made
    # to jump past a gap after a restore (sqlite_sequence; ``skip_ids``).
    sqlite_autoincrement=True,
)

# Attendance per session (an event without sessions is session 0): let in at the door, marked by
# staff. The registration's ``checked_in_at`` (the first check-in) and ``attended_at`` (when the
# marks reached the event's certificate share) follow from these rows (``check_in_session``,
# ``usecases._settle_attendance``), so every reader of the registration sees the same thing.
session_attendance = Table(
    "session_attendance",
    metadata,
    Column("registration_id", Integer, ForeignKey("registrations.id"), nullable=False),
    Column("session_index", Integer, nullable=False),
    Column("checked_in_at", UTCDateTime),
    Column("attended_at", UTCDateTime),
    PrimaryKeyConstraint("registration_id", "session_index"),
)

# The same email may hold one live registration per event; this index, not
# only the check before it, is what makes the rule hold under concurrency.
Index(
    "uq_registration_live_email",
    registrations.c.event_id, registrations.c.email_key,
    unique=True,
    sqlite_where=registrations.c.status.notin_(NOT_LIVE),
    postgresql_where=registrations.c.status.notin_(NOT_LIVE),
)
Index("ix_registrations_event_status", registrations.c.event_id, registrations.c.status)
Index("ix_registrations_event_organisation_key", registrations.c.event_id, registrations.c.organisation_key)

# The registrations service's own copy of the member register, fed by the
# members service's events and a periodic sync, so that registering never
# waits on another service.
organisations = Table(
    "organisations",
    metadata,
    Column("ico", String(8), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(40)),
    Column("district", String(40)),
    # The name normalised (services.common.orgname): a name typed without an IČO finds it.
    Column("name_key", String(200), index=True),
    Column("periods", JSON, nullable=False),
    Column("as_of", UTCDateTime, nullable=False),
)

# Answers kept for the Idempotency-Key header: the same key and body replay them.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False, index=True),
)

outbox = outbox_table(metadata)

# After the seminar (``materials.py``, ``feedback.py``, ``messaging.py``).

# Files staff attach to an event for those who came. Kept here, in the service's own database,
# rather than on a disk: every replica serves them without a shared volume, they are backed up
# with the registrations, and deleting an event's data is one transaction. They are small
# (``materials.MAX_BYTES``) and few per event, so a blob column costs little.
materials = Table(
    "materials",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False, index=True),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# What was sent to a registration after the event, once each: the primary key, not only a
# check before it, keeps a second staff action or a second replica from mailing anyone twice.
follow_ups = Table(
    "follow_ups",
    metadata,
    Column("registration_id", Integer, ForeignKey("registrations.id"), nullable=False),
    Column("purpose", String(20), nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("registration_id", "purpose"),
)

# One answer to the questionnaire per registration, enforced by the unique key.
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("registration_id", Integer, ForeignKey("registrations.id"), nullable=False, unique=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False, index=True),
    # The event's lecturer when the answer came: results per lecturer survive an edit of the event.
    Column("lecturer", String(200), nullable=False),
    Column("content_rating", Integer, nullable=False),
    Column("lecturer_rating", Integer, nullable=False),
    Column("organisation_rating", Integer, nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("answered_at", UTCDateTime, nullable=False),
)


# Check-ins the door's phones made offline and sent later (``usecases.door_batch``), one row per
# admission: the unique key makes a batch sent twice change nothing. ``other_at`` is the time of
# the second admission of the same ticket when there were two (the conflict staff are told of).
door_admissions = Table(
    "door_admissions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False, index=True),
    Column("registration_id", Integer, ForeignKey("registrations.id"), nullable=False),
    Column("device", String(40), nullable=False),
    Column("staff", String(200), nullable=False),
    Column("scanned_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("result", String(20), nullable=False),
    Column("other_at", UTCDateTime),
    UniqueConstraint("registration_id", "device", "scanned_at", name="uq_door_admission"),
)

# The statements of the registration path are built once: building and keying
# a statement costs more Python time than PostgreSQL takes to run it.
_GET_EVENT = select(events).where(events.c.id == bindparam("event_id"))
_LOCK_EVENT = _GET_EVENT.with_for_update()
_TAKE_SEAT = (
    update(events)
    .where(events.c.id == bindparam("event_id"), events.c.seats_taken < events.c.capacity)
    .values(seats_taken=events.c.seats_taken + 1)
    .returning(events.c.seats_taken)
)
_COUNT_IN = (
    update(events).where(events.c.id == bindparam("event_id"))
    .values(seats_taken=events.c.seats_taken + bindparam("seats"),
            waitlist_taken=events.c.waitlist_taken + bindparam("queued"),
            waitlist_length=events.c.waitlist_length + bindparam("queued"))
)
_LIVE_EMAIL_KEYS = select(registrations.c.email_key).where(
    registrations.c.event_id == bindparam("event_id"), registrations.c.email_key.in_(bindparam("keys", expanding=True)),
    registrations.c.status.notin_(NOT_LIVE),
)
_INSERT_REGISTRATIONS = registrations.insert().returning(registrations.c.id, sort_by_parameter_order=True)
_GET_ORGANISATIONS = select(organisations).where(organisations.c.ico.in_(bindparam("icos", expanding=True)))


def get_event(conn, event_id):
    return conn.execute(_GET_EVENT, {"event_id": event_id}).mappings().first()


def list_events(conn, *, statuses, ending_after=None):
    query = select(events).where(events.c.status.in_(statuses))
    if ending_after is not None:
        query = query.where(events.c.ends_at > ending_after)
    return conn.execute(query.order_by(events.c.starts_at, events.c.id)).mappings().all()


def list_feed_events(conn, *, ending_after):
    """The events of the public feeds: published, or cancelled after they were published, that
    end after ``ending_after``, soonest first."""
    query = select(events).where(events.c.published_at.is_not(None),
                                 events.c.status.in_((EventStatus.PUBLISHED, EventStatus.CANCELLED)),
                                 events.c.ends_at > ending_after)
    return conn.execute(query.order_by(events.c.starts_at, events.c.id)).mappings().all()


def insert_event(conn, values):
    return conn.execute(events.insert().values(**values)).inserted_primary_key[0]


def update_event(conn, event_id, values):
    conn.execute(update(events).where(events.c.id == event_id).values(**values))


def delete_draft(conn, event_id) -> bool:
    """Delete a draft event with its materials (a draft has no registrations); True when it did."""
    if conn.execute(select(func.count()).select_from(registrations)
                    .where(registrations.c.event_id == event_id)).scalar_one():
        return False
    conn.execute(materials.delete().where(materials.c.event_id == event_id))
    draft = events.delete().where(events.c.id == event_id, events.c.status == EventStatus.DRAFT)
    return conn.execute(draft).rowcount == 1


def take_seat(conn, event_id):
    """Take one seat if one is left: the seats now taken, or None when full. The condition in
    the UPDATE is the guard: PostgreSQL evaluates it again on the row as it is once the row lock
    is had (READ COMMITTED), and SQLite under its write lock."""
    return conn.execute(_TAKE_SEAT, {"event_id": event_id}).scalar()


def count_in(conn, event_id, seats, queued):
    """``seats`` more seats taken and ``queued`` more people waiting, by a group registered
    while the event's row was locked (``lock_event``)."""
    conn.execute(_COUNT_IN, {"event_id": event_id, "seats": seats, "queued": queued})


def leave_waitlist(conn, event_id):
    conn.execute(update(events).where(events.c.id == event_id)
                 .values(waitlist_length=events.c.waitlist_length - 1))


def live_email_keys(conn, event_id, email_keys) -> set:
    """Which of ``email_keys`` already hold a live registration for the event."""
    return set(conn.execute(_LIVE_EMAIL_KEYS, {"event_id": event_id, "keys": list(email_keys)}).scalars())


def live_registrations_of_organisations(conn, event_id, icos, keys) -> dict:
    """``(IČO, organisation key)`` -> live registrations for the event with that pair, for the
    registrations whose IČO is one of ``icos`` or whose key is one of ``keys``."""
    icos, keys = [ico for ico in icos if ico], [key for key in keys if key]
    if not icos and not keys:
        return {}
    return {(ico, key): count for ico, key, count in conn.execute(
        select(registrations.c.organisation_ico, registrations.c.organisation_key, func.count()).where(
            registrations.c.event_id == event_id,
            or_(registrations.c.organisation_ico.in_(icos), registrations.c.organisation_key.in_(keys)),
            registrations.c.status.notin_(NOT_LIVE),
        ).group_by(registrations.c.organisation_ico, registrations.c.organisation_key)
    ).all()}


def insert_registrations(conn, rows):
    """Insert ``rows``; their ids, in the order of ``rows``. One statement on PostgreSQL; SQLite, whose
    RETURNING order SQLAlchemy cannot rely on, gets one statement per row."""
    if not rows:
        return []
    return list(conn.execute(_INSERT_REGISTRATIONS, rows).scalars())


def skip_ids(conn, gap: int) -> int:
    """After a restore (tools/backup.py): the next registration id ``gap`` past the last one given
    (the highest of the table's ids and of its sequence); returns that next id. A registration
    lost with the restore kept its id in a ticket and a variable symbol: no new one takes it."""
    highest = conn.execute(select(func.coalesce(func.max(registrations.c.id), 0))).scalar_one()
    if conn.dialect.name == "postgresql":
        sequence = conn.execute(text("SELECT pg_get_serial_sequence('registrations', 'id')")).scalar_one()
        last, called = conn.execute(text(f"SELECT last_value, is_called FROM {sequence}")).one()
        last = max(highest, last if called else last - 1) + gap
        conn.execute(text("SELECT setval(:sequence, :last, true)"), {"sequence": sequence, "last": last})
        return int(last) + 1
    # SQLite with AUTOINCREMENT (migration 0015): the next id is one past the larger of the
    # table's highest and its row in sqlite_sequence (there from the first insert on).
    known = conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = 'registrations'")).scalar()
    last = max(highest, known or 0) + gap
    if known is None:
        conn.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES ('registrations', :last)"), {"last": last})
    else:
        conn.execute(text("UPDATE sqlite_sequence SET seq = :last WHERE name = 'registrations'"), {"last": last})
    return int(last) + 1


def set_ticket_codes(conn, codes):
    """``codes``: registration id -> its ticket code, in one statement."""
    if codes:
        conn.execute(update(registrations).where(registrations.c.id.in_(list(codes)))
                     .values(ticket_code=case(codes, value=registrations.c.id)))


def get_registration(conn, registration_id=None, token=None):
    query = select(registrations)
    if registration_id is not None:
        query = query.where(registrations.c.id == registration_id)
    else:
        query = query.where(registrations.c.token == token)
    return conn.execute(query).mappings().first()


def list_registrations(conn, event_id, status=None):
    query = select(registrations).where(registrations.c.event_id == event_id)
    if status is not None:
        query = query.where(registrations.c.status == status)
    return conn.execute(query.order_by(registrations.c.id)).mappings().all()


def get_organisation(conn, ico):
    return conn.execute(select(organisations).where(organisations.c.ico == ico)).mappings().first()


def get_organisations(conn, icos) -> dict:
    """IČO -> the copy of that organisation in the register, for those known."""
    if not icos:
        return {}
    return {row["ico"]: row for row in conn.execute(_GET_ORGANISATIONS, {"icos": list(icos)}).mappings()}


def organisations_named(conn, name_keys) -> dict:
    """Name key -> the IČOs of the register's organisations with that normalised name."""
    found = {}
    if name_keys:
        for ico, key in conn.execute(select(organisations.c.ico, organisations.c.name_key)
                                     .where(organisations.c.name_key.in_(list(name_keys)))):
            found.setdefault(key, []).append(ico)
    return found


def save_organisation(conn, ico, name, kind, periods, as_of, district=None) -> bool:
    """Keep the newest known state of an organisation; an older message changes nothing."""
    current = get_organisation(conn, ico)
    if current is None:
        conn.execute(organisations.insert().values(ico=ico, name=name, name_key=organisation_key(name), kind=kind,
                                                   periods=periods, as_of=as_of, district=district))
        return True
    if current["as_of"] > as_of:
        return False
    conn.execute(
        update(organisations).where(organisations.c.ico == ico)
        .values(name=name, name_key=organisation_key(name), kind=kind, periods=periods, as_of=as_of, district=district)
    )
    return True


def waitlist_rank(conn, event_id, waitlist_position) -> int:
    """The place in line now: how many still wait with this number or a lower one."""
    return conn.execute(
        select(func.count()).select_from(registrations).where(
            registrations.c.event_id == event_id, registrations.c.status == RegistrationStatus.WAITLISTED,
            registrations.c.waitlist_position <= waitlist_position,
        )
    ).scalar_one()


def lock_registration(conn, registration_id):
    """The registration, its row locked until the transaction ends (PostgreSQL; SQLite holds the file lock)."""
    return conn.execute(
        select(registrations).where(registrations.c.id == registration_id).with_for_update()
    ).mappings().first()


def lock_event(conn, event_id):
    return conn.execute(_LOCK_EVENT, {"event_id": event_id}).mappings().first()


def set_registration(conn, registration_id, values, **conditions):
    """Update a registration when ``conditions`` (column=value) still hold; True when it did."""
    query = update(registrations).where(registrations.c.id == registration_id)
    for column, value in conditions.items():
        query = query.where(registrations.c[column].is_(None) if value is None else registrations.c[column] == value)
    return conn.execute(query.values(**values)).rowcount == 1


def free_seat(conn, event_id):
    conn.execute(update(events).where(events.c.id == event_id).values(seats_taken=events.c.seats_taken - 1))


def first_waitlisted(conn, event_id):
    """The first in line, locked; concurrent promoters skip it and take the next."""
    return conn.execute(
        select(registrations)
        .where(registrations.c.event_id == event_id, registrations.c.status == RegistrationStatus.WAITLISTED)
        .order_by(registrations.c.waitlist_position, registrations.c.id)
        .limit(1).with_for_update(skip_locked=True)
    ).mappings().first()


def waitlisted_in_line(conn, event_id, limit):
    """The first ``limit`` waiting, in line (read, not locked: what a promotion would take)."""
    return conn.execute(
        select(registrations)
        .where(registrations.c.event_id == event_id, registrations.c.status == RegistrationStatus.WAITLISTED)
        .order_by(registrations.c.waitlist_position, registrations.c.id).limit(limit)
    ).mappings().all()


def live_registrations(conn, event_id):
    return conn.execute(
        select(registrations)
        .where(registrations.c.event_id == event_id, registrations.c.status.notin_(NOT_LIVE))
        .order_by(registrations.c.id)
    ).mappings().all()


def count_by_status(conn, event_id):
    rows = conn.execute(
        select(registrations.c.status, func.count()).where(registrations.c.event_id == event_id)
        .group_by(registrations.c.status)
    ).all()
    return {status: count for status, count in rows}


def count_marked(conn, event_id, column):
    return conn.execute(
        select(func.count()).select_from(registrations)
        .where(registrations.c.event_id == event_id, registrations.c[column].is_not(None))
    ).scalar_one()


def due_reminders(conn, starts_before, now, limit=500):
    """Confirmed registrations of published events starting before ``starts_before``, not yet reminded."""
    return conn.execute(
        select(registrations.c.id, registrations.c.event_id)
        .join(events, events.c.id == registrations.c.event_id)
        .where(registrations.c.status == RegistrationStatus.CONFIRMED, registrations.c.reminded_at.is_(None),
               events.c.status == EventStatus.PUBLISHED, events.c.starts_at > now, events.c.starts_at <= starts_before)
        .order_by(registrations.c.id).limit(limit)
    ).all()


def unpaid_on_releasing_events(conn, now, limit=500):
    """Confirmed, unpaid registrations with a payment asked for, of published events to come that
    release unpaid seats: ``(registration id, payment, release_warned_at, days)``."""
    return conn.execute(
        select(registrations.c.id, registrations.c.payment, registrations.c.release_warned_at,
               events.c.release_unpaid_after_days)
        .join(events, events.c.id == registrations.c.event_id)
        .where(registrations.c.status == RegistrationStatus.CONFIRMED, registrations.c.paid_at.is_(None),
               registrations.c.payment.is_not(None), events.c.release_unpaid_after_days.is_not(None),
               events.c.status == EventStatus.PUBLISHED, events.c.starts_at > now)
        .order_by(registrations.c.id).limit(limit)
    ).all()


def get_idempotent_answer(conn, key):
    return conn.execute(select(idempotency_keys).where(idempotency_keys.c.key == key)).mappings().first()


def save_idempotent_answer(conn, key, request_hash, status, body, now):
    conn.execute(idempotency_keys.insert().values(key=key, request_hash=request_hash, status=status, body=body,
                                                  created_at=now))


def save_idempotent_answers(conn, rows):
    """Rows of ``key``, ``request_hash``, ``status``, ``body``, ``created_at``, in one statement."""
    if rows:
        conn.execute(idempotency_keys.insert(), rows)


def idempotency_keys_kept(conn, keys) -> set:
    """Which of ``keys`` have an answer kept."""
    if not keys:
        return set()
    return set(conn.execute(select(idempotency_keys.c.key).where(idempotency_keys.c.key.in_(list(keys))))
               .scalars())


def forget_idempotency_keys(conn, older_than):
    return conn.execute(idempotency_keys.delete().where(idempotency_keys.c.created_at < older_than)).rowcount


def update_idempotent_answer(conn, key, body):
    conn.execute(update(idempotency_keys).where(idempotency_keys.c.key == key).values(body=body))


def count_all_by_status(conn):
    return dict(conn.execute(select(registrations.c.status, func.count()).group_by(registrations.c.status)).all())


def registrations_of(conn, email_key):
    """Every registration ever made with this address, any status, oldest first."""
    return conn.execute(select(registrations).where(registrations.c.email_key == email_key)
                        .order_by(registrations.c.id)).mappings().all()


def registrations_of_events_ended_before(conn, moment):
    """Registrations of events that ended before ``moment`` and still carry a person's data."""
    return conn.scalars(
        select(registrations.c.id).join(events, events.c.id == registrations.c.event_id)
        .where(events.c.ends_at < moment, ~registrations.c.email.like("%@" + ERASED_DOMAIN))
    ).all()


ERASED_DOMAIN = "vymazano.invalid"


def anonymise_registration(conn, registration_id, token):
    """Keep the facts (event, organisation, status, price, check-in, attendance), drop the person."""
    address = f"{registration_id}@{ERASED_DOMAIN}"
    conn.execute(update(registrations).where(registrations.c.id == registration_id).values(
        first_name="(vymazáno)", last_name="(vymazáno)", email=address, email_key=address, phone=None, position=None,
        note=None, birth_date=None, answers=None, token=token))


# What a training record and the annual report read: a registration with its event's facts.
_ATTENDED = select(
    registrations.c.id.label("registration_id"), registrations.c.status, registrations.c.first_name,
    registrations.c.last_name, registrations.c.email, registrations.c.organisation_ico,
    registrations.c.organisation_name, registrations.c.attended_at, events.c.id.label("event_id"), events.c.title,
    events.c.kind, events.c.topic, events.c.lecturer, events.c.venue, events.c.starts_at, events.c.ends_at,
    events.c.accreditation_number, events.c.hours, events.c.sessions, events.c.certificate_share,
).join(events, events.c.id == registrations.c.event_id).where(registrations.c.attended_at.is_not(None))


def attended_registrations(conn, email_key=None, ico=None, starts_from=None, starts_before=None):
    """Registrations marked as attended, of one address or one organisation, with their events;
    optionally of events starting in ``[starts_from, starts_before)``. Anonymised ones are left
    out: they name nobody (the annual report still counts them, by ``registration_facts``)."""
    query = _ATTENDED.where(~registrations.c.email.like("%@" + ERASED_DOMAIN))
    if email_key is not None:
        query = query.where(registrations.c.email_key == email_key)
    if ico is not None:
        query = query.where(registrations.c.organisation_ico == ico)
    if starts_from is not None:
        query = query.where(events.c.starts_at >= starts_from, events.c.starts_at < starts_before)
    return conn.execute(query.order_by(events.c.starts_at, registrations.c.id)).mappings().all()


def events_starting_between(conn, starts_from, starts_before, statuses):
    return conn.execute(
        select(events).where(events.c.starts_at >= starts_from, events.c.starts_at < starts_before,
                             events.c.status.in_(statuses)).order_by(events.c.starts_at, events.c.id)
    ).mappings().all()


def registration_facts(conn, event_ids):
    """Of every registration of these events: what the annual report counts, no person."""
    if not event_ids:
        return []
    return conn.execute(
        select(registrations.c.id, registrations.c.event_id, registrations.c.status, registrations.c.is_member,
               registrations.c.organisation_ico, registrations.c.organisation_name, registrations.c.attended_at)
        .where(registrations.c.event_id.in_(list(event_ids)))
    ).mappings().all()


def all_organisations(conn) -> dict:
    """IČO -> the copy of the register's organisation."""
    return {row["ico"]: row for row in conn.execute(select(organisations)).mappings()}


def given_answers(conn, event_id):
    """The answers of every registration for the event (cancelled ones too: the export shows
    them), those without answers left out."""
    return [answers for answers in conn.scalars(
        select(registrations.c.answers).where(registrations.c.event_id == event_id)) if answers]


# After the seminar

_MATERIAL_LISTED = (materials.c.id, materials.c.event_id, materials.c.filename, materials.c.content_type,
                    materials.c.size, materials.c.created_at)


def add_material(conn, values) -> int:
    return conn.execute(materials.insert().values(**values)).inserted_primary_key[0]


def list_materials(conn, event_id):
    """An event's files, without their content, oldest first."""
    return conn.execute(select(*_MATERIAL_LISTED).where(materials.c.event_id == event_id)
                        .order_by(materials.c.id)).mappings().all()


def get_material(conn, material_id):
    return conn.execute(select(materials).where(materials.c.id == material_id)).mappings().first()


def delete_material(conn, event_id, material_id) -> bool:
    return conn.execute(materials.delete().where(materials.c.id == material_id,
                                                 materials.c.event_id == event_id)).rowcount == 1


def claim_follow_up(conn, registration_id, purpose, now) -> bool:
    """Record that ``purpose`` goes to this registration now; False when it went before (the
    primary key decides, also between two transactions at once)."""
    try:
        with conn.begin_nested():
            conn.execute(follow_ups.insert().values(registration_id=registration_id, purpose=purpose, sent_at=now))
        return True
    except IntegrityError:
        return False


def followed_up(conn, event_id, purpose) -> set:
    """The registrations of the event that ``purpose`` went to already."""
    return set(conn.execute(
        select(follow_ups.c.registration_id)
        .join(registrations, registrations.c.id == follow_ups.c.registration_id)
        .where(registrations.c.event_id == event_id, follow_ups.c.purpose == purpose)).scalars())


def count_follow_ups(conn, event_id, purpose) -> int:
    return conn.execute(
        select(func.count()).select_from(follow_ups)
        .join(registrations, registrations.c.id == follow_ups.c.registration_id)
        .where(registrations.c.event_id == event_id, follow_ups.c.purpose == purpose)).scalar_one()


def add_feedback(conn, values) -> bool:
    """Keep one answer; False when this registration has answered before."""
    try:
        with conn.begin_nested():
            conn.execute(feedback.insert().values(**values))
        return True
    except IntegrityError:
        return False


def get_feedback(conn, registration_id):
    return conn.execute(select(feedback).where(feedback.c.registration_id == registration_id)).mappings().first()


def feedback_of_event(conn, event_id):
    return conn.execute(select(feedback).where(feedback.c.event_id == event_id)
                        .order_by(feedback.c.id)).mappings().all()


def feedback_by_lecturer(conn):
    """Per lecturer: ``(lecturer, events, answers, content, lecturer, organisation)`` with averages."""
    return conn.execute(
        select(feedback.c.lecturer, func.count(func.distinct(feedback.c.event_id)), func.count(),
               func.avg(feedback.c.content_rating), func.avg(feedback.c.lecturer_rating),
               func.avg(feedback.c.organisation_rating))
        .group_by(feedback.c.lecturer).order_by(feedback.c.lecturer)).all()


# The yearly report to the Ministry of the Interior (records.ministry_report)

_REPORTED_EVENT_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)


def accreditation_numbers_between(conn, starts_from, starts_before) -> list:
    """The accreditation numbers of the events (published or cancelled) starting in ``[from, before)``."""
    return list(conn.scalars(
        select(events.c.accreditation_number).distinct()
        .where(events.c.starts_at >= starts_from, events.c.starts_at < starts_before,
               events.c.status.in_(_REPORTED_EVENT_STATUSES), events.c.accreditation_number.is_not(None),
               events.c.accreditation_number != "")))


def events_of_accreditation(conn, accreditation_number, starts_from, starts_before):
    """The events (published or cancelled) of one accredited programme starting in ``[from, before)``."""
    return conn.execute(
        select(events).where(events.c.accreditation_number == accreditation_number,
                             events.c.starts_at >= starts_from, events.c.starts_at < starts_before,
                             events.c.status.in_(_REPORTED_EVENT_STATUSES))
        .order_by(events.c.starts_at, events.c.id)).mappings().all()


def certificate_facts(conn, event_ids):
    """Of every registration of these events: its status, attendance and certificate; no person."""
    if not event_ids:
        return []
    return conn.execute(
        select(registrations.c.id, registrations.c.event_id, registrations.c.status, registrations.c.attended_at,
               registrations.c.certificate_sent_at)
        .where(registrations.c.event_id.in_(list(event_ids)))).mappings().all()


def door_admission(conn, registration_id, device, scanned_at):
    """This admission (one phone, one moment as the phone gave it) as it was received before, or
    None. A moment ahead of the server's was kept as the moment it was received
    (``scanned_at == received_at``): such a row, received before the phone's moment, is the same
    admission sent again (a phone never admits one ticket twice)."""
    return conn.execute(select(door_admissions).where(
        door_admissions.c.registration_id == registration_id, door_admissions.c.device == device,
        or_(door_admissions.c.scanned_at == scanned_at,
            and_(door_admissions.c.scanned_at == door_admissions.c.received_at,
                 door_admissions.c.received_at < scanned_at)))
        .order_by(door_admissions.c.id)).mappings().first()


def add_door_admission(conn, values):
    conn.execute(door_admissions.insert().values(**values))


def door_admissions_of(conn, event_id):
    return conn.execute(select(door_admissions).where(door_admissions.c.event_id == event_id)
                           .order_by(door_admissions.c.id)).mappings().all()


# Attendance per session

def session_marks(conn, registration_ids) -> dict:
    """Registration id -> session index -> ``{"checked_in_at", "attended_at"}``, for these
    registrations (those without a row are left out)."""
    ids = sorted({int(i) for i in registration_ids})
    found: dict = {}
    if not ids:
        return found
    for row in conn.execute(select(session_attendance).where(session_attendance.c.registration_id.in_(ids))).mappings():
        found.setdefault(row["registration_id"], {})[row["session_index"]] = {
            "checked_in_at": row["checked_in_at"], "attended_at": row["attended_at"]}
    return found


def _session_row(conn, registration_id, session_index):
    """Make sure the registration has its row for the session (the primary key decides between two
    transactions at once)."""
    key = (session_attendance.c.registration_id == registration_id) & (session_attendance.c.session_index
                                                                        == session_index)
    if conn.execute(select(func.count()).select_from(session_attendance).where(key)).scalar_one():
        return key
    try:
        with conn.begin_nested():
            conn.execute(session_attendance.insert().values(registration_id=registration_id,
                                                            session_index=session_index))
    except IntegrityError:
        pass
    return key


def check_in_session(conn, registration_id, session_index, at) -> bool:
    """Record that the person was let in to session ``session_index`` at ``at``; False when they
    were in already, earlier (the earliest check-in stands: a phone without a signal may send an
    admission earlier than one recorded meanwhile). The registration's ``checked_in_at`` keeps
    the first check-in of all. The door's one write: a ticket, a name, a queued offline check-in."""
    key = _session_row(conn, registration_id, session_index)
    done = conn.execute(update(session_attendance).where(key, or_(session_attendance.c.checked_in_at.is_(None),
                                                                  session_attendance.c.checked_in_at > at))
                        .values(checked_in_at=at)).rowcount == 1
    if done:
        conn.execute(update(registrations).where(registrations.c.id == registration_id,
                                                 or_(registrations.c.checked_in_at.is_(None),
                                                     registrations.c.checked_in_at > at))
                     .values(checked_in_at=at))
    return done


def mark_session(conn, registration_id, session_index, at) -> bool:
    """Staff marked the person as attending session ``session_index``; False when marked before."""
    key = _session_row(conn, registration_id, session_index)
    return conn.execute(update(session_attendance).where(key, session_attendance.c.attended_at.is_(None))
                        .values(attended_at=at)).rowcount == 1


def unmark_session(conn, registration_id, session_index) -> bool:
    """Take back the mark of session ``session_index``; False when there was none."""
    return conn.execute(update(session_attendance).where(
        session_attendance.c.registration_id == registration_id, session_attendance.c.session_index == session_index,
        session_attendance.c.attended_at.is_not(None)).values(attended_at=None)).rowcount == 1


def attendance_recorded(conn, event_id) -> bool:
    """Whether anyone was let in to, or marked at, a session of the event."""
    return conn.execute(select(func.count()).select_from(session_attendance)
                        .join(registrations, registrations.c.id == session_attendance.c.registration_id)
                        .where(registrations.c.event_id == event_id)).scalar_one() > 0


# The municipality's page (/obec). Of each login link and each session only a hash of its secret
# is kept (``domain.portal_secret_hash``); every login is recorded for staff.

portal_links = Table(
    "portal_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("email", String(254), nullable=False),
    Column("ico", String(8), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
)

portal_sessions = Table(
    "portal_sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_hash", String(64), nullable=False, unique=True),
    Column("email", String(254), nullable=False),
    Column("ico", String(8), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
)

portal_logins = Table(
    "portal_logins",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("logged_in_at", UTCDateTime, nullable=False),
    Column("email", String(254), nullable=False),
    Column("ico", String(8), nullable=False, index=True),
)


def add_portal_link(conn, values) -> int:
    return conn.execute(portal_links.insert().values(**values)).inserted_primary_key[0]


def get_portal_link(conn, token_hash):
    return conn.execute(select(portal_links).where(portal_links.c.token_hash == token_hash)).mappings().first()


def use_portal_link(conn, link_id, now) -> bool:
    """Mark the link used; False when another request used it first (the update is conditional)."""
    return conn.execute(portal_links.update().where(portal_links.c.id == link_id, portal_links.c.used_at.is_(None))
                        .values(used_at=now)).rowcount == 1


def add_portal_session(conn, values) -> int:
    return conn.execute(portal_sessions.insert().values(**values)).inserted_primary_key[0]


def get_portal_session(conn, session_hash):
    return conn.execute(select(portal_sessions).where(portal_sessions.c.session_hash == session_hash)
                        ).mappings().first()


def end_portal_session(conn, session_hash, now) -> None:
    conn.execute(portal_sessions.update().where(portal_sessions.c.session_hash == session_hash,
                                                portal_sessions.c.ended_at.is_(None)).values(ended_at=now))


def add_portal_login(conn, values) -> None:
    conn.execute(portal_logins.insert().values(**values))


def list_portal_logins(conn, ico, limit):
    return conn.execute(select(portal_logins).where(portal_logins.c.ico == ico)
                        .order_by(portal_logins.c.logged_in_at.desc(), portal_logins.c.id.desc()).limit(limit)
                        ).mappings().all()


def forget_portal_secrets(conn, before) -> int:
    """Delete login links and sessions that expired before ``before`` (the logins stay)."""
    gone = conn.execute(portal_links.delete().where(portal_links.c.expires_at < before)).rowcount
    return gone + conn.execute(portal_sessions.delete().where(portal_sessions.c.expires_at < before)).rowcount


def registrations_of_organisation(conn, ico):
    """Every registration made with ``ico``, with its event's id, oldest event first."""
    return conn.execute(
        select(registrations).join(events, events.c.id == registrations.c.event_id)
        .where(registrations.c.organisation_ico == ico).order_by(events.c.starts_at, registrations.c.id)
    ).mappings().all()


def get_events(conn, event_ids) -> dict:
    if not event_ids:
        return {}
    rows = conn.execute(select(events).where(events.c.id.in_(list(event_ids)))).mappings().all()
    return {row["id"]: row for row in rows}


def erase_portal_person(conn, email) -> int:
    """A person's erasure reaches the municipality's page: their login links and sessions are
    deleted, and the record of their logins keeps the moment and the organisation, not the address."""
    address = email.lower()
    erased = conn.execute(portal_links.delete().where(func.lower(portal_links.c.email) == address)).rowcount
    erased += conn.execute(portal_sessions.delete().where(func.lower(portal_sessions.c.email) == address)).rowcount
    erased += conn.execute(portal_logins.update().where(func.lower(portal_logins.c.email) == address)
                           .values(email=f"(vymazáno)@{ERASED_DOMAIN}")).rowcount
    return erased
