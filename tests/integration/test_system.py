"""All four services on the real RabbitMQ (a vhost of this test's own), a real
database per service, and a real SMTP server: a registration made over HTTP
ends as one email with the PDF ticket."""
from datetime import datetime, timedelta

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.czech import PRAGUE
from services.common.errors import Conflict
from services.documents.service import DocumentsService
from services.members.service import MembersService
from services.notifications.service import NotificationsService
from services.payments.service import PaymentsService
from services.registrations.service import RegistrationsService
from tests.conftest import wait_for
from tests.helpers import download, pdf_attachment, pdf_text, spd_codes, spd_fields, ticket_codes
from tests.integration.timetravel import begun, ended

ALL = (MembersService, RegistrationsService, NotificationsService, DocumentsService, PaymentsService)
PLZEN = "00075370"


def seminar(days=10, **overrides):
    start = (datetime.now(PRAGUE) + timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)
    event = {
        "title": "Odpady v obci: nový zákon", "kind": "seminar", "topic": "životní prostředí",
        "lecturer": "Ing. Eva Malá", "venue": "Plzeň, Škroupova 18",
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=4)).isoformat(),
        "capacity": 2, "price_member": 300, "price_non_member": 900,
    }
    event.update(overrides)
    return event


@pytest.fixture
def cluster(service_config):
    with ClusterRpcProxy(service_config, timeout=30) as proxy:
        yield proxy


def published_event(cluster, **overrides):
    event = cluster.registrations.create_event(seminar(**overrides))
    return cluster.registrations.publish_event(event["id"])


def test_registration_over_http_ends_as_one_email_with_the_ticket(
        runner_factory, service_config, cluster, web_session, smtp_sink):
    runner = runner_factory(service_config, *ALL)
    runner.start()
    cluster.members.upsert_organisation({"ico": PLZEN, "name": "Statutární město Plzeň",
                                         "kind": "statutární město", "district": "Plzeň-město",
                                         "member_since": "2005-01-01"})
    event = published_event(cluster)

    def member_price_known():
        # the organisation_joined event has reached the registrations service's copy
        return cluster.registrations.list_events()[0]["id"] == event["id"] and _copied(service_config)
    wait_for(member_price_known, message="the membership copy in registrations")

    answer = web_session.post(f"/api/events/{event['id']}/registrations", json={
        "first_name": "Jiří", "last_name": "Šťastný-Řeháček", "email": " Jiri.Stastny@Example.cz ",
        "organisation_ico": PLZEN, "position": "tajemník", "gdpr_consent": True,
    })
    assert answer.status_code == 201, answer.text
    registration = answer.json()
    assert registration["status"] == "confirmed"
    assert registration["is_member"] is True and registration["price"] == 300
    assert registration["event"]["seats_left"] == 1

    ticket = download(web_session, f"/api/registrations/{registration['token']}/ticket.pdf")
    assert ticket.status_code == 200 and ticket.headers["Content-Type"] == "application/pdf"
    assert ticket_codes(ticket.content) == [registration["ticket_code"]]

    [message] = smtp_sink.wait_for_messages(1)
    assert message["To"] == "Jiri.Stastny@Example.cz"
    assert message["Subject"] == "Potvrzení přihlášky: Odpady v obci: nový zákon"
    # which part of a man's double surname declines is not for a rule to guess: a neutral greeting
    assert message.get_body(("plain",)).get_content().startswith("Dobrý den,\n")
    filename, pdf = pdf_attachment(message)
    assert filename == f"vstupenka-{registration['id']}.pdf"
    assert "Jiří Šťastný-Řeháček" in pdf_text(pdf)
    assert ticket_codes(pdf) == [registration["ticket_code"]]
    assert spd_fields(spd_codes(pdf)[0])["AM"] == "300.00"  # the member's price, to pay by QR Platba

    # The same event delivered again (a redelivery, a relay retried): no second email.
    [sent] = cluster.notifications.list_messages(to="Jiri.Stastny@Example.cz")
    assert sent["status"] == "sent"
    dispatch = event_dispatcher(service_config)
    dispatch("registrations", "registration_confirmed", _replayed_payload(service_config, registration["id"]))
    wait_for(lambda: not _queue_has_messages(service_config), message="the replayed event to be consumed")
    assert len(smtp_sink.messages()) == 1
    assert len(cluster.notifications.list_messages(to="Jiri.Stastny@Example.cz")) == 1


