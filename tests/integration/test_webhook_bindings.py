"""The console hears a webhook event only while a webhook wants it (services/backoffice/bindings.py),
on a real RabbitMQ: nothing bound with no webhook and nothing handed to the console; bound before a
new webhook's commit, unbound after the last one's deletion; a binding removed by hand made again;
a broker failing while a webhook is created refuses the webhook and leaves no binding missing."""
import time

import pytest
from kombu import Connection

from services.backoffice import bindings, store, webhooks
from services.backoffice.integrations import IntegrationPages
from services.backoffice.service import BackofficeService
from services.common.db import Database, utcnow
from services.registrations.service import RegistrationsService
from tests.conftest import free_port, wait_for
from tests.integration.test_console import csrf_of, logged_in, staff_accounts
from tests.integration.test_staff_api import Receiver, confirm, new_webhook
from tests.integration.test_topology import payload, publish

CONFIRMED = "evt-registrations-registration_confirmed--backoffice.webhook_registration_confirmed"
CANCELLED = "evt-registrations-registration_cancelled--backoffice.webhook_registration_cancelled"
PUBLISHED = "evt-registrations-event_published--backoffice.webhook_event_published"
EVERY_QUEUE = {f"evt-{'payments' if event_type in ('payment_received', 'invoice_issued') else 'registrations'}-"
               f"{event_type}--backoffice.webhook_{event_type}": event_type for event_type in webhooks.EVENTS}


@pytest.fixture
def console(runner_factory, service_config, monkeypatch):
    """The console (and registrations, for its dashboard) on a bus where the topology bound every
    queue; ``heard``: the message ids of the events handed to the console's webhook handlers."""
    heard = []
    original = IntegrationPages._for_webhooks

    def spy(self, event_type, payload):
        heard.append(payload["message_id"])
        return original(self, event_type, payload)
    monkeypatch.setattr(IntegrationPages, "_for_webhooks", spy)
    port = free_port()
    config = dict(service_config, BACKOFFICE_ADDRESS=f"127.0.0.1:{port}", WEBHOOK_ALLOW_LOCAL_HTTP=True,
                  WEBHOOK_POLL_SECONDS=0.1, WEBHOOK_BINDINGS_SECONDS=0.3)
    runner = runner_factory(config, BackofficeService, RegistrationsService)
    runner.start()
    [container] = [c for c in runner.containers if c.service_name == "backoffice"]
    [provider] = [d for d in container.dependencies if isinstance(d, bindings.WebhookBindings)]
    secrets = staff_accounts(config["DATABASES"]["backoffice"])
    base = f"http://127.0.0.1:{port}"
    database = Database(config["DATABASES"]["backoffice"], store.metadata)
    receiver = Receiver()
    yield {"base": base, "admin": logged_in(base, "admin", secrets), "config": config, "heard": heard,
           "provider": provider, "database": database, "receiver": receiver}
    receiver.close()
    database.dispose()


def bound(rabbit_manager, config, queue):
    """The routing keys ``queue`` is bound with to an exchange (the default exchange's binding left out)."""
    vhost = config["AMQP_URI"].rsplit("/", 1)[1]
    return [b["routing_key"] for b in rabbit_manager.get_queue_bindings(vhost, queue) if b["source"]]


def only_always_bound(rabbit_manager, config):
    return {queue: bool(bound(rabbit_manager, config, queue)) for queue in EVERY_QUEUE} == {
        queue: event_type in bindings.ALWAYS_BOUND for queue, event_type in EVERY_QUEUE.items()}


def deliveries(database):
    with database.transaction() as tx:
        return [d["message_id"] for hook in store.list_webhooks(tx) for d in store.list_deliveries(tx, hook["id"])]


def webhook_id(database):
    with database.transaction() as tx:
        [hook] = store.list_webhooks(tx)
    return hook["id"]


def test_an_event_is_heard_only_while_a_webhook_wants_it(console, rabbit_manager):
    base, admin, config, heard = console["base"], console["admin"], console["config"], console["heard"]
    # The topology bound every queue; once its consumers are up the console unbinds what nobody wants.
    wait_for(lambda: only_always_bound(rabbit_manager, config), message="the unwanted webhook events unbound")
    publish(config["AMQP_URI"], payload(1))  # notifications and payments have their queues: routable

    new_webhook(admin, base, console["receiver"], ["registration_confirmed"])
    assert bound(rabbit_manager, config, CONFIRMED) == ["registration_confirmed"]  # by the time the page answered
    publish(config["AMQP_URI"], payload(2))
    wait_for(lambda: deliveries(console["database"]) == ["m2"], message="the event after the creation delivered")
    # m1, published before, was never in the console's queue: m2 came after it through the same queue
    assert "m1" not in heard and "m2" in heard
    wait_for(lambda: len(console["receiver"].received) == 1, message="the delivery posted")

    done = confirm(admin, base, f"/webhooky/{webhook_id(console['database'])}/smazat")
    assert done.status_code == 200 and "je smazaný" in done.text
    assert bound(rabbit_manager, config, CONFIRMED) == []  # by the time the page answered
    publish(config["AMQP_URI"], payload(3))
    time.sleep(1)
    assert "m3" not in heard and only_always_bound(rabbit_manager, config)


