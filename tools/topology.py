"""Declare the bus before any service starts, so that no event is published into nothing.

    python -m tools.topology [--amqp-uri URI] [--policy]

Declares, with pika: each service's events exchange; a durable queue for every
event handler, named and shaped exactly as nameko declares it (so the services'
own declarations agree), bound to its exchange (the console unbinds those of the
webhook events no webhook chose, ``services/backoffice/bindings.py``); the retry
queues of ``EVENT_RETRY_DELAYS``; and the dead-letter exchange and queue. Every
one of these queues is a quorum queue, and so is each service's RPC request queue,
which the service declares itself when it starts (declared before, a call to a
service that never started would wait out its timeout in the queue rather than
fail at once as unroutable). With ``--policy`` it also sets, through the
management API, the policy that dead-letters what the event queues reject or
expire. Safe to run again.

A machine that ran an older version has these queues as classic queues, and a
queue's type cannot change in place (declaring it again as a quorum queue is
refused, PRECONDITION_FAILED). Each such queue that is empty and has no consumer
(the services stopped) is deleted and declared again as a quorum queue; one that
still holds messages is left alone and named, and the command fails: start the
old services until it is empty (a retry queue empties by itself within its
delay), stop them, run it again (docs/operations.md, "Upgrading to quorum queues").
"""
import argparse
import inspect
import os
import sys
from urllib.parse import quote, urlparse

import pika
import pika.exceptions
from nameko.events import SERVICE_POOL, EventHandler
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import Rpc

from services.backoffice.service import BackofficeService
from services.common.deadletters import broker_urls, connection_parameters
from services.common.events import (
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    QUORUM,
    dead_letter_queue,
    retry_queue,
)
from services.common.settings import setting
from services.documents.service import DocumentsService
from services.members.service import MembersService
from services.notifications.service import NotificationsService
from services.payments.service import PaymentsService
from services.registrations.service import RegistrationsService

SERVICES = (MembersService, RegistrationsService, NotificationsService, DocumentsService, PaymentsService)
# The console answers RPC too (its queue is moved with the others'), and handles the events its
# webhooks deliver (``backoffice.integrations``).
ANSWERING_RPC = SERVICES + (BackofficeService,)
HANDLING_EVENTS = SERVICES + (BackofficeService,)
PRECONDITION_FAILED = 406
NOT_FOUND = 404


class ClassicQueueInTheWay(Exception):
    """A classic queue that still holds messages has the name of a quorum queue to declare."""


def event_queues(services=HANDLING_EVENTS):
    """``(queue, source exchange, event type)`` for every event handler of the services."""
    found = []
    for service in services:
        for method_name, method in inspect.getmembers(service, inspect.isfunction):
            for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
                if isinstance(entrypoint, EventHandler) and entrypoint.handler_type is SERVICE_POOL:
                    queue = f"evt-{entrypoint.source_service}-{entrypoint.event_type}--{service.name}.{method_name}"
                    found.append((queue, f"{entrypoint.source_service}.events", entrypoint.event_type))
    return sorted(found)


def rpc_queues(services=SERVICES):
    """``(queue, routing key)`` of every service that answers RPC, as nameko names them."""
    found = []
    for service in services:
        if any(isinstance(entrypoint, Rpc) for _, method in inspect.getmembers(service, inspect.isfunction)
               for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ())):
            found.append((f"rpc-{service.name}", f"{service.name}.*"))
    return sorted(found)


def retry_delays():
    """The delays the services retry failed events with (``EVENT_RETRY_DELAYS``, as configured)."""
    import yaml

    configured = os.environ.get("EVENT_RETRY_DELAYS")
    config = {"EVENT_RETRY_DELAYS": yaml.safe_load(configured)} if configured else {}
    return [float(delay) for delay in setting(config, "EVENT_RETRY_DELAYS", blank_is_default=True)]


