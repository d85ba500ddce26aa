"""What quorum queues cost a registration, next to classic queues, in the same run.

On the local RabbitMQ node, in a scratch vhost made for the run and deleted after it: the
broker's part of one registration, done as the services do it, once on classic queues and once
on quorum queues. A registration's broker work is its ``registration_confirmed`` event published
with a publisher confirm (``services.common.confirms``, the outbox's publisher) into the two
queues bound for it (notifications, payments), each copy consumed and acknowledged, and one
RPC request (the ticket from documents) published with a confirm, consumed and acknowledged.
Rounds of ``per_round`` registrations alternate between the two kinds; medians and their ratio.
One node: the quorum queues' replicas are one, so this is their own cost (a write-ahead log,
fsync before the confirm), not the network's; on three nodes a confirm also waits for a second
node's log.
"""
import json
import secrets
import statistics
import time
from urllib.parse import quote

import requests
from amqp import Message
from kombu import Connection, Exchange

from services.common.confirms import ConfirmedPublisher

API = "http://127.0.0.1:15672/api"
AUTH = ("guest", "guest")
KINDS = {"classic": {}, "quorum": {"x-queue-type": "quorum"}}
EVENT = json.dumps({"message_id": "m", "registration": {"id": 1, "first_name": "Jana", "last_name": "Nováková",
                                                         "email": "jana@obec.example", "note": "x" * 600},
                    "event": {"id": 1, "title": "Zákon o odpadech v praxi", "venue": "Plzeň"}})


def scratch_vhost():
    name = f"bench_quorum_{secrets.token_hex(4)}"
    requests.put(f"{API}/vhosts/{name}", auth=AUTH, timeout=10).raise_for_status()
    requests.put(f"{API}/permissions/{name}/guest", auth=AUTH, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    return name


def one_round(uri, kind, count):
    exchange = Exchange(f"{kind}.events", type="topic", durable=True)
    publisher = ConfirmedPublisher(uri, exchange)
    with Connection(uri) as connection:
        channel = connection.channel()
        queues = [f"{kind}-evt-{consumer}" for consumer in ("notifications", "payments")]
        for queue in queues + [f"{kind}-rpc-documents"]:
            channel.queue_declare(queue, durable=True, auto_delete=False, arguments=KINDS[kind])
        exchange(channel).declare()
        for queue in queues:
            channel.queue_bind(queue, exchange.name, routing_key="registration_confirmed")
        rpc = Connection(uri)
        rpc_channel = rpc.channel()
        rpc_channel.confirm_select()
        started = time.perf_counter()
        for n in range(count):
            confirmed, _ = publisher.publish([(n, "registration_confirmed", f"m{n}", EVENT)])
            assert confirmed == [n]
            rpc_channel.basic_publish(Message(b'{"args": [1]}', delivery_mode=2), exchange="",
                                      routing_key=f"{kind}-rpc-documents")  # waits for its confirm
            for queue in queues + [f"{kind}-rpc-documents"]:
                message = channel.basic_get(queue)
                channel.basic_ack(message.delivery_tag)
        elapsed = time.perf_counter() - started
        rpc.release()
    publisher.close()
    return elapsed / count * 1000


def measure(rounds=5, per_round=300):
    vhost = scratch_vhost()
    uri = f"pyamqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}"
    times = {kind: [] for kind in KINDS}
    try:
        for kind in KINDS:
            one_round(uri, kind, 20)  # warm up
        for _ in range(rounds):
            for kind in KINDS:
                times[kind].append(one_round(uri, kind, per_round))
    finally:
        requests.delete(f"{API}/vhosts/{vhost}", auth=AUTH, timeout=30)
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    return {"ms_per_registration": {kind: round(value, 3) for kind, value in medians.items()},
            "rounds_ms": {kind: [round(v, 3) for v in values] for kind, values in times.items()},
            "quorum_over_classic": round(medians["quorum"] / medians["classic"], 2),
            "registrations_per_round": per_round}


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
