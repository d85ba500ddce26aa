"""The notifications service as a worker, with its real database and a real SMTP server."""
import base64
from datetime import UTC, datetime
from unittest import mock

import pytest
from nameko.testing.services import worker_factory

from services.notifications import store
from services.notifications.mailer import Smtp
from services.notifications.service import NotificationsService
from tests.conftest import SmtpSink, load_config

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PDF = b"%PDF-1.7\n% a ticket\n"


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
    config["ANNOUNCE_PER_SECOND"] = 2
    documents = mock.Mock()
    documents.render_ticket.return_value = {"filename": "vstupenka-1.pdf", "content_type": "application/pdf",
                                            "data": base64.b64encode(PDF).decode()}
    documents.render_certificate.return_value = {"filename": "osvedceni-2026-0001.pdf",
                                                 "content_type": "application/pdf",
                                                 "data": base64.b64encode(PDF).decode()}
    members = mock.Mock()
    members.announcement_recipients.return_value = [
        {"id": n, "first_name": "Petr", "last_name": f"Starosta {n}", "email": f"starosta{n}@obec.example",
         "organisation_name": f"Obec {n}", "unsubscribe_token": f"tok{n}"} for n in range(1, 7)]
    clock = {"now": NOW}
    worker = worker_factory(NotificationsService, db=make_database("notifications", store.metadata),
                            smtp=Smtp(dict(config["SMTP"], PORT=sink.port, TIMEOUT=2)), documents=documents,
                            members=members,
                            config=config, clock=lambda: clock["now"])
    worker.clock_state = clock
    return worker


