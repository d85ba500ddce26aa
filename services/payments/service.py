"""The payments service: payment requests, bank statements, invoices and refunds.

It listens to the registrations' events and publishes its own through its
outbox: ``payment_requested``, ``payment_received``, ``payment_overdue``,
``invoice_issued``, ``refund_due``. What each handler does when it fails
halfway: its transaction rolls back whole (the request, the invoice number and
the outbox row together), the event is tried again, and the second run finds
what the first one committed (one request per registration, one refund per
request), so nothing is made twice.

The events a rush brings (``registration_confirmed``, ``registration_promoted``) are recorded a
group at a time (``GroupCommit``): the handlers that come together share one transaction, all
together, and each event is acknowledged once the group committed. Should an item fail on its
own, the group is rolled back and run again with each item in its savepoint
(``each_alone_if_one_fails``): the failing one is rolled back to it (its request, its invoice
number, its outbox rows: the next item takes the same number, so the register keeps no gap) and
raised in its own handler alone, whose event comes back; the database failing fails the whole
group, every event comes back. A registration with nothing to pay (a free event) writes nothing
and opens no transaction.
"""
import base64
import logging

from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from services.common import metrics
from services.common.clock import Clock
from services.common.db import DatabaseProvider
from services.common.errors import EXPECTED, Conflict, NotFound, ValidationError
from services.common.events import event_handler
from services.common.groups import GroupCommit, each_alone_if_one_fails
from services.common.health import HealthCheck
from services.common.ico import ico_error
from services.common.logs import CallLog
from services.common.outbox import OutboxRelay
from services.common.payment import awaits_payment_details, requires_payment
from services.common.rpc import RpcClient, rpc
from services.common.settings import SettingsProvider
from services.common.unit_of_work import unit_of_work
from services.common.vocabulary import LookupStatus, PaymentStatus, StatementFormat

from . import accounting, domain, isdoc, statements, store, usecases
from .schemas import (
    accounting_in,
    cancel_invoice_in,
    invoice_in,
    mark_paid_in,
    match_in,
    received_in,
    resolve_in,
    statement_in,
)
from .settings import load as load_settings

log = logging.getLogger(__name__)

OVERDUE_POLL_SECONDS = 600
PAYMENT_REQUESTS = "payment_requests"  # the one key of the grouped handlers: they share the invoice register


class BankPoll(DependencyProvider):
    """When this process last called the bank's API (it allows one call in 30 s): kept by the
    container, shared by its workers, forgotten when the process ends (the next one calls at once)."""

    def setup(self):
        self.fetched_at = None

    def get_dependency(self, worker_ctx):
        return self

    def claim(self, moment, every) -> bool:
        """Whether a call is due at ``moment``; if so it is counted as made then."""
        if self.fetched_at is not None and moment - self.fetched_at < every:
            return False
        self.fetched_at = moment
        return True


