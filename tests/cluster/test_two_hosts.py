"""An application host lost under load: the other host carries on and publishes the dead one's outbox.

Three "hosts", each a network namespace with its own address on one bridge
(``tests.rabbit_cluster``): a RabbitMQ node of the test's own, and two application hosts A and
B, each running every service as its own `nameko run` processes. The databases are a PostgreSQL
cluster of the test's own (``tests.throwaway_postgres``) listening on the bridge, one database
per service shared by both hosts' replicas, as in production; the SMTP sink listens on the bridge
too. Retrying clients (same Idempotency-Key until answered) alternate between the two hosts'
registrations addresses as a load balancer would, and try the other host after a failure.

During the load host A is cut off entirely, at a moment when some outbox row is claimed by a
relay and not yet published: its network goes down (``ip link set down`` inside it) and every
process in it gets SIGKILL. Then: no answer was a 500, every person was accepted once (the
register holds each accepted person once, with the id they were answered), each got exactly one
first email, nothing is parked, and every outbox row that was unpublished at the cut, the ones
A's relays had claimed included, is published by B's relays once the claim lapses
(``outbox.CLAIM_SECONDS``), with A never coming back.
"""
import json
import subprocess
import sys
import time
from collections import Counter

import psycopg2
import pytest
from kombu import Connection
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.outbox import CLAIM_SECONDS
from tests.cluster import accepted_of, registered_once
from tests.conftest import DATABASE_NAMES, ROOT, SERVICE_NAMES, ServiceProcess, SmtpSink, load_config, wait_for
from tests.integration.test_fault_suite import SUBJECTS, delivered
from tests.integration.test_system import published_event
from tests.rabbit_cluster import RabbitCluster, _kill_namespace, _run, sweep
from tests.throwaway_postgres import ThrowawayCluster
from tools import topology

PEOPLE = 100
CAPACITY = 70
LOAD_SECONDS = 40
INVOICE = "Faktura FV-"
BROKER, HOST_A, HOST_B = 1, 2, 3  # hosts on the bridge: .11, .12, .13
PORTS = {"registrations": 8000, "backoffice": 8001, "members": 8002, "notifications": 8003, "documents": 8004,
         "payments": 8005}  # every host has its own ports: the same on both
OUTBOX_SERVICES = ("members", "registrations", "payments")  # the services that publish through an outbox
# What production PostgreSQL should have (docs/operations.md, "App host lost"): a host that
# vanished without closing its connections must not hold locks or connections for hours.
POSTGRES_SETTINGS = {"max_connections": 400, "idle_in_transaction_session_timeout": "'10s'",
                     "tcp_keepalives_idle": 5, "tcp_keepalives_interval": 2, "tcp_keepalives_count": 3,
                     "tcp_user_timeout": 10000}


class HostedService(ServiceProcess):
    """A `nameko run` process of a service inside one host's namespace, on that host's address."""

    def __init__(self, service, config, namespace, address, **env):
        self.namespace, self.address = namespace, address
        super().__init__(service, config, WEB_SERVER_ADDRESS=f"{address}:{PORTS[service]}",
                         BACKOFFICE_ADDRESS=f"{address}:{PORTS['backoffice']}", **env)
        self.port = PORTS[service]

    def _start(self):
        nameko = f"{sys.prefix}/bin/nameko"
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace, nameko, "run", "--config", "deploy/config.yaml",
             self.PATHS[self.service]], cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)

    @property
    def base(self):
        return f"http://{self.address}:{self.port}"


@pytest.fixture
def bridge():
    """The broker's namespace (a one-node RabbitMQ) and the two application hosts' namespaces."""
    sweep()
    cluster = RabbitCluster(size=1).create()
    try:
        cluster.add_host(HOST_A)
        cluster.add_host(HOST_B)
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def postgres(bridge):
    server = ThrowawayCluster(host=f"{bridge.subnet}.1", clients=f"{bridge.subnet}.0/24",
                              settings=POSTGRES_SETTINGS)
    try:
        yield server.start()
    finally:
        server.remove()


@pytest.fixture
def bridge_smtp_sink(bridge, tmp_path):
    sink = SmtpSink(tmp_path / "mail", host=f"{bridge.subnet}.1")
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


def unpublished(urls):
    """{(service, outbox id): claimed_by} of every outbox row not yet published."""
    rows = {}
    for service in OUTBOX_SERVICES:
        with psycopg2.connect(urls[service]) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT id, claimed_by FROM outbox WHERE published_at IS NULL")
            rows.update({(service, row_id): claimed_by for row_id, claimed_by in cursor.fetchall()})
        connection.close()
    return rows


def cut_off(bridge, n):
    """Host ``n`` is gone: its network down, SIGKILL to every process in it."""
    _run("ip", "netns", "exec", bridge.namespace(n), "ip", "link", "set", bridge.link(n), "down")
    return _kill_namespace(bridge.namespace(n))


