"""Transactional outbox: events are rows written in the same transaction as the
state change they describe; a relay publishes them afterwards, in batches
with their confirms in flight together (``confirms``).

A crash between the commit and the publish only delays an event. Published
rows are deleted after ``OUTBOX_KEEP_DAYS`` (their payloads carry personal
data); the relay does it once an hour. The relay
publishes with publisher confirms and ``mandatory``, so an event that no queue
would receive yet (its consumer has never started) stays in the table and is
tried again, instead of being confirmed into nothing. A row is marked published
only after the broker confirmed it; consumers deduplicate by ``message_id``
the rare event published twice (a relay killed between the two steps).

Only events that fit their contract are stored: ``add`` checks each payload
with its envelope against ``contracts.py`` first and raises
``ContractViolation`` (a programming error) before writing anything, so the
use case's transaction rolls back whole.
"""
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import eventlet
from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from sqlalchemy import JSON, Column, Connection, Integer, MetaData, Row, String, Table, Text, cast, or_, select, update

from services.common.settings import setting

from . import contracts
from .confirms import ConfirmedPublisher
from .db import Database, DatabaseProvider, UTCDateTime, after_commit, utcnow

log = logging.getLogger(__name__)

CLAIM_SECONDS = 30
UNROUTABLE_RETRY_SECONDS = 2
BATCH = 200
# After a wake-up, wait this long so that the events of concurrent commits
# travel in one batch: a few milliseconds of latency for much less work.
GATHER_SECONDS = 0.02
PURGE_EVERY_SECONDS = 3600


