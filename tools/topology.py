"""Declare the bus before any service starts, so that no event is published into nothing.

    python -m tools.topology [--amqp-uri URI] [--policy]

Declares, with pika: each service's events exchange; a durable queue for every
event handler, named and shaped exactly as nameko declares it (so the services'
own declarations agree); and the dead-letter exchange and queue. With
``--policy`` it also sets, through the management API, the policy that
dead-letters what the event queues reject or expire. Safe to run again.
"""
import argparse
import inspect
import os
import sys
from urllib.parse import quote, urlparse

import pika
from nameko.events import SERVICE_POOL, EventHandler
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.common.deadletters import connection_parameters
from services.common.events import DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE
from services.documents.service import DocumentsService
from services.members.service import MembersService
from services.notifications.service import NotificationsService
from services.payments.service import PaymentsService
from services.registrations.service import RegistrationsService

SERVICES = (MembersService, RegistrationsService, NotificationsService, DocumentsService, PaymentsService)


def event_queues(services=SERVICES):
    """``(queue, source exchange, event type)`` for every event handler of the services."""
    found = []
    for service in services:
        for method_name, method in inspect.getmembers(service, inspect.isfunction):
            for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
                if isinstance(entrypoint, EventHandler) and entrypoint.handler_type is SERVICE_POOL:
                    queue = f"evt-{entrypoint.source_service}-{entrypoint.event_type}--{service.name}.{method_name}"
                    found.append((queue, f"{entrypoint.source_service}.events", entrypoint.event_type))
    return sorted(found)


def declare(amqp_uri):
    """Declare everything; returns the names of the event queues."""
    queues = event_queues()
    connection = pika.BlockingConnection(connection_parameters(amqp_uri))
    try:
        channel = connection.channel()
        sources = {"registrations.events", "members.events", "payments.events"}
        for exchange in sorted({exchange for _, exchange, _ in queues} | sources):
            channel.exchange_declare(exchange, exchange_type="topic", durable=True, auto_delete=False)
        for queue, exchange, event_type in queues:
            channel.queue_declare(queue, durable=True, auto_delete=False, exclusive=False)
            channel.queue_bind(queue, exchange, routing_key=event_type)
        channel.exchange_declare(DEAD_LETTER_EXCHANGE, exchange_type="fanout", durable=True)
        channel.queue_declare(DEAD_LETTER_QUEUE, durable=True)
        channel.queue_bind(DEAD_LETTER_QUEUE, DEAD_LETTER_EXCHANGE)
    finally:
        connection.close()
    return [queue for queue, _, _ in queues]


def set_dead_letter_policy(amqp_uri, api=None):
    """Dead-letter what the event queues reject or expire (a policy: the queues' own arguments
    stay as nameko declares them)."""
    import requests
    url = urlparse(amqp_uri)
    api = api or os.environ.get("RABBIT_API", f"http://{url.hostname or '127.0.0.1'}:15672/api")
    vhost = quote(url.path[1:] or "/", safe="")
    answer = requests.put(f"{api}/policies/{vhost}/dead-letter-events", timeout=10,
                          auth=(url.username or "guest", url.password or "guest"),
                          json={"pattern": "^evt-", "apply-to": "queues", "priority": 0,
                                "definition": {"dead-letter-exchange": DEAD_LETTER_EXCHANGE}})
    answer.raise_for_status()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--policy", action="store_true", help="also set the dead-letter policy (management API)")
    args = parser.parse_args()
    queues = declare(args.amqp_uri)
    if args.policy:
        set_dead_letter_policy(args.amqp_uri)
    print(f"Declared {len(queues)} event queues and the dead-letter queue.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