class PaymentsService(HealthCheck):
    name = "payments"

    call_log = CallLog()

    db = DatabaseProvider(store.metadata)
    outbox = OutboxRelay(store.outbox)
    members = RpcClient("members")
    documents = RpcClient("documents")
    config = Config()
    clock = Clock()
    settings = SettingsProvider(load_settings)  # parsed and checked (the IBAN above all) at start
    bank_poll = BankPoll()
    groups = GroupCommit(limit_setting=None, gather=0.01)

    # What registrations tell

    @event_handler("registrations", "registration_confirmed")
    def on_registration_confirmed(self, payload):
        self._request_payment(payload, "registration_confirmed", grouped=True)

    @event_handler("registrations", "registration_promoted")
    def on_registration_promoted(self, payload):
        self._request_payment(payload, "registration_promoted", grouped=True)

    @event_handler("registrations", "registration_restored")
    def on_registration_restored(self, payload):
        """Staff took a cancellation back: the person is a new registration (its own id), whose
        seat with a fee is asked for as a confirmed one's (its own request and variable symbol;
        the notifications' "Přihláška obnovena" waits for it and carries it). A released seat
        paid in time (``paid_in_time``) comes back as the same registration: its request exists
        and is paid, so nothing is asked again (one request per registration)."""
        self._request_payment(payload, "registration_restored")

    @event_handler("registrations", "registration_cancelled")
    def on_registration_cancelled(self, payload):
        self._cancel(payload)

    @event_handler("registrations", "late_payment_refused")
    def on_late_payment_refused(self, payload):
        """A released seat paid in time could not be given back: refund it, with the reason."""
        with self._uow() as uow:
            usecases.refuse_late_payment(uow, self.settings, payload)

    @event_handler("registrations", "registration_substituted")
    def on_registration_substituted(self, payload):
        with self.db.transaction() as tx:
            moved = usecases.hand_over(tx, payload)
        if moved is not None:
            log.info("payment request VS %s moved from registration %s to its substitute %s",
                     moved["variable_symbol"], payload["replaced"]["id"], payload["registration"]["id"])

    @event_handler("registrations", "event_cancelled")
    def on_event_cancelled(self, payload):
        self._cancel(payload)

    @event_handler("registrations", "event_updated")
    def on_event_updated(self, payload):
        with self.db.transaction() as tx:
            usecases.remember_registration(tx, payload)

    def _request_payment(self, payload, after, grouped=False):
        """Make the registration's payment request (``usecases.request_payment``): in its own
        transaction, or, ``grouped``, in the next group's (``_request_group``)."""
        registration, settings = payload["registration"], self.settings
        if not requires_payment(registration):
            return  # nothing to ask (a free event, a waiting list): nothing to write, no transaction
        customer = None
        # a registration that carries its payment details was asked before (a released seat paid
        # in time, given back): no need to ask members about its organisation
        if (awaits_payment_details(registration) and settings.invoice_mode == domain.InvoiceMode.ON_REGISTRATION
                and not registration.get("is_member") and registration.get("organisation_ico")):
            customer = self._organisation(registration["organisation_ico"])  # before the transaction
        customer = usecases.organisation_customer(customer, _typed(registration)) if customer else None
        if grouped:
            request = self.groups.submit(PAYMENT_REQUESTS, (payload, after, customer), self._request_group)
        else:
            with self._uow() as uow:
                request = usecases.request_payment(uow, settings, payload, after, customer)
        if request is not None:
            log.info("payment requested for registration %s: VS %s", registration["id"], request["variable_symbol"])

    def _request_group(self, _key, items):
        """One transaction for the payment requests of the handlers that came together
        (``each_alone_if_one_fails``: all together; should one fail on its own, each in its
        savepoint); one outcome per item (the request, None, or the item's own error). The
        invoice register's row is locked once for the group, whose invoices take consecutive
        numbers; an item rolled back to its savepoint gives its number back with its rows."""
        settings = self.settings
        return each_alone_if_one_fails(self._uow, items, lambda uow, item: usecases.request_payment(
            uow, settings, *item))

    def _cancel(self, payload):
        with self._uow() as uow:
            usecases.cancel_registration(uow, self.settings, payload)

    def _uow(self):
        """One call's transaction with the payments' outbox and the moment of the call."""
        return unit_of_work(self.db, self.clock, self.outbox)

    def _organisation(self, ico):
        """The organisation as the member register has it; one outside the register as ARES has
        it (members' lookup: kept answers, or ARES within 1.5 s); None when neither knows it or
        ARES is away (the invoice then names what the person typed)."""
        try:
            return self.members.get_organisation(ico)
        except NotFound:
            pass
        found = self.members.lookup_organisation(ico)
        return found if found.get("status") == LookupStatus.FOUND else None

    # Timers

    @rpc(expected_exceptions=EXPECTED)
    def remind_overdue(self):
        """Send the one reminder of every request unpaid after its due date; the timer calls it."""
        with self._uow() as uow:
            return usecases.remind_overdue(uow, self.settings)

    @timer(interval=OVERDUE_POLL_SECONDS)
    def overdue_timer(self):
        sent = self.remind_overdue()
        if sent:
            log.info("payment reminders due: %d", sent)

    @rpc(expected_exceptions=EXPECTED)
    def fetch_from_bank(self):
        """Import the last FIO_LOOKBACK_DAYS of the Fio account (FIO_API_TOKEN); lines imported
        before are skipped. The timer calls it every FIO_POLL_SECONDS."""
        return self._import(self._bank_lines(), StatementFormat.FIO)

    @rpc(expected_exceptions=EXPECTED)
    def stage_from_bank(self):
        """Fetch the bank's new lines as ``fetch_from_bank`` does and say what importing them would
        do, as ``stage_statement`` (a ``token`` for ``import_staged``)."""
        return self._stage({"format": StatementFormat.FIO, "statement_id": None, "transactions": self._bank_lines()})

    def _bank_lines(self):
        return usecases.bank_lines(self.settings, self.clock())

    @timer(interval=60)
    def bank_timer(self):
        if not self.settings.fio_api_token or not self.bank_poll.claim(self.clock(), self.settings.fio_poll_every):
            return
        try:
            summary = self.fetch_from_bank()
        except Conflict as refused:
            log.warning("the bank's API did not answer: %s", refused)
            return  # the next tick tries again
        if summary["lines"]:
            log.info("bank API: %s", _counts(summary))

    # For staff

    @rpc(expected_exceptions=EXPECTED)
    def import_statement(self, data):
        """Import a bank statement (camt.053 XML or GPC/ABO; ``data`` in base64). Lines imported
        before are skipped. Returns the counts: lines, duplicates, matched, to_check, ignored."""
        statement = self._read_statement(data)
        summary = self._import(statement["transactions"], statement["format"])
        log.info("statement %s imported: %s", statement.get("statement_id"), _counts(summary))
        return dict(summary, format=statement["format"], statement_id=statement.get("statement_id"))

    @rpc(expected_exceptions=EXPECTED)
    def stage_statement(self, data):
        """Read a statement and say what importing it would do, writing none of its lines yet:
        the summary ``import_statement`` would answer (whom it pays, what waits for a check),
        and a ``token`` for ``import_staged``, which imports it once staff confirm (within an
        hour; what changed in between, such as a payment by hand, is taken into account then)."""
        return self._stage(self._read_statement(data))

    def _stage(self, statement):
        try:
            with self._uow() as uow:
                usecases.preview_transactions(uow, self.settings, statement["transactions"], statement["format"])
        except usecases.Preview as preview:
            summary = preview.summary
        with self._uow() as uow:
            token = usecases.stage_statement(uow, statement)
        return dict(summary, format=statement["format"], statement_id=statement.get("statement_id"), token=token)

    @rpc(expected_exceptions=EXPECTED)
    def import_staged(self, token):
        """Import the statement ``stage_statement`` read (once): the summary, as ``import_statement``."""
        with self._uow() as uow:
            summary = usecases.import_staged(uow, self.settings, token)
        log.info("statement %s imported: %s", summary.get("statement_id"), _counts(summary))
        return summary

    def _read_statement(self, data):
        raw = statement_in.load_or_raise({"data": data})["data"]
        try:
            statement = statements.parse_statement(raw)
        except statements.StatementError as error:
            raise ValidationError({"data": [str(error)]}, message=str(error), code="statement_unreadable") from None
        wrong = domain.statement_account_error(statement.get("account"), self.settings.account)
        if wrong:
            raise ValidationError({"data": [wrong]}, message=wrong, code="statement_of_another_account")
        return statement

    def _import(self, lines, source):
        with self._uow() as uow:
            return usecases.import_transactions(uow, self.settings, lines, source)

    @rpc(expected_exceptions=EXPECTED)
    def payment_of(self, registration_id):
        with self._uow() as uow:
            request, block, numbers = usecases.payment_of(uow, self.settings, int(registration_id))
        return _request_view(request, block, numbers)

    @rpc(expected_exceptions=EXPECTED)
    def unpaid(self, event_id=None):
        """What is still owed, by event: every open request."""
        with self._uow() as uow:
            rows = usecases.requests_of_event(uow, self.settings, int(event_id) if event_id is not None else None,
                                              status=PaymentStatus.OPEN)
        return [_request_view(*row) for row in rows]

    @rpc(expected_exceptions=EXPECTED)
    def list_payments(self, event_id):
        """Every payment request of an event: open, paid and cancelled."""
        with self._uow() as uow:
            rows = usecases.requests_of_event(uow, self.settings, int(event_id))
        return [_request_view(*row) for row in rows]

    @rpc(expected_exceptions=EXPECTED)
    def to_check(self):
        """Bank lines waiting for a person, each with its reason (unknown symbol, under- or overpaid)."""
        with self.db.transaction() as tx:
            return [_transaction_view(row) for row in usecases.lines_to_check(tx)]

    @rpc(expected_exceptions=EXPECTED)
    def overdue(self):
        """Requests unpaid after their due date whose one reminder went out: for staff to call."""
        with self._uow() as uow:
            rows = usecases.overdue_requests(uow, self.settings)
        return [_request_view(*row) for row in rows]

    @rpc(expected_exceptions=EXPECTED)
    def match_by_hand(self, transaction_id, variable_symbol):
        values = match_in.load_or_raise({"transaction_id": transaction_id, "variable_symbol": str(variable_symbol)})
        with self._uow() as uow:
            line = usecases.match_by_hand(uow, self.settings, values["transaction_id"], values["variable_symbol"])
        return _transaction_view(line)

    @rpc(expected_exceptions=EXPECTED)
    def resolve(self, transaction_id, note):
        values = resolve_in.load_or_raise({"transaction_id": transaction_id, "note": note})
        with self._uow() as uow:
            return _transaction_view(usecases.resolve(uow, values["transaction_id"], values["note"]))

    @rpc(expected_exceptions=EXPECTED)
    def mark_paid(self, registration_id, how="cash", note=None):
        """Paid in cash at the door (``how="cash"``) or confirmed otherwise by staff (``"hand"``)."""
        values = mark_paid_in.load_or_raise({"registration_id": registration_id, "how": how, "note": note})
        with self._uow() as uow:
            request = usecases.mark_paid(uow, self.settings, values["registration_id"], values["how"], values["note"])
            block = usecases.payment_block(uow, self.settings, request)
        return _request_view(request, block)

    @rpc(expected_exceptions=EXPECTED)
    def issue_invoice(self, registration_ids):
        """One invoice for these registrations (one organisation, one event), to the organisation
        as the member register has it."""
        ids = invoice_in.load_or_raise({"registration_ids": list(registration_ids or [])})["registration_ids"]
        with self.db.transaction() as tx:
            requests = usecases.requests_to_invoice(tx, ids)
        customer = self._customer(requests[0])  # outside a transaction: it may ask ARES
        with self._uow() as uow:
            return usecases.issue_invoice_for(uow, self.settings, ids, customer)

    @rpc(expected_exceptions=EXPECTED)
    def request_invoice(self, registration_id):
        """The person asked for an invoice on the manage page (registrations checked their link)."""
        with self.db.transaction() as tx:
            request = usecases.find_request(tx, int(registration_id))
        customer = self._customer(request) if request is not None else None
        with self._uow() as uow:
            return usecases.request_invoice(uow, self.settings, int(registration_id), lambda _request: customer)

    def _customer(self, request):
        organisation = self._organisation(request["organisation_ico"]) if request["organisation_ico"] else None
        return usecases.organisation_customer(organisation, request)

    @rpc(expected_exceptions=EXPECTED)
    def cancel_invoice(self, number, reason):
        """Cancel an invoice: a credit note takes back all of it."""
        values = cancel_invoice_in.load_or_raise({"number": str(number), "reason": reason})
        with self._uow() as uow:
            return usecases.cancel_invoice(uow, self.settings, values["number"], values["reason"])

    @rpc(expected_exceptions=EXPECTED)
    def list_invoices(self, event_id=None):
        """Invoices and credit notes, newest first, each with whether it is paid (``payment``)."""
        with self._uow() as uow:
            rows = usecases.list_invoices(uow, int(event_id) if event_id else None)
        return [dict(_invoice_view(row), payment=payment) for row, payment in rows]

    @rpc(expected_exceptions=EXPECTED)
    def received_payments(self, since=None, until=None, page=1, per_page=50):
        """Money received (bank lines, cash, recorded by hand), newest first, a page at a time,
        optionally from ``since`` to ``until`` (ISO days): each with whom it paid (``paid``: the
        registrations, and ``invoice_number`` when its symbol is an invoice's), or why it waits
        for a check (``waiting``: the reason in Czech), or how staff settled it (``resolution``)."""
        values = received_in.load_or_raise({"since": since, "until": until, "page": page, "per_page": per_page})
        with self.db.transaction() as tx:
            total, rows = usecases.received_page(tx, values["since"], values["until"], values["page"],
                                                 values["per_page"])
        return {"total": total, "page": values["page"], "per_page": values["per_page"],
                "payments": [_received_view(*row) for row in rows]}

    @rpc(expected_exceptions=EXPECTED)
    def get_invoice(self, number):
        """The invoice or credit note as issued (the document its PDF and ISDOC are made from)."""
        return self._invoice(number)["document"]

    @rpc(expected_exceptions=EXPECTED)
    def invoice_pdf(self, number):
        return self.documents.render_invoice(self._invoice(number)["document"])

    @rpc(expected_exceptions=EXPECTED)
    def invoice_isdoc(self, number):
        document = self._invoice(number)["document"]
        return {"filename": f"{document['number']}.isdoc", "content_type": "application/xml",
                "data": base64.b64encode(isdoc.isdoc(document)).decode("ascii")}

    def _invoice(self, number):
        with self.db.transaction() as tx:
            return usecases.find_invoice(tx, str(number))

    @rpc(expected_exceptions=EXPECTED)
    def refunds_due(self):
        """Paid registrations that were cancelled: money to send back."""
        with self.db.transaction() as tx:
            return [_refund_view(row) for row in usecases.refunds_to_send(tx)]

    @rpc(expected_exceptions=EXPECTED)
    def settle_refund(self, refund_id, note="Vráceno převodem"):
        with self._uow() as uow:
            refund = usecases.settle_refund(uow, int(refund_id), note)
        return {"id": refund["id"], "settled_at": refund["settled_at"].isoformat(), "note": refund["note"]}

    # The accountant's export

    @rpc(expected_exceptions=EXPECTED)
    def accounting_overview(self, month):
        """What the accountant's export of ``month`` (``2028-04``) holds: the counts and the totals
        in haléře (``accounting.totals``), the month's Czech name and whether it has a POHODA data
        pack (``pohoda``: False when it has nothing to import). Names nobody."""
        found, _ = self._accounting_month(month)
        return {"month": f"{found['year']}-{found['month']:02d}", "name": found["name"],
                "totals": accounting.totals(found),
                "pohoda": bool(found["documents"]) or any(p["from_bank"] for p in found["payments"])}

    @rpc(expected_exceptions=EXPECTED)
    def accounting_export(self, month, format="pohoda"):
        """The accountant's export of ``month`` (``2028-04``) as one file, ``{filename, content_type,
        data}`` (base64): ``pohoda`` the POHODA XML data pack of the invoices, credit notes and bank
        lines (refused with ``nothing_to_import`` when the month has none: POHODA takes no empty
        pack), ``xlsx`` the workbook (invoices, payments, unpaid, refunds), ``isdoc`` a zip of the
        month's ISDOCs. Reads only: asking again gives the same money."""
        found, kind = self._accounting_month(month, format)
        stem = accounting.file_stem(found)
        if kind == "pohoda":
            made = (f"{stem}-pohoda.xml", "application/xml", accounting.pohoda_pack(found))
        elif kind == "xlsx":
            made = (f"{stem}.xlsx", accounting.XLSX, accounting.workbook(found))
        else:
            made = (f"{stem}-isdoc.zip", "application/zip", accounting.isdoc_zip(found))
        return {"filename": made[0], "content_type": made[1], "data": base64.b64encode(made[2]).decode("ascii")}

    def _accounting_month(self, month, format="pohoda"):
        """The month gathered (``usecases.accounting_month``) and the format asked for; a month or
        a format that is none is refused in Czech, saying what one looks like."""
        try:
            values = accounting_in.load_or_raise({"month": month, "format": format})
        except ValidationError as error:  # the field's own words: what a month looks like
            raise ValidationError(error.fields, next(iter(error.fields.values()))) from None
        year, number = values["month"]
        with self.db.transaction() as tx:
            found = usecases.accounting_month(tx, self.settings, year, number, self.clock())
        return found, values["format"]

    # Personal data

    @rpc(expected_exceptions=EXPECTED)
    def export_person(self, email):
        """The payment requests of the person with ``email`` (a data-protection request)."""
        with self.db.transaction() as tx:
            return {"email": email, "payments": usecases.export_person(tx, str(email))}

    @rpc(expected_exceptions=EXPECTED)
    def erase_person(self, email):
        """Erase the person with ``email`` from this service (see ``usecases.erase_person``)."""
        with self._uow() as uow:
            return usecases.erase_person(uow, self.settings, str(email))

    @rpc
    def metrics(self):
        with self.db.transaction() as tx:
            counts = usecases.request_counts(tx)
            backlog = metrics.outbox_backlog(tx, store.outbox, self.name)
        return [metrics.sample("smopk_payment_requests", "gauge", "Payment requests by state.",
                               counts.get(status, 0), status=status)
                for status in PaymentStatus] + [backlog]


    @rpc(expected_exceptions=EXPECTED)
    def organisation_invoices(self, ico):
        """The invoices and credit notes addressed to the organisation ``ico`` (its municipality's
        page), newest first: each as the list of invoices shows it, with its payment state, its
        dates and, while something is owed, the account, variable symbol and QR Platba text."""
        ico = str(ico or "")
        problem = ico_error(ico)
        if problem:
            raise ValidationError({"ico": problem}, problem)
        with self.db.transaction() as tx:
            rows = usecases.organisation_invoices(tx, self.settings, ico, self.clock())
        return [_organisation_invoice_view(row, payment, spd, self.settings.account) for row, payment, spd in rows]


