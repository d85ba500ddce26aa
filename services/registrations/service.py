"""The registrations service: events, seats, waitlist and the public HTTP API.

Registrations for one event that arrive together are registered in one transaction
(``GroupCommit``, ``_register``). What payments tells (``payment_requested``,
``payment_received``, ``invoice_issued``) is copied the same way, a group at a time
(``_for_payments``): the events that arrive together are written in one transaction, and
each is acknowledged once that transaction committed. One failing on its own makes the group
run again with each in its savepoint (``each_alone_if_one_fails``): it is rolled back to it
(with what it put in the outbox) and comes back alone; the group's transaction failing (the
database away) brings every event of it back.
"""
import logging
from datetime import datetime, timedelta
from functools import cached_property

from nameko.dependency_providers import Config
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.timer import timer
from sqlalchemy.exc import IntegrityError

from services.common import metrics
from services.common.clock import Clock
from services.common.db import DatabaseProvider
from services.common.errors import EXPECTED
from services.common.events import event_handler
from services.common.groups import GroupCommit, each_alone_if_one_fails
from services.common.health import HealthCheck
from services.common.logs import CallLog
from services.common.outbox import OutboxRelay
from services.common.rpc import RpcClient, rpc
from services.common.signing import TicketSigner
from services.common.unit_of_work import retried_on_deadlock, unit_of_work
from services.common.vocabulary import RegistrationStatus

from . import records, store, usecases
from .afterwards import AfterTheEvent
from .feeds import FeedPages
from .http import Announcements, HttpApi
from .portal import PortalPages
from .ratelimit import RateLimits
from .schemas import (
    colleagues_in,
    door_batch_in,
    event_changes_in,
    event_in,
    registration_in,
    registration_out,
    registrations_out,
    staff_event_out,
    staff_events_out,
    substitute_in,
)
from .settings import load as load_settings
from .site import WebPages, preview_token

log = logging.getLogger(__name__)

MEMBERSHIP_SYNC_SECONDS = 600
REMINDER_POLL_SECONDS = 60
RELEASE_POLL_SECONDS = 600
IDEMPOTENCY_KEEP = timedelta(hours=48)
RETENTION_SECONDS = 24 * 3600
PAYMENTS = "payments"  # the key of the groups of payments' copies (``_for_payments``)


