"""Which webhook events the console hears (services/backoffice/bindings.py), without a broker: the
types wanted, what a reconcile binds and unbinds, and a bind that fails."""
import inspect
from datetime import UTC, datetime

import pytest
from kombu import Exchange, Queue
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.backoffice import bindings, store, webhooks
from services.backoffice.service import BackofficeService
from services.common.errors import ServiceUnavailable
from services.common.events import ReliableEventHandler
from tests.conftest import DATABASE
from tools.topology import event_queues

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def console_handlers():
    return [(name, entrypoint) for name, method in inspect.getmembers(BackofficeService, inspect.isfunction)
            for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ())
            if isinstance(entrypoint, ReliableEventHandler)]


def test_every_event_a_webhook_may_choose_has_one_handler_whose_binding_follows_the_webhooks():
    handlers = console_handlers()
    assert all(isinstance(entrypoint, bindings.WebhookEventHandler) for _, entrypoint in handlers)
    assert sorted(entrypoint.event_type for _, entrypoint in handlers) == sorted(webhooks.EVENTS)


def test_the_types_always_bound_are_those_no_other_service_hears():
    """Unbound, such an event would have no queue: its publisher's outbox keeps it and tries again forever."""
    heard_by = {}
    for queue, exchange, event_type in event_queues():
        heard_by.setdefault((exchange, event_type), set()).add(queue.split("--")[1].split(".")[0])
    alone = {event_type for (_, event_type), services in heard_by.items()
             if event_type in webhooks.EVENTS and services == {"backoffice"}}
    assert alone == bindings.ALWAYS_BOUND == {"event_published"}


@pytest.fixture
def db(make_database):
    return make_database("backoffice", store.metadata)


def add_webhook(tx, events, **values):
    return store.insert_webhook(tx, {"url": "https://a.example/hook", "events": events, "secret": "whsec_x",
                                     "created_by": "admin@smopk.example", "created_at": NOW, **values})


def test_a_paused_webhook_still_wants_its_events_and_a_deleted_one_does_not(db):
    with db.transaction() as tx:
        assert bindings.wanted(tx) == {"event_published"}
        add_webhook(tx, ["registration_confirmed"])
        add_webhook(tx, ["payment_received", "registration_cancelled"], paused_at=NOW)  # records, to send later
        add_webhook(tx, ["invoice_issued"], deleted_at=NOW)
        assert bindings.wanted(tx) == {"event_published", "registration_confirmed", "payment_received",
                                       "registration_cancelled"}


class Channel:
    """What a binder asks of the broker, recorded; ``refuse``: the queues whose bind fails."""

    def __init__(self, refuse=()):
        self.bound, self.calls, self.refuse = set(), [], set(refuse)

    def prepare_queue_arguments(self, arguments, **_):
        return arguments

    def exchange_declare(self, exchange, **_):
        self.calls.append(("exchange", exchange))

    def queue_declare(self, queue, arguments=None, **_):
        self.calls.append(("queue", queue, arguments.get("x-queue-type")))
        return queue, 0, 1

    def queue_bind(self, queue, exchange, routing_key, **_):
        if queue in self.refuse:
            raise ConnectionResetError("the broker went away")
        self.bound.add((queue, exchange, routing_key))

    def queue_unbind(self, queue, exchange, routing_key, **_):
        self.bound.discard((queue, exchange, routing_key))


def handler_queues():
    """The console's queues as ``events.event_queue`` declares them (quorum), by event type."""
    found = {}
    for name, entrypoint in console_handlers():
        source, event_type = entrypoint.source_service, entrypoint.event_type
        found[event_type] = [Queue(f"evt-{source}-{event_type}--backoffice.{name}",
                                   exchange=Exchange(f"{source}.events", type="topic", durable=True),
                                   routing_key=event_type, durable=True, queue_arguments={"x-queue-type": "quorum"})]
    return found


def test_a_reconcile_binds_the_types_wanted_and_unbinds_the_others(db):
    channel = Channel()
    binder = bindings.Binder(channel, handler_queues())
    with db.transaction() as tx:
        add_webhook(tx, ["registration_confirmed"], paused_at=NOW)
    with db.transaction() as tx:
        assert binder.reconcile(tx) == {"registration_confirmed", "event_published"}
    assert {routing_key for _, _, routing_key in channel.bound} == {"registration_confirmed", "event_published"}
    assert ("queue", "evt-registrations-registration_confirmed--backoffice.webhook_registration_confirmed",
            "quorum") in channel.calls  # declared as nameko does: no precondition refused

    with db.transaction() as tx:
        store.update_webhook(tx, 1, {"deleted_at": NOW})
    with db.transaction() as tx:
        binder.reconcile(tx)
    assert {routing_key for _, _, routing_key in channel.bound} == {"event_published"}


def test_a_bind_refused_by_the_broker_is_an_outage_in_czech_and_the_transaction_rolls_back(db):
    queues = handler_queues()
    refused = queues["registration_confirmed"][0].name  # the second of the two: the first is bound by then
    channel = Channel(refuse={refused})
    binder = bindings.Binder(channel, queues)
    with pytest.raises(ServiceUnavailable) as failed:
        with db.transaction() as tx:
            add_webhook(tx, ["registration_cancelled", "registration_confirmed"])
            binder.bind(tx, ["registration_cancelled", "registration_confirmed"])
    assert failed.value.status == 503 and "nepodařilo uložit" in failed.value.message
    with db.transaction() as tx:
        assert store.list_webhooks(tx) == []  # never kept without its binding
    # the type bound before the failure stays bound (harmless) until a reconcile removes it
    assert {routing_key for _, _, routing_key in channel.bound} == {"registration_cancelled"}
    with db.transaction() as tx:
        binder.reconcile(tx)
    assert {routing_key for _, _, routing_key in channel.bound} == {"event_published"}


@pytest.mark.skipif(DATABASE != "postgresql", reason="SQLite's transactions hold the file's write lock already")
def test_bindings_change_under_one_lock_held_until_the_commit(db):
    from sqlalchemy import text

    try_lock = text(f"SELECT pg_try_advisory_xact_lock({bindings.BINDINGS_LOCK})")
    with db.transaction() as tx:
        bindings.take_lock(tx)
        with db.transaction() as other:
            assert other.execute(try_lock).scalar() is False  # a reconcile or a creation waits
    with db.transaction() as other:
        assert other.execute(try_lock).scalar() is True
