"""The bus declared before the services: nothing published into nothing; dead letters listed and replayed."""
import io
import json
import time

import pika
from kombu import Connection

from services.documents.service import DocumentsService
from services.notifications.service import NotificationsService
from tests.conftest import wait_for
from tools import dead_letters, topology

CONFIRMED = "evt-registrations-registration_confirmed--notifications.on_registration_confirmed"


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
    assert CONFIRMED in queues and len(queues) == 33
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
    publish(uri, payload(2), expiration="1", message_id="lost-1")  # to notifications and payments
    wait_for(lambda: waiting(uri, topology.DEAD_LETTER_QUEUE) == 2, message="the expired events to be dead-lettered")
    assert waiting(uri, CONFIRMED) == 0

    out = io.StringIO()
    listed = dead_letters.run(uri, out=out)
    assert sorted((entry["queue"], entry["reason"]) for entry in listed) == [
        (CONFIRMED, "expired"), (CONFIRMED.replace("notifications.", "payments."), "expired")]
    assert waiting(uri, topology.DEAD_LETTER_QUEUE) == 2  # listing changes nothing

    chosen = next(entry["number"] for entry in listed if entry["queue"] == CONFIRMED)
    dead_letters.run(uri, replay={chosen}, out=out)
    assert f"replayed into {CONFIRMED}" in out.getvalue()
    assert waiting(uri, topology.DEAD_LETTER_QUEUE) == 1
    assert waiting(uri, CONFIRMED) == 1
