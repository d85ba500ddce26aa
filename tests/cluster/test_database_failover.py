"""The database primary lost under load: the standby is promoted and nothing accepted is lost.

A PostgreSQL 15 primary and its synchronous streaming standby of the test's own
(``tests.postgres_pair``: each server a network namespace with its own address); every
service's database is on the primary, and the services (five `nameko run` processes) are given
both hosts with ``target_session_attrs=read-write``. People register through retrying clients
(same Idempotency-Key until answered). During the load the primary's server is killed with
SIGKILL (every process of its "host"); a few seconds later the standby is promoted
(``pg_ctl promote``, as the operator or the failover manager does), and the services find it
by themselves. Then: every accepted registration is in the register once, every accepted
person got exactly one first email and each confirmed one exactly one invoice (numbers
without a gap), no answer was a 500, nothing is parked, and the first registration after the
kill was accepted within a stated time.
"""
import json
import re
import subprocess
import sys
import time
from collections import Counter

import pytest
import requests
from kombu import Connection
from nameko.standalone.rpc import ClusterRpcProxy

from tests.cluster import accepted_of, registered_once
from tests.conftest import DATABASE_NAMES, ROOT, SERVICE_NAMES, ServiceProcess, wait_for
from tests.integration.test_fault_suite import SUBJECTS, delivered
from tests.integration.test_system import published_event
from tests.postgres_pair import PostgresPair, sweep
from tools import topology

PEOPLE = 100
CAPACITY = 70
LOAD_SECONDS = 40
KILL_AFTER = LOAD_SECONDS / 4
PROMOTE_AFTER = 5  # seconds from the kill: the failover manager's (or the operator's) part
RESUMED_WITHIN = PROMOTE_AFTER + 10  # the services' own part: a few seconds after the promotion
INVOICE = "Faktura FV-"


@pytest.fixture
def postgres_pair():
    sweep()
    pair = PostgresPair().create(databases=[f"smopk_{name}" for name in DATABASE_NAMES])
    try:
        yield pair
    finally:
        pair.close()


@pytest.mark.cluster
def test_the_database_primary_killed_under_load_loses_and_doubles_nothing(postgres_pair, service_config, smtp_sink,
                                                                           tmp_path):
    from services.common.db import Database
    from services.registrations import store

    config = dict(service_config, DATABASES={name: postgres_pair.url(f"smopk_{name}") for name in DATABASE_NAMES})
    schema = Database(config["DATABASES"]["registrations"], store.metadata)
    schema.create_schema("registrations")
    schema.dispose()
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
        assert [sync for _, _, sync in postgres_pair.replication()] == ["sync"]
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

        time.sleep(KILL_AFTER)
        killed_at = time.time()
        postgres_pair.kill_primary()
        time.sleep(max(0.0, killed_at + PROMOTE_AFTER - time.time()))
        postgres_pair.promote()
        promoted_at = time.time()
        assert not postgres_pair.in_recovery(postgres_pair.standby)
        clients.wait(240)
        outcomes = json.loads(answers.read_text())
        load_ended = time.monotonic()
        crashed = {name: p.output()[-3000:] for name, p in processes.items() if p.process.poll() is not None}
        assert not crashed, crashed  # every service rode through and found the new primary
        assert requests.get(f"{processes['registrations'].base}/health", timeout=5).status_code == 200

        tries, accepted = accepted_of(outcomes, PEOPLE)
        after_the_kill = [o["answered_at"] for o in outcomes if o["status"] == 201 and o["last_try_at"] > killed_at]
        assert after_the_kill, "no registration was tried after the kill"
        resumed_after = min(after_the_kill) - killed_at
        assert resumed_after <= RESUMED_WITHIN, resumed_after

        register = registered_once(config, event["id"], accepted)  # each accepted person once
        status = {r["email"]: r["status"] for r in register}
        assert all(status[email] == answer["status"] for email, answer in accepted.items())
        confirmed = sorted(r["email"] for r in register if r["status"] == "confirmed")
        assert len(confirmed) == CAPACITY
        places = sorted(r["waitlist_position"] for r in register if r["status"] == "waitlisted")
        assert places == list(range(1, PEOPLE - CAPACITY + 1))

        def everyone_mailed():
            mails = smtp_sink.messages()
            return ({m["To"] for m in mails if not m["Subject"].startswith(INVOICE)} >= set(accepted)
                    and sum(m["Subject"].startswith(INVOICE) for m in mails) >= CAPACITY)
        wait_for(everyone_mailed, timeout=180, interval=1, message="a first email and an invoice to every one due")
        every_email_after = time.monotonic() - load_ended
        time.sleep(4)  # a double would come now
        copies = [message for _, message in delivered(smtp_sink)]
        first_emails = Counter(m["To"] for m in copies if not m["Subject"].startswith(INVOICE))
        invoices = Counter(m["To"] for m in copies if m["Subject"].startswith(INVOICE))
        assert set(first_emails) == set(accepted)
        doubled = {f"{person} ({what})": n for what, emails in (("first email", first_emails), ("invoice", invoices))
                   for person, n in emails.items() if n > 1}
        assert not doubled, doubled
        for message in copies:
            if not message["Subject"].startswith(INVOICE):
                assert message["Subject"].startswith(SUBJECTS[status[message["To"]]])
        assert sorted(invoices) == confirmed
        numbers = sorted(int(m["Subject"].split(":")[0].split()[-1].rsplit("-", 1)[1])
                         for m in copies if m["Subject"].startswith(INVOICE))
        assert numbers == list(range(1, CAPACITY + 1))  # the promoted primary's numbering goes on, no gap

        with Connection(config["AMQP_URI"]) as connection:
            parked = connection.channel().queue_declare(topology.DEAD_LETTER_QUEUE, passive=True).message_count
        assert parked == 0

        seen = {name: _database_lines(p.output()) for name, p in processes.items()}
        print("database failover, what the services logged:", json.dumps(seen, ensure_ascii=False, indent=1))
        figures = {"accepted": len(accepted), "lost": PEOPLE - len(register), "doubled": len(doubled),
                   "500s": tries.get("500", 0), "503s": tries.get("503", 0),
                   "dropped_connections": sum(n for t, n in tries.items() if not t.isdigit()),
                   "requests": sum(tries.values()), "parked": parked,
                   "promoted_seconds_after_the_kill": round(promoted_at - killed_at, 1),
                   "first_registration_seconds_after_the_kill": round(resumed_after, 1),
                   "first_registration_seconds_after_the_promotion": round(killed_at + resumed_after - promoted_at, 1),
                   "every_email_seconds_after_the_load": round(every_email_after, 1)}
        print("database primary lost:", json.dumps(figures))
    finally:
        if clients is not None and clients.poll() is None:
            clients.kill()
        for process in processes.values():
            process.stop(9)


def _database_lines(output, limit=5):
    """The distinct log records a service wrote about the database (numbers blurred), for the
    operations guide's "what it looks like"."""
    found = []
    for line in output.splitlines():
        if re.match(r"\d{4}-\d\d-\d\d ", line) and re.search(r"database|Operational|read-only|refused", line):
            shape = re.sub(r"\d+", "N", line.split(" ", 2)[-1])[:240]
            if shape not in found:
                found.append(shape)
    return found[:limit]
