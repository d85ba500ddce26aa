"""The notifications service: every email, recorded first, sent once, retried until it goes.

An event's emails are recorded in the messages table, several events' together in one
transaction (``GroupCommit``), and the event is acknowledged once they are committed; the
process's sender (``sender.py``) sends them in batches (``send_batch``): claimed together, built
a few at a time, sent over two SMTP connections, their outcomes recorded together. What happens
when any of that fails halfway is in ``send_batch`` and in docs/architecture.md.
"""
import base64
import logging
import time
import uuid
from collections import deque
from datetime import timedelta
from functools import cached_property, partial

import eventlet
import jinja2
from eventlet.queue import Empty, LightQueue
from eventlet.semaphore import Semaphore
from jinja2.exceptions import SecurityError
from nameko.dependency_providers import Config
from nameko.exceptions import MethodNotFound
from nameko.timer import timer

from services.common import calendar, metrics
from services.common.clock import Clock
from services.common.db import DatabaseProvider
from services.common.errors import EXPECTED, Conflict, NotFound, ValidationError, outage
from services.common.events import event_handler
from services.common.groups import GroupCommit
from services.common.health import HealthCheck
from services.common.logs import CallLog
from services.common.payment import awaits_payment_details, requires_payment
from services.common.rpc import RpcClient, rpc
from services.common.unit_of_work import unit_of_work
from services.common.vocabulary import (
    DataboxStatus,
    DeliveryChannel,
    EmailKind,
    EmailStatus,
    InvoiceKind,
    RegistrationStatus,
)

from . import domain, isds, store, usecases
from .mailer import PermanentFailure, ServerRefused, SmtpProvider, TemporaryFailure, compose, draft, message_id_for
from .schemas import announcement_in
from .sender import BATCH, SenderHandle, sends_batches
from .settings import load as load_settings

log = logging.getLogger(__name__)

RETRY_POLL_SECONDS = 2
RETENTION_SECONDS = 24 * 3600
# How long before its claim lapses a sender stops trying to record what happened to a message.
RECORD_MARGIN_SECONDS = 10
# Every email of the process queues in the same groups; a group's leader waits this long for
# the events that the broker hands over just after its own.
QUEUE = "messages"
QUEUE_GATHER_SECONDS = 0.01
# Emails of a batch built at once: enough to keep documents' render processes busy.
COMPOSERS = 6
# At most this many emails' documents asked for in one call (one trip to a render worker each):
# enough to spread the call's cost, few enough that a call (and a ticket downloaded from the web
# behind the calls in the pool's line) does not wait long for a worker.
DOCUMENTS_TOGETHER = 4
# Accepted emails recorded as sent in the middle of a batch, this many at a time: a sender killed
# between the server's acceptance and the record sends at most this many a second time (and one
# more per other connection: the send each had under way when the record began).
SENT_RECORD_EVERY = 10
# SMTP connections a batch sends over at once: while one waits for the server's answers, the
# other sends (over one, the CPU stood idle between each message's commands and their answers).
LANES = 2


