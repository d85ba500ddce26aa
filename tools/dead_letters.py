"""`make dead-letters`: list dead-lettered messages, and replay chosen ones.

    python -m tools.dead_letters                 # list
    python -m tools.dead_letters --replay 1 3    # replay messages 1 and 3 of the list

A message gets here in two ways: a handler failed on it after its last retry
(``services/common/events.py`` parks it with the queue it came from, the
number of tries and the last error), or the broker dead-lettered it (expired
or rejected; the ``x-death`` header says from where). A replayed message goes
back into the queue it came from, so only the handler that failed runs again,
with a fresh set of retries; the rest stay in the queue.
"""
import argparse
import json
import os
import sys

import pika

from services.common.events import ATTEMPTS, DEAD_LETTER_QUEUE, LAST_ERROR, PARKED_FROM
from tools.topology import connection_parameters


def _origin(properties):
    """``(queue it came from, why it is here, tries)``."""
    headers = properties.headers or {}
    if PARKED_FROM in headers:
        return _text(headers[PARKED_FROM]), _text(headers.get(LAST_ERROR, "")), headers.get(ATTEMPTS)
    death = (headers.get("x-death") or [{}])[0]
    return _text(death.get("queue", "")), _text(death.get("reason", "")), None


def _text(value):
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def run(amqp_uri, replay=(), out=sys.stdout):
    """List the dead letters (numbered from 1); replay the numbers in ``replay``. Returns the list."""
    connection = pika.BlockingConnection(connection_parameters(amqp_uri))
    listed = []
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        held = []
        while True:
            method, properties, body = channel.basic_get(DEAD_LETTER_QUEUE, auto_ack=False)
            if method is None:
                break
            held.append(method.delivery_tag)
            queue, reason, attempts = _origin(properties)
            number = len(held)
            listed.append({"number": number, "queue": queue, "reason": reason, "attempts": attempts,
                           "message_id": properties.message_id})
            preview = body[:120].decode(errors="replace")
            tries = f", {attempts} tries" if attempts else ""
            print(f"{number:>3}  from {queue} ({reason}{tries})  {preview}", file=out)
            if number in replay:
                kept = {name: value for name, value in (properties.headers or {}).items()
                        if not name.startswith("x-")}
                channel.basic_publish("", queue, body, properties=pika.BasicProperties(
                    content_type=properties.content_type, content_encoding=properties.content_encoding,
                    message_id=properties.message_id, headers=kept, delivery_mode=2), mandatory=True)
                channel.basic_ack(method.delivery_tag)
                print(f"     replayed into {queue}", file=out)
        if not listed:
            print("No dead letters.", file=out)
    finally:
        connection.close()  # unacknowledged ones go back to the queue
    return listed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/"))
    parser.add_argument("--replay", type=int, nargs="*", default=[], help="numbers from the list to replay")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    listed = run(args.amqp_uri, set(args.replay))
    if args.json:
        print(json.dumps(listed, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