def _counts(summary):
    """A summary for the log: the counts, not the names of who paid."""
    counts = dict(summary)
    counts.pop("paid", None)
    return counts


def _typed(registration):
    """The registration as a request-shaped dict, for the customer of its invoice."""
    return {"organisation_ico": registration.get("organisation_ico"),
            "organisation_name": registration.get("organisation_name"),
            "payer_name": f"{registration['first_name']} {registration['last_name']}", "email": registration["email"]}


def _request_view(request, block, invoices=()):
    """A payment request for staff: the person's own fee and what they still owe of it (``owed``),
    and how it is paid (``payment``, ``usecases.payment_blocks``): on an invoice for several
    people, its symbol and what is still owed on the whole invoice after its credit notes."""
    return {
        "registration_id": request["registration_id"], "event_id": request["event_id"],
        "event_title": request["event_title"], "payer_name": request["payer_name"], "email": request["email"],
        "organisation_ico": request["organisation_ico"], "organisation_name": request["organisation_name"],
        "variable_symbol": request["variable_symbol"], "amount_halere": request["amount_halere"],
        "paid_halere": request["paid_halere"], "owed_halere": domain.owed([request]),
        "amount": domain.money(request["amount_halere"]), "owed": domain.money(domain.owed([request])),
        "due_on": request["due_on"].isoformat(), "status": request["status"],
        "paid_at": request["paid_at"].isoformat() if request["paid_at"] else None, "paid_by": request["paid_by"],
        "reminded_at": request["reminded_at"].isoformat() if request["reminded_at"] else None,
        "invoices": list(invoices),
        "payment": block, "spd": block["spd"] if request["status"] == PaymentStatus.OPEN else None,
    }