def declare(amqp_uri, delays=None):
    """Declare everything, moving empty classic queues over to quorum queues; returns the names of
    the event queues. ``ClassicQueueInTheWay`` names the classic queues that still hold messages."""
    queues = event_queues()
    connection = pika.BlockingConnection(connection_parameters(amqp_uri))
    in_the_way = []
    try:
        channel = connection.channel()

        def quorum_queue(name, arguments):
            nonlocal channel
            try:
                channel.queue_declare(name, durable=True, auto_delete=False, exclusive=False, arguments=arguments)
                return True
            except pika.exceptions.ChannelClosedByBroker as refused:
                if refused.reply_code != PRECONDITION_FAILED:
                    raise
            channel = connection.channel()  # the refusal closed the channel
            try:
                channel.queue_delete(name, if_empty=True, if_unused=True)
            except pika.exceptions.ChannelClosedByBroker as refused:
                if refused.reply_code != PRECONDITION_FAILED:
                    raise
                channel = connection.channel()
                in_the_way.append(name)
                return False
            channel.queue_declare(name, durable=True, auto_delete=False, exclusive=False, arguments=arguments)
            print(f"Moved the empty classic queue {name} to a quorum queue.")
            return True

        def exists(name):
            nonlocal channel
            try:
                channel.queue_declare(name, passive=True)
                return True
            except pika.exceptions.ChannelClosedByBroker as refused:
                if refused.reply_code != NOT_FOUND:
                    raise
                channel = connection.channel()
                return False

        sources = {"registrations.events", "members.events", "payments.events"}
        for exchange in sorted({exchange for _, exchange, _ in queues} | sources):
            channel.exchange_declare(exchange, exchange_type="topic", durable=True, auto_delete=False)
        for queue, exchange, event_type in queues:
            if quorum_queue(queue, dict(QUORUM)):
                channel.queue_bind(queue, exchange, routing_key=event_type)
        # A service declares its own RPC queue (a quorum queue, services/common/rpc.py) when it
        # starts: declared here, a call to a service never started would wait its whole timeout in
        # the queue instead of failing at once as unroutable. An old classic one is moved out of
        # the way (when empty), so that the service can declare it again.
        channel.exchange_declare("nameko-rpc", exchange_type="topic", durable=True, auto_delete=False)
        for queue, _ in rpc_queues(ANSWERING_RPC):
            if exists(queue):
                quorum_queue(queue, dict(QUORUM))
        for delay in retry_delays() if delays is None else delays:
            exchange, retry = retry_queue(delay)
            channel.exchange_declare(exchange.name, exchange_type="fanout", durable=True, auto_delete=False)
            if quorum_queue(retry.name, retry.queue_arguments):
                channel.queue_bind(retry.name, exchange.name)
        exchange, dead_letters = dead_letter_queue()
        channel.exchange_declare(DEAD_LETTER_EXCHANGE, exchange_type="fanout", durable=True)
        if quorum_queue(DEAD_LETTER_QUEUE, dead_letters.queue_arguments):
            channel.queue_bind(DEAD_LETTER_QUEUE, DEAD_LETTER_EXCHANGE)
    finally:
        connection.close()
    if in_the_way:
        raise ClassicQueueInTheWay(
            "These classic queues still hold messages and cannot become quorum queues yet: "
            + ", ".join(in_the_way) + ". Let the old services empty them (a retry queue empties by itself "
            "within its delay; `make dead-letters` lists the dead letters), stop the services and run this again "
            "(docs/operations.md, \"Upgrading to quorum queues\").")
    return [queue for queue, _, _ in queues]


def set_dead_letter_policy(amqp_uri, api=None):
    """Dead-letter what the event queues reject or expire (a policy: the queues' own arguments
    stay as nameko declares them), at least once: a message leaves its queue only once the
    dead-letter queue has it. A policy belongs to the whole cluster: the first node that
    answers takes it."""
    import requests

    failure = None
    for text in broker_urls(amqp_uri):
        url = urlparse(text)
        node_api = api or os.environ.get("RABBIT_API", f"http://{url.hostname or '127.0.0.1'}:15672/api")
        vhost = quote(url.path[1:] or "/", safe="")
        try:
            answer = requests.put(f"{node_api}/policies/{vhost}/dead-letter-events", timeout=10,
                                  auth=(url.username or "guest", url.password or "guest"),
                                  json={"pattern": "^evt-", "apply-to": "queues", "priority": 0,
                                        "definition": DEAD_LETTER_POLICY})
            answer.raise_for_status()
            return
        except requests.RequestException as error:
            failure = error
    assert failure is not None
    raise failure


DEAD_LETTER_POLICY = {"dead-letter-exchange": DEAD_LETTER_EXCHANGE, "dead-letter-strategy": "at-least-once",
                      "overflow": "reject-publish"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--policy", action="store_true", help="also set the dead-letter policy (management API)")
    args = parser.parse_args()
    try:
        queues = declare(args.amqp_uri)
    except ClassicQueueInTheWay as error:
        print(error, file=sys.stderr)
        return 1
    if args.policy:
        set_dead_letter_policy(args.amqp_uri)
    print(f"Declared {len(queues)} event queues, the RPC and retry queues and the dead-letter queue "
          "(all quorum queues).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
