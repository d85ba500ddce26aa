"""Delivery through a real SMTP server: once, retried through an outage, failed on a 5xx."""
import base64
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from nameko.testing.services import worker_factory

from services.notifications import store
from services.notifications.mailer import Smtp
from services.notifications.service import NotificationsService
from tests.conftest import SmtpSink, load_config

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PDF = b"%PDF-1.7\n% a ticket\n"


def confirmed(n=1, **registration):
    values = {"id": n, "first_name": "Jana", "last_name": "Nováková", "email": f"jana{n}@obec.example",
              "price": 0, "manage_url": f"https://akce.example/r/t{n}", "ticket_code": f"T{n}-X"}
    values.update(registration)
    return {"message_id": f"m{n}", "registration": values, "event": {
        "id": 7, "version": 1, "title": "Odpady v obci", "kind": "seminar", "venue": "Plzeň",
        "lecturer": "Ing. Eva Malá", "starts_at": "2026-12-08T09:00:00+01:00", "ends_at": "2026-12-08T13:00:00+01:00"}}


@pytest.fixture
def sink(tmp_path):
    sink = SmtpSink(tmp_path / "mail", reject=["refused@obec.example"])
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def notifications(make_database, sink):
    config = load_config()
    config["MAIL_RETRY_DELAYS"] = [10, 30]
    documents = mock.Mock()
    documents.render_ticket.return_value = {"filename": "vstupenka-1.pdf", "content_type": "application/pdf",
                                            "data": base64.b64encode(PDF).decode()}
    clock = {"now": NOW}
    worker = worker_factory(NotificationsService, db=make_database("notifications", store.metadata),
                            smtp=Smtp(dict(config["SMTP"], PORT=sink.port, TIMEOUT=2)), documents=documents,
                            config=config, clock=lambda: clock["now"])
    worker.clock_state = clock
    return worker


def test_a_confirmation_is_sent_once_however_often_it_is_delivered(notifications, sink):
    notifications.on_registration_confirmed(confirmed(1))
    notifications.on_registration_confirmed(confirmed(1))
    notifications.deliver_due()
    [message] = sink.messages()
    assert message["To"] == "jana1@obec.example"
    assert message["Reply-To"] == "seminare@smopk.example"
    assert message["Message-ID"].endswith("@smopk.example>")
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/pdf"]
    html = message.get_body(("html",)).get_content()
    assert "út 8. 12. 2026 v 9:00" in html and "https://akce.example/r/t1" in html
    [record] = notifications.list_messages()
    assert (record["status"], record["attempts"]) == ("sent", 1)


def test_smtp_away_then_back_delivers_everything_once_without_resend(notifications, sink):
    sink.stop()
    for n in range(1, 6):
        notifications.on_registration_confirmed(confirmed(n))
    assert {m["status"] for m in notifications.list_messages()} == {"awaiting_retry"}
    assert {m["attempts"] for m in notifications.list_messages()} == {1}

    notifications.clock_state["now"] = NOW + timedelta(seconds=5)
    notifications.deliver_due()  # not due yet: nothing tried
    assert {m["attempts"] for m in notifications.list_messages()} == {1}

    sink.start()
    notifications.clock_state["now"] = NOW + timedelta(seconds=11)
    notifications.deliver_due()
    notifications.deliver_due()
    assert sorted(m["To"] for m in sink.messages()) == [f"jana{n}@obec.example" for n in range(1, 6)]
    assert {(m["status"], m["attempts"]) for m in notifications.list_messages()} == {("sent", 2)}


def test_a_refused_recipient_fails_without_holding_back_the_others(notifications, sink):
    notifications.on_registration_confirmed(confirmed(1, email="refused@obec.example"))
    notifications.on_registration_confirmed(confirmed(2))
    [failed] = notifications.list_messages(status="failed")
    assert failed["to"] == "refused@obec.example" and "550" in failed["last_error"]
    assert [m["To"] for m in sink.messages()] == ["jana2@obec.example"]
    notifications.clock_state["now"] = NOW + timedelta(hours=2)
    notifications.deliver_due()
    assert len(sink.messages()) == 1


def test_names_with_markup_are_text_in_the_html_part(notifications, sink):
    notifications.on_registration_confirmed(confirmed(1, first_name="<b>Jana</b>", last_name="<script>x</script>"))
    [message] = sink.messages()
    html = message.get_body(("html",)).get_content()
    assert "&lt;b&gt;Jana&lt;/b&gt;" in html and "<script>" not in html
    assert "<b>Jana</b>" in message.get_body(("plain",)).get_content()
