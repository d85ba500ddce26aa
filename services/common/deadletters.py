"""The dead-letter queue, read and replayed: for `make dead-letters` and the staff console.

An event gets there in two ways: a handler failed on it after its last retry
(``events.py`` parks it with the queue it came from, the number of tries and
the last error), or the broker dead-lettered it (expired or rejected; the
``x-death`` header says from where). A replayed event goes back into the queue
it came from, so only the handler that failed runs again, with a fresh set of
retries; the rest stay in the queue, in their order (they are read without
being acknowledged, and go back when the connection closes).
"""
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import pika

from .events import ATTEMPTS, DEAD_LETTER_QUEUE, LAST_ERROR, PARKED_FROM, QUORUM


def broker_urls(amqp_uri: str) -> list[str]:
    """The nodes of ``AMQP_URI``: one URL, or several separated by ``;`` (a cluster, as kombu reads it)."""
    return [url.strip() for url in amqp_uri.split(";") if url.strip()]


def connection_parameters(amqp_uri: str) -> list[Any]:
    """pika's parameters for each node of ``AMQP_URI``; ``pika.BlockingConnection`` takes the first
    that answers."""
    found = []
    for text in broker_urls(amqp_uri):
        url = urlparse(text)
        found.append(pika.ConnectionParameters(
            host=url.hostname or "127.0.0.1", port=url.port or 5672, virtual_host=url.path[1:] or "/",
            credentials=pika.PlainCredentials(url.username or "guest", url.password or "guest"),
            connection_attempts=1, socket_timeout=5))
    return found


def walk(amqp_uri: str, replay: Callable[[dict[str, Any]], bool] = lambda entry: False) -> list[dict[str, Any]]:
    """Every dead letter as ``{number, queue, reason, attempts, message_id, preview, replayed}``;
    those for which ``replay(entry)`` is true are sent back into their queue."""
    connection = pika.BlockingConnection(connection_parameters(amqp_uri))
    listed: list[dict[str, Any]] = []
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        # as events.py and the topology declare it
        channel.queue_declare(DEAD_LETTER_QUEUE, durable=True, arguments=dict(QUORUM))
        while True:
            method, properties, body = channel.basic_get(DEAD_LETTER_QUEUE, auto_ack=False)
            if method is None:
                break
            queue, reason, attempts = _origin(properties)
            entry = {"number": len(listed) + 1, "queue": queue, "reason": reason, "attempts": attempts,
                     "message_id": properties.message_id, "preview": body[:120].decode(errors="replace"),
                     "replayed": False}
            if replay(entry):
                kept = {name: value for name, value in (properties.headers or {}).items()
                        if not name.startswith("x-")}
                channel.basic_publish("", queue, body, properties=pika.BasicProperties(
                    content_type=properties.content_type, content_encoding=properties.content_encoding,
                    message_id=properties.message_id, headers=kept, delivery_mode=2), mandatory=True)
                channel.basic_ack(method.delivery_tag)
                entry["replayed"] = True
            listed.append(entry)
    finally:
        connection.close()  # the unacknowledged ones go back to the queue
    return listed


def _origin(properties: Any) -> tuple[str, str, int | None]:
    """``(queue it came from, why it is here, tries)``."""
    headers = properties.headers or {}
    if PARKED_FROM in headers:
        return _text(headers[PARKED_FROM]), _text(headers.get(LAST_ERROR, "")), headers.get(ATTEMPTS)
    death = (headers.get("x-death") or [{}])[0]
    return _text(death.get("queue", "")), _text(death.get("reason", "")), None


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
