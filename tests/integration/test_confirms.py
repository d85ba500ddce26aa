"""Publishing a batch with its confirms in flight together, on the real RabbitMQ."""
import json

import pytest
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from services.common.confirms import ConfirmedPublisher
from tests.conftest import wait_for


@pytest.fixture
def exchange_and_queue(rabbit_config):
    exchange = get_event_exchange("registrations", rabbit_config)
    queue = Queue("test-confirmed", exchange=exchange, routing_key="registration_confirmed", durable=False)
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        queue(connection.default_channel).declare()
        yield exchange, queue, connection


def drain(connection, queue):
    bodies = []
    simple = connection.SimpleQueue(queue)
    while True:
        try:
            message = simple.get(timeout=0.5)
        except simple.Empty:
            return bodies
        bodies.append((message.properties["message_id"], json.loads(message.body)))
        message.ack()


def test_a_batch_is_confirmed_in_order_and_what_no_queue_takes_comes_back(rabbit_config, exchange_and_queue):
    exchange, queue, connection = exchange_and_queue
    publisher = ConfirmedPublisher(rabbit_config["AMQP_URI"], exchange)
    messages = [(n, "registration_confirmed" if n % 3 else "nobody_listens", f"id-{n}",
                 json.dumps({"n": n, "jméno": "Jana"}, ensure_ascii=False)) for n in range(300)]
    try:
        confirmed, unroutable = publisher.publish(messages)
    finally:
        publisher.close()
    assert confirmed == [n for n in range(300) if n % 3]
    assert unroutable == [n for n in range(300) if not n % 3]
    assert drain(connection, queue) == [(f"id-{n}", {"n": n, "jméno": "Jana"}) for n in range(300) if n % 3]


def test_a_connection_the_broker_dropped_fails_one_batch_and_the_next_opens_a_new_one(
        rabbit_config, rabbit_manager, exchange_and_queue):
    exchange, queue, connection = exchange_and_queue
    publisher = ConfirmedPublisher(rabbit_config["AMQP_URI"], exchange)
    try:
        assert publisher.publish([(1, "registration_confirmed", "id-1", '{"n": 1}')]) == ([1], [])
        vhost = rabbit_config["AMQP_URI"].rsplit("/", 1)[1]
        mine = wait_for(lambda: [c["name"] for c in rabbit_manager.get_connections() if c["vhost"] == vhost
                                 and c.get("channels")], message="the publisher's connection")
        for name in mine:  # the test's own consumer connection too: it opens again when used
            rabbit_manager.delete_connection(name)
        outcomes = []
        for n in (2, 3):  # the first meets the dropped connection: told, never silently lost
            try:
                outcomes.append(publisher.publish([(n, "registration_confirmed", f"id-{n}", json.dumps({"n": n}))]))
            except Exception as error:
                outcomes.append(type(error).__name__)
        assert outcomes == ["ConnectionForced", ([3], [])]
    finally:
        publisher.close()
    connection.close()
    with Connection(rabbit_config["AMQP_URI"]) as fresh:
        got = [message_id for message_id, _ in drain(fresh, queue)]
    assert got == ["id-1", "id-3"]
