"""`make dead-letters`: list dead-lettered messages, and replay chosen ones.

    python -m tools.dead_letters                 # list
    python -m tools.dead_letters --replay 1 3    # replay messages 1 and 3 of the list

A replayed message goes back to the exchange and routing key it was first
published to (from its x-death header); the rest stay in the queue.
"""
import argparse
import json
import os
import sys

import pika

from tools.topology import DEAD_LETTER_QUEUE, connection_parameters


def _origin(properties):
    deaths = (properties.headers or {}).get("x-death") or [{}]
    death = deaths[0]
    keys = death.get("routing-keys") or [""]
    return death.get("exchange", ""), keys[0], death.get("queue", ""), death.get("reason", "")


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
            exchange, routing_key, queue, reason = _origin(properties)
            number = len(held)
            listed.append({"number": number, "exchange": exchange, "routing_key": routing_key, "queue": queue,
                           "reason": reason, "message_id": properties.message_id})
            preview = body[:120].decode(errors="replace")
            print(f"{number:>3}  {exchange}/{routing_key}  from {queue} ({reason})  {preview}",
                  file=out)
            if number in replay:
                channel.basic_publish(exchange, routing_key, body, properties=pika.BasicProperties(
                    content_type=properties.content_type, content_encoding=properties.content_encoding,
                    message_id=properties.message_id, delivery_mode=2), mandatory=True)
                channel.basic_ack(method.delivery_tag)
                print(f"     replayed to {exchange}/{routing_key}", file=out)
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