def test_a_paused_webhook_keeps_its_events_and_a_binding_removed_by_hand_is_made_again(console, rabbit_manager):
    base, admin, config = console["base"], console["admin"], console["config"]
    new_webhook(admin, base, console["receiver"], ["registration_confirmed"])
    hook = webhook_id(console["database"])
    with console["database"].transaction() as tx:  # paused: it still records, to send once resumed
        store.update_webhook(tx, hook, {"paused_at": utcnow()})
    with Connection(config["AMQP_URI"]) as connection:
        [queue] = console["provider"].queues()["registration_confirmed"]
        queue(connection.default_channel).queue_unbind()
    assert bound(rabbit_manager, config, CONFIRMED) == []
    wait_for(lambda: bound(rabbit_manager, config, CONFIRMED) == ["registration_confirmed"],
             message="the periodic reconcile to bind it again")
    publish(config["AMQP_URI"], payload(4))
    wait_for(lambda: deliveries(console["database"]) == ["m4"], message="the event recorded for the paused webhook")


def test_a_broker_failing_while_a_webhook_is_created_refuses_it_and_a_reconcile_removes_what_was_bound(
        console, rabbit_manager, monkeypatch):
    base, admin, config, provider = console["base"], console["admin"], console["config"], console["provider"]
    wait_for(lambda: only_always_bound(rabbit_manager, config), message="the unwanted webhook events unbound")

    def create(events):
        page = admin.get(f"{base}/webhooky")
        return admin.post(f"{base}/webhooky", data={"csrf": csrf_of(page), "url": console["receiver"].url,
                                                    "events": events})

    # No broker at all (nothing listens there): refused before the database is touched.
    with monkeypatch.context() as patch:
        patch.setattr(provider, "amqp_uri", f"amqp://guest:guest@127.0.0.1:{free_port()}//")
        refused = create(["registration_confirmed"])
    assert refused.status_code == 503 and "Webhook se nepodařilo uložit" in refused.text

    # The broker failing halfway: the first type bound, the second refused.
    original = bindings.Binder._bind

    def failing(self, queue):
        if queue.name == CONFIRMED:
            raise ConnectionResetError("the broker went away")
        original(self, queue)
    with monkeypatch.context() as patch:
        patch.setattr(bindings.Binder, "_bind", failing)
        refused = create(["registration_cancelled", "registration_confirmed"])
        assert refused.status_code == 503 and "Nic se neuložilo" in refused.text
        with console["database"].transaction() as tx:
            assert store.list_webhooks(tx) == []
            assert "webhook_created" not in {row["action"] for row in tx.execute(store.audit.select()).mappings()}
        # registration_cancelled was bound before the failure, for nobody: the next reconcile removes it
        wait_for(lambda: only_always_bound(rabbit_manager, config), message="the extra binding removed")

    assert create(["registration_confirmed"]).status_code == 200
    assert bound(rabbit_manager, config, CONFIRMED) == ["registration_confirmed"]
    publish(config["AMQP_URI"], payload(5))
    wait_for(lambda: deliveries(console["database"]) == ["m5"], message="the event after the creation delivered")


def test_an_unbind_failing_after_a_deletion_leaves_the_binding_for_the_next_reconcile(
        console, rabbit_manager, monkeypatch):
    base, admin, config = console["base"], console["admin"], console["config"]
    new_webhook(admin, base, console["receiver"], ["registration_cancelled"])
    assert bound(rabbit_manager, config, CANCELLED) == ["registration_cancelled"]

    def failing(self, queue):
        raise ConnectionResetError("the broker went away")
    with monkeypatch.context() as patch:
        patch.setattr(bindings.Binder, "_unbind", failing)
        done = confirm(admin, base, f"/webhooky/{webhook_id(console['database'])}/smazat")
        assert done.status_code == 200 and "je smazaný" in done.text  # the deletion stands
        assert bound(rabbit_manager, config, CANCELLED) == ["registration_cancelled"]  # harmless meanwhile
    wait_for(lambda: bound(rabbit_manager, config, CANCELLED) == [], message="the next reconcile to unbind it")