def test_a_membership_change_reaches_registrations_and_the_next_price(
        runner_factory, service_config, cluster, web_session):
    runner = runner_factory(service_config, MembersService, RegistrationsService)
    runner.start()
    cluster.members.upsert_organisation({"ico": PLZEN, "name": "Statutární město Plzeň", "district": "Plzeň-město",
                                         "member_since": "2005-01-01"})
    event = published_event(cluster, capacity=10)
    url = f"/api/events/{event['id']}/registrations"

    def price_for(n):
        answer = web_session.post(url, json={"first_name": "Jan", "last_name": f"Novák {n}",
                                             "email": f"jan{n}@plzen.example", "organisation_ico": PLZEN,
                                             "gdpr_consent": True})
        assert answer.status_code == 201, answer.text
        return answer.json()["price"]

    wait_for(lambda: _copied(service_config), message="the membership copy in registrations")
    assert price_for(1) == 300
    yesterday = (datetime.now(PRAGUE) - timedelta(days=1)).date().isoformat()
    cluster.members.end_membership(PLZEN, yesterday)
    wait_for(lambda: _member_until(service_config) == yesterday, message="the end of membership in the copy")
    assert price_for(2) == 900


@pytest.mark.bare_bus
def test_an_event_waits_in_the_outbox_until_its_consumer_exists(
        runner_factory, service_config, cluster, web_session, smtp_sink):
    # notifications has never run in this vhost: no queue is bound for its events yet
    runner = runner_factory(service_config, MembersService, RegistrationsService, DocumentsService)
    runner.start()
    event = published_event(cluster, price_non_member=0)  # free: notifications alone sends the email
    answer = web_session.post(f"/api/events/{event['id']}/registrations", json={
        "first_name": "Marie", "last_name": "Dvořáková", "email": "marie@obec.example",
        "organisation_name": "Obec Chotěšov", "gdpr_consent": True,
    })
    assert answer.status_code == 201
    assert answer.json()["is_member"] is False and answer.json()["price"] == 0
    wait_for(lambda: _unpublished(service_config) == 1, message="the event kept in the outbox")

    later = runner_factory(service_config, NotificationsService)
    later.start()
    [message] = smtp_sink.wait_for_messages(1)
    assert message["To"] == "marie@obec.example"
    wait_for(lambda: _unpublished(service_config) == 0, message="the outbox to empty")