@pytest.mark.cluster
def test_an_app_host_cut_off_under_load_loses_and_doubles_nothing(bridge, postgres, bridge_smtp_sink, tmp_path):
    from services.common.db import Database
    from services.registrations import store

    urls = postgres.create_databases(DATABASE_NAMES)
    config = load_config()
    config.pop("LOGGING")
    config.update(AMQP_URI=bridge.amqp_uri(), DATABASES=urls, MAIL_RETRY_DELAYS=[1, 1, 2])
    config["SMTP"] = dict(config["SMTP"], HOST=bridge_smtp_sink.host, PORT=bridge_smtp_sink.port)
    Database(urls["registrations"], store.metadata).create_schema("registrations")
    topology.declare(config["AMQP_URI"])
    env = {"EVENT_RETRY_DELAYS": json.dumps([0.5, 1] + [2] * 30), "RPC_TIMEOUT_SECONDS": "5",
           "WEB_RPC_TIMEOUT_SECONDS": "2", "SMTP_HOST": bridge_smtp_sink.host}
    hosts = {n: {} for n in (HOST_A, HOST_B)}
    clients = None
    try:
        for n, services in hosts.items():  # A first: its replicas run the migrations, B's find them done
            for name in SERVICE_NAMES:
                services[name] = HostedService(name, config, bridge.namespace(n), bridge.address(n), **env)
            for process in services.values():
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
            "urls": [f"{hosts[n]['registrations'].base}/api/events/{event['id']}/registrations"
                     for n in (HOST_A, HOST_B)],
            "people": people, "seconds": LOAD_SECONDS, "workers": 16, "give_up_after": 150}).encode())
        clients.stdin.close()

        time.sleep(LOAD_SECONDS / 4)
        # A goes in stages, as a host often does: first what it sends the broker stalls (an htb
        # class of 8 bit/s for port 5672), so its relays claim rows and cannot publish them; the
        # cut comes once such a claim is held (B's relays settle theirs in milliseconds).
        tc = ["ip", "netns", "exec", bridge.namespace(HOST_A), "tc"]
        link = bridge.link(HOST_A)
        _run(*tc, "qdisc", "add", "dev", link, "root", "handle", "1:", "htb", "default", "10")
        _run(*tc, "class", "add", "dev", link, "parent", "1:", "classid", "1:10", "htb", "rate", "1gbit")
        _run(*tc, "class", "add", "dev", link, "parent", "1:", "classid", "1:20", "htb", "rate", "8bit", "ceil", "8bit")
        _run(*tc, "filter", "add", "dev", link, "parent", "1:", "protocol", "ip", "u32", "match", "ip", "dport",
             "5672", "0xffff", "flowid", "1:20")
        stalled_at = time.monotonic()

        def claim_held():
            first = {row for row, claimed_by in unpublished(urls).items() if claimed_by}
            time.sleep(0.3)
            return first and first & {row for row, claimed_by in unpublished(urls).items() if claimed_by}
        wait_for(claim_held, timeout=15, interval=0.01, message="an outbox row claimed and held by a relay")
        cut_at = time.monotonic()
        stalled_for = cut_at - stalled_at
        killed = cut_off(bridge, HOST_A)
        left_at_cut = unpublished(urls)
        time.sleep(2)  # B's relays settle their own claims in milliseconds; what is still claimed is A's
        still = unpublished(urls)
        orphaned = {row for row, claimed_by in still.items() if claimed_by and row in left_at_cut}
        assert orphaned, (left_at_cut, still)  # the cut caught A's relays holding rows

        def outbox_taken_over():
            return not (set(left_at_cut) & set(unpublished(urls)))
        wait_for(outbox_taken_over, timeout=CLAIM_SECONDS + 30, interval=0.2,
                 message="every outbox row left at the cut published by host B")
        outbox_after = time.monotonic() - cut_at

        clients.wait(240)
        outcomes = json.loads(answers.read_text())
        load_ended = time.monotonic()
        crashed = {f"{name}@B": p.output()[-3000:] for name, p in hosts[HOST_B].items() if p.process.poll() is not None}
        assert not crashed, crashed  # host B carried on

        tries, accepted = accepted_of(outcomes, PEOPLE)

        register = registered_once(config, event["id"], accepted)  # each accepted person once
        status = {r["email"]: r["status"] for r in register}
        assert sum(s == "confirmed" for s in status.values()) == CAPACITY

        def everyone_mailed():
            mailed = {m["To"] for m in bridge_smtp_sink.messages() if not m["Subject"].startswith(INVOICE)}
            return mailed >= set(accepted)
        wait_for(everyone_mailed, timeout=120, interval=1, message="a first email to every accepted person")
        every_email_after = time.monotonic() - load_ended
        every_email_after_cut = time.monotonic() - cut_at
        time.sleep(4)  # a double would come now
        first_emails = Counter(m["To"] for _, m in delivered(bridge_smtp_sink)
                               if not m["Subject"].startswith(INVOICE))
        assert set(first_emails) == set(accepted)
        doubled = {person: n for person, n in first_emails.items() if n > 1}
        assert not doubled, doubled
        for _, message in delivered(bridge_smtp_sink):
            if message["To"] in status and not message["Subject"].startswith(INVOICE):
                assert message["Subject"].startswith(SUBJECTS[status[message["To"]]])

        assert not unpublished(urls)  # nothing waits for host A to come back
        with Connection(config["AMQP_URI"]) as connection:
            parked = connection.channel().queue_declare(topology.DEAD_LETTER_QUEUE, passive=True).message_count
        assert parked == 0
        figures = {"accepted": len(accepted), "lost": PEOPLE - len(register), "doubled": len(doubled),
                   "500s": tries.get("500", 0), "503s": tries.get("503", 0),
                   "dropped_connections": sum(n for t, n in tries.items() if not t.isdigit()),
                   "requests": sum(tries.values()), "parked": parked, "processes_killed": killed,
                   "broker_stalled_before_the_cut_seconds": round(stalled_for, 1),
                   "outbox_unpublished_at_cut": len(left_at_cut), "outbox_claimed_by_dead_host": len(orphaned),
                   "outbox_published_by_survivor_after_seconds": round(outbox_after, 1),
                   "every_email_seconds_after_the_load": round(every_email_after, 1),
                   "every_email_seconds_after_the_cut": round(every_email_after_cut, 1)}
        print("app host lost:", json.dumps(figures))
    finally:
        if clients is not None and clients.poll() is None:
            clients.kill()
        for services in hosts.values():
            for process in services.values():
                process.stop(9)
