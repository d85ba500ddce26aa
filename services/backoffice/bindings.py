"""Which bus events reach the console: the queue of each webhook event handler (``integrations``,
declared with ``webhook_event_handler``) is bound to its exchange only while some webhook wants
its event type: one not deleted, live or paused (a paused webhook still records its deliveries,
sent once an administrator resumes it: ``courier``, ``store.list_webhooks``). Before, the console
consumed every such event, checked its contract and found nobody wanted it: during a registration
rush with no webhook that was half of the CPU the registrations service spent on a registration.

Guarantee: a webhook gets every event published after its creation committed. Creating one binds
its types inside its transaction, before the commit (``Binder.bind``); an event consumed after the
bind and before the commit finds no webhook for it and is skipped, as before. A binding is only
ever removed under one lock, together with the read of the webhooks table that justified it
(``Binder.reconcile``): PostgreSQL's advisory lock ``BINDINGS_LOCK``, which a creation holds from
its bind to its commit; on SQLite every transaction holds the file's write lock. So a removal
either comes wholly before a creation's bind, or reads the table after that creation committed
and keeps its types.

A binding too many is harmless (``_record_events`` skips an event nobody wants, as it always
did); one missing loses events. Every failure halfway therefore leaves bindings too many, never
one missing:

- The broker failing while a webhook is created (no connection, a bind refused, no answer within
  ``BROKER_TIMEOUT_SECONDS``) fails the creation: its transaction rolls back, the administrator
  gets a 503 in Czech and tries again, and a type bound before the failure stays bound until the
  next reconcile. The webhook is not kept unbound for a reconcile to fix later: the events
  published until then would be missed, and the promise above broken.
- Deleting a webhook commits first, then reconciles; should that fail, its types stay bound
  until the next reconcile.
- Each console process reconciles once its consumers are up and every
  ``WEBHOOK_BINDINGS_SECONDS``: a failed unbind, a binding removed by hand, a change made by
  another console process all heal there. A reconcile failing halfway leaves the types it did not
  reach as they were (re-done at the next one). One window is left: a reconcile whose unbind
  the broker takes longer than ``BROKER_TIMEOUT_SECONDS`` to answer gives up and lets the lock go
  while that unbind is still on its way; a webhook created at that moment and bound on another
  connection could see its binding undone when the late unbind arrives. The failed reconcile is
  tried again after ``RETRY_SECONDS`` and binds every wanted type back, so such a webhook misses
  the events of those seconds at most (a broker more than five seconds slow, then fast again).
- nameko declares each handler's queue with its binding whenever its consumer (re)connects, and
  ``tools.topology`` binds every handler's queue: after a deployment or a broker restart the
  console takes every event again, until its next reconcile.
- Only a binding removed behind the console's back (by hand, a broker that lost its definitions
  and was not given ``tools.topology``) is missing: until the next reconcile, that type's events
  do not reach the console.

Events already in a queue when its binding goes are still consumed and handled as before (the
consumer stays); an event sent round for a retry comes back through the default exchange, never
through this binding. ``event_published`` is heard by no other service: unbound, no queue would
take it, and the publisher's outbox would keep every one and try it again forever
(``services/common/outbox.py``), to deliver them all, however old, to the first webhook made. It
stays bound (``ALWAYS_BOUND``, kept true by tests/unit/backoffice/test_webhook_bindings.py).
"""
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import eventlet
from kombu import Connection, Queue
from nameko.extensions import DependencyProvider
from sqlalchemy import Connection as SqlConnection

from services.common.db import Database, DatabaseProvider
from services.common.errors import ServiceUnavailable
from services.common.events import ReliableEventHandler

from . import store
from .settings import load as load_settings

log = logging.getLogger(__name__)

BINDINGS_LOCK = 7432  # PostgreSQL advisory lock key (services.common.db takes 7431 for migrations)
BROKER_TIMEOUT_SECONDS = 5.0  # a connection and a round of binds, at most; on SQLite the file waits meanwhile
RETRY_SECONDS = 5.0  # after a failed reconcile, the next try comes this soon (at most WEBHOOK_BINDINGS_SECONDS)
# Event types no other service hears: see the module's docstring.
ALWAYS_BOUND = frozenset({"event_published"})
BIND_FAILED = ("Webhook se nepodařilo uložit: sběrnice událostí teď neodpovídá. Nic se neuložilo, "
               "zkuste to prosím za chvíli znovu.")


class WebhookEventHandler(ReliableEventHandler):
    """A handler of an event that webhooks may deliver: its queue is bound only while a webhook
    wants its event type (this module). Otherwise ``ReliableEventHandler``."""


webhook_event_handler = WebhookEventHandler.decorator


def wanted(conn: SqlConnection) -> set[str]:
    """The event types the console must hear: those of every webhook not deleted, live or paused,
    and ``ALWAYS_BOUND``."""
    return {event_type for hook in store.list_webhooks(conn) for event_type in hook["events"]} | ALWAYS_BOUND