def test_bad_requests_get_json_errors_and_write_nothing(runner_factory, service_config, cluster, web_session):
    runner = runner_factory(service_config, RegistrationsService)
    runner.start()
    event = published_event(cluster)
    url = f"/api/events/{event['id']}/registrations"

    malformed = web_session.post(url, data=b'{"first_name": ', headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["error"] == "invalid_json"

    invalid = web_session.post(url, json={"first_name": "", "email": "not-an-email", "organisation_ico": "12345678",
                                          "gdpr_consent": False})
    assert invalid.status_code == 422
    body = invalid.json()
    assert body["error"] == "validation_error"
    assert set(body["fields"]) >= {"first_name", "last_name", "email", "organisation_ico", "gdpr_consent"}
    assert body["fields"]["organisation_ico"] == "IČO nemá platnou kontrolní číslici."

    unknown = web_session.post("/api/events/999999/registrations", json={
        "first_name": "Jan", "last_name": "Novák", "email": "jan@obec.example", "organisation_name": "Obec",
        "gdpr_consent": True})
    assert unknown.status_code == 404 and unknown.json()["error"] == "event_not_found"

    assert cluster.registrations.list_registrations(event["id"]) == []
    assert cluster.registrations.get_event(event["id"])["seats_left"] == 2
    assert _outbox_rows(service_config) == 0


# Looking into the services' own databases, as an operator would.

def _engine(config, service):
    from services.common.db import make_engine
    return make_engine(config["DATABASES"][service])


def _scalar(config, service, sql):
    from sqlalchemy import text
    engine = _engine(config, service)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def _copied(config):
    return _scalar(config, "registrations", f"SELECT count(*) FROM organisations WHERE ico = '{PLZEN}'") == 1


def _member_until(config):
    import json
    periods = _scalar(config, "registrations", f"SELECT periods FROM organisations WHERE ico = '{PLZEN}'")
    periods = periods if isinstance(periods, list) else json.loads(periods)
    return periods[-1]["to"]


# The events about registrations: publishing an event announces ``event_published`` too, which
# waits in the outbox for the console (not running in these tests) and is not what they count.
ABOUT_REGISTRATIONS = "event_type <> 'event_published'"


def _unpublished(config):
    return _scalar(config, "registrations",
                   f"SELECT count(*) FROM outbox WHERE published_at IS NULL AND {ABOUT_REGISTRATIONS}")


def _outbox_rows(config):
    return _scalar(config, "registrations", f"SELECT count(*) FROM outbox WHERE {ABOUT_REGISTRATIONS}")


def _replayed_payload(config, registration_id):
    from sqlalchemy import text
    engine = _engine(config, "registrations")
    try:
        with engine.connect() as connection:
            payload = connection.execute(
                text("SELECT payload FROM outbox WHERE event_type = 'registration_confirmed'")).scalar()
    finally:
        engine.dispose()
    return payload if isinstance(payload, dict) else __import__("json").loads(payload)


def _queue_has_messages(config):
    from kombu import Connection
    with Connection(config["AMQP_URI"]) as connection:
        channel = connection.channel()
        name = "evt-registrations-registration_confirmed--notifications.on_registration_confirmed"
        _, count, _ = channel.queue_declare(name, passive=True)
        return count > 0


def test_the_staff_day_check_in_from_the_emailed_ticket_attendance_and_certificate(
        runner_factory, service_config, cluster, web_session, smtp_sink):
    import base64
    runner = runner_factory(service_config, *ALL)
    runner.start()
    event = published_event(cluster, capacity=5, accreditation_number="AK/PV-9/2026", hours=4,
                            collects_birth_date=True)
    answer = web_session.post(f"/api/events/{event['id']}/registrations", json={
        "first_name": "Žaneta", "last_name": "Čermáková", "email": "zaneta@obec.example", "birth_date": "1984-02-29",
        "organisation_name": "Obec Chotěšov", "gdpr_consent": True})
    assert answer.status_code == 201, answer.text
    registration = answer.json()

    # the confirmation, and the invoice (a non-member's fee)
    [message] = [m for m in smtp_sink.wait_for_messages(2) if m["Subject"].startswith("Potvrzení přihlášky")]
    [code] = ticket_codes(pdf_attachment(message)[1])
    checked = cluster.registrations.check_in(event["id"], code, any_day=True)  # days before it
    assert checked["id"] == registration["id"] and checked["checked_in_at"]
    with pytest.raises(Conflict) as early:  # attendance only from the start on
        cluster.registrations.mark_attendance(event["id"])
    assert early.value.code == "not_started"
    begun(service_config, event["id"])
    assert cluster.registrations.mark_attendance(event["id"])["marked"] == 1

    sheet = base64.b64decode(cluster.documents.render_attendance_sheet(event["id"])["data"])
    assert "Čermáková Žaneta" in pdf_text(sheet)
    # after the event the certificates are issued: hers (a fee not paid) once staff release it
    ended(service_config, event["id"])
    assert cluster.registrations.issue_certificates(event["id"])["waiting_payment"] == 1
    released = cluster.registrations.release_certificate(registration["id"], "staff@smopk.example")
    assert released["certificate_issued_now"]  # the event's certificates were issued: hers goes at once
    assert cluster.registrations.issue_certificates(event["id"])["already_issued"] == 1
    [mailed] = [m for m in smtp_sink.wait_for_messages(3) if m["Subject"].startswith("Osvědčení o absolvování: ")]
    filename, certificate_pdf = pdf_attachment(mailed)
    text = " ".join(pdf_text(certificate_pdf).split())
    assert "Žaneta Čermáková" in text and "narozen(a) 29. 2. 1984" in text and "AK/PV-9/2026" in text
    assert "DUPLIKÁT" not in text and filename.endswith("-0001.pdf")
    # opened again by staff: the same certificate; a duplicate only when asked for
    copy = cluster.documents.render_certificate(registration["id"])
    assert copy["number"].endswith("/0001") and not copy["duplicate"]
    duplicate = cluster.documents.render_duplicate_certificate(registration["id"])
    assert duplicate["number"] == copy["number"] and duplicate["duplicate"]
