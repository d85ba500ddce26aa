"""A failing handler keeps its event; an outage answers 503; no call waits for ever.

Each test takes one part away on purpose (a database, another service) and
checks what the person or the operator sees, then that nothing was lost.
"""
import io
import re
import time

import pytest
from amqp.exceptions import NotFound
from kombu import Connection
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.events import event_handler
from services.documents.service import DocumentsService
from services.notifications.service import NotificationsService
from services.registrations.service import RegistrationsService
from tests.conftest import wait_for
from tests.faults import database_away
from tests.integration.test_system import published_event
from tests.integration.test_topology import payload
from tools import dead_letters

CALLS = {"flaky": [], "steady": []}
FAILING = {"on": True}


class FlakyService:
    name = "flaky"

    @event_handler("registrations", "registration_confirmed")
    def handle(self, payload):
        CALLS["flaky"].append(time.monotonic())
        if FAILING["on"]:
            raise RuntimeError("the database is away")


class SteadyService:
    name = "steady"

    @event_handler("registrations", "registration_confirmed")
    def handle(self, payload):
        CALLS["steady"].append(time.monotonic())


def waiting(amqp_uri, queue):
    with Connection(amqp_uri) as connection:
        try:
            return connection.channel().queue_declare(queue, passive=True).message_count
        except NotFound:  # not declared yet
            return 0


def test_a_failing_handler_retries_with_growing_delays_then_parks_and_is_replayed(runner_factory, service_config):
    CALLS["flaky"].clear(), CALLS["steady"].clear()
    FAILING["on"] = True
    config = dict(service_config, EVENT_RETRY_DELAYS=[0.3, 0.9])
    runner = runner_factory(config, FlakyService, SteadyService)
    runner.start()
    event_dispatcher(config)("registrations", "registration_confirmed", payload(1))

    wait_for(lambda: waiting(config["AMQP_URI"], "dead-letters") == 1, message="the event parked")
    first, second, third = CALLS["flaky"]
    assert second - first >= 0.3 and third - second >= 0.9  # growing delays
    assert len(CALLS["steady"]) == 1  # the other handler of the event is not bothered by the retries

    out = io.StringIO()
    [parked] = dead_letters.run(config["AMQP_URI"], out=out)
    queue = "evt-registrations-registration_confirmed--flaky.handle"
    assert (parked["queue"], parked["attempts"]) == (queue, 3)
    assert parked["reason"] == "RuntimeError: the database is away"
    assert f"from {queue} (RuntimeError: the database is away, 3 tries)" in out.getvalue()

    FAILING["on"] = False  # the bug is fixed; the operator replays
    dead_letters.run(config["AMQP_URI"], replay={1}, out=out)
    wait_for(lambda: len(CALLS["flaky"]) == 4, message="the replayed event handled")
    time.sleep(0.5)
    assert len(CALLS["flaky"]) == 4 and len(CALLS["steady"]) == 1
    assert waiting(config["AMQP_URI"], "dead-letters") == 0


def test_notifications_meeting_its_database_away_sends_the_email_once_it_is_back(
        runner_factory, service_config, smtp_sink, caplog):
    config = dict(service_config, EVENT_RETRY_DELAYS=[0.5, 1, 1, 1, 1, 1, 1, 1], SQLITE_LOCK_WAIT_SECONDS=0.5)
    runner = runner_factory(config, NotificationsService, DocumentsService)
    runner.start()
    with database_away(config["DATABASES"]["notifications"]):
        event_dispatcher(config)("registrations", "registration_confirmed", payload(1))
        wait_for(lambda: "trying again" in caplog.text, message="a failed try")
        time.sleep(1.5)
    [message] = smtp_sink.wait_for_messages(1)
    assert message["To"] == "jana1@obec.example"
    time.sleep(1.5)  # nothing more comes
    assert len(smtp_sink.messages()) == 1


@pytest.fixture
def registrations(runner_factory, service_config, web_session):
    config = dict(service_config, SQLITE_LOCK_WAIT_SECONDS=0.5, WEB_RPC_TIMEOUT_SECONDS=1)
    runner = runner_factory(config, RegistrationsService)
    runner.start()
    with ClusterRpcProxy(config, timeout=30) as cluster:
        yield config, cluster, web_session


PERSON = {"first_name": "Věra", "last_name": "Průchová", "email": "vera@obec.example",
          "organisation_name": "Obec Chotěšov", "gdpr_consent": True}


def test_the_database_away_answers_503_and_the_same_key_later_registers_once(registrations):
    config, cluster, web = registrations
    event = published_event(cluster, capacity=5)
    form = web.get(f"/events/{event['id']}")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    url = f"/api/events/{event['id']}/registrations"
    key = {"Idempotency-Key": "vera-1"}

    with database_away(config["DATABASES"]["registrations"]):
        started = time.monotonic()
        answer = web.post(url, json=PERSON, headers=key)
        assert time.monotonic() - started < 5
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
        assert answer.json() == {"error": "service_unavailable",
                                 "message": "Služba je na chvíli nedostupná. Zkuste to prosím za okamžik znovu."}

        page = web.post(f"/events/{event['id']}", data=dict(PERSON, csrf=token, gdpr_consent="ano"))
        assert page.status_code == 503 and page.headers["Retry-After"] == "5"
        assert "systém je na chvíli nedostupný" in page.text
        assert 'value="Průchová"' in page.text and 'value="vera@obec.example"' in page.text

        health = web.get("/health")
        assert health.status_code == 503
        assert (health.json()["database"], health.json()["broker"]) == ("unavailable", "ok")

    first = web.post(url, json=PERSON, headers=key)
    again = web.post(url, json=PERSON, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert [r["email"] for r in cluster.registrations.list_registrations(event["id"])] == ["vera@obec.example"]
    assert web.get("/health").json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_a_ticket_while_documents_is_down_answers_503_soon_and_registering_goes_on(
        registrations, runner_factory):
    config, cluster, web = registrations
    documents = runner_factory(config, DocumentsService)
    documents.start()
    documents.stop()  # its queue stays; nobody answers it
    event = published_event(cluster, capacity=5)
    registration = web.post(f"/api/events/{event['id']}/registrations", json=PERSON).json()

    started = time.monotonic()
    ticket = web.get(f"/api/registrations/{registration['token']}/ticket.pdf")
    took = time.monotonic() - started
    assert ticket.status_code == 503 and ticket.json()["error"] == "service_unavailable"
    assert ticket.headers["Retry-After"] == "5" and 1 <= took < 2.5

    other = web.post(f"/api/events/{event['id']}/registrations", json=dict(PERSON, email="petr@obec.example"))
    assert other.status_code == 201
    time.sleep(1.5)  # the request that nobody took has expired: documents will not render it later
    with Connection(config["AMQP_URI"]) as connection:
        assert connection.channel().queue_declare("rpc-documents", passive=True).message_count == 0


def test_health_over_rpc_names_the_part_that_is_down(registrations):
    config, cluster, _ = registrations
    assert cluster.registrations.health() == {"service": "registrations", "database": "ok", "broker": "ok"}
    with database_away(config["DATABASES"]["registrations"]):
        assert cluster.registrations.health()["database"] == "unavailable"


