"""The notifications service: every email, recorded first, sent once, retried until it goes."""
import base64
import logging

from nameko.dependency_providers import Config
from nameko.events import event_handler
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from services.common.clock import Clock
from services.common.db import DatabaseProvider
from services.common.errors import EXPECTED

from . import domain, store, usecases
from .mailer import PermanentFailure, SmtpProvider, TemporaryFailure, compose, message_id_for

log = logging.getLogger(__name__)

RETRY_POLL_SECONDS = 2


class NotificationsService:
    name = "notifications"

    db = DatabaseProvider(store.metadata)
    smtp = SmtpProvider()
    documents = RpcProxy("documents")
    config = Config()
    clock = Clock()

    @event_handler("registrations", "registration_confirmed")
    def on_registration_confirmed(self, payload):
        self._queue_and_send("registration_confirmed", payload, payload["registration"]["email"])

    @timer(interval=RETRY_POLL_SECONDS)
    def deliver_due(self):
        """Send what waits: retries that are due, and messages whose sender died."""
        with self.db.transaction() as tx:
            due = store.due_messages(tx, self.clock())
        for message_id in due:
            self._deliver(message_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_messages(self, to=None, kind=None, status=None):
        with self.db.transaction() as tx:
            rows = store.list_messages(tx, recipient=to, kind=kind, status=status)
        return [{
            "id": row["id"], "kind": row["kind"], "to": row["recipient"], "status": row["status"],
            "attempts": row["attempts"], "last_error": row["last_error"],
            "created_at": row["created_at"].isoformat(),
            "sent_at": row["sent_at"].isoformat() if row["sent_at"] else None,
        } for row in rows]

    def _queue_and_send(self, kind, payload, recipient):
        header = message_id_for(domain.dedup_key(kind, payload), self.config["MAIL_FROM"])
        with self.db.transaction() as tx:
            message_id = usecases.queue(tx, kind, payload, recipient, header, self.clock())
        if message_id is None:
            log.info("%s for %s already queued; redelivery ignored", kind, recipient)
            return
        self._deliver(message_id)

    def _deliver(self, message_id):
        with self.db.transaction() as tx:
            message = usecases.claim(tx, message_id, self.clock())
        if message is None:
            return
        try:
            self.smtp.send(self._compose(message))
        except PermanentFailure as error:
            self._record_failure(message, error, permanent=True)
        except TemporaryFailure as error:
            self._record_failure(message, error, permanent=False)
        except Exception as error:  # documents away, a template bug: keep it and retry
            log.exception("message %s could not be prepared", message_id)
            self._record_failure(message, error, permanent=False)
        else:
            with self.db.transaction() as tx:
                usecases.record_sent(tx, message, self.clock())
            log.info("message %s (%s) sent to %s", message_id, message["kind"], message["recipient"])

    def _record_failure(self, message, error, permanent):
        log.warning("message %s to %s not sent: %s", message["id"], message["recipient"], error)
        with self.db.transaction() as tx:
            usecases.record_failure(tx, message, error, permanent, self.clock(), self.config.get("MAIL_RETRY_DELAYS"))

    def _compose(self, message):
        payload = message["payload"]
        attachments = []
        if message["kind"] == "registration_confirmed":
            pdf = self.documents.render_ticket(payload)
            attachments.append((pdf["filename"], pdf["content_type"], base64.b64decode(pdf["data"])))
        config = self.config
        return compose(
            message["kind"], payload, sender=config["MAIL_FROM"], reply_to=config.get("MAIL_REPLY_TO"),
            organiser=config.get("ORGANISER_NAME", ""), contact=config.get("ORGANISER_CONTACT", ""),
            recipient=message["recipient"], message_id=message["message_id_header"], attachments=attachments,
        )