def _transaction_view(row):
    return {
        "id": row["id"], "source": row["source"], "booked_on": row["booked_on"].isoformat(),
        "amount_halere": row["amount_halere"], "amount": domain.money(row["amount_halere"]),
        "variable_symbol": row["variable_symbol"], "counter_account": row["counter_account"],
        "counter_name": row["counter_name"], "message": row["message"], "outcome": row["outcome"],
        "reason": row["reason"], "resolution": row["resolution"],
        "resolved_at": row["resolved_at"].isoformat() if row["resolved_at"] else None,
        "reversal_of": row["reversal_of"],
    }


def _received_view(row, paid, invoice_number):
    waiting = row["outcome"] not in domain.SETTLED and row["resolved_at"] is None
    return dict(_transaction_view(row), invoice_number=invoice_number, waiting=row["reason"] if waiting else None,
                paid=[dict(item, amount=domain.money(item["amount_halere"])) for item in paid],
                note=domain.paid_in_time_note(row["reason"], [item["status"] for item in paid]))


def _invoice_view(row):
    return {
        "number": row["number"], "kind": row["kind"], "variable_symbol": row["variable_symbol"],
        "event_id": row["event_id"], "customer_name": row["customer_name"], "total_halere": row["total_halere"],
        "total": domain.money(row["total_halere"]), "issued_at": row["issued_at"].isoformat(),
        "cancelled": row["cancelled_at"] is not None, "corrects": (row["document"].get("corrects") or {}).get("number"),
        "recipients": row["recipients"],
    }


def _refund_view(row):
    return {
        "id": row["id"], "registration_id": row["registration_id"], "payer_name": row["payer_name"],
        "email": row["email"], "event_title": row["event_title"], "variable_symbol": row["variable_symbol"],
        "amount_halere": row["amount_halere"], "amount": domain.money(row["amount_halere"]),
        "created_at": row["created_at"].isoformat(), "reason": row["reason"] or "Zrušená zaplacená přihláška",
    }


def _organisation_invoice_view(row, payment, spd, account):
    document = row["document"]
    return dict(_invoice_view(row), payment=payment, issued_on=document["issued_on"], due_on=document["due_on"],
                spd=spd, account=account["czech"] if spd else None, iban=account["iban"] if spd else None)