class RegistrationsService(HttpApi, Announcements, WebPages, FeedPages, PortalPages, AfterTheEvent, HealthCheck):
    name = "registrations"

    call_log = CallLog()

    db = DatabaseProvider(store.metadata)
    outbox = OutboxRelay(store.outbox)
    groups = GroupCommit()
    # The copies of what payments tells (``_for_payments``): one transaction for those that come together.
    payment_groups = GroupCommit(limit_setting=None, gather=0.01)
    signing_key = TicketSigner()
    rate_limits = RateLimits()
    clock = Clock()
    config = Config()
    # Called while a person waits for the page: they give up sooner than calls in the background.
    documents = RpcClient("documents", "WEB_RPC_TIMEOUT_SECONDS")
    members = RpcClient("members", "WEB_RPC_TIMEOUT_SECONDS")
    notifications_rpc = RpcClient("notifications", "WEB_RPC_TIMEOUT_SECONDS")
    # Issuing an invoice renders nothing while the person waits, but numbers it: a little longer.
    payments = RpcClient("payments")

    @cached_property
    def settings(self):
        """Read from the configuration once per worker; config.yaml's defaults for what it lacks."""
        return load_settings(self.config)

    @property
    def base_url(self):
        return self.settings.public_base_url

    def _uow(self):
        """The unit of work of one call: a transaction, the moment, the outbox, the base URL of
        links and the ticket signing key."""
        return unit_of_work(self.db, self.clock, self.outbox, self.base_url, self.signing_key)

    def _register(self, event_id, request, idempotency_key=None, request_hash=None):
        """Register one person (``registration_in``) or colleagues (``colleagues_in``); with an
        idempotency key, the first answer for it is kept and replayed.

        Registrations for one event that arrive together are registered together, in one
        transaction (``GroupCommit``): if it fails, nothing of the group is written and each of
        its callers is told (a 503 when the database is away); if this worker is killed halfway,
        the transaction rolls back and so does every registration in it.
        """
        if idempotency_key:
            with self.db.transaction() as tx:
                replay = usecases.idempotent_replay(tx, idempotency_key, request_hash)
            if replay:
                return replay
        outcome = self.groups.submit(event_id, (request, idempotency_key, request_hash), self._enrol_group)
        if outcome is usecases.ALONE:
            return self._register_alone(event_id, request, idempotency_key, request_hash)
        if idempotency_key:
            return 201, outcome  # the answer as kept for the key
        return 201, usecases.answer_of(outcome, self.clock())  # built after the commit, outside the lock

    def _enrol_group(self, event_id, entries):
        """One transaction for a group of registrations for one event (see ``_register``)."""
        try:
            with self._uow() as uow:
                return usecases.enrol_group(uow, event_id, entries)
        except IntegrityError:  # a twin Idempotency-Key committed by another process meanwhile
            return [usecases.ALONE] * len(entries)

    def _register_alone(self, event_id, request, idempotency_key, request_hash):
        """One registration in its own transaction; its key claimed first, so that a twin
        request elsewhere waits for this one and then replays its answer."""
        try:
            with self._uow() as uow:
                store.lock_event(uow.conn, event_id)  # the event before the key, as in a group: no deadlock
                if idempotency_key:
                    store.save_idempotent_answer(uow.conn, idempotency_key, request_hash, 201, {}, uow.now)
                [outcome] = usecases.enrol(uow, event_id, [request])
                if isinstance(outcome, Exception):
                    raise outcome
                body = usecases.answer_of(outcome, uow.now)
                if idempotency_key:
                    store.update_idempotent_answer(uow.conn, idempotency_key, body)
        except IntegrityError:
            if idempotency_key:
                with self.db.transaction() as tx:
                    replay = usecases.idempotent_replay(tx, idempotency_key, request_hash)
                if replay:
                    return replay
            raise usecases.ALREADY_REGISTERED() from None
        return 201, body

    # Events, for staff

    @rpc(expected_exceptions=EXPECTED)
    def create_event(self, data):
        values = event_in.load_or_raise(data)
        with self._uow() as uow:
            return staff_event_out.dump(usecases.create_event(uow, values))

    @rpc(expected_exceptions=EXPECTED)
    def update_event(self, event_id, changes):
        values = event_changes_in.load_or_raise(changes)
        with self._uow() as uow:
            event = usecases.update_event(uow, int(event_id), values)
        return staff_event_out.dump(event)

    @rpc(expected_exceptions=EXPECTED)
    def preview_event_update(self, event_id, changes):
        """What ``update_event(event_id, changes)`` would tell the people registered; changes nothing."""
        values = event_changes_in.load_or_raise(changes)
        with self.db.transaction() as tx:
            return usecases.preview_update(tx, int(event_id), values, self.clock())

    @rpc(expected_exceptions=EXPECTED)
    def cancel_event(self, event_id, reason):
        with self._uow() as uow:
            return staff_event_out.dump(usecases.cancel_event(uow, int(event_id), str(reason)))

    @rpc(expected_exceptions=EXPECTED)
    def delete_draft(self, event_id):
        """Delete an event that was never published (``not_a_draft`` otherwise: cancel it instead)."""
        with self._uow() as uow:
            return staff_event_out.dump(usecases.delete_draft(uow, int(event_id)))

    @rpc(expected_exceptions=EXPECTED)
    def preview_url(self, event_id):
        """A signed address of the event's public page that shows it before it is published
        (for staff: the page as it will look, with registering turned off), valid a day."""
        with self.db.transaction() as tx:
            usecases.get_event(tx, int(event_id), public_only=False)
        token = preview_token(self.signing_key, int(event_id), self.clock())
        return f"{self.base_url}/events/{int(event_id)}?nahled={token}"

    @rpc(expected_exceptions=EXPECTED)
    def event_stats(self, event_id):
        with self.db.transaction() as tx:
            return usecases.event_stats(tx, int(event_id), self.clock())

    @rpc(expected_exceptions=EXPECTED)
    def publish_event(self, event_id):
        with self._uow() as uow:
            return staff_event_out.dump(usecases.publish_event(uow, int(event_id)))

    @rpc(expected_exceptions=EXPECTED)
    def list_events(self, include_past=False):
        now = self.clock()
        with self.db.transaction() as tx:
            events = usecases.all_events(tx, now) if include_past else usecases.upcoming_events(tx, now)
        return staff_events_out.dump(events)

    @rpc(expected_exceptions=EXPECTED)
    def get_event(self, event_id):
        now = self.clock()
        with self.db.transaction() as tx:
            event = usecases.get_event(tx, int(event_id), public_only=False)
        return staff_event_out.dump(usecases.event_view(event, now))

    @rpc
    def metrics(self):
        with self.db.transaction() as tx:
            counts = store.count_all_by_status(tx)
            backlog = metrics.outbox_backlog(tx, store.outbox, self.name)
        statuses = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED, RegistrationStatus.CANCELLED)
        return [metrics.sample("smopk_registrations", "gauge", "Registrations by status.", counts.get(status, 0),
                               status=status) for status in statuses] + [
            backlog,
            metrics.sample("smopk_registration_groups_total", "counter",
                           "Transactions that registered a group of people for one event (this process).",
                           self.groups.runs),
            metrics.sample("smopk_registration_grouped_total", "counter",
                           "People registered or refused in those transactions (this process).", self.groups.items),
            metrics.sample("smopk_db_statements_total", "counter", "SQL statements run (this process).",
                           self.db.statements, service=self.name)]

    # Registrations

    @rpc(expected_exceptions=EXPECTED)
    def register(self, event_id, data):
        """Register someone on their behalf (staff)."""
        return self._register(int(event_id), registration_in.load_or_raise(data))[1]

    @rpc(expected_exceptions=EXPECTED)
    def register_group(self, event_id, data):
        """Register several colleagues of one organisation, all or none (staff; see
        ``domain._plan_colleagues``): ``data`` has ``registrant`` (who gets the summary),
        ``organisation_ico`` or ``organisation_name``, ``attendees``, ``gdpr_consent`` and
        optionally ``waitlist_rest``."""
        return self._register(int(event_id), colleagues_in.load_or_raise(data))[1]

    @rpc(expected_exceptions=EXPECTED)
    def cancel_registration(self, registration_id):
        return registration_out.dump(self._cancel(registration_id=int(registration_id)))

    def _cancel(self, **which):
        """``usecases.cancel_registration`` in a unit of work, run again should PostgreSQL roll it
        back to break a deadlock (staff's RPC, the API and the manage page)."""
        def cancel():
            with self._uow() as uow:
                return usecases.cancel_registration(uow, **which)
        return retried_on_deadlock(cancel)

    @rpc(expected_exceptions=EXPECTED)
    def restore_registration(self, registration_id):
        """Take back a cancellation (staff): the person again, as a new registration, confirmed
        when a seat is free, else at the end of the waitlist (a fee is asked for afresh by
        payments, on ``registration_restored``, once it has a seat); refused after the start, or
        when the email holds another registration. One transaction: a failure halfway leaves it
        cancelled. Returns the new registration."""
        with self._uow() as uow:
            registration = usecases.restore_registration(uow, int(registration_id))
        return registration_out.dump(registration)

    @rpc(expected_exceptions=EXPECTED)
    def substitute(self, registration_id, data):
        """Hand a confirmed seat to a substitute (staff): ``data`` as the registration form's person
        (first_name, last_name, email, optional phone, position, note, birth_date; gdpr_consent)."""
        request = substitute_in.load_or_raise(data)
        with self._uow() as uow:
            registration = usecases.substitute(uow, request, registration_id=int(registration_id))
        return registration_out.dump(registration)

    @rpc(expected_exceptions=EXPECTED)
    def promote(self, registration_id):
        """Give a waitlisted person a seat by hand (one more seat: nobody else loses theirs)."""
        with self._uow() as uow:
            registration = usecases.promote_by_hand(uow, int(registration_id))
        return registration_out.dump(registration)

    @rpc(expected_exceptions=EXPECTED)
    def check_in(self, event_id, ticket_code, any_day=False):
        """Admit the holder of ``ticket_code`` to event ``event_id``; a ticket of another event is
        refused (``wrong_event``), as are forged, cancelled, waitlisted and used ones, and a genuine
        one on a day the event does not take place on (``not_today``) unless ``any_day``."""
        with self._uow() as uow:
            registration = usecases.check_in(uow, int(event_id), str(ticket_code), any_day=bool(any_day))
        return registration_out.dump(registration)

    @rpc(expected_exceptions=EXPECTED)
    def check_in_by_id(self, event_id, registration_id, any_day=False):
        """Admit a person found by name at the door (the ticket forgotten), with the refusals of
        ``check_in``: cancelled, waitlisted, already checked in (and when), ``not_today``."""
        with self._uow() as uow:
            registration = usecases.check_in_by_id(uow, int(event_id), int(registration_id), any_day=bool(any_day))
        return registration_out.dump(registration)

    @rpc(expected_exceptions=EXPECTED)
    def mark_attendance(self, event_id, registration_ids=None, sessions=None):
        """Mark who attended which sessions (indices of the event's sessions; an event without
        sessions is 0): by default every session begun so far, for everyone let in at it, or for
        the given registration ids; a session from its start on (``not_started`` before). Sends
        nothing: ``{"marked", "registration_ids"}``."""
        with self._uow() as uow:
            return usecases.mark_attendance(uow, int(event_id), registration_ids, sessions)

    @rpc(expected_exceptions=EXPECTED)
    def unmark_attendance(self, event_id, registration_ids, sessions=None):
        """Take attendance back for these registrations at ``sessions`` (default: all), until their
        certificate is issued (``certificate_issued``): ``{"unmarked", "registration_ids"}``."""
        with self._uow() as uow:
            return usecases.unmark_attendance(uow, int(event_id), registration_ids, sessions)

    @rpc(expected_exceptions=EXPECTED)
    def certificate_plan(self, event_id):
        """Who ``issue_certificates`` would send a certificate to now, who waits for a payment, who
        has one: ``{"due", "refusal", "started", "issue": [{"id", "name"}], "waiting_payment": [...],
        "issued": [...]}``."""
        with self.db.transaction() as tx:
            return usecases.certificate_plan(tx, int(event_id), self.clock())

    @rpc(expected_exceptions=EXPECTED)
    def issue_certificates(self, event_id):
        """Send the certificates of an ended accredited event to those who attended and paid (or
        were released): ``{"issued", "issued_to", "waiting_payment", "waiting", "already_issued"}``;
        ``not_ended`` before its end, ``not_accredited`` for other events."""
        with self._uow() as uow:
            return usecases.issue_certificates(uow, int(event_id))

    @rpc(expected_exceptions=EXPECTED)
    def release_certificate(self, registration_id, by):
        """Let an attended registration's certificate go without its fee paid (``by``: who decided);
        sent at once when the event's certificates were issued already. The registration, with
        ``certificate_issued_now``."""
        with self._uow() as uow:
            registration = usecases.release_certificate(uow, int(registration_id), by)
        issued_now = registration.pop("certificate_issued_now")
        return dict(registration_out.dump(registration), certificate_issued_now=issued_now)

    @rpc(expected_exceptions=EXPECTED)
    def export_registrations(self, event_id):
        """CSV for Czech Excel (UTF-8 with BOM, semicolons)."""
        with self.db.transaction() as tx:
            return usecases.export_csv(tx, int(event_id), self.clock(), self.base_url)

    @rpc(expected_exceptions=EXPECTED)
    def send_due_reminders(self):
        """Emit the reminders that are due now; the timer calls it every minute."""
        days = self.settings.reminder_days_before
        with self._uow() as uow:
            return usecases.send_due_reminders(uow, days)

    @timer(interval=REMINDER_POLL_SECONDS)
    def remind(self):
        sent = self.send_due_reminders()
        if sent:
            log.info("reminders due: %d", sent)

    @rpc(expected_exceptions=EXPECTED)
    def release_unpaid_seats(self):
        """Warn, then release, unpaid seats of events configured so; the timer calls it."""
        with self._uow() as uow:
            warned, released = usecases.release_unpaid(uow)
        return {"warned": warned, "released": released}

    @timer(interval=RELEASE_POLL_SECONDS)
    def release_unpaid_timer(self):
        done = self.release_unpaid_seats()
        if any(done.values()):
            log.info("unpaid seats: %s", done)

    @timer(interval=3600)
    def forget_old_idempotency_keys(self):
        with self.db.transaction() as tx:
            store.forget_idempotency_keys(tx, self.clock() - IDEMPOTENCY_KEEP)

    @rpc(expected_exceptions=EXPECTED)
    def get_registration(self, registration_id):
        with self.db.transaction() as tx:
            registration = usecases.get_registration(tx, self.clock(), self.base_url,
                                                     registration_id=int(registration_id))
        return registration_out.dump(registration)

    @rpc(expected_exceptions=EXPECTED)
    def list_registrations(self, event_id, status=None):
        with self.db.transaction() as tx:
            registrations = usecases.list_registrations(tx, int(event_id), self.clock(), self.base_url, status)
        return registrations_out.dump(registrations)

    # Training records and the annual report

    def _certificate_numbers(self, rows):
        """Registration id -> certificate number, from the documents service's register, in one call."""
        ids = sorted({row["registration_id"] for row in rows if row["accreditation_number"]})
        if not ids:
            return {}
        return {c["registration_id"]: c["number"] for c in self.documents.certificate_numbers(ids)}

    def _training_record(self, email):
        email = records.checked_email(email)
        with self.db.transaction() as tx:
            rows = usecases.training_rows(tx, email=email)
        return dict(records.training_record(rows, self._certificate_numbers(rows)), email=email)

    @rpc(expected_exceptions=EXPECTED)
    def training_record(self, email):
        """What the person with ``email`` (in any case) attended, at every organisation they came
        for: accredited trainings with hours and certificate numbers, other events apart."""
        return self._training_record(email)

    @rpc(expected_exceptions=EXPECTED)
    def find_trainees(self, query, limit=20):
        """People with a training record whose name (without diacritics, word starts) or email
        matches ``query``, to open their record (``training_record``) in the console."""
        with self.db.transaction() as tx:
            return usecases.find_trainees(tx, str(query or ""), limit)

    @rpc(expected_exceptions=EXPECTED)
    def organisation_training_record(self, ico, year=None):
        """Who of the organisation ``ico`` attended what (events starting in ``year``, or ever)."""
        ico = records.checked_ico(ico)
        with self.db.transaction() as tx:
            rows = usecases.training_rows(tx, ico=ico, year=year)
            organisation = usecases.organisation_of(tx, ico, rows)
        return dict(records.training_record(rows, self._certificate_numbers(rows)), organisation=organisation,
                    year=int(year) if year is not None else None)

    @rpc(expected_exceptions=EXPECTED)
    def export_organisation_training_record(self, ico, year=None):
        """The organisation's record as CSV for Czech Excel (a row per event attended)."""
        return records.training_record_csv(self.organisation_training_record(ico, year))

    @rpc(expected_exceptions=EXPECTED)
    def annual_report(self, year):
        """The year's figures for the general assembly (see ``records.annual_report``)."""
        with self.db.transaction() as tx:
            return usecases.annual_report(tx, year, self.clock())

    @rpc(expected_exceptions=EXPECTED)
    def export_annual_report(self, year):
        """The annual report as CSV: one figure a row."""
        return records.annual_report_csv(self.annual_report(year))

    # Personal data

    @rpc(expected_exceptions=EXPECTED)
    def export_person(self, email):
        """Every registration made with ``email`` (a data-protection request)."""
        with self.db.transaction() as tx:
            return {"email": email, "registrations": usecases.export_person(tx, str(email), self.clock(),
                                                                              self.base_url)}

    @rpc(expected_exceptions=EXPECTED)
    def erase_person(self, email):
        """Erase the person with ``email`` from this service (see ``usecases.erase_person``)."""
        with self._uow() as uow:
            return usecases.erase_person(uow, str(email))

    @timer(interval=RETENTION_SECONDS)
    def anonymise_past_registrations(self):
        """Retention: registrations of events that ended REGISTRATIONS_KEEP_YEARS ago keep their
        facts, not the person (published events go by the outbox's own OUTBOX_KEEP_DAYS)."""
        years = self.settings.registrations_keep_years
        with self.db.transaction() as tx:
            people = usecases.anonymise_past(tx, self.clock() - timedelta(days=365 * years))
        if people:
            log.info("retention: %d registrations of past events anonymised", people)

    def _request_invoice(self, token):
        """"Chci fakturu na organizaci" (the manage page or the API): payments issues one invoice
        for the organisation's unpaid registrations for the event, or gives the one issued before,
        and emails it. Its number and symbol are kept here at once, so the page shows them; the
        ``invoice_issued`` that follows writes the same again. Fails halfway (after payments
        issued it, before the copy here): the event writes it, and asking again gives the same one."""
        with self.db.transaction() as tx:
            registration = usecases.get_registration(tx, self.clock(), self.base_url, token=token)
        invoice = self.payments.request_invoice(registration["id"])
        with self.db.transaction() as tx:
            usecases.record_invoice(tx, [registration["id"]], invoice)
            return usecases.get_registration(tx, self.clock(), self.base_url, token=token)

    # What payments tells

    @event_handler("payments", "payment_requested")
    def on_payment_requested(self, payload):
        registration_id, payment = payload["registration"]["id"], payload["payment"]
        self._for_payments(lambda uow: usecases.record_payment(uow, registration_id, payment))

    @event_handler("payments", "payment_received")
    def on_payment_received(self, payload):
        registration_id, payment = payload["registration"]["id"], payload["payment"]
        paid_at = datetime.fromisoformat(payment["paid_at"])
        self._for_payments(lambda uow: usecases.record_payment(uow, registration_id, payment, paid_at,
                                                               issue_held=True))

    @event_handler("payments", "payment_received_after_release")
    def on_payment_received_after_release(self, payload):
        """A seat released as unpaid was paid by its due date: the seat back when one is free,
        else payments is told to refund (``usecases.reinstate_paid``)."""
        with self._uow() as uow:
            done = usecases.reinstate_paid(uow, payload["registration"]["id"], payload["payment"],
                                           datetime.fromisoformat(payload["payment"]["paid_at"]))
        if done:
            log.info("registration %s paid in time after its release: %s", payload["registration"]["id"], done)

    @event_handler("payments", "payment_reversed")
    def on_payment_reversed(self, payload):
        """The bank took a payment back: the copy of the payment loses its paid flag."""
        with self._uow() as uow:
            usecases.record_payment(uow, payload["registration"]["id"], payload["payment"], unpaid=True)

    @event_handler("payments", "invoice_issued")
    def on_invoice_issued(self, payload):
        registration_ids, invoice = payload["registration_ids"], payload["invoice"]
        restored, owed_on = payload.get("restored"), payload.get("owed_on")
        # record_invoice writes rows only (it announces nothing): the outbox of the group's unit of work stays unused
        self._for_payments(lambda uow: usecases.record_invoice(uow.conn, registration_ids, invoice, restored, owed_on))

    def _for_payments(self, record):
        """Run ``record(uow)`` (a copy of what payments told) in the next group's transaction;
        returns once it is committed. One key for ``payment_requested``, ``payment_received`` and
        ``invoice_issued``: they change the same rows (a registration's payment), so in one process
        only one such transaction runs at a time and none waits on another's row locks. ``record``
        failing on its own raises here alone (the event comes back, ``ReliableEventHandler``); the
        group failing (the database away) raises here in every handler of the group."""
        return self.payment_groups.submit(PAYMENTS, record, self._record_payments)

    def _record_payments(self, _key, records):
        """One unit of work (with the outbox: a payment received may send a held certificate) for
        the copies that came together (``each_alone_if_one_fails``): one that fails on its own is
        rolled back, with what it announced, and given back to its handler alone; the others
        commit. A database outage fails the whole group."""
        return each_alone_if_one_fails(self._uow, records, lambda uow, record: record(uow))

    # The copy of the member register

    @event_handler("members", "organisation_joined")
    def on_organisation_joined(self, payload):
        self._remember(payload)

    @event_handler("members", "organisation_left")
    def on_organisation_left(self, payload):
        self._remember(payload)

    @event_handler("members", "organisation_updated")
    def on_organisation_updated(self, payload):
        self._remember(payload)

    def _remember(self, payload):
        with self.db.transaction() as tx:
            usecases.remember_organisation(tx, payload["organisation"], datetime.fromisoformat(payload["occurred_at"]))

    @timer(interval=MEMBERSHIP_SYNC_SECONDS, eager=True)
    def sync_membership(self):
        """Copy the whole register now and then, in case an event was missed."""
        as_of = self.clock()
        try:
            with ClusterRpcProxy(self.config, timeout=30) as cluster:
                register = cluster.members.membership_register()
        except Exception as error:  # members away: the events and the next sync will catch up
            log.warning("membership sync skipped: %s", error)
            return
        with self.db.transaction() as tx:
            for organisation in register:
                usecases.remember_organisation(tx, organisation, as_of)
        log.info("membership copied: %d organisations", len(register))

    # The yearly report to the Ministry of the Interior (zákon č. 312/2002 Sb., § 39)

    @rpc(expected_exceptions=EXPECTED)
    def ministry_accreditations(self, year):
        """``{"year", "accreditation_numbers"}``: the programmes with events starting in ``year``."""
        with self.db.transaction() as conn:
            return usecases.ministry_accreditations(conn, year)

    @rpc(expected_exceptions=EXPECTED)
    def ministry_report(self, year, accreditation_number):
        """One accredited programme's year for the Ministry: its runs (dates, place, lecturer,
        hours), participants, certificates issued, cancellations, and what the system does not
        hold (see ``records.ministry_report``); counts only, no names."""
        with self.db.transaction() as conn:
            return usecases.ministry_report(conn, year, accreditation_number, self.clock())

    @rpc(expected_exceptions=EXPECTED)
    def export_ministry_report(self, year, accreditation_number):
        """The Ministry's report as CSV for Czech Excel: a row a run, the totals, what is not held."""
        return records.ministry_report_csv(self.ministry_report(year, accreditation_number))

    # The door without a signal

    @rpc(expected_exceptions=EXPECTED)
    def door_list(self, event_id):
        """The day's list of valid tickets for the door's phones to decide offline: hashes of
        the codes (``domain.door_ticket_hash``), names, and who is already in; no code, no key."""
        with self.db.transaction() as tx:
            return usecases.door_list(tx, int(event_id), self.clock())

    @rpc(expected_exceptions=EXPECTED)
    def door_batch(self, event_id, batch):
        """Check-ins a door phone made offline (``batch``: ``device``, ``staff``, ``items`` of
        ``code`` and ``scanned_at``): one answer per item, ``admitted``, ``already_admitted``
        (with the time that counts), ``unknown`` or ``cancelled``. Sent twice, it changes nothing."""
        request = door_batch_in.load_or_raise(batch)
        with self._uow() as uow:
            return usecases.door_batch(uow, int(event_id), request["device"], request["staff"], request["items"])

    @rpc(expected_exceptions=EXPECTED)
    def door_conflicts(self, event_id):
        """Tickets of the event that two phones let in while offline: who, and both times (the
        first counts), each with who sent it."""
        with self.db.transaction() as tx:
            return usecases.door_conflicts(tx, int(event_id))