class NotificationsService(HealthCheck):
    name = "notifications"

    call_log = CallLog()

    db = DatabaseProvider(store.metadata)
    smtp = SmtpProvider()
    groups = GroupCommit(limit_setting=None, gather=QUEUE_GATHER_SECONDS)
    sender = SenderHandle()
    documents = RpcClient("documents")
    members = RpcClient("members")
    config = Config()

    @cached_property
    def settings(self):
        """Read from the configuration once per worker; config.yaml's defaults for what it lacks."""
        return load_settings(self.config)
    clock = Clock()

    # One handler per event of the registrations service; each email once.

    @event_handler("registrations", "registration_confirmed")
    def on_registration_confirmed(self, payload):
        self._unless_paid_for(EmailKind.REGISTRATION_CONFIRMED, payload)

    @event_handler("registrations", "registration_waitlisted")
    def on_registration_waitlisted(self, payload):
        self._about_registration(EmailKind.REGISTRATION_WAITLISTED, payload)

    @event_handler("registrations", "registration_restored")
    def on_registration_restored(self, payload):
        """A cancellation taken back by staff: a seat again (with the ticket) or a place in line.
        Restored to a seat with a fee, it is a new registration that payments asks to pay: the
        email waits for ``payment_requested`` (``after`` ``registration_restored``) and carries
        the new variable symbol and QR Platba. A released seat paid in time comes with its
        payment (nothing more will be asked): sent now."""
        if awaits_payment_details(payload["registration"]):
            log.info("%s of registration %s waits for its payment details", EmailKind.REGISTRATION_RESTORED,
                     payload["registration"]["id"])
            return
        self._about_registration(EmailKind.REGISTRATION_RESTORED, payload)

    @event_handler("registrations", "registration_promoted")
    def on_registration_promoted(self, payload):
        self._unless_paid_for(EmailKind.REGISTRATION_PROMOTED, payload)

    @event_handler("registrations", "registration_cancelled")
    def on_registration_cancelled(self, payload):
        self._about_registration(EmailKind.REGISTRATION_CANCELLED, payload)

    @event_handler("registrations", "registration_substituted")
    def on_registration_substituted(self, payload):
        """Two emails: the substitute's confirmation with their own ticket (not held for payment
        details: the payment came over with the seat), and the old holder's notice. Both are
        recorded in one transaction, each once by its own message id."""
        told = {"event": payload["event"], "registration": payload["replaced"],
                "substitute": {field: payload["registration"][field] for field in ("first_name", "last_name")}}
        self._queue_and_send_all([(EmailKind.SUBSTITUTE_CONFIRMED, payload, payload["registration"]["email"]),
                                  (EmailKind.REGISTRATION_SUBSTITUTED, told, payload["replaced"]["email"])])

    @event_handler("registrations", "event_updated")
    def on_event_updated(self, payload):
        self._about_registration(EmailKind.EVENT_UPDATED, payload)

    @event_handler("registrations", "event_cancelled")
    def on_event_cancelled(self, payload):
        self._about_registration(EmailKind.EVENT_CANCELLED, payload)

    @event_handler("registrations", "payment_release_warning")
    def on_payment_release_warning(self, payload):
        self._about_registration(EmailKind.PAYMENT_RELEASE_WARNING, payload)

    @event_handler("registrations", "reminder_due")
    def on_reminder_due(self, payload):
        self._about_registration(EmailKind.REMINDER_DUE, payload)

    @event_handler("registrations", "attendance_confirmed")
    def on_attendance_confirmed(self, payload):
        """The certificate to its holder by email, and to the organisation's data box as well when
        it chose that (the certificate is the person's own, so the email goes in any case)."""
        self._about_registration(EmailKind.ATTENDANCE_CONFIRMED, payload)
        ico = payload["registration"].get("organisation_ico")
        if self._prefers_databox(ico):
            self._queue_and_send_databox(EmailKind.ATTENDANCE_CONFIRMED, payload, ico)

    @event_handler("registrations", "colleagues_registered")
    def on_colleagues_registered(self, payload):
        """One summary to whoever registered colleagues, with every attendee's manage link (each
        attendee has their own email too). Recorded once by its group's first registration: a
        redelivery, or a retry after a failure halfway, finds it recorded and sends nothing twice."""
        self._queue_and_send(EmailKind.COLLEAGUES_REGISTERED, payload, payload["registrant"]["email"])

    @event_handler("registrations", "portal_link_requested")
    def on_portal_link_requested(self, payload):
        """The one-time link to the municipality's page, to the contact who asked for it; recorded
        once per link, so a redelivery sends nothing twice."""
        self._queue_and_send(EmailKind.PORTAL_LINK, payload, payload["email"])

    # From payments: the confirmation of a registration that is paid for waits for its payment
    # details, so that the one email carries the variable symbol and the QR Platba code.

    @event_handler("payments", "payment_requested")
    def on_payment_requested(self, payload):
        self._about_registration(payload["after"], payload)

    @event_handler("payments", "payment_received")
    def on_payment_received(self, payload):
        self._about_registration(EmailKind.PAYMENT_RECEIVED, payload)

    @event_handler("payments", "payment_overdue")
    def on_payment_overdue(self, payload):
        self._about_registration(EmailKind.PAYMENT_OVERDUE, payload)

    @event_handler("payments", "refund_due")
    def on_refund_due(self, payload):
        self._about_registration(EmailKind.REFUND_DUE, payload)

    @event_handler("payments", "invoice_issued")
    def on_invoice_issued(self, payload):
        """The invoice (or credit note) to the organisation's billing address and to each registrant;
        to its data box instead when the organisation chose that (members' register), and by email
        after all when it has no box or the box refuses. The register is asked first: members away,
        the handler fails before recording anything and the event comes back."""
        ico = (payload["invoice"].get("customer") or {}).get("ico")
        if self._prefers_databox(ico):
            self._queue_and_send_databox(EmailKind.INVOICE_ISSUED, payload, ico)
            return
        self._invoice_emails(payload)

    def _invoice_emails(self, payload):
        self._queue_and_send_all([(EmailKind.INVOICE_ISSUED, dict(payload, recipient=recipient), recipient)
                                  for recipient in payload["recipients"]])

    @event_handler("registrations", "attendees_messaged")
    def on_attendees_messaged(self, payload):
        """Staff wrote to the people of one event, or sent them the materials or the feedback
        questionnaire: one email per recipient, each with its own link, queued at the pace of
        announcements (ANNOUNCE_PER_SECOND) and sent by ``deliver_due``.

        All of them are queued in one transaction: failing halfway, none is, and the event comes
        back. Redelivered, each email is already recorded (unique per message and registration,
        or per registration for materials and feedback) and is not queued again."""
        kind = domain.ATTENDEE_FOLLOW_UPS[payload["purpose"]]
        recipients = payload["recipients"]
        queued = 0
        with self._uow() as uow:
            schedule = domain.announcement_schedule(len(recipients), uow.now, self.settings.announce_per_second)
            for recipient, not_before in zip(recipients, schedule, strict=True):
                message = {"batch_id": payload["batch_id"], "subject": payload.get("subject", ""),
                           "text": payload.get("text", ""), "event": payload["event"], "registration": recipient}
                if usecases.queue(uow, kind, message, recipient["email"], self._message_id(kind, message),
                                  not_before=not_before) is not None:
                    queued += 1
        log.info("%s for event %s: %d of %d queued", kind, payload["event"]["id"], queued, len(recipients))

    @timer(interval=RETRY_POLL_SECONDS)
    def deliver_due(self):
        """Hand the sender what waits: retries that are due, paced announcements, messages whose
        sender died (their claim lapsed) and those queued but never handed over (the process
        stopped first). Not while the sender has a batch's worth waiting: what is due stays in
        the table until it has room."""
        if self.sender.backlog >= BATCH:
            return
        with self.db.transaction() as tx:
            due = store.due_messages(tx, self.clock(), limit=BATCH)
        self.sender.hand(due)

    # For staff

    @rpc(expected_exceptions=EXPECTED)
    def announce(self, subject, text, audience="members"):
        """Queue an announcement to the contacts of members who want it: ``audience`` is
        "members" or a district (okres). Sent at ANNOUNCE_PER_SECOND; returns how many were queued."""
        values = announcement_in.load_or_raise({"subject": str(subject or "").strip(), "text": str(text or "").strip()})
        subject, text = values["subject"], values["text"]
        recipients = self.members.announcement_recipients(None if audience == "members" else audience)
        announcement_id = str(uuid.uuid4())
        base_url = self.settings.public_base_url
        with self._uow() as uow:
            schedule = domain.announcement_schedule(len(recipients), uow.now, self.settings.announce_per_second)
            for contact, not_before in zip(recipients, schedule, strict=True):
                payload = {"announcement_id": announcement_id, "subject": subject, "text": text, "contact": contact,
                           "unsubscribe_url": f"{base_url}/announcements/unsubscribe/{contact['unsubscribe_token']}"}
                usecases.queue(uow, EmailKind.ANNOUNCEMENT, payload, contact["email"],
                               self._message_id(EmailKind.ANNOUNCEMENT, payload), not_before=not_before)
        return len(recipients)

    @rpc
    def metrics(self):
        with self.db.transaction() as tx:
            counts = store.count_by_status(tx)
            refused = store.count_refused_by_server(tx)
        return [metrics.sample("smopk_emails", "gauge", "Emails by delivery state.", counts.get(status, 0),
                               status=status)
                for status in EmailStatus
                ] + [metrics.sample("smopk_emails_refused_by_server", "gauge",
                                    "Emails waiting because the SMTP server refused us (5xx): an alarm.", refused)]

    @timer(interval=RETRY_POLL_SECONDS)
    def deliver_databox_due(self):
        """Data boxes: send what waits (retries after a time-out) and ask for delivery notes that are due."""
        with self.db.transaction() as tx:
            due = store.due_databox_messages(tx, self.clock())
        for row_id in due:
            self._deliver_databox(row_id)

    @rpc(expected_exceptions=EXPECTED)
    def databox_deliveries(self, ico):
        """The organisation's documents sent to its data box, newest first: the message id (dmID),
        when it was delivered and accepted (the delivery note), or why it went by email instead."""
        with self.db.transaction() as tx:
            return [_databox_view(row) for row in store.databox_messages_of(tx, str(ico))]

    @rpc(expected_exceptions=EXPECTED)
    def list_messages(self, to=None, kind=None, status=None):
        """Sent, waiting and failed emails, newest first."""
        with self.db.transaction() as tx:
            return [_message_view(row) for row in store.list_messages(tx, recipient=to, kind=kind, status=status)]

    @rpc(expected_exceptions=EXPECTED)
    def resend(self, message_id):
        """Send a message again now (after fixing an address, or when someone lost it)."""
        with self.db.transaction() as tx:
            kept = store.get_message(tx, int(message_id))
            if kept is not None and kept["payload"] == store.PURGED:
                raise Conflict("message_purged", "Obsah této zprávy už po uplynutí doby uchování nemáme.")
            if not store.requeue(tx, int(message_id)):
                raise NotFound("message_not_found", "Zpráva nebyla nalezena.")
        self.send_batch([int(message_id)])  # a batch of one, here, so that the answer says how it went
        with self.db.transaction() as tx:
            return _message_view(store.get_message(tx, int(message_id)))

    @rpc(expected_exceptions=EXPECTED)
    def message_content(self, message_id):
        """What one email said: its record, subject and plain text (kept SENT_EMAIL_KEEP_DAYS)."""
        with self.db.transaction() as tx:
            row = store.get_message(tx, int(message_id))
            text = usecases.text_of(tx, row) if row is not None else None
        if row is None:
            raise NotFound("message_not_found", "Zpráva nebyla nalezena.")
        if row["payload"] == store.PURGED:
            raise Conflict("message_purged", "Obsah této zprávy už po uplynutí doby uchování nemáme.")
        return dict(_message_view(row), **self._preview(row["kind"], row["payload"], text))

    @rpc(expected_exceptions=EXPECTED)
    def preview_email(self, kind, payload):
        """The subject and plain text of the email of ``kind`` about ``payload``, as it would be sent
        (for staff to read before they change an event); nothing is queued or sent."""
        with self.db.transaction() as tx:
            active = store.active_text(tx, kind)
        return self._preview(kind, payload, active["body"] if active is not None else None)

    # The office's texts of the emails (texts.py): the console edits them through these.

    @rpc(expected_exceptions=EXPECTED)
    def list_texts(self):
        """Every kind of email: its subject, and whether its text is the office's own (which version,
        who, when) or the default."""
        with self.db.transaction() as tx:
            return usecases.texts_overview(tx)

    @rpc(expected_exceptions=EXPECTED)
    def get_text(self, key):
        """One email's text as new emails get it, its default, the variables it may use and every
        version saved (who, when)."""
        with self.db.transaction() as tx:
            return usecases.text_detail(tx, str(key))

    @rpc(expected_exceptions=EXPECTED)
    def save_text(self, key, body, by):
        """Check and save a new version of ``key``'s text (ValidationError with a Czech sentence when
        it cannot be sent); emails queued from now on use it. One transaction: failing halfway,
        nothing is saved and the former version stays active."""
        with self._uow() as uow:
            version = usecases.save_text(uow, str(key), body, by)
        return {"key": key, "version": version}

    @rpc(expected_exceptions=EXPECTED)
    def revert_text(self, key, by):
        """New emails of ``key`` go back to the default text (recorded as a version, who and when);
        ``version`` None when they had it already. One transaction, like ``save_text``."""
        with self._uow() as uow:
            version = usecases.revert_text(uow, str(key), by)
        return {"key": key, "version": version}

    @rpc(expected_exceptions=EXPECTED)
    def preview_text(self, key, body, payload):
        """The email of ``key`` made with the text ``body`` (checked as at saving) about ``payload``
        (a real registration's data), as it would be sent: subject, plain text and HTML. Nothing is
        saved, queued or sent. Data the email needs that ``payload`` lacks is a Czech refusal."""
        body = usecases.checked(str(key), body)
        return self._preview(str(key), payload, body, html=True)

    def _preview(self, kind, payload, text, html=False):
        settings = self.settings
        try:
            message = compose(kind, payload, sender=settings.mail_from, reply_to=settings.reply_to,
                              organiser=settings.organiser_name, contact=settings.organiser_contact,
                              recipient="ukazka@example.invalid", message_id="<ukazka@example.invalid>", text=text)
        except jinja2.UndefinedError as error:
            raise ValidationError({"body": f"Pro ukázku chybí údaj: {error.message}."},
                                  "Ukázku s těmito údaji udělat nejde: e-mail potřebuje údaj, který nemají "
                                  f"({error.message}).") from None
        except SecurityError as error:
            raise ValidationError({"body": f"Text sahá na nepovolenou část hodnoty ({error})."},
                                  "Text sahá na nepovolenou část hodnoty.") from None
        except Exception as error:  # a filter given a value it cannot take, say
            if text is None:
                raise  # the default text failed: not the office's doing
            log.info("preview of %s: the office's text failed with these data", kind, exc_info=True)
            raise ValidationError({"body": f"S těmito údaji text nejde použít ({type(error).__name__})."},
                                  "S těmito údaji text nejde použít: některý filtr dostal hodnotu, kterou "
                                  "neumí zpracovat (například datum platby u nezaplacené přihlášky). Použijte "
                                  "podmínku {% if … %}.") from None
        answer = {"subject": str(message["Subject"]), "text": message.get_body(("plain",)).get_content()}
        if html:
            answer["html"] = message.get_body(("html",)).get_content()
        return answer

    # Personal data

    @rpc(expected_exceptions=EXPECTED)
    def export_person(self, email):
        """Every email sent or waiting for ``email``: what, when, how it went (a data-protection request)."""
        with self.db.transaction() as tx:
            return {"email": email, "messages": [_message_view(row) for row in store.messages_to(tx, str(email))]}

    @rpc(expected_exceptions=EXPECTED)
    def erase_person(self, email):
        """Delete every email to ``email``, sent or waiting, with what it said, and drop the payload
        of every finished data box delivery that names the address (one under way keeps it until it
        finishes: the organisation's document is owed to it). One transaction: all or nothing."""
        with self._uow() as uow:
            found = store.messages_to(uow.conn, str(email))
            deleted = store.delete_messages(uow.conn, [row["id"] for row in found])
            erased = usecases.erase_from_databox_messages(uow, str(email))
        return {"email": email, "messages_deleted": deleted, "databox_payloads_erased": erased}

    @timer(interval=RETENTION_SECONDS)
    def forget_sent_bodies(self):
        """Retention: what a sent email said is kept SENT_EMAIL_KEEP_DAYS (for a resend), then dropped;
        so is what a finished data box delivery carried (accepted, by email instead, given up)."""
        days = self.settings.sent_email_keep_days
        with self._uow() as uow:
            purged = store.purge_sent_bodies(uow.conn, uow.now - timedelta(days=days))
            boxed = usecases.forget_databox_payloads(uow, uow.now - timedelta(days=days))
        if purged or boxed:
            log.info("retention: the bodies of %d sent emails and %d finished data box deliveries dropped",
                     purged, boxed)

    # Delivery

    def _unless_paid_for(self, kind, payload):
        if requires_payment(payload["registration"]):
            log.info("%s of registration %s waits for its payment details", kind, payload["registration"]["id"])
            return
        self._about_registration(kind, payload)

    def _about_registration(self, kind, payload):
        self._queue_and_send(kind, payload, payload["registration"]["email"])

    def _uow(self):
        """One call's transaction and the moment of the call (this service has no outbox)."""
        return unit_of_work(self.db, self.clock)

    def _message_id(self, kind, payload):
        return message_id_for(domain.dedup_key(kind, payload), self.settings.mail_from)

    def _queue_and_send(self, kind, payload, recipient):
        self._queue_and_send_all([(kind, payload, recipient)])

    def _queue_and_send_all(self, emails):
        """Record ``emails`` (``(kind, payload, recipient)``) in the next group's transaction, all
        of them or none, and hand them to the sender; returns once they are committed (an email
        recorded before, by its message id, is not recorded or sent again). The group failing
        (the database away), this raises and the event comes back."""
        item = [(kind, payload, recipient, self._message_id(kind, payload)) for kind, payload, recipient in emails]
        message_ids = self.groups.submit(QUEUE, item, self._queue_group)
        for (kind, _, recipient, _), message_id in zip(item, message_ids, strict=True):
            if message_id is None:
                log.info("%s for %s already queued; redelivery ignored", kind, recipient)
        self.sender.hand([message_id for message_id in message_ids if message_id is not None])

    def _queue_group(self, _key, items):
        """One transaction and one insert for the emails of the handlers that came together. An
        item that fails on its own while its rows are made is given back to its handler alone; the
        others commit. Should the insert fail (a row the database refuses; not the database's
        failure, which every handler gets), the transaction rolls back whole and the group is
        recorded again one item at a time, each in its savepoint (``_queue_one_by_one``)."""
        try:
            return self._queue_together(items)
        except Exception as error:
            if outage(error) is not None:
                raise
            log.warning("%d emails could not be recorded in one insert (%s); recording them one by one",
                        sum(len(item) for item in items), error)
        return self._queue_one_by_one(items)

    def _queue_together(self, items):
        outcomes, texts_read = [], {}
        with self._uow() as uow:
            for item in items:
                try:
                    outcomes.append([usecases.message_row(uow, kind, payload, recipient, header, texts_read=texts_read)
                                     for kind, payload, recipient, header in item])
                except Exception as error:
                    if outage(error) is not None:
                        raise
                    outcomes.append(error)
            ids = iter(usecases.queue_rows(uow, [row for rows in outcomes if isinstance(rows, list) for row in rows]))
        return [rows if isinstance(rows, Exception) else [next(ids) for _ in rows] for rows in outcomes]

    def _queue_one_by_one(self, items):
        outcomes, texts_read = [], {}
        with self._uow() as uow:
            for item in items:
                try:
                    with uow.conn.begin_nested():
                        outcomes.append([usecases.queue(uow, kind, payload, recipient, header, texts_read=texts_read)
                                         for kind, payload, recipient, header in item])
                except Exception as error:
                    if outage(error) is not None:
                        raise
                    outcomes.append(error)
        return outcomes

    # Data boxes (ISDS)

    @cached_property
    def isds(self):
        settings = self.settings
        return isds.IsdsClient(settings.isds_url, settings.isds_username, settings.isds_password,
                               cert=settings.isds_cert, key=settings.isds_key, timeout=settings.isds_timeout)

    def _prefers_databox(self, ico):
        if not ico or not self.settings.isds_configured:
            return False
        try:
            organisation = self.members.get_organisation(ico)
        except NotFound:
            return False
        return organisation.get("delivery_channel") == DeliveryChannel.DATABOX

    def _queue_and_send_databox(self, kind, payload, ico):
        with self._uow() as uow:
            row_id = usecases.queue_databox(uow, kind, payload, ico)
        if row_id is None:
            log.info("%s for the data box of %s already queued; redelivery ignored", kind, ico)
            return
        self._deliver_databox(row_id)

    def _deliver_databox(self, row_id):
        """One step of a delivery to a data box: send it, or ask for its delivery note.

        Never sent twice: the document's reference travels as dmSenderRefNumber, the claim counts
        the attempt before anything is sent, and every attempt after the first searches the sent
        messages of ISDS for it (GetListOfSentMessages) before sending: a message that arrived
        although its answer did not (a time-out), or whose record failed or never came (killed, the
        database away), is found and taken as sent. The claim outlasts the worst case of the step
        (``domain.databox_claim_seconds``), so no timer takes the row up while it may be sending.
        Failing halfway otherwise: the row waits, ``deliver_databox_due`` goes on; every attempt
        used, the document goes by email instead (``_databox_failure``)."""
        with self._uow() as uow:
            row = usecases.claim_databox(uow, row_id, domain.databox_claim_seconds(self.settings.isds_timeout))
        if row is None:
            return
        settings = self.settings
        delays = settings.retry_delays
        try:
            if row["status"] in (DataboxStatus.SENT, DataboxStatus.DELIVERED):
                delivery = self.isds.delivery_info(row["dm_id"])
                outcome = partial(usecases.record_databox_delivery, row=row, delivery=delivery,
                                  poll_seconds=settings.isds_poll_seconds)
            else:
                outcome = self._send_databox(row)
        except isds.Unavailable as error:
            log.warning("data box delivery %s (%s): ISDS did not answer: %s", row_id, row["reference"], error)
            outcome = partial(self._databox_failure, row=row, error=error, delays=delays)
        except Exception as error:  # documents away, a bug: keep it and retry
            log.exception("data box delivery %s could not be prepared", row_id)
            outcome = partial(self._databox_failure, row=row, error=error, delays=delays)
        with self._uow() as uow:
            outcome(uow)

    def _databox_failure(self, uow, row, error, delays):
        """Try again later; every attempt used, by email instead, in the same transaction."""
        reason = usecases.record_databox_failure(uow, row, error, delays)
        if reason is not None:
            log.error("data box delivery %s (%s) to IČO %s: %s; sent by email instead", row["id"],
                      row["reference"], row["ico"], reason)
            self._email_instead(uow, row, reason, row["box_id"])

    def _send_databox(self, row):
        settings = self.settings
        poll = settings.isds_poll_seconds
        if usecases.databox_send_started_before(row):  # it may have arrived without its answer or record
            found = self.isds.find_sent(row["reference"], row["created_at"] - timedelta(hours=1),
                                        self.clock() + timedelta(hours=1))
            if found is not None:
                log.info("data box delivery %s: found in ISDS as %s, not sent again", row["id"], found)
                return partial(usecases.record_databox_sent, row=row, box_id=row["box_id"], dm_id=found,
                               poll_seconds=poll)
        box = self.isds.find_box(row["ico"])
        reason = "organizace s tímto IČO nemá datovou schránku" if box is None \
            else domain.databox_refusal(box, settings.isds_sender_ovm)
        if reason is None:
            try:
                dm_id = self.isds.send(box.box_id, self._databox_annotation(row), row["reference"],
                                       self._databox_files(row), as_public_body=settings.isds_sender_ovm)
            except isds.Refused as refused:
                reason = f"datová schránka {box.box_id} zprávu odmítla: {refused}"
            else:
                log.info("data box delivery %s sent to %s as %s", row["id"], box.box_id, dm_id)
                return partial(usecases.record_databox_sent, row=row, box_id=box.box_id, dm_id=dm_id,
                               poll_seconds=poll)
        # Staff are told: an error in the log, and the state and reason on the organisation's page.
        log.error("data box delivery %s (%s) to IČO %s: %s; sent by email instead", row["id"], row["reference"],
                  row["ico"], reason)
        return partial(self._email_instead, row=row, reason=reason, box_id=box.box_id if box else None)

    def _email_instead(self, uow, row, reason, box_id):
        """Record the fallback and queue the emails in one transaction; ``deliver_due`` sends them."""
        usecases.record_email_instead(uow, row, reason, box_id)
        payload = row["payload"]
        if row["kind"] == EmailKind.INVOICE_ISSUED:
            for recipient in payload["recipients"]:
                message = dict(payload, recipient=recipient)
                usecases.queue(uow, EmailKind.INVOICE_ISSUED, message, recipient,
                               self._message_id(EmailKind.INVOICE_ISSUED, message))
        # a certificate went to its holder by email already

    def _databox_annotation(self, row):
        payload = row["payload"]
        if row["kind"] == EmailKind.INVOICE_ISSUED:
            document = "Opravný daňový doklad" if payload["invoice"]["kind"] == InvoiceKind.CREDIT_NOTE else "Faktura"
            return f"{document} {row['document_number']}: {payload['event']['title']}"
        return f"Osvědčení o absolvování: {payload['event']['title']}"

    def _databox_files(self, row):
        payload = row["payload"]
        if row["kind"] == EmailKind.INVOICE_ISSUED:
            pdf = _attachment(self.documents.render_invoice(payload["invoice"]))
            return [pdf, (f"{payload['invoice']['number']}.isdoc", "application/xml",
                          base64.b64decode(payload["isdoc"]))]
        return [_attachment(self.documents.render_certificate(payload["registration"]["id"], original=True))]

    @sends_batches
    def send_batch(self, message_ids):
        """Send the queued messages of ``message_ids`` as one batch; returns the ids put back untried.

        1. Claim them, in one transaction: a conditional update (never a message that is sent,
           failed, or claimed by a sender whose claim holds: two senders never have one message),
           ``usecases.CLAIM_SECONDS``; those overtaken since they were queued are marked superseded.
        2. Build them, ``COMPOSERS`` at a time (their PDFs from documents), and send each as soon
           as it is built over one of ``LANES`` SMTP connections (``SmtpSession``: a refusal is the
           message's alone; a lost connection is opened again for the rest; never sent twice in the
           batch). A connection that gives up (none to be opened, as with a server that takes one
           at a time, or two lost in a row) leaves the rest to the others; the last one left
           fails each at once, untried. The messages go out in the order they are built, and the
           server may take two of them the other way round: the claim has already dropped any
           message that a later one in the batch overtakes.
           A message is handed to the server only while its claim has time left for its slowest
           answer and for the record (``_last_start``); those not reached by then are put back,
           untried and due at once.
        3. Record every outcome in one transaction, before the claim lapses (``_record``).

        Failing halfway: killed or failed before the claim commits, nothing happened (the
        messages wait in the table for ``deliver_due``). After it and before the record (killed,
        the database away past the claim): the batch's messages stay claimed until the claim
        lapses, then go again; one the server had accepted and not yet recorded is then sent a
        second time, with the same Message-ID (the window RFC 5321 §6.1 leaves): at most the
        ``SENT_RECORD_EVERY`` accepted since the last record, as the accepted are recorded every
        ``SENT_RECORD_EVERY`` in the middle of the batch, and the one send each other connection
        had under way when that record began (no connection starts a send during a record).
        Documents or a template failing fails that message alone (retried after its delay)."""
        with self._uow() as uow:
            messages = usecases.claim_batch(uow, message_ids)
        if not messages:
            return []
        claim_lapses = time.monotonic() + usecases.CLAIM_SECONDS
        recorded = set()
        outcomes = self._send_all(messages, claim_lapses, recorded)
        rest = [outcome for message_id, outcome in outcomes.items() if message_id not in recorded]
        if rest:
            self._record(rest, claim_lapses)
        put_back = [message["id"] for message in messages if outcomes[message["id"]].func is usecases.put_back]
        log.info("batch of %d: %d sent, %d not, %d put back", len(messages),
                 sum(outcome.func is usecases.record_sent for outcome in outcomes.values()),
                 sum(outcome.func is usecases.record_failure for outcome in outcomes.values()), len(put_back))
        return put_back

    def _last_start(self, claim_lapses):
        """The last moment a message may go to the server: its slowest answer (the data's, the
        window of RFC 5321 §6.1) and its record still fall inside the claim."""
        return claim_lapses - RECORD_MARGIN_SECONDS - self.smtp.longest_message_seconds

    def _send_all(self, messages, claim_lapses, recorded):
        """Build ``messages`` concurrently and send each as it is built, over ``LANES`` connections
        (each a green thread taking the next built message); ``{id: outcome}``, each outcome a
        ``partial`` that records it in a unit of work. Every ``SENT_RECORD_EVERY`` messages the
        server accepted are recorded as sent at once (their ids added to ``recorded``), with no
        send started meanwhile, so a sender killed mid-batch sends again at most that many and the
        other connections' sends under way. A lane's error (a record that failed) ends the batch:
        no other lane starts a send after it."""
        last_start = self._last_start(claim_lapses)
        to_build, built = deque(messages), LightQueue()
        # a large batch's documents asked for a few emails at a time, a small one's one at a time
        together = max(1, min(DOCUMENTS_TOGETHER, len(messages) // COMPOSERS))

        def builder():
            while to_build:
                some = [to_build.popleft() for _ in range(min(together, len(to_build)))]
                try:
                    documents = self._documents(some)
                except Exception as error:  # documents away: these messages
                    documents = [error] * len(some)
                for message, pdfs in zip(some, documents, strict=True):
                    try:
                        if isinstance(pdfs, Exception):
                            raise pdfs
                        built.put((message, self._compose(message, pdfs), None))
                    except Exception as error:  # documents away, a template bug: this message alone
                        built.put((message, None, error))

        outcomes, accepted = {}, []
        untaken = [len(messages)]  # built messages that no lane has taken yet
        recording = Semaphore()  # held while the accepted are recorded: no lane starts a send
        lanes = min(LANES, len(messages))
        standing = [lanes]  # lanes whose connection has not given up
        failed = []  # a lane's error: no lane starts another send

        def lane(session):
            try:
                try:
                    session.open()  # before taking a message: one that cannot be opened takes none
                except Exception as error:  # given up; anything else comes again with each send, as a bug
                    log.warning("an SMTP connection of the batch could not be opened: %s", error)
                while untaken[0] > 0 and not failed:
                    if session.given_up and standing[0] > 1:
                        standing[0] -= 1
                        return  # the others send the rest; the last to stand fails each at once
                    untaken[0] -= 1
                    try:
                        message, email, error = built.get(timeout=max(last_start - time.monotonic(), 0.0))
                    except Empty:
                        return  # out of time: the rest are put back
                    if error is not None:
                        log.error("message %s could not be prepared", message["id"], exc_info=error)
                        outcomes[message["id"]] = self._failure(message, error, permanent=False)
                        continue
                    with recording:  # a record under way ends first
                        pass
                    if failed or time.monotonic() >= last_start:
                        return  # this one and the rest are put back
                    outcomes[message["id"]] = self._send_one(session, message, email)
                    if outcomes[message["id"]].func is usecases.record_sent:
                        accepted.append(message["id"])
                    if len(accepted) >= SENT_RECORD_EVERY:
                        taken = accepted[:]
                        accepted.clear()
                        with recording:
                            self._record([outcomes[message_id] for message_id in taken], claim_lapses)
                        recorded.update(taken)
            except BaseException:
                failed.append(True)  # before this connection's QUIT: the others start no more sends
                raise
            finally:
                session.close()

        builders = [eventlet.spawn(builder) for _ in range(min(COMPOSERS, len(messages)))]
        threads, ended = [], LightQueue()
        try:
            for _ in range(lanes):
                threads.append(eventlet.spawn(lane, self.smtp.session()))
                threads[-1].link(ended.put)
            for _ in threads:
                ended.get().wait()  # a lane's error at once (the others killed below)
        finally:
            for thread in builders + threads:
                thread.kill()  # those still building, or sending: put back
        for message in messages:
            if message["id"] not in outcomes:
                log.warning("message %s: not tried in time, put back", message["id"])
                outcomes[message["id"]] = partial(usecases.put_back, message=message)
        return outcomes

    def _send_one(self, session, message, email):
        message_id = message["id"]
        try:
            session.send(email)
        except PermanentFailure as error:
            return self._failure(message, error, permanent=True)
        except ServerRefused as error:
            log.error("the SMTP server refused message %s: %s; check the mail settings (SMTP_USER, MAIL_FROM)",
                      message_id, error)
            return self._failure(message, error, permanent=False)
        except TemporaryFailure as error:
            return self._failure(message, error, permanent=False)
        except Exception as error:  # a bug: keep it and retry
            log.exception("message %s could not be sent", message_id)
            return self._failure(message, error, permanent=False)
        log.info("message %s (%s) sent to %s", message_id, message["kind"], message["recipient"])
        return partial(usecases.record_sent, message=message)

    def _failure(self, message, error, permanent):
        log.warning("message %s to %s not sent: %s", message["id"], message["recipient"], error)
        return partial(usecases.record_failure, message=message, error=error, permanent=permanent,
                       delays=self.settings.retry_delays)

    def _record(self, outcomes, claim_lapses):
        """Record how sending a batch went, in one transaction (the messages sent in one statement),
        while this worker still holds its claim.

        The database away at that moment (a restart, a locked file) is waited for, until shortly
        before the claim lapses: an email that went out but is not recorded as sent would be taken
        up again by ``deliver_due`` and reach its recipient twice. Killed meanwhile, or the claim
        lapsing first, the batch's messages are tried again: at least once, never lost."""
        deadline = claim_lapses - RECORD_MARGIN_SECONDS
        pause = 0.2
        while True:
            try:
                with self._uow() as uow:
                    usecases.record_all_sent(uow, [outcome.keywords["message"] for outcome in outcomes
                                                   if outcome.func is usecases.record_sent])
                    for outcome in outcomes:
                        if outcome.func is not usecases.record_sent:
                            outcome(uow)
                return
            except Exception as error:
                left = deadline - time.monotonic()
                if outage(error) is None or left <= 0:
                    raise
                log.warning("a batch of %d messages: its outcome not recorded yet (%s); trying again",
                            len(outcomes), error)
                time.sleep(min(pause, left))  # green: the process goes on meanwhile
                pause = min(pause * 2, 5)

    def _documents(self, messages):
        """The tickets and invoices of ``messages``, in one call to documents
        (``render_documents``): for each message, its PDFs as ``_compose`` takes them (a document
        that documents could not make raises there, for its message alone), or the exception
        that asking for them raised (the message's own data)."""
        asked = []
        for message in messages:
            try:
                asked.append(_documents_wanted(message))
            except Exception as error:  # its data: this message alone (raised when it is built)
                asked.append(error)
        requests = [request for wanted in asked if not isinstance(wanted, Exception) for request in wanted]
        answers = iter(self._render_documents(requests) if requests else [])
        return [wanted if isinstance(wanted, Exception) else [next(answers) for _ in wanted] for wanted in asked]

    def _render_documents(self, requests):
        """documents' ``render_documents``; a documents process from before it (notifications
        upgraded first) is asked for each document alone, as it was, each failure its own."""
        try:
            return self.documents.render_documents(requests)
        except MethodNotFound:
            log.warning("documents does not know render_documents yet: its documents asked for one at a time")
        answers = []
        for request in requests:
            try:
                answers.append(self.documents.render_ticket(request["ticket"]) if "ticket" in request
                               else self.documents.render_invoice(request["invoice"]))
            except Exception as error:
                if outage(error) is not None:
                    raise
                answers.append({"error": f"{type(error).__name__}: {error}"})
        return answers

    def _compose(self, message, pdfs):
        """The email of ``message``; ``pdfs``: its documents as ``_documents`` made them."""
        kind, payload, settings = message["kind"], message["payload"], self.settings
        email = domain.EMAILS[kind]
        registration = payload.get("registration") or {}
        seat = _seated(email, registration)
        made = iter(pdfs)
        attachments, headers = [], {}
        if email.ticket and seat:
            attachments.append(_attachment(next(made)))
        if email.certificate:
            attachments.append(_attachment(self.documents.render_certificate(registration["id"], original=True)))
        if email.invoice:
            attachments.append(_attachment(next(made)))
            attachments.append((f"{payload['invoice']['number']}.isdoc", "application/xml",
                                base64.b64decode(payload["isdoc"])))
        payment = registration.get("payment") or {}
        qr_platba = payment.get("spd") if email.payment and not registration.get("paid_at") else None
        if email.calendar is not None and seat:
            revision = email.calendar
            if revision == calendar.ENTRY and payload.get("restored_from") == registration.get("id"):
                revision = calendar.RETURNED  # the same entry again, after its withdrawal
            attachments.append(("zruseni.ics" if revision == calendar.WITHDRAWN else "pozvanka.ics",
                                f"text/calendar; method={calendar.METHOD}; charset=utf-8",
                                calendar.ics(payload, revision=revision, sender=settings.mail_from,
                                             organiser=settings.organiser_name, now=self.clock())))
        if email.unsubscribe:
            headers["List-Unsubscribe"] = f"<{payload['unsubscribe_url']}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        made = partial(draft, kind, payload, sender=settings.mail_from, reply_to=settings.reply_to,
                       organiser=settings.organiser_name, contact=settings.organiser_contact,
                       recipient=message["recipient"], message_id=message["message_id_header"],
                       attachments=attachments, headers=headers, qr_platba=qr_platba)
        if message.get("text") is None:
            return made()
        try:
            return made(text=message["text"])
        except Exception:  # any failure of the office's text, a filter's too
            # A saved text that this email's data does not fit (checked at saving, previewed, yet a
            # value missing here, or a filter given a value it cannot take, such as the day of a
            # payment not made): the email goes with the default text rather than never. Should
            # the default fail too, that error is the email's and goes on as any other.
            log.error("message %s: the office's text of %s (version %s) failed; sent with the default text",
                      message["id"], kind, message.get("text_version"), exc_info=True)
            return made()


def _message_view(row):
    return {
        "id": row["id"], "kind": row["kind"], "to": row["recipient"], "status": row["status"],
        "attempts": row["attempts"], "last_error": row["last_error"], "created_at": row["created_at"].isoformat(),
        "sent_at": row["sent_at"].isoformat() if row["sent_at"] else None,
    }


def _databox_view(row):
    def moment(value):
        return value.isoformat() if value else None
    return {"id": row["id"], "kind": row["kind"], "document": domain.databox_document(row["kind"], row["payload"]),
            "document_number": row["document_number"],
            "status": row["status"], "box_id": row["box_id"], "dm_id": row["dm_id"], "attempts": row["attempts"],
            "last_error": row["last_error"], "created_at": moment(row["created_at"]), "sent_at": moment(row["sent_at"]),
            "delivered_at": moment(row["delivered_at"]), "accepted_at": moment(row["accepted_at"])}


def _seated(email, registration):
    """Whether ``email`` about ``registration`` carries a ticket and a calendar entry: a restored
    registration may be back in line rather than in a seat (then neither)."""
    return not email.seat_only or registration["status"] == RegistrationStatus.CONFIRMED


def _documents_wanted(message):
    """What documents makes for ``message``'s email (``render_documents``'s requests): its ticket,
    its invoice."""
    email, payload = domain.EMAILS[message["kind"]], message["payload"]
    wanted = []
    if email.ticket and _seated(email, payload.get("registration") or {}):
        wanted.append({"ticket": payload})
    if email.invoice:
        wanted.append({"invoice": payload["invoice"]})
    return wanted


class DocumentNotMade(Exception):
    """Documents could not make one of an email's PDFs (that email's failure alone)."""


def _attachment(pdf):
    if "error" in pdf:
        raise DocumentNotMade(pdf["error"])
    return pdf["filename"], pdf["content_type"], base64.b64decode(pdf["data"])
