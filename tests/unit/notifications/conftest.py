"""The notifications service as a worker, with its real database and a real SMTP server.

The sender's green thread is not there (a worker has no container): what a handler hands it
is sent at once, in the handler's call, by the worker's own ``send_batch``, the method the
sender runs; ``notifications.sender.hold()`` keeps the ids instead, for a test to send together.
"""
import base64
import logging
from datetime import UTC, datetime
from unittest import mock

import pytest
from nameko.testing.services import worker_factory

from services.common.groups import Groups
from services.notifications import store
from services.notifications.mailer import Smtp
from services.notifications.service import QUEUE_GATHER_SECONDS, NotificationsService
from tests.conftest import SmtpSink, load_config

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PDF = b"%PDF-1.7\n% a ticket\n"


class SentAtOnce:
    """The sender as a unit test has it: ``hand(ids)`` runs ``send_batch(ids)`` at once, unless held.
    A batch that fails is logged and dropped, as the sender does (its messages wait in the table)."""

    backlog = 0

    def __init__(self):
        self.worker = None
        self.held = None
        self.batches = []

    def hand(self, message_ids):
        message_ids = list(message_ids)
        if self.held is not None:
            self.held.extend(message_ids)
        elif message_ids:
            self._send(message_ids)

    def hold(self):
        self.held = []

    def release(self):
        message_ids, self.held = self.held, None
        self._send(message_ids)

    def _send(self, message_ids):
        self.batches.append(message_ids)
        try:
            self.worker.send_batch(message_ids)
        except Exception:
            logging.getLogger(__name__).exception("the batch %s failed", message_ids)


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
    # documents' render_documents, made of this fake's render_ticket and render_invoice (their
    # side effects too: one raising fails the call, as documents away does)
    documents.render_documents.side_effect = lambda requests: [
        documents.render_ticket(request["ticket"]) if "ticket" in request else documents.render_invoice(
            request["invoice"]) for request in requests]
    members = mock.Mock()
    members.announcement_recipients.return_value = [
        {"id": n, "first_name": "Petr", "last_name": f"Starosta {n}", "email": f"starosta{n}@obec.example",
         "organisation_name": f"Obec {n}", "unsubscribe_token": f"tok{n}"} for n in range(1, 7)]
    clock = {"now": NOW}
    sender = SentAtOnce()
    worker = worker_factory(NotificationsService, db=make_database("notifications", store.metadata),
                            smtp=Smtp(dict(config["SMTP"], PORT=sink.port, TIMEOUT=2)), documents=documents,
                            members=members, groups=Groups(gather=QUEUE_GATHER_SECONDS), sender=sender,
                            config=config, clock=lambda: clock["now"])
    sender.worker = worker
    worker.clock_state = clock
    return worker