def take_lock(conn: SqlConnection) -> None:
    """The lock under which bindings change, held until ``conn``'s transaction ends (SQLite: the
    transaction holds the file's write lock already)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({BINDINGS_LOCK})")


class Binder:
    """An open channel to the broker and the webhook handlers' queues by event type."""

    def __init__(self, channel: Any, queues: dict[str, list[Queue]], timeout: float = BROKER_TIMEOUT_SECONDS):
        self.channel, self.queues, self.timeout = channel, queues, timeout

    def bind(self, conn: SqlConnection, event_types: Iterable[str]) -> None:
        """Bind the queues of ``event_types`` in the transaction of ``conn``, before it commits.
        ``ServiceUnavailable`` (in Czech) when the broker fails: the caller's transaction rolls back."""
        take_lock(conn)
        try:
            with eventlet.Timeout(self.timeout, TimeoutError("the broker did not answer the binds")):
                for event_type in sorted(set(event_types)):
                    for queue in self.queues.get(event_type, ()):
                        self._bind(queue)
        except Exception as error:
            log.warning("webhook bindings: binding %s failed: %s", sorted(set(event_types)), error)
            raise ServiceUnavailable("broker", BIND_FAILED) from error

    def reconcile(self, conn: SqlConnection) -> set[str]:
        """Bind the queues of the types wanted now (``wanted``), unbind the others, under the lock;
        the types wanted. A broker failure raises, leaving the types not reached as they were."""
        take_lock(conn)
        chosen = wanted(conn)
        with eventlet.Timeout(self.timeout, TimeoutError("the broker did not answer the reconcile")):
            for event_type, queues in sorted(self.queues.items()):
                for queue in queues:
                    if event_type in chosen:
                        self._bind(queue)
                    else:
                        self._unbind(queue)
        return chosen

    def _bind(self, queue: Queue) -> None:
        bound = queue(self.channel)
        bound.exchange.declare()  # as nameko's consumer declares it
        bound.queue_declare()  # the same arguments as nameko's (``events.event_queue``): no change
        bound.queue_bind()

    def _unbind(self, queue: Queue) -> None:
        bound = queue(self.channel)
        bound.queue_declare()  # so that a queue not declared yet is no error
        bound.queue_unbind()  # a binding that is not there: nothing happens


class WebhookBindings(DependencyProvider):
    """Reconciles the bindings of a console process (at its start, once its consumers are up, and
    every ``WEBHOOK_BINDINGS_SECONDS``), and gives its workers ``binder`` (a creation) and
    ``reconcile_or_later`` (a deletion)."""

    def setup(self) -> None:
        settings = load_settings(self.container.config)
        self.amqp_uri, self.period = settings.amqp_uri, settings.webhook_bindings_seconds
        self._running, self._thread = False, None

    def start(self) -> None:
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run, identifier="webhook_bindings")

    def stop(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.kill()

    kill = stop

    def get_dependency(self, worker_ctx: object) -> "WebhookBindings":
        return self

    def handlers(self) -> list[WebhookEventHandler]:
        return [entrypoint for entrypoint in self.container.entrypoints if isinstance(entrypoint, WebhookEventHandler)]

    def queues(self) -> dict[str, list[Queue]]:
        """The queues nameko declares for the webhook handlers (set up by now), by event type."""
        found: dict[str, list[Queue]] = {}
        for handler in self.handlers():
            found.setdefault(handler.event_type, []).append(handler.queue)
        return found

    def _database(self) -> Database:
        for dependency in self.container.dependencies:
            if isinstance(dependency, DatabaseProvider):
                return dependency.database
        raise RuntimeError("WebhookBindings needs a DatabaseProvider in the same service")

    @contextmanager
    def binder(self) -> Iterator[Binder]:
        """A ``Binder`` on a connection of its own, opened before any transaction (a broker away
        fails here, before the database is touched: ``ServiceUnavailable`` in Czech) and closed
        after. A failure drops the connection without waiting for the broker."""
        connection = Connection(self.amqp_uri, connect_timeout=BROKER_TIMEOUT_SECONDS)
        try:
            try:
                with eventlet.Timeout(BROKER_TIMEOUT_SECONDS, TimeoutError("the broker did not answer")):
                    # AMQP_URI may name several nodes (``;``): each is tried once in turn
                    connection.ensure_connection(max_retries=max(1, len(connection.alt)), interval_start=0,
                                                 interval_step=0)
                    channel = connection.channel()
            except Exception as error:
                log.warning("webhook bindings: no connection to the broker: %s", error)
                raise ServiceUnavailable("broker", BIND_FAILED) from error
            yield Binder(channel, self.queues())
        except BaseException:
            connection.collect()
            raise
        try:
            with eventlet.Timeout(BROKER_TIMEOUT_SECONDS):
                connection.release()
        except (Exception, eventlet.Timeout):  # the bindings are made: the socket just goes
            connection.collect()

    def reconcile(self) -> set[str]:
        """One reconcile (``Binder.reconcile``); raises when the broker or the database fails."""
        with self.binder() as binder, self._database().transaction() as conn:
            chosen = binder.reconcile(conn)
        log.debug("webhook bindings: bound %s", sorted(chosen & set(binder.queues)))
        return chosen

    def reconcile_or_later(self) -> None:
        """Reconcile now, after a deletion committed; a failure is logged and left to the next
        periodic reconcile (meanwhile the deleted webhook's types stay bound: harmless)."""
        try:
            self.reconcile()
        except Exception as error:
            log.warning("webhook bindings: reconcile failed (%s); the next one comes within %s s", error,
                        self.period)

    def _consumers_up(self) -> None:
        """Wait until nameko's consumer has declared (and bound) the handlers' queues: a reconcile
        before would be undone by that declaration."""
        handlers = self.handlers()  # they share one QueueConsumer
        ready = getattr(handlers[0].queue_consumer, "_consumers_ready", None) if handlers else None  # nameko 2's
        if ready is not None:
            try:
                ready.wait()
            except Exception:  # the consumer failed to start (the container stops); the loop tries anyway
                log.warning("webhook bindings: the consumers did not start")

    def _run(self) -> None:
        self._consumers_up()
        while self._running:
            try:
                self.reconcile()
                wait = self.period
            except Exception:
                log.exception("webhook bindings: reconcile failed; trying again")
                wait = min(self.period, RETRY_SECONDS)
            eventlet.sleep(wait)
