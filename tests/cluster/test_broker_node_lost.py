"""A broker node lost under load: nothing accepted is lost, doubled or parked.

A three-node RabbitMQ cluster of the test's own (``tests.rabbit_cluster``: each node a network
namespace with its own address); the five services run as `nameko run` processes given all
three nodes in ``AMQP_URI``, every queue of the bus a quorum queue. People register through
retrying clients (same Idempotency-Key until answered). During the load node 1, the one every
service connected to first and where the queues' leaders are, is killed with SIGKILL; later it
is started again and rejoins. Then: every accepted registration is in the register once, every
accepted person got exactly one first email, no answer was a 500, and the dead-letter queue is
empty (nothing parked).
"""
import json
import subprocess
import sys
import time
from collections import Counter

import pytest
from kombu import Connection
from nameko.standalone.rpc import ClusterRpcProxy

from tests.cluster import accepted_of, registered_once
from tests.conftest import ROOT, SERVICE_NAMES, ServiceProcess, wait_for
from tests.integration.test_fault_suite import SUBJECTS, delivered
from tests.integration.test_system import published_event
from tests.rabbit_cluster import RabbitCluster, sweep
from tools import topology

PEOPLE = 100
CAPACITY = 70
LOAD_SECONDS = 40
INVOICE = "Faktura FV-"


@pytest.fixture
def rabbit_cluster():
    sweep()
    cluster = RabbitCluster().create()
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.mark.cluster
def test_a_broker_node_killed_under_load_loses_and_doubles_nothing(rabbit_cluster, service_config, smtp_sink,
                                                                   tmp_path):
    from services.common.db import Database
    from services.registrations import store

    config = dict(service_config, AMQP_URI=rabbit_cluster.amqp_uri())
    Database(config["DATABASES"]["registrations"], store.metadata).create_schema("registrations")
    topology.declare(config["AMQP_URI"])
    env = {"EVENT_RETRY_DELAYS": json.dumps([0.5, 1] + [2] * 30), "RPC_TIMEOUT_SECONDS": "5",
           "WEB_RPC_TIMEOUT_SECONDS": "2"}
    processes = {name: ServiceProcess(name, config, **env) for name in SERVICE_NAMES}
    clients = None
    try:
        for process in processes.values():
            process.wait_healthy()
        with ClusterRpcProxy(config, timeout=30) as cluster:
            event = published_event(cluster, capacity=CAPACITY, title="Zákon o odpadech v praxi")
        people = [{"first_name": "Jana", "last_name": f"Zkoušková {n}", "email": f"jana{n}@obec-{n % 13}.example",
                   "organisation_name": f"Obec {n % 13}", "gdpr_consent": True} for n in range(1, PEOPLE + 1)]
        answers = tmp_path / "outcomes.json"
        with open(answers, "w") as out:
            clients = subprocess.Popen([sys.executable, "-m", "tests.retrying_clients"], cwd=ROOT,
                                       stdin=subprocess.PIPE, stdout=out)
        clients.stdin.write(json.dumps({
            "url": f"{processes['registrations'].base}/api/events/{event['id']}/registrations", "people": people,
            "seconds": LOAD_SECONDS, "workers": 16, "give_up_after": 120}).encode())
        clients.stdin.close()

        time.sleep(LOAD_SECONDS / 4)
        killed_at = time.monotonic()
        rabbit_cluster.kill(1)
        time.sleep(LOAD_SECONDS / 3)
        rabbit_cluster.start(1)
        node_back = time.monotonic() - killed_at
        clients.wait(240)
        outcomes = json.loads(answers.read_text())
        load_ended = time.monotonic()
        crashed = {name: p.output()[-3000:] for name, p in processes.items() if p.process.poll() is not None}
        assert not crashed, crashed  # every service rode through on the other nodes

        tries, accepted = accepted_of(outcomes, PEOPLE)

        register = registered_once(config, event["id"], accepted)  # each accepted person once
        status = {r["email"]: r["status"] for r in register}
        assert sum(s == "confirmed" for s in status.values()) == CAPACITY

        def everyone_mailed():
            mailed = {m["To"] for m in smtp_sink.messages() if not m["Subject"].startswith(INVOICE)}
            return mailed >= set(accepted)
        wait_for(everyone_mailed, timeout=180, interval=1, message="a first email to every accepted person")
        every_email_after = time.monotonic() - load_ended
        time.sleep(4)  # a double would come now
        first_emails = Counter(m["To"] for _, m in delivered(smtp_sink) if not m["Subject"].startswith(INVOICE))
        assert set(first_emails) == set(accepted)
        doubled = {person: n for person, n in first_emails.items() if n > 1}
        assert not doubled, doubled
        for _, message in delivered(smtp_sink):
            if message["To"] in status and not message["Subject"].startswith(INVOICE):
                assert message["Subject"].startswith(SUBJECTS[status[message["To"]]])

        with Connection(config["AMQP_URI"]) as connection:
            parked = connection.channel().queue_declare(topology.DEAD_LETTER_QUEUE, passive=True).message_count
        assert parked == 0
        rabbit_cluster.wait_running(2, members=3)  # node 1 rejoined
        figures = {"accepted": len(accepted), "lost": PEOPLE - len(register), "doubled": len(doubled),
                   "500s": tries.get("500", 0), "503s": tries.get("503", 0),
                   "dropped_connections": sum(n for t, n in tries.items() if not t.isdigit()),
                   "requests": sum(tries.values()), "parked": parked, "node_back_after_seconds": round(node_back, 1),
                   "every_email_seconds_after_the_load": round(every_email_after, 1)}
        print("broker node lost:", json.dumps(figures))
    finally:
        if clients is not None and clients.poll() is None:
            clients.kill()
        for process in processes.values():
            process.stop(9)