def outbox_table(metadata: MetaData) -> Table:
    """The outbox table in a service's own schema."""
    return Table(
        "outbox",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("message_id", String(36), nullable=False, unique=True),
        Column("event_type", String(64), nullable=False),
        Column("payload", JSON, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("claimed_by", String(36)),
        Column("claimed_until", UTCDateTime),
        Column("published_at", UTCDateTime, index=True),
    )


def purge_published(conn: Connection, table: Table, before: datetime) -> int:
    """Forget the events published before ``before``: they were delivered, and their payloads
    carry personal data that must not outlive its purpose (``OUTBOX_KEEP_DAYS``)."""
    return conn.execute(table.delete().where(table.c.published_at < before)).rowcount


def delete_rows_about(conn: Connection, table: Table, column: str, registration_ids: Iterable[int]) -> int:
    """Delete the rows of ``table`` whose JSON ``column`` is about one of ``registration_ids``
    (a payload with ``registration.id``, ``replaced.id`` (a substitute's predecessor),
    ``registration_ids`` or ``registrations[].id`` (colleagues), or an answer with ``id``): a
    person's erasure. Read in Python: JSON paths differ between SQLite and PostgreSQL, and this
    runs only on a person's request or nightly."""
    wanted, doomed = set(registration_ids), list[Any]()
    for row_key, value in conn.execute(select(table.primary_key.columns[0], table.c[column])).all():
        if _mentions(value or {}) & wanted:
            doomed.append(row_key)
    for start in range(0, len(doomed), 500):
        conn.execute(table.delete().where(table.primary_key.columns[0].in_(doomed[start:start + 500])))
    return len(doomed)


def _mentions(value: Mapping[str, Any]) -> set[object]:
    """The registration ids a stored payload or answer names."""
    about = value.get("registration", value) or {}
    ids = {about.get("id")} if isinstance(about, dict) else set()
    replaced = value.get("replaced")
    if isinstance(replaced, dict):
        ids.add(replaced.get("id"))
    ids.update(value.get("registration_ids") or ())
    ids.update(item.get("id") for item in value.get("registrations") or () if isinstance(item, dict))
    return ids


class Outbox:
    """What an entrypoint sees: ``add(conn, event_type, payload)``."""

    def __init__(self, table: Table, wake: Callable[[], None]) -> None:
        self.table = table
        self._wake = wake
        self._insert = table.insert()

    def add(self, conn: Connection, event_type: str, payload: Mapping[str, Any]) -> str:
        """Record ``event_type`` with ``payload`` in the caller's transaction; its message id."""
        return self.add_many(conn, [(event_type, payload)])[0]

    def add_many(self, conn: Connection, events: Iterable[tuple[str, Mapping[str, Any]]]) -> list[str]:
        """Record each ``(event_type, payload)`` of ``events`` in the caller's transaction, in one
        statement, in order; their message ids. Each is checked against its contract first
        (``contracts.check``): one that does not fit raises ``ContractViolation`` and none is written."""
        now = utcnow()
        occurred_at = now.isoformat()
        rows: list[dict[str, Any]] = []
        for event_type, payload in events:
            message_id = str(uuid.uuid4())
            body = contracts.check(
                event_type, dict(payload, message_id=message_id, event_type=event_type, occurred_at=occurred_at))
            rows.append({"message_id": message_id, "event_type": event_type, "payload": body, "created_at": now})
        if rows:
            conn.execute(self._insert, rows)
            after_commit(conn, self._wake)
        return [row["message_id"] for row in rows]


class OutboxRelay(DependencyProvider):
    """Owns the relay green thread of a service; gives workers an ``Outbox``."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def setup(self) -> None:
        config = self.container.config
        self.poll_seconds = float(setting(config, "OUTBOX_POLL_SECONDS"))
        self.keep = timedelta(days=float(setting(config, "OUTBOX_KEEP_DAYS")))
        self._purged_at: float | None = None
        self.exchange = get_event_exchange(self.container.service_name, config)
        self.publisher = ConfirmedPublisher(config["AMQP_URI"], self.exchange)
        self._signals = LightQueue(maxsize=1)
        self._running = False
        self._thread = None

    def start(self) -> None:
        if setting(self.container.config, "OUTBOX_RELAY") is False:
            log.info("outbox relay off in this process (OUTBOX_RELAY=false)")
            return
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run, identifier="outbox_relay")

    def stop(self) -> None:
        self._running = False
        self.wake()
        if self._thread is not None:
            self._thread.wait()
        self.publisher.close()

    def kill(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.kill()
        self.publisher.close()

    def wake(self) -> None:
        try:
            self._signals.put_nowait(True)
        except eventlet.queue.Full:
            pass

    def get_dependency(self, worker_ctx: object) -> Outbox:
        return Outbox(self.table, self.wake)

    @property
    def database(self) -> Database:
        for dependency in self.container.dependencies:
            if isinstance(dependency, DatabaseProvider):
                return dependency.database
        raise RuntimeError("OutboxRelay needs a DatabaseProvider in the same service")

    def _run(self) -> None:
        while self._running:
            try:
                self._purge_when_due()
                published = self.relay_once()
            except Exception:  # the broker or the database is away: try again later
                log.exception("outbox relay failed; retrying")
                published = 0
                eventlet.sleep(1)
            if published == BATCH:
                continue
            try:
                self._signals.get(timeout=self.poll_seconds)
                eventlet.sleep(GATHER_SECONDS)
            except Empty:
                pass

    def _purge_when_due(self) -> None:
        moment = time.monotonic()
        if self._purged_at is not None and moment - self._purged_at < PURGE_EVERY_SECONDS:
            return
        with self.database.transaction() as conn:
            purged = purge_published(conn, self.table, utcnow() - self.keep)
        self._purged_at = moment
        if purged:
            log.info("outbox: %d published events older than %s deleted", purged, self.keep)

    def relay_once(self) -> int:
        """Publish what is due; returns how many rows were published."""
        rows = self._claim()  # the payloads as stored, JSON text: published without parsing them
        try:
            published, unroutable = self.publisher.publish(
                [(row.id, row.event_type, row.message_id, row.text) for row in rows])
        except Exception:
            self._settle([], [row.id for row in rows])  # the broker is away: soon again, not after the claim
            raise
        confirmed = set(published)
        self._settle(published, [row.id for row in rows if row.id not in confirmed])  # unroutable or not confirmed
        if unroutable:
            log.warning("%d event(s) have no queue to go to yet; kept for later", len(unroutable))
        return len(published)

    def _claim(self) -> list[Row[Any]]:
        t = self.table
        now = utcnow()
        token = str(uuid.uuid4())
        claimable = (t.c.published_at.is_(None), or_(t.c.claimed_until.is_(None), t.c.claimed_until < now))
        due = select(t.c.id).where(*claimable).order_by(t.c.id).limit(BATCH).scalar_subquery()
        with self.database.transaction() as conn:
            rows = conn.execute(
                update(t).where(t.c.id.in_(due), *claimable)
                .values(claimed_by=token, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
                .returning(t.c.id, t.c.message_id, t.c.event_type, cast(t.c.payload, Text).label("text"))
            ).all()
        return sorted(rows, key=lambda row: row.id)

    def _settle(self, published: Iterable[object], unroutable: Iterable[object]) -> None:
        t = self.table
        if not published and not unroutable:
            return
        now = utcnow()
        with self.database.transaction() as conn:
            if published:
                conn.execute(update(t).where(t.c.id.in_(published)).values(published_at=now))
            if unroutable:
                conn.execute(
                    update(t).where(t.c.id.in_(unroutable))
                    .values(claimed_by=None, claimed_until=now + timedelta(seconds=UNROUTABLE_RETRY_SECONDS))
                )
