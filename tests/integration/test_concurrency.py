"""The rules under real concurrency: two registrations processes, real OS threads
sending HTTP requests, the real database; and a process killed between its
commit and its publish."""
import json
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.db import Database
from services.registrations import store
from tests.conftest import ROOT
from tests.integration.test_system import seminar


@pytest.fixture
def replicas(service_processes):
    """Registrations processes, each answering HTTP on a port of its own."""
    return lambda **env: service_processes("registrations", **env).wait_healthy()


def load(requests, workers=32):
    done = subprocess.run([sys.executable, "-m", "tests.load"], cwd=ROOT, capture_output=True, text=True, check=True,
                          input=json.dumps({"workers": workers, "requests": requests}), timeout=300)
    return json.loads(done.stdout)


def person(n):
    return {"first_name": "Jana", "last_name": f"Souběžná {n}", "email": f"jana{n}@obec.example",
            "organisation_name": "Obec Chotěšov", "gdpr_consent": True}


def test_200_at_once_into_20_seats_on_two_processes(service_config, replicas):
    a, b = replicas(), replicas()
    with ClusterRpcProxy(service_config, timeout=30) as cluster:
        event = cluster.registrations.create_event(seminar(capacity=20))
        cluster.registrations.publish_event(event["id"])
        answers = load([{"method": "POST", "url": f"{(a, b)[n % 2].base}/api/events/{event['id']}/registrations",
                         "json": person(n)} for n in range(200)])
        assert Counter(answer["status"] for answer in answers) == {201: 200}
        assert Counter(answer["body"]["status"] for answer in answers) == {"confirmed": 20, "waitlisted": 180}
        positions = sorted(answer["body"]["waitlist_position"] for answer in answers
                           if answer["body"]["status"] == "waitlisted")
        assert positions == list(range(1, 181))
        stats = cluster.registrations.event_stats(event["id"])
        assert (stats["confirmed"], stats["waitlisted"], stats["seats_left"]) == (20, 180, 0)

        # Concurrent cancellations: each freed seat promotes exactly one, the first ones in line.
        confirmed = [answer["body"] for answer in answers if answer["body"]["status"] == "confirmed"]
        first_in_line = {answer["body"]["id"] for answer in answers
                         if answer["body"]["status"] == "waitlisted" and answer["body"]["waitlist_position"] <= 10}
        cancels = load([{"method": "POST", "url": f"{(a, b)[n % 2].base}/api/registrations/{r['token']}/cancel"}
                        for n, r in enumerate(confirmed[:10])], workers=10)
        assert Counter(answer["status"] for answer in cancels) == {200: 10}
        now_confirmed = {r["id"] for r in cluster.registrations.list_registrations(event["id"], "confirmed")}
        assert len(now_confirmed) == 20
        assert now_confirmed == {r["id"] for r in confirmed[10:]} | first_in_line
        waiting = cluster.registrations.list_registrations(event["id"], "waitlisted")
        assert sorted(r["waitlist_position"] for r in waiting) == list(range(1, 171))


def test_limits_and_idempotency_hold_under_concurrency(service_config, replicas):
    a, b = replicas(), replicas()
    with ClusterRpcProxy(service_config, timeout=30) as cluster:
        event = cluster.registrations.create_event(seminar(capacity=50, max_per_organisation=3))
        cluster.registrations.publish_event(event["id"])
    url = f"/api/events/{event['id']}/registrations"
    same_town = load([{"method": "POST", "url": f"{(a, b)[n % 2].base}{url}",
                       "json": dict(person(n), organisation_ico="00075370", organisation_name="Plzeň")}
                      for n in range(12)], workers=12)
    assert Counter(answer["status"] for answer in same_town) == {201: 3, 409: 9}
    assert {answer["body"]["error"] for answer in same_town if answer["status"] == 409} == {
        "organisation_limit_reached"}

    retried = load([{"method": "POST", "url": f"{(a, b)[n % 2].base}{url}", "json": person(100),
                     "headers": {"Idempotency-Key": "retry-100"}} for n in range(10)], workers=10)
    assert {answer["status"] for answer in retried} == {201}
    assert len({json.dumps(answer["body"], sort_keys=True) for answer in retried}) == 1
    with ClusterRpcProxy(service_config, timeout=30) as cluster:
        assert cluster.registrations.event_stats(event["id"])["confirmed"] == 4


def test_a_process_killed_after_its_commit_publishes_the_event_after_restart(service_config, replicas):
    with Connection(service_config["AMQP_URI"]) as connection:
        exchange = Exchange("registrations.events", type="topic", durable=True)
        watch = Queue("test-watch-confirmed", exchange=exchange, routing_key="registration_confirmed")
        watch(connection).declare()

        silent = replicas(OUTBOX_RELAY="false")  # commits, never publishes: the crash window held open
        with ClusterRpcProxy(service_config, timeout=30) as cluster:
            event = cluster.registrations.create_event(seminar(capacity=5))
            cluster.registrations.publish_event(event["id"])
            registration = cluster.registrations.register(event["id"], person(1))
        silent.stop(signal.SIGKILL)
        assert _unpublished(service_config) == 1

        replicas()  # the restart
        received = []
        deadline = time.monotonic() + 20
        with connection.Consumer(watch, callbacks=[lambda body, message: (received.append(body), message.ack())]):
            while time.monotonic() < deadline and (not received or time.monotonic() < deadline - 17):
                try:
                    connection.drain_events(timeout=0.5)
                except TimeoutError:
                    pass
        assert [body["registration"]["id"] for body in received] == [registration["id"]]
        assert _unpublished(service_config) == 0


def test_reminders_are_emitted_once_with_two_replicas(service_config, replicas):
    replicas(), replicas()
    with ClusterRpcProxy(service_config, timeout=30) as cluster:
        event = cluster.registrations.create_event(seminar(days=1, capacity=10))
        cluster.registrations.publish_event(event["id"])
        for n in range(6):
            cluster.registrations.register(event["id"], person(n))
        calls = [cluster.registrations.send_due_reminders.call_async() for _ in range(12)]
        sent = [call.result() for call in calls]
    assert sum(sent) == 6
    assert _count(service_config, "SELECT count(*) FROM outbox WHERE event_type = 'reminder_due'") == 6


def _count(config, sql):
    from sqlalchemy import text
    database = Database(config["DATABASES"]["registrations"], store.metadata)
    try:
        with database.engine.connect() as connection:
            return connection.execute(text(sql)).scalar()
    finally:
        database.dispose()


def _unpublished(config):
    """Events about registrations not yet published (``event_published`` waits for the console,
    which these tests do not run)."""
    return _count(config, "SELECT count(*) FROM outbox WHERE published_at IS NULL AND event_type <> 'event_published'")
