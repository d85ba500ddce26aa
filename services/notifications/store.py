"""The notifications service's own tables: every email, with its delivery state."""
from functools import partial

from sqlalchemy import (
    JSON,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from services.common import text_versions
from services.common.db import UTCDateTime
from services.common.vocabulary import DataboxStatus, EmailStatus

metadata = MetaData()

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # What makes two deliveries of one event the same message: the kind, the
    # registration and the event version. Unique, so a redelivered event, a
    # second replica or a restart cannot queue it twice.
    Column("dedup_key", String(200), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    # What the message is about, from its event: compared with what happened since before sending.
    Column("registration_id", Integer, index=True),
    Column("event_version", Integer),
    Column("recipient", String(254), nullable=False, index=True),
    Column("payload", JSON, nullable=False),
    Column("message_id_header", String(200), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("next_attempt_at", UTCDateTime),
    Column("claimed_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    # The version of the office's text (``texts``) active when the message was queued, so a text
    # saved later never changes it; None: the default files.
    Column("text_version", Integer),
)

# The office's texts of the emails (``texts.py``), every version kept: who saved it and when. The
# one ``active`` row of a key is what new emails use; a row without ``body`` is a return to the
# default files. A version is never changed once written.
texts = text_versions.texts_table(metadata)

# The queries on it, one place for both services (services/common/text_versions.py).
active_text = partial(text_versions.active_text, texts=texts)
text_version = partial(text_versions.text_version, texts=texts)
text_history = partial(text_versions.text_history, texts=texts)
add_text_version = partial(text_versions.add_text_version, texts=texts)

def active_versions(conn):
    """``key -> (version, whether it is the default)`` of every key ever saved."""
    rows = conn.execute(select(texts.c.key, texts.c.version, texts.c.body, texts.c.created_by, texts.c.created_at)
                        .where(texts.c.active)).mappings().all()
    return {row["key"]: row for row in rows}


def add_message(conn, values) -> int | None:
    """Queue a message; None when the same message (its ``dedup_key``) was queued before. One
    statement, no savepoint: the insert itself skips a message that is there already."""
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(messages)
    return conn.execute(insert.values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
                        .returning(messages.c.id)).scalar()


def add_messages(conn, rows) -> list[int | None]:
    """Queue ``rows`` with one statement; the id of each, in order, None for a message queued
    before (its ``dedup_key`` there already, or earlier in ``rows``: the insert skips it)."""
    if not rows:
        return []
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(messages)
    # Executed with many parameter sets, which SQLAlchemy sends as one INSERT of many VALUES
    # ("insertmanyvalues"): the statement is compiled once per process, where ``values(rows)``
    # compiled one for every batch (three times the CPU of the insert itself).
    added = dict(conn.execute(insert.on_conflict_do_nothing(index_elements=["dedup_key"])
                              .returning(messages.c.dedup_key, messages.c.id), rows).all())
    return [added.pop(row["dedup_key"], None) for row in rows]


def claim_many(conn, message_ids, now, until):
    """Take these messages for sending (one statement), those not sent, failed, or being sent by
    someone else; the rows taken, as they are now (``status`` sending), in the order of their ids."""
    if not message_ids:
        return []
    rows = conn.execute(
        update(messages).where(messages.c.id.in_(list(message_ids)), *_claimable(now))
        .values(status=EmailStatus.SENDING, claimed_until=until)
        .returning(*messages.c)
    ).mappings().all()
    return sorted(rows, key=lambda row: row["id"])


def due_messages(conn, now, limit=50):
    return conn.scalars(
        select(messages.c.id).where(*_claimable(now)).order_by(messages.c.id).limit(limit)
    ).all()


def _claimable(now):
    return (
        or_(
            # queued, now or from a paced time on (announcements)
            (messages.c.status == EmailStatus.QUEUED)
            & (messages.c.next_attempt_at.is_(None) | (messages.c.next_attempt_at <= now)),
            (messages.c.status == EmailStatus.AWAITING_RETRY) & (messages.c.next_attempt_at <= now),
            # a sender that died mid-way: its claim has lapsed
            (messages.c.status == EmailStatus.SENDING) & (messages.c.claimed_until < now),
        ),
    )


def messages_about(conn, registration_ids):
    """``(id, registration_id, kind, event_version)`` of every message about these registrations
    (what ``domain.facts_since`` decides from)."""
    wanted = sorted({rid for rid in registration_ids if rid is not None})
    if not wanted:
        return []
    return conn.execute(select(messages.c.id, messages.c.registration_id, messages.c.kind, messages.c.event_version)
                        .where(messages.c.registration_id.in_(wanted))).mappings().all()


def get_message(conn, message_id):
    return conn.execute(select(messages).where(messages.c.id == message_id)).mappings().first()


def record_outcome(conn, message_id, values):
    conn.execute(update(messages).where(messages.c.id == message_id).values(claimed_until=None, **values))


def record_same_outcome(conn, message_ids, values):
    """``record_outcome`` with the same ``values`` for every one of ``message_ids`` (a batch's, a few
    dozen at most), in one statement."""
    conn.execute(update(messages).where(messages.c.id.in_(message_ids)).values(claimed_until=None, **values))


def record_outcomes(conn, outcomes):
    """``record_outcome`` for many messages: ``(message_id, values)`` pairs, those with the same
    columns in one executemany."""
    together: dict[tuple, list] = {}
    for message_id, values in outcomes:
        together.setdefault(tuple(sorted(values)), []).append(
            {"_id": message_id, **{f"_{column}": value for column, value in values.items()}})
    for columns, rows in together.items():
        conn.execute(update(messages).where(messages.c.id == bindparam("_id"))
                     .values(claimed_until=None,
                             **{column: bindparam(f"_{column}", type_=messages.c[column].type) for column in columns}),
                     rows)


def list_messages(conn, recipient=None, kind=None, status=None, limit=200):
    query = select(messages)
    if recipient:
        query = query.where(messages.c.recipient == recipient)
    if kind:
        query = query.where(messages.c.kind == kind)
    if status:
        query = query.where(messages.c.status == status)
    return conn.execute(query.order_by(messages.c.id.desc()).limit(limit)).mappings().all()


def requeue(conn, message_id) -> bool:
    """Put a message back in the queue to be sent again now, whatever became of it."""
    return conn.execute(
        update(messages).where(messages.c.id == message_id)
        .values(status=EmailStatus.QUEUED, next_attempt_at=None, claimed_until=None)
    ).rowcount == 1


def count_by_status(conn):
    return dict(conn.execute(select(messages.c.status, func.count()).group_by(messages.c.status)).all())


def count_refused_by_server(conn) -> int:
    """Emails waiting because the server answered 5xx about us (authentication, the sender)."""
    return conn.execute(select(func.count()).select_from(messages).where(
        messages.c.status == EmailStatus.AWAITING_RETRY, messages.c.last_error.like("5%"))).scalar_one()


def messages_to(conn, address):
    """Every message to ``address`` (compared without case), oldest first."""
    return conn.execute(select(messages).where(func.lower(messages.c.recipient) == address.strip().lower())
                        .order_by(messages.c.id)).mappings().all()


def delete_messages(conn, message_ids):
    return conn.execute(messages.delete().where(messages.c.id.in_(message_ids))).rowcount if message_ids else 0


def purge_sent_bodies(conn, sent_before):
    """Forget what sent emails said (their payload) after their time; the delivery record stays."""
    return conn.execute(update(messages)
                        .where(messages.c.status == EmailStatus.SENT, messages.c.sent_at < sent_before)
                        .values(payload=PURGED)).rowcount


PURGED = {"purged": True}


# Deliveries to data boxes (ISDS): one row per document and organisation, beside the emails.
databox_messages = Table(
    "databox_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The document's number ("invoice:2026-0001", "certificate:<registration id>"): unique, so a
    # redelivered event queues nothing twice; sent as dmSenderRefNumber, so a message that reached
    # ISDS before a time-out is found there and not sent again.
    Column("reference", String(100), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("ico", String(8), nullable=False, index=True),
    Column("document_number", String(60), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("box_id", String(7)),
    Column("dm_id", String(20)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("next_attempt_at", UTCDateTime),
    Column("claimed_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("delivered_at", UTCDateTime),  # dmDeliveryTime: the message reached the box
    Column("accepted_at", UTCDateTime),  # dmAcceptanceTime: someone logged in (or ten days passed)
)


def add_databox_message(conn, values) -> int | None:
    try:
        with conn.begin_nested():
            return conn.execute(databox_messages.insert().values(**values)).inserted_primary_key[0]
    except IntegrityError:
        return None


def claim_databox_message(conn, row_id, now, until) -> bool:
    """Take a delivery for its next step (send, or ask for its delivery note), unless done or taken."""
    table = databox_messages.c
    return conn.execute(update(databox_messages).where(table.id == row_id, _databox_due(now))
                        .values(claimed_until=until)).rowcount == 1


def due_databox_messages(conn, now, limit=50):
    return conn.scalars(select(databox_messages.c.id).where(_databox_due(now))
                        .order_by(databox_messages.c.id).limit(limit)).all()


def _databox_due(now):
    table = databox_messages.c
    return (table.status.in_(DATABOX_ACTIVE) & (table.next_attempt_at.is_(None) | (table.next_attempt_at <= now))
            & (table.claimed_until.is_(None) | (table.claimed_until < now)))


def get_databox_message(conn, row_id):
    return conn.execute(select(databox_messages).where(databox_messages.c.id == row_id)).mappings().first()


def count_databox_attempt(conn, row_id):
    """A send starts: counted before anything reaches ISDS (see ``usecases.claim_databox``)."""
    conn.execute(update(databox_messages).where(databox_messages.c.id == row_id)
                 .values(attempts=databox_messages.c.attempts + 1))


def finished_databox_messages(conn, before):
    """Deliveries that finished before ``before`` (as ``domain.databox_finished`` says; the moment:
    accepted, else sent, else queued) whose payload is still there."""
    table = databox_messages.c
    finished = (table.status.in_(DATABOX_FINAL)
                | (table.status.in_((DataboxStatus.SENT, DataboxStatus.DELIVERED)) & table.next_attempt_at.is_(None)))
    rows = conn.execute(select(table.id, table.kind, table.payload).where(
        finished, func.coalesce(table.accepted_at, table.sent_at, table.created_at) < before)).mappings().all()
    return [row for row in rows if not row["payload"].get("purged")]


def databox_messages_naming(conn, email):
    """Deliveries whose payload (not purged yet) holds the address ``email``, compared without case."""
    wanted = email.strip().lower()
    rows = conn.execute(select(databox_messages.c.id, databox_messages.c.kind, databox_messages.c.status,
                               databox_messages.c.next_attempt_at, databox_messages.c.payload)).mappings().all()
    return [row for row in rows if not row["payload"].get("purged") and wanted in _strings(row["payload"])]


def _strings(value):
    """Every text in a JSON value, lower case."""
    if isinstance(value, str):
        return {value.strip().lower()}
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return set().union(*(_strings(item) for item in items))


def update_databox_message(conn, row_id, values):
    conn.execute(update(databox_messages).where(databox_messages.c.id == row_id).values(claimed_until=None, **values))


def databox_messages_of(conn, ico, limit=200):
    return conn.execute(select(databox_messages).where(databox_messages.c.ico == ico)
                        .order_by(databox_messages.c.id.desc()).limit(limit)).mappings().all()


# Rows still being worked on: to send (queued, awaiting_retry) or to ask for their delivery note (sent, delivered).
DATABOX_ACTIVE = (DataboxStatus.QUEUED, DataboxStatus.AWAITING_RETRY, DataboxStatus.SENT, DataboxStatus.DELIVERED)
# Rows done with for good; sent and delivered ones are too once their note is no longer asked for.
DATABOX_FINAL = (DataboxStatus.ACCEPTED, DataboxStatus.EMAIL_INSTEAD, DataboxStatus.FAILED)
