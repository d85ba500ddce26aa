"""The bus declared before the services: nothing published into nothing; dead letters listed and replayed."""
import io
import json
import time

import pika
import pytest
from kombu import Connection

from services.documents.service import DocumentsService
from services.notifications.service import NotificationsService
from tests.conftest import wait_for
from tools import dead_letters, topology

CONFIRMED = "evt-registrations-registration_confirmed--notifications.on_registration_confirmed"
WEBHOOK_CONFIRMED = "evt-registrations-registration_confirmed--backoffice.webhook_registration_confirmed"


def payload(n):
    return {"message_id": f"m{n}", "registration": {
        "id": n, "first_name": "Jana", "last_name": "Nováková", "email": f"jana{n}@obec.example", "price": 0,
        "manage_url": "http://x/r/t", "ticket_code": f"T{n}-AAAAAAAAAAAAAAAA", "organisation_name": None,
        "position": None, "is_member": False},
        "event": {"id": 1, "version": 1, "title": "Odpady", "kind": "seminar", "venue": "Plzeň", "lecturer": "",
                  "starts_at": "2026-12-08T09:00:00+01:00", "ends_at": "2026-12-08T13:00:00+01:00"}}


def publish(amqp_uri, body, **properties):
    connection = pika.BlockingConnection(topology.connection_parameters(amqp_uri))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish("registrations.events", "registration_confirmed", json.dumps(body).encode(), mandatory=True,
                          properties=pika.BasicProperties(content_type="application/json", delivery_mode=2,
                                                          **properties))
    connection.close()


def waiting(amqp_uri, queue):
    with Connection(amqp_uri) as connection:
        return connection.channel().queue_declare(queue, passive=True).message_count


def test_an_event_published_before_its_consumer_started_is_kept(service_config, runner_factory, smtp_sink):
    queues = topology.declare(service_config["AMQP_URI"])
    assert CONFIRMED in queues and len(queues) == 44  # every event handler of the six services (the console: webhooks)
    publish(service_config["AMQP_URI"], payload(1))  # mandatory: refused if no queue took it
    assert waiting(service_config["AMQP_URI"], CONFIRMED) == 1
    runner = runner_factory(service_config, NotificationsService, DocumentsService)
    runner.start()
    [message] = smtp_sink.wait_for_messages(1)
    assert message["To"] == "jana1@obec.example"


def test_dead_letters_are_listed_and_replayed(service_config):
    uri = service_config["AMQP_URI"]
    topology.declare(uri)
    topology.set_dead_letter_policy(uri)
    time.sleep(1)  # the policy reaches the queues
    publish(uri, payload(2), expiration="1", message_id="lost-1")  # to notifications, payments and the console
    wait_for(lambda: waiting(uri, topology.DEAD_LETTER_QUEUE) == 3, message="the expired events to be dead-lettered")
    assert waiting(uri, CONFIRMED) == 0

    out = io.StringIO()
    listed = dead_letters.run(uri, out=out)
    assert sorted((entry["queue"], entry["reason"]) for entry in listed) == [
        (WEBHOOK_CONFIRMED, "expired"), (CONFIRMED, "expired"),
        (CONFIRMED.replace("notifications.", "payments."), "expired")]
    assert waiting(uri, topology.DEAD_LETTER_QUEUE) == 3  # listing changes nothing

    chosen = next(entry["number"] for entry in listed if entry["queue"] == CONFIRMED)
    dead_letters.run(uri, replay={chosen}, out=out)
    assert f"replayed into {CONFIRMED}" in out.getvalue()
    assert waiting(uri, topology.DEAD_LETTER_QUEUE) == 2
    assert waiting(uri, CONFIRMED) == 1


def vhost_of(amqp_uri):
    return amqp_uri.rsplit("/", 1)[1]


def test_every_durable_queue_of_the_bus_is_a_quorum_queue(service_config, runner_factory, rabbit_manager):
    from services.members.service import MembersService
    from services.registrations.service import RegistrationsService

    uri = service_config["AMQP_URI"]
    runner = runner_factory(service_config, NotificationsService, DocumentsService, MembersService,
                            RegistrationsService)  # their own declarations: rpc-*, reply queues, evt-*
    runner.start()
    kinds = {q["name"]: (q["type"], q["durable"]) for q in rabbit_manager.get_queues(vhost_of(uri))}
    # a reply queue is classic (it cannot be a quorum queue and last only while its caller does)
    durable = {name: kind for name, (kind, is_durable) in kinds.items()
               if is_durable and not name.startswith("rpc.reply-")}
    assert {"rpc-members", "rpc-registrations", "rpc-notifications", "rpc-documents", "dead-letters",
            "retry-1000ms", "retry-600000ms", CONFIRMED} <= set(durable)
    assert {name for name, kind in durable.items() if kind != "quorum"} == set()
    # the services' own reply queues are transient, so a caller can make its own again on another node
    replies = [name for name in kinds if name.startswith("rpc.reply-") and "standalone" not in name]
    assert replies and all(kinds[name] == ("classic", False) for name in replies)


def test_an_empty_classic_queue_of_an_older_version_is_moved_and_a_full_one_named(service_config, rabbit_manager):
    uri = service_config["AMQP_URI"]
    connection = pika.BlockingConnection(topology.connection_parameters(uri))
    channel = connection.channel()
    channel.queue_declare("rpc-members", durable=True)  # as nameko declared them before
    channel.queue_declare(CONFIRMED, durable=True)
    channel.basic_publish("", CONFIRMED, b"{}", properties=pika.BasicProperties(delivery_mode=2))
    connection.close()

    with pytest.raises(topology.ClassicQueueInTheWay, match=CONFIRMED):
        topology.declare(uri)
    kinds = {q["name"]: q["type"] for q in rabbit_manager.get_queues(vhost_of(uri))}
    assert kinds["rpc-members"] == "quorum" and kinds[CONFIRMED] == "classic"
    assert waiting(uri, CONFIRMED) == 1  # nothing lost

    connection = pika.BlockingConnection(topology.connection_parameters(uri))
    connection.channel().basic_get(CONFIRMED, auto_ack=True)  # the old services took it
    connection.close()
    topology.declare(uri)
    kinds = {q["name"]: q["type"] for q in rabbit_manager.get_queues(vhost_of(uri))}
    assert kinds[CONFIRMED] == "quorum"
    publish(uri, payload(3))  # bound again: mandatory would refuse it otherwise
    assert waiting(uri, CONFIRMED) == 1
