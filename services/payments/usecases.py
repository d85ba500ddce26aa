"""The payments service's use cases: one transaction each.

Rules come from ``domain``; rows from ``store``. Every change that others must
hear of records its event in the outbox within the same transaction: a
payment request and its ``payment_requested``, a matched bank line and its
``payment_received``, an invoice and its ``invoice_issued``.
"""
import base64
import secrets
import uuid
from datetime import date, datetime, timedelta

from services.common.czech import local, month_days, month_moments, month_name
from services.common.errors import Conflict, NotFound, ValidationError
from services.common.outbox import delete_rows_about
from services.common.payment import requires_payment
from services.common.vocabulary import InvoiceKind, PaymentStatus, StatementFormat

from . import domain, fio, isdoc, statements, store

HALERE = domain.HALERE
REQUEST_NOT_FOUND = "Pro tuto přihlášku nebyla platba požadována."


def today(now) -> date:
    """The day in Prague at ``now``: due dates, issue dates and statements are Prague days."""
    return local(now).date()


# Requests

def request_payment(uow, settings, payload, after, customer=None):
    """Make the payment request of a registration that is paid for, once, and tell everyone
    (``payment_requested`` carries what the confirmation email shows). With invoicing on
    registration, a non-member's invoice is issued in the same transaction. Returns the
    request, or None when nothing is to be paid or it was made before."""
    conn, now = uow.conn, uow.now
    registration, event = payload["registration"], payload["event"]
    if not requires_payment(registration):
        return None
    request = store.add_request(conn, _request_values(settings, payload, now, PaymentStatus.OPEN))
    if request is None:  # made before, or the registration was cancelled before it was confirmed here
        return None
    block = domain.payment_block(settings.account, request, now)
    uow.announce("payment_requested", {
        "registration": dict(registration, payment=block), "event": event, "payment": block, "after": after})
    if settings.invoice_mode == domain.InvoiceMode.ON_REGISTRATION and not registration.get("is_member"):
        issue_invoice(uow, settings, [request], customer or person_customer(request))
    return request


def _request_values(settings, payload, now, status):
    registration, event = payload["registration"], payload["event"]
    starts_at = local(_moment(event["starts_at"]))
    due = domain.due_on(now, starts_at, settings.days_to_pay, settings.due_after_start,
                        release_after_days=event.get("release_unpaid_after_days"))
    return {
        "registration_id": registration["id"], "event_id": event["id"], "event_title": event["title"],
        "event_starts_at": starts_at, "payer_name": f"{registration['first_name']} {registration['last_name']}",
        "email": registration["email"], "organisation_ico": registration.get("organisation_ico"),
        "organisation_name": registration.get("organisation_name"), "is_member": bool(registration.get("is_member")),
        "variable_symbol": domain.registration_vs(registration["id"]),
        "amount_halere": int(registration.get("price") or 0) * HALERE, "paid_halere": 0, "due_on": due,
        "status": status, "payload": {"registration": registration, "event": event}, "created_at": now,
        "cancelled_at": now if status == PaymentStatus.CANCELLED else None,
    }


def _moment(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def payment_blocks(uow, settings, requests) -> dict:
    """request id -> what people are shown to pay it (``domain.payment_block``): its own symbol,
    or, for a live request on a live invoice for several people, the invoice's symbol and what is
    still owed on the whole invoice (its amount less its credit notes less what was paid)."""
    groups = store.live_group_invoices(uow.conn, [r["invoice_id"] for r in requests if r["invoice_id"] is not None
                                                  and r["status"] != PaymentStatus.CANCELLED])
    return _blocks(settings, uow.now, requests, groups)


def _blocks(settings, now, requests, groups) -> dict:
    """``payment_blocks`` with the live invoices of ``requests`` given (``store.live_group_invoices``)."""
    blocks = {}
    for request in requests:
        invoice, together = (groups.get(request["invoice_id"], (None, None))
                             if request["status"] != PaymentStatus.CANCELLED else (None, None))
        blocks[request["id"]] = domain.payment_block(settings.account, request, now, invoice, together)
    return blocks


def payment_block(uow, settings, request) -> dict:
    """``payment_blocks`` of one request."""
    return payment_blocks(uow, settings, [request])[request["id"]]


def _about(uow, request, settings, block=None, **extra):
    """An event payload about a request: its registration and event as last told, and the payment
    (``block``, else ``payment_block``)."""
    request_payload = request["payload"]
    if block is None:
        block = payment_block(uow, settings, request)
    block = dict(block)
    block.update(paid_halere=request["paid_halere"], status=request["status"],
                 paid_at=request["paid_at"].isoformat() if request["paid_at"] else None)
    return dict({"registration": dict(request_payload["registration"], payment=block),
                 "event": request_payload["event"], "payment": block}, **extra)


def remember_registration(conn, payload):
    """Keep the newest copy of a registration and its event (an event moved, a name changed)."""
    request = store.get_request(conn, registration_id=payload["registration"]["id"])
    if request is not None:
        store.update_request(conn, request["id"], {"payload": {"registration": payload["registration"],
                                                               "event": payload["event"]}})


class NotRequestedYet(Exception):
    """A seat was handed over before its payment request was made here: try again later."""


def hand_over(conn, payload):
    """A seat went to a substitute (``registration_substituted``): its payment request moves to the
    new registration whole (variable symbol, amount, what is paid, the invoice it is on), so a
    payment with the old symbol pays the substitute's seat and nothing is asked twice. Handled
    twice, the second run finds the request moved and does nothing. When the old registration's
    confirmation has not been handled here yet, it raises ``NotRequestedYet``: the event is tried
    again later, after the request exists."""
    old, new = payload["replaced"], payload["registration"]
    if store.get_request(conn, registration_id=new["id"]) is not None:
        return None
    found = store.get_request(conn, registration_id=old["id"], lock=True)
    if found is None:
        if requires_payment(new):
            raise NotRequestedYet(f"registration {old['id']} has no payment request yet")
        return None
    store.update_request(conn, found["id"], {
        "registration_id": new["id"], "payer_name": f"{new['first_name']} {new['last_name']}",
        "email": new["email"], "payload": {"registration": new, "event": payload["event"]}})
    return store.get_request(conn, request_id=found["id"])


def cancel_registration(uow, settings, payload):
    """A registration was cancelled (by the person, by staff, or with its event): an unpaid
    request is cancelled; a paid one owes a refund (``refund_due``); an invoice that covered it
    gets a credit note. Handled twice, the second time finds it cancelled and does nothing."""
    conn, now = uow.conn, uow.now
    found = store.get_request(conn, registration_id=payload["registration"]["id"], lock=True)
    if found is None:
        # The cancellation came first (the confirmation's handler is being retried): a cancelled
        # request keeps the late confirmation from asking for money or issuing an invoice.
        if int(payload["registration"].get("price") or 0) > 0:
            store.add_request(conn, _request_values(settings, payload, now, PaymentStatus.CANCELLED))
        return None
    if found["status"] == PaymentStatus.CANCELLED:
        return None
    store.update_request(conn, found["id"], {"status": PaymentStatus.CANCELLED, "cancelled_at": now,
                                             "payload": {"registration": payload["registration"],
                                                         "event": payload["event"],
                                                            # a seat released as unpaid: a payment made
                                                            # by the due date may still bring it back
                                                         "released_unpaid": bool(payload.get("released_unpaid"))}})
    request = store.get_request(conn, request_id=found["id"])
    if request["paid_halere"] > 0 and store.add_refund(conn, request["id"], request["paid_halere"], now):
        uow.announce("refund_due", _about(uow, request, settings, refund_halere=request["paid_halere"]))
    if request["invoice_id"] is not None:
        invoice = store.get_invoice(conn, invoice_id=request["invoice_id"], lock=True)
        if invoice["cancelled_at"] is None:
            credit_note(uow, settings, invoice, [request["id"]], "Zrušení přihlášky")
    return request


# Money in

def import_transactions(uow, settings, lines, source):
    """Record bank lines and pay what they pay. A line the bank has given before (the same
    ``bank_id``) is skipped, so the same statement imported twice changes nothing; imports take
    turns (a counter row's lock), so two at once cannot both take a line. A credit in crowns is
    matched by its variable symbol and amount; anything else is kept and ignored. The lines'
    requests are read and locked at once, and the rows written in bulk: a statement of 10,000
    lines is one transaction of a few statements per thousand lines. A reversal (the bank took a
    credit back: ``reversal`` on the line) undoes what the credit paid, after the other lines, so
    a credit and its reversal in one statement pair up (``_reverse``). Returns counts."""
    conn, now = uow.conn, uow.now
    store.next_number(conn, "statement-imports")  # one import at a time, until this one commits
    known = store.known_bank_ids(conn, [line["bank_id"] for line in lines])
    summary = {"lines": len(lines), "duplicates": 0, "matched": 0, "to_check": 0, "ignored": 0, "paid": []}
    fresh, reversals, in_time, original_refs = [], [], [], []
    for line in lines:
        if line["bank_id"] in known:
            summary["duplicates"] += 1
        else:
            known.add(line["bank_id"])
            fresh.append(_transaction_values(line, source, now))
            reversals.append(bool(line.get("reversal")))
            original_refs.append(line.get("original_ref"))
    targets = store.requests_by_symbols(conn, {v["variable_symbol"] for v, reversal in
                                               zip(fresh, reversals, strict=True) if _payable(v) and not reversal})
    shares_of_lines = []
    for values, reversal in zip(fresh, reversals, strict=True):
        requests = targets.get(values["variable_symbol"], []) if _payable(values) else None
        if reversal:  # on the staff's list whatever it undoes (``_reverse``, below)
            values.update(outcome=domain.LineOutcome.REVERSED, reason=domain.REASONS[domain.LineOutcome.REVERSED])
            shares = []
        elif values["amount_halere"] <= 0:
            values.update(outcome=domain.LineOutcome.IGNORED, reason="Odchozí platba")
            shares = []
        elif requests is None:  # money in that no symbol can place: for a person to look at
            crowns = values["currency"] == "CZK"
            values.update(outcome=domain.LineOutcome.UNKNOWN if crowns else domain.LineOutcome.FOREIGN,
                          reason=domain.REASONS["no_symbol" if crowns else domain.LineOutcome.FOREIGN])
            shares = []
        elif _paid_in_time_after_release(values, requests):
            values.update(outcome=domain.LineOutcome.MATCHED, reason=domain.REASONS["paid_in_time_after_release"])
            shares = _reopen_paid_in_time(values, requests[0], now, source)
            in_time.append(requests[0]["id"])
        else:
            outcome, reason = domain.outcome(values["amount_halere"], requests)
            values.update(outcome=outcome, reason=reason)
            shares = _share(values["amount_halere"], requests, now, source) if outcome in domain.PAYING else []
        summary[values["outcome"] if values["outcome"] in domain.SETTLED else "to_check"] += 1
        if shares:
            summary["paid"].append(paid_line(values, shares))
        shares_of_lines.append(shares)
    ids = store.add_transactions(conn, fresh)
    _record_shares(uow, settings, list(zip(ids, shares_of_lines, strict=True)), after_release=set(in_time))
    for transaction_id, values, reversal, original_ref in zip(ids, fresh, reversals, original_refs, strict=True):
        if reversal:
            _reverse(uow, settings, transaction_id, values, original_ref)
    return summary


def _reverse(uow, settings, transaction_id, values, original_ref=None):
    """A reversal of a credit: it is paired with the credit it takes back (by the bank's
    reference of that credit when the reversal carries it, else the same amount and variable
    symbol, or account, not taken back before, the latest first), and what that credit
    paid is undone: each request it paid owes it again (``open`` when it no longer has all, with
    ``payment_reversed``, so registrations' copy of the paid flag goes back too). The reversal
    stays on the staff's list with its reason, paired or not: someone has to ask the payer."""
    conn = uow.conn
    if values["amount_halere"] >= 0:  # a payment of ours taken back: money returned to the account
        store.update_transaction(conn, transaction_id, {"reason": domain.REASONS["reversed_debit"]})
        return
    original = store.original_of_reversal(conn, dict(values, id=transaction_id), original_ref)
    if original is None:
        store.update_transaction(conn, transaction_id, {"reason": domain.REASONS["reversal_unmatched"]})
        return
    booked = original["booked_on"]
    store.update_transaction(conn, transaction_id, {
        "reversal_of": original["id"],
        "reason": f"{domain.REASONS[domain.LineOutcome.REVERSED]}: platba {domain.money(original['amount_halere'])} "
                  f"z {booked.day}. {booked.month}. {booked.year}"})
    undone = []
    for request_id, amount in sorted(store.allocated_by(conn, original["id"]).items()):
        request = store.get_request(conn, request_id=request_id, lock=True)
        changes = {"paid_halere": request["paid_halere"] - amount}
        if request["status"] == PaymentStatus.PAID and changes["paid_halere"] < request["amount_halere"]:
            changes.update(status=PaymentStatus.OPEN, paid_at=None, paid_by=None)
        store.update_request(conn, request_id, changes)
        undone.append({"transaction_id": transaction_id, "request_id": request_id, "amount_halere": -amount})
        if changes.get("status") == PaymentStatus.OPEN:
            uow.announce("payment_reversed", _about(uow, dict(request, **changes), settings, reversed_halere=amount))
    store.add_allocations(conn, undone)


STAGED_FOR = timedelta(hours=1)
STAGED_GONE = ("Výpis už byl nahrán, nebo od jeho načtení uplynula víc než hodina. "
               "Nahrajte ho prosím znovu.")


class Preview(Exception):
    """Raised inside a transaction to roll back an import tried only to see what it would do."""

    def __init__(self, summary):
        super().__init__("preview")
        self.summary = summary


def preview_transactions(uow, settings, lines, source):
    """What ``import_transactions`` would do with ``lines``, done and rolled back: raises
    ``Preview`` with the summary (the caller's transaction must end with it)."""
    raise Preview(import_transactions(uow, settings, lines, source))


def stage_statement(uow, statement):
    """Keep a read statement until staff confirm its import; its token."""
    conn, now = uow.conn, uow.now
    store.forget_staged(conn, now - STAGED_FOR)
    token = secrets.token_urlsafe(24)
    store.add_staged(conn, {"token": token, "format": statement["format"],
                            "statement_id": statement.get("statement_id"),
                            "lines": statement["transactions"], "created_at": now})
    return token


def import_staged(uow, settings, token):
    """Import the statement staged under ``token`` (once): the summary, with its format and id."""
    conn, now = uow.conn, uow.now
    staged = store.take_staged(conn, str(token))
    if staged is None or staged["created_at"] < now - STAGED_FOR:
        raise Conflict("statement_gone", STAGED_GONE)
    summary = import_transactions(uow, settings, staged["lines"], staged["format"])
    return dict(summary, format=staged["format"], statement_id=staged["statement_id"])


def paid_line(values, shares):
    """Who a bank line paid, for the import's summary: the people (the requests' payers), the
    line's amount and symbol, and why it still waits for a check when it paid too little or too
    much (``reason``, None when it paid exactly)."""
    return {"names": [request["payer_name"] for request, _share in shares],
            "event_title": shares[0][0]["event_title"], "amount_halere": values["amount_halere"],
            "amount": domain.money(values["amount_halere"]), "variable_symbol": values["variable_symbol"],
            "counter_name": values["counter_name"],
            "reason": None if values["outcome"] == domain.LineOutcome.MATCHED else values["reason"],
            "note": domain.paid_in_time_note(values["reason"])}


def _payable(values):
    return values["amount_halere"] > 0 and values["currency"] == "CZK" and values["variable_symbol"]


def _transaction_values(line, source, now):
    return {
        "bank_id": line["bank_id"], "source": source, "booked_on": date.fromisoformat(line["booked_on"]),
        "amount_halere": int(line["amount_halere"]), "currency": line.get("currency") or "CZK",
        # Some banks leave the symbol in the payer's message only ("VS 1000000042").
        "variable_symbol": line.get("variable_symbol") or statements.variable_symbol_from(line.get("message")),
        "counter_account": _cut(line.get("counter_account"), 60),
        "counter_name": _cut(line.get("counter_name"), 200), "message": _cut(line.get("message"), 400),
        "imported_at": now, "reason": None,
    }


def _cut(text, length):
    return text[:length] if isinstance(text, str) else text


def _share(amount_halere, requests, now, how):
    """Share a payment among the open ``requests`` it pays (``domain.allocate``), updating them in
    memory, so a later line of the same statement sees what this one paid: ``[(request, share)]``."""
    shares, _left = domain.allocate(amount_halere, [r for r in requests if r["status"] == PaymentStatus.OPEN])
    for request, share in shares:
        request["paid_halere"] += share
        if request["paid_halere"] >= request["amount_halere"]:
            request.update(status=PaymentStatus.PAID, paid_at=now, paid_by=how)
    return shares


def _paid_in_time_after_release(values, requests):
    """A payment of a registration whose unpaid seat was released, booked by the bank by its due
    date (the statement's booking date, not the day it was imported), for all of it."""
    if len(requests) != 1 or values["currency"] != "CZK":
        return False
    request = requests[0]
    return (request["status"] == PaymentStatus.CANCELLED and request["payload"].get("released_unpaid")
            and request["paid_halere"] == 0 and values["booked_on"] <= request["due_on"]
            and values["amount_halere"] == request["amount_halere"])


def _reopen_paid_in_time(values, request, now, how):
    """The released request paid in time: paid, in memory (``_record_shares`` writes it and tells
    registrations, which gives the seat back or has it refunded)."""
    request.update(status=PaymentStatus.PAID, paid_halere=values["amount_halere"], paid_at=now, paid_by=how)
    return [(request, values["amount_halere"])]


def refuse_late_payment(uow, settings, payload):
    """Registrations could not give the seat back (``late_payment_refused``: no seat free, or
    the event began): the request is cancelled again and the payment refunded, with the reason
    on the refunds list. Told twice, it finds the refund made (one per request)."""
    conn, now = uow.conn, uow.now
    request = store.get_request(conn, registration_id=payload["registration"]["id"], lock=True)
    if request is None or request["paid_halere"] <= 0:
        return None
    if request["status"] != PaymentStatus.CANCELLED:
        store.update_request(conn, request["id"], {"status": PaymentStatus.CANCELLED, "cancelled_at": now})
        request = store.get_request(conn, request_id=request["id"])
    if store.add_refund(conn, request["id"], request["paid_halere"], now, reason=domain.REASONS["late_full"]):
        uow.announce("refund_due", _about(uow, request, settings, refund_halere=request["paid_halere"],
                                          reason=domain.REASONS["late_full"]))
    return request


def _record_shares(uow, settings, lines, after_release=frozenset()):
    """Write what ``_share`` decided for ``[(transaction id, shares)]``: the allocations, each
    request's new state once, and ``payment_received`` for each request paid in full
    (``payment_received_after_release`` for those in ``after_release``: a released seat paid in
    time, which registrations gives back when it can)."""
    conn = uow.conn
    allocations, changed, paid_now = [], {}, {}
    for transaction_id, shares in lines:
        for request, share in shares:
            allocations.append({"transaction_id": transaction_id, "request_id": request["id"],
                                "amount_halere": share})
            changed[request["id"]] = request
            if request["status"] == PaymentStatus.PAID and request["paid_halere"] - share < request["amount_halere"]:
                paid_now[request["id"]] = share
    store.add_allocations(conn, allocations)
    store.update_requests(conn, [{"id": r["id"], "paid_halere": r["paid_halere"], "status": r["status"],
                                  "paid_at": r["paid_at"], "paid_by": r["paid_by"]} for r in changed.values()])
    blocks = payment_blocks(uow, settings, [changed[request_id] for request_id in paid_now])
    for request_id, share in paid_now.items():
        kind = "payment_received_after_release" if request_id in after_release else "payment_received"
        uow.announce(kind, _about(uow, changed[request_id], settings, block=blocks[request_id],
                                  paid_now_halere=share))


def _pay(uow, settings, transaction_id, amount_halere, requests, how):
    """One payment (by hand, in cash) shared among ``requests``, as an imported line is."""
    _record_shares(uow, settings, [(transaction_id, _share(amount_halere, requests, uow.now, how))])


def match_by_hand(uow, settings, transaction_id, variable_symbol):
    """Staff say what a bank line on their list pays (a wrong or missing symbol): it pays the
    requests of ``variable_symbol`` as far as it goes, and leaves the list."""
    conn, now = uow.conn, uow.now
    line = store.get_transaction(conn, transaction_id, lock=True)
    if line is None:
        raise NotFound("transaction_not_found", "Platba nebyla nalezena.")
    if line["outcome"] == domain.LineOutcome.FOREIGN and line["resolved_at"] is None:
        raise Conflict("foreign_currency", "Platbu v cizí měně nelze započítat na poplatek v korunách; "
                                           "vyřiďte ji poznámkou (například vrácena plátci).")
    if line["outcome"] != domain.LineOutcome.UNKNOWN or line["resolved_at"] is not None:
        raise Conflict("transaction_settled", "Tato platba už je přiřazená nebo vyřízená.")
    symbol = str(variable_symbol)
    requests = [r for r in store.requests_by_symbols(conn, {symbol}).get(symbol, [])
                if r["status"] == PaymentStatus.OPEN]
    if not requests:
        raise NotFound("payment_not_found", "S tímto variabilním symbolem nic nezaplaceného neevidujeme.")
    outcome, reason = domain.outcome(line["amount_halere"], requests)
    store.update_transaction(conn, transaction_id, {
        "variable_symbol": str(variable_symbol), "outcome": outcome, "reason": reason,
        "resolved_at": now if outcome == domain.LineOutcome.MATCHED else None,
        "resolution": f"Přiřazeno ručně k VS {variable_symbol}"})
    _pay(uow, settings, transaction_id, line["amount_halere"], requests, "hand")
    return store.get_transaction(conn, transaction_id)


def resolve(uow, transaction_id, note):
    """Staff settled a line on their list another way (returned an overpayment, asked for the rest)."""
    conn, now = uow.conn, uow.now
    if not str(note or "").strip():
        raise ValidationError({"note": ["Napište, jak byla platba vyřízena."]})
    line = store.get_transaction(conn, transaction_id, lock=True)
    if line is None:
        raise NotFound("transaction_not_found", "Platba nebyla nalezena.")
    if line["resolved_at"] is None:
        store.update_transaction(conn, transaction_id, {"resolved_at": now, "resolution": str(note).strip()[:300]})
    return store.get_transaction(conn, transaction_id)


def mark_paid(uow, settings, registration_id, how, note=None):
    """Paid in cash at the door (``how="cash"``), or confirmed by staff otherwise: what is still
    owed is recorded as paid. Marking a paid registration again changes nothing."""
    conn, now = uow.conn, uow.now
    request = store.get_request(conn, registration_id=registration_id, lock=True)
    if request is None:
        raise NotFound("payment_not_found", REQUEST_NOT_FOUND)
    if request["status"] == PaymentStatus.CANCELLED:
        raise Conflict("registration_cancelled", "Přihláška je zrušená; platbu nelze přijmout.")
    owed = request["amount_halere"] - request["paid_halere"]
    if owed <= 0:
        return request
    transaction_id = store.add_transaction(conn, {
        "bank_id": f"{how}:{request['variable_symbol']}:{request['paid_halere']}", "source": how,
        "booked_on": today(now), "amount_halere": owed, "currency": "CZK",
        "variable_symbol": request["variable_symbol"], "counter_name": request["payer_name"],
        "message": (note or {"cash": "Hotově na místě"}.get(how, "Zaznamenáno ručně"))[:400],
        "outcome": domain.LineOutcome.MATCHED, "imported_at": now})
    _pay(uow, settings, transaction_id, owed, [request], how)
    return store.get_request(conn, request_id=request["id"])


def remind_overdue(uow, settings):
    """One reminder per request unpaid after its due date (``payment_overdue``); after it, the
    request is on the staff's overdue list. The conditional update keeps it one with replicas."""
    conn, now = uow.conn, uow.now
    sent = 0
    for request in store.due_for_reminder(conn, today(now), now):
        if not store.update_request(conn, request["id"], {"reminded_at": now}, reminded_at=None,
                                    status=PaymentStatus.OPEN):
            continue
        invoice = store.get_invoice(conn, invoice_id=request["invoice_id"]) if request["invoice_id"] else None
        if invoice is not None and invoice["variable_symbol"] != request["variable_symbol"]:
            continue  # on an invoice for several people: the organisation pays it; staff see it overdue
        uow.announce("payment_overdue", _about(uow, dict(request, reminded_at=now), settings))
        sent += 1
    return sent


def settle_refund(uow, refund_id, note):
    conn, now = uow.conn, uow.now
    if store.get_refund(conn, refund_id) is None:
        raise NotFound("refund_not_found", "Vratka nebyla nalezena.")
    store.settle_refund(conn, refund_id, now, str(note or "Vráceno").strip()[:300])
    return store.get_refund(conn, refund_id)


# Invoices

def person_customer(request):
    """An invoice's customer when neither the member register nor ARES knows the organisation.

    With an IČO typed, the organisation of that IČO (named as typed): the IČO identifies it, and
    the accountant can read its address from the public register. With only a name typed
    ("Obec Nová Ves u Testu"), the person who registered: an invoice to an organisation that it
    does not identify (no IČO, no address) cannot be booked by the association's accountant nor
    claimed from anybody, while the person who ordered the seat is a customer the invoice does
    identify (name and email). An organisation that pays asks for an invoice with its IČO
    (the manage page says how); staff then cancel this one and issue that."""
    if request["organisation_ico"]:
        return {"name": request["organisation_name"] or request["payer_name"], "address": None,
                "ico": request["organisation_ico"], "dic": None, "email": None}
    return {"name": request["payer_name"], "address": None, "ico": None, "dic": None, "email": request["email"]}


def organisation_customer(organisation, request):
    """An invoice's customer from the member register's record of the organisation."""
    if organisation is None:
        return person_customer(request)
    return {"name": organisation["name"], "address": organisation.get("address"), "ico": organisation["ico"],
            "dic": organisation.get("dic"), "email": organisation.get("billing_email") or organisation.get("email")}


def issue_invoice(uow, settings, requests, customer):
    """An invoice for ``requests`` (one organisation, one event): numbered in the year's
    register, gapless; one request keeps its own variable symbol, several get a new one."""
    conn, now = uow.conn, uow.now
    domain.check_invoiceable(requests)
    year = local(now).year
    sequence = store.next_number(conn, f"invoice-{year}")
    vs = (requests[0]["variable_symbol"] if len(requests) == 1
          else domain.group_vs(store.next_number(conn, "group-vs")))
    items = [domain.invoice_item(r, settings.vat_rate) for r in requests]
    total = sum(item["total_halere"] for item in items)
    owed = domain.owed(requests)
    # The requests' own due date; an invoice issued later (on request, for several people) gives
    # time to pay from its own issue, by the same rule.
    event = requests[0]["payload"]["event"]
    due = max(min(r["due_on"] for r in requests),
              domain.due_on(now, requests[0]["event_starts_at"], settings.days_to_pay, settings.due_after_start,
                            release_after_days=event.get("release_unpaid_after_days")))
    number = domain.document_number(InvoiceKind.INVOICE, year, sequence)
    document = _document(settings, InvoiceKind.INVOICE, number, customer, items, now, due, vs)
    paid_on = ([local(r["paid_at"]).date() for r in requests] if all(r["paid_at"] for r in requests) else [])
    supply_on = local(requests[0]["event_starts_at"]).date()
    document["taxable_on"] = domain.taxable_on(settings.supplier["vat_payer"], today(now), supply_on,
                                               paid_on).isoformat()
    document["spd"] = domain.spd(settings.account, owed, vs, f"{vs} faktura {number}", due) if owed > 0 else None
    recipients = _recipients(customer, requests)
    invoice_id = store.add_invoice(conn, {
        "kind": InvoiceKind.INVOICE, "year": year, "sequence": sequence, "number": number, "variable_symbol": vs,
        "event_id": requests[0]["event_id"], "customer_name": customer["name"][:200], "total_halere": total,
        "document": document, "recipients": recipients, "issued_at": now})
    store.add_invoice_items(conn, invoice_id, [r["id"] for r in requests])
    for request in requests:
        store.update_request(conn, request["id"], {"invoice_id": invoice_id})
    # what is owed on it, from what was just written rather than read back (a tenth of payments'
    # CPU for a non-member's registration went to reading the invoice's document again, twice)
    issued = ({"id": invoice_id, "number": number, "variable_symbol": vs, "document": document},
              sorted((dict(r, invoice_id=invoice_id) for r in requests), key=lambda r: r["registration_id"]))
    _tell_invoice(uow, document, recipients, requests, owed_on=_owed_on(uow, settings, invoice_id, issued))
    return document


def _owed_on(uow, settings, invoice_id, issued=None):
    """What is still owed on live invoice ``invoice_id`` and who pays under its symbol, as
    ``invoice_issued`` tells it: ``{"number", "registration_ids", "payment"}`` (each live
    registration's payment block, ``payment_blocks``), or None once the invoice is cancelled.
    ``issued``: the invoice just issued and its requests, as ``store.live_group_invoices`` would
    read them back (in the order people registered)."""
    found = issued if issued is not None else store.live_group_invoices(uow.conn, [invoice_id]).get(invoice_id)
    if found is None:
        return None
    invoice, together = found
    live = [r for r in together if r["status"] != PaymentStatus.CANCELLED]
    # just issued, every request of it is on it (and on no later invoice): no reading back either
    blocks = (_blocks(settings, uow.now, live, {invoice_id: issued}) if issued is not None
              else payment_blocks(uow, settings, live))
    return {"number": invoice["number"], "registration_ids": [r["registration_id"] for r in live],
            "payment": {str(r["registration_id"]): blocks[r["id"]] for r in live}}


def credit_note(uow, settings, invoice, request_ids, reason, recipients=None):
    """A credit note taking back ``request_ids`` of ``invoice`` (those not taken back before);
    the invoice itself never changes but for being marked cancelled once nothing is left on it."""
    conn, now = uow.conn, uow.now
    covered = store.invoice_request_ids(conn, invoice["id"])
    credited = store.credited_request_ids(conn, invoice["id"])
    taking = [r for r in covered if r in set(request_ids) and r not in credited]
    if not taking:
        return None
    requests = [store.get_request(conn, request_id=r) for r in taking]
    year = local(now).year
    sequence = store.next_number(conn, f"credit_note-{year}")
    number = domain.document_number(InvoiceKind.CREDIT_NOTE, year, sequence)
    original = invoice["document"]
    # The items as the invoice has them (its items follow its requests in order), negated: the VAT
    # rate or a name may have changed since, the correction of what was issued may not.
    items = [domain.negated(original["items"][covered.index(r)]) for r in taking]
    document = _document(settings, InvoiceKind.CREDIT_NOTE, number, original["customer"], items, now, today(now),
                         invoice["variable_symbol"])
    document.update(spd=None, reason=reason, supplier=original["supplier"], vat_note=original["vat_note"],
                    corrects={"number": original["number"], "uuid": original["uuid"],
                              "issued_on": original["issued_on"]})
    note_id = store.add_invoice(conn, {
        "kind": InvoiceKind.CREDIT_NOTE, "year": year, "sequence": sequence, "number": number, "variable_symbol": None,
        "corrects_id": invoice["id"], "event_id": invoice["event_id"], "customer_name": invoice["customer_name"],
        "total_halere": document["total_halere"], "document": document, "recipients": invoice["recipients"],
        "issued_at": now})
    store.add_invoice_items(conn, note_id, taking)
    restored = {}  # what each registration pays again once the invoice is gone: its own request
    if set(covered) <= credited | set(taking):
        conn.execute(store.invoices.update().where(store.invoices.c.id == invoice["id"])
                     .values(cancelled_at=now))
        for request in requests:
            if request["invoice_id"] == invoice["id"] and request["status"] == PaymentStatus.OPEN:
                store.update_request(conn, request["id"], {"invoice_id": None})
                restored[request["registration_id"]] = domain.payment_block(settings.account, request, now)
    _tell_invoice(uow, document, invoice["recipients"] if recipients is None else recipients, requests,
                  restored, owed_on=_owed_on(uow, settings, invoice["id"]))
    return document


def cancel_invoice(uow, settings, number, reason):
    """Cancel an invoice with a credit note for everything on it; its registrations can then be
    invoiced again (to the right customer, say)."""
    conn = uow.conn
    invoice = store.get_invoice(conn, number=str(number), lock=True)
    if invoice is None or invoice["kind"] != InvoiceKind.INVOICE:
        raise NotFound("invoice_not_found", "Faktura nebyla nalezena.")
    if invoice["cancelled_at"] is not None:
        raise Conflict("invoice_cancelled", "Faktura už je stornovaná.")
    if not str(reason or "").strip():
        raise ValidationError({"reason": ["Napište důvod storna."]})
    return credit_note(uow, settings, invoice, store.invoice_request_ids(conn, invoice["id"]),
                       str(reason).strip()[:200])


def _document(settings, kind, number, customer, items, now, due, vs):
    issued = today(now).isoformat()
    return {
        "number": number, "kind": kind, "uuid": str(uuid.uuid4()).upper(), "corrects": None,
        # The tax date of a credit note is the day of the correction; an invoice sets its own.
        "issued_on": issued, "taxable_on": issued, "due_on": due.isoformat(),
        "variable_symbol": vs, "currency": "CZK", "supplier": dict(settings.supplier), "customer": customer,
        "items": items, "total_halere": sum(item["total_halere"] for item in items),
        "vat_lines": domain.vat_lines(items),
        "vat_note": None if settings.supplier["vat_payer"] else domain.NOT_A_VAT_PAYER, "spd": None,
        "reason": None,
    }


def _recipients(customer, requests):
    found = [customer.get("email")] + [r["email"] for r in requests]
    return sorted({address.strip().lower() for address in found if address})


def _tell_invoice(uow, document, recipients, requests, restored=None, owed_on=None):
    """``invoice_issued``: the document, its ISDOC, who gets it, and the registrations it covers;
    for a credit note that cancelled its invoice, ``restored`` is what each registration still
    open pays again instead (its own request: symbol, amount, QR Platba), by registration id.
    ``owed_on`` is what is still owed on the invoice (the one issued, or the one a credit note
    corrects while it stays live: its amount less its credit notes), and by whom (``_owed_on``):
    the registrations still on it show and encode that amount, not the invoice's total."""
    uow.announce("invoice_issued", {
        "owed_on": owed_on,
        "invoice": document, "isdoc": base64.b64encode(isdoc.isdoc(document)).decode("ascii"),
        "recipients": recipients, "registration_ids": [r["registration_id"] for r in requests],
        "event": requests[0]["payload"]["event"],
        "restored": {str(registration_id): block for registration_id, block in (restored or {}).items()},
    })


def request_invoice(uow, settings, registration_id, customer_for):
    """The person asked for an invoice to their organisation on the manage page: an invoice for
    their own registration alone, to the organisation as the member register (or ARES) names it,
    sent to the person and to the organisation's billing address from the register.

    Why alone: the manage link proves who the person is, not that they may speak for the
    organisation. An IČO is only typed; if one person's request invoiced every open registration
    of the event with the same IČO, anyone could put strangers on an invoice, email it to them and
    to the organisation's accountant, and stop their payment reminders (issue 25/4). One invoice
    for several people is issued by staff, who check whom it covers (the console's "Vystavit
    jednu fakturu za vybrané", ``issue_invoice``). Colleagues registered together by one person
    are not told apart from colleagues who registered separately (registrations keeps no group
    on the rows), so they too ask for their own invoices or ask staff for one."""
    conn = uow.conn
    request = store.get_request(conn, registration_id=registration_id, lock=True)  # a second click waits
    if request is None:
        raise NotFound("payment_not_found", REQUEST_NOT_FOUND)
    if request["invoice_id"] is not None:
        return store.get_invoice(conn, invoice_id=request["invoice_id"])["document"]
    if request["status"] != PaymentStatus.OPEN:
        raise Conflict("invoice_not_open", "Přihláška je zaplacená nebo zrušená; fakturu už nelze vystavit.")
    return issue_invoice(uow, settings, [request], customer_for(request))


# Personal data

ERASED = "(vymazáno)"
PERSON_FIELDS = ("first_name", "last_name", "email", "phone", "position", "note", "birth_date", "token",
                 "manage_url", "ticket_url", "ticket_code")


def export_person(conn, email):
    """What this service holds about the person with ``email``: their payment requests."""
    return [{"registration_id": r["registration_id"], "event_title": r["event_title"],
             "variable_symbol": r["variable_symbol"], "amount_halere": r["amount_halere"],
             "paid_halere": r["paid_halere"], "status": r["status"],
             "paid_at": r["paid_at"].isoformat() if r["paid_at"] else None}
            for r in store.requests_of_email(conn, email)]


def erase_person(uow, settings, email):
    """Erase the person with ``email``: their requests keep the facts (symbol, amounts, dates,
    organisation) and lose the person, and what is still open is cancelled (registrations cancels
    the seats to come without a word); the events about them are deleted. Invoices and bank lines
    stay as they are: they are accounting records the law asks to keep (zákon o účetnictví, § 31),
    and an invoice, once issued, is never changed."""
    conn, now = uow.conn, uow.now
    requests = store.requests_of_email(conn, email)
    ids = [r["registration_id"] for r in requests]
    deleted = delete_rows_about(conn, store.outbox, "payload", ids) if ids else 0
    for request in requests:
        if request["status"] != PaymentStatus.CANCELLED and request["event_starts_at"] > now:
            # registrations cancels the seats to come without telling anyone: what a cancellation
            # owes is done here, and told to nobody but staff and the organisation's accountant
            if request["paid_halere"] > 0:
                store.add_refund(conn, request["id"], request["paid_halere"], now)
            invoice = store.get_invoice(conn, invoice_id=request["invoice_id"], lock=True) \
                if request["invoice_id"] else None
            if invoice is not None and invoice["cancelled_at"] is None:
                credit_note(uow, settings, invoice, [request["id"]], "Zrušení přihlášky",
                            recipients=[r for r in invoice["recipients"] if r != email.strip().lower()])
        payload = request["payload"]
        registration = {key: value for key, value in payload["registration"].items() if key not in PERSON_FIELDS}
        cancelled = {"status": PaymentStatus.CANCELLED, "cancelled_at": now} \
            if request["status"] == PaymentStatus.OPEN or request["event_starts_at"] > now else {}
        store.update_request(conn, request["id"], {
            **cancelled, "payer_name": ERASED, "email": f"vymazano-{request['registration_id']}@example.invalid",
            "payload": {"registration": dict(registration, first_name=ERASED, last_name="", email=""),
                        "event": payload["event"]}})
    return {"requests_anonymised": len(ids), "events_deleted": deleted}


# What staff and the other services read (one transaction each, nothing written)

def find_request(conn, registration_id):
    """A registration's payment request, or None when none was made."""
    return store.get_request(conn, registration_id=registration_id)


def payment_of(uow, settings, registration_id):
    """A registration's request, how it is paid and the numbers of its live invoices."""
    conn = uow.conn
    request = find_request(conn, registration_id)
    if request is None:
        raise NotFound("payment_not_found", REQUEST_NOT_FOUND)
    numbers = store.live_invoice_numbers(conn, [request["id"]])
    return request, payment_block(uow, settings, request), numbers.get(request["id"], ())


def requests_of_event(uow, settings, event_id, status=None):
    """The requests (of one event, or of all when ``event_id`` is None; of one ``status`` or any),
    each as ``(request, how it is paid, its live invoices' numbers)``."""
    conn = uow.conn
    rows = store.list_requests(conn, event_id, status=status)
    numbers = store.live_invoice_numbers(conn, [row["id"] for row in rows])
    blocks = payment_blocks(uow, settings, rows)
    return [(row, blocks[row["id"]], numbers.get(row["id"], ())) for row in rows]


def lines_to_check(conn):
    """Bank lines waiting for a person."""
    return store.unresolved(conn)


def overdue_requests(uow, settings):
    """Requests unpaid after their due date whose one reminder went out, each with how it is paid."""
    conn, now = uow.conn, uow.now
    rows = store.overdue(conn, today(now), now)
    blocks = payment_blocks(uow, settings, rows)
    return [(row, blocks[row["id"]]) for row in rows]


def requests_to_invoice(conn, registration_ids):
    """The requests of these registrations; NotFound names the registrations without one."""
    requests = store.requests_of(conn, registration_ids)
    if len(requests) != len(set(registration_ids)):
        missing = sorted(set(registration_ids) - {r["registration_id"] for r in requests})
        raise NotFound("payment_not_found", f"{REQUEST_NOT_FOUND} ({', '.join(map(str, missing))})")
    return requests


def issue_invoice_for(uow, settings, registration_ids, customer):
    """``issue_invoice`` for these registrations' requests, locked for this transaction."""
    return issue_invoice(uow, settings, store.requests_of(uow.conn, registration_ids, lock=True), customer)


def list_invoices(uow, event_id):
    """Invoices and credit notes (of one event, or all), newest first, each as ``(invoice, payment)``
    where payment says whether it is paid (``domain.invoice_payment``)."""
    conn, now = uow.conn, uow.now
    rows = store.list_invoices(conn, event_id)
    states = store.invoice_request_states(conn, [row["id"] for row in rows])
    day = today(now)
    return [(row, domain.invoice_payment(row["kind"], row["cancelled_at"] is not None, row["document"]["due_on"],
                                         states.get(row["id"], []), day, row["total_halere"]))
            for row in rows]


def received_page(conn, since, until, page, per_page):
    """One page of the money received, newest first: ``(total, [(line, allocations, invoice number)])``."""
    rows, total = store.received(conn, since, until, (page - 1) * per_page, per_page)
    paid = store.allocations_of(conn, [row["id"] for row in rows])
    numbers = store.invoice_numbers_by_symbols(conn, {row["variable_symbol"] for row in rows})
    return total, [(row, paid.get(row["id"], []), numbers.get(row["variable_symbol"])) for row in rows]


def find_invoice(conn, number):
    """The invoice or credit note ``number``; NotFound when there is none."""
    found = store.get_invoice(conn, number=number)
    if found is None:
        raise NotFound("invoice_not_found", "Faktura nebyla nalezena.")
    return found


def refunds_to_send(conn):
    """Paid registrations that were cancelled: money to send back."""
    return store.list_refunds(conn)


def request_counts(conn):
    """How many requests are open, paid and cancelled."""
    return store.count_by_status(conn)


# The bank's API

def bank_lines(settings, now):
    """The Fio account's lines of the last FIO_LOOKBACK_DAYS (nothing is written: importing them
    is ``import_transactions``). Without a token, a ValidationError; the bank away, a Conflict
    with the bank's own reason in Czech, for staff."""
    if not settings.fio_api_token:
        raise ValidationError({"FIO_API_TOKEN": ["Přístup k API banky není nastaven."]},
                              code="bank_api_not_configured", message="Přístup k API banky není nastaven.")
    until = today(now)
    try:
        return fio.fetch_new(settings.fio_api_token, until - settings.fio_lookback, until, settings.fio_api_url)
    except fio.FioUnavailable as error:
        raise Conflict("bank_unavailable", str(error)) from None


def organisation_invoices(conn, settings, ico, now):
    """The invoices and credit notes addressed to the organisation ``ico``, newest first, each as
    ``(invoice, payment, spd)``: whether it is paid (``domain.invoice_payment``) and, while
    something is owed on an invoice, the QR Platba text for what is owed now."""
    rows = [row for row in store.invoices_covering_organisation(conn, ico)
            if domain.invoice_of_organisation(row["document"], ico)]
    states = store.invoice_request_states(conn, [row["id"] for row in rows])
    day = today(now)
    found = []
    for row in rows:
        document = row["document"]
        payment = domain.invoice_payment(row["kind"], row["cancelled_at"] is not None, document["due_on"],
                                         states.get(row["id"], []), day, row["total_halere"])
        owing = (payment["state"] in (domain.InvoiceState.UNPAID, domain.InvoiceState.OVERDUE)
                 and payment["owed_halere"] > 0)
        spd = (domain.spd(settings.account, payment["owed_halere"], row["variable_symbol"],
                          f"{row['variable_symbol']} faktura {row['number']}") if owing else None)
        found.append((row, payment, spd))
    return found


# The accountant's export

BANK_SOURCES = tuple(StatementFormat)


def accounting_month(conn, settings, year, month, now):
    """What the accountant gets for ``month`` of ``year`` (``accounting`` builds the files from it):
    the invoices and credit notes issued in it (Prague days), the bank lines booked in it that
    paid something or took a payment back (``bank``), the payments not from the bank booked in it
    (``other``: cash at the door, recorded by hand), the invoices issued by its end that are
    unpaid today (``unpaid``) and the refunds that arose in it; amounts in haléře. Reads only."""
    since, until = month_moments(year, month)
    first, last = month_days(year, month)
    documents = [row["document"] for row in store.invoices_issued(conn, since, until)]
    bank = store.lines_booked(conn, first, last, BANK_SOURCES)
    other = store.other_payments_booked(conn, first, last, BANK_SOURCES)
    lines = bank + other
    paid = store.allocations_of(conn, [row["id"] for row in lines])
    numbers = store.invoice_numbers_by_symbols(conn, {row["variable_symbol"] for row in lines})
    payments = [dict(row, paid=paid.get(row["id"], []), invoice_number=numbers.get(row["variable_symbol"]),
                     from_bank=row["source"] in BANK_SOURCES) for row in lines]
    issued = store.invoices_issued(conn, until=until, kind=InvoiceKind.INVOICE)
    states = store.invoice_request_states(conn, [row["id"] for row in issued])
    unpaid = []
    for row in issued:
        payment = domain.invoice_payment(row["kind"], row["cancelled_at"] is not None, row["document"]["due_on"],
                                         states.get(row["id"], []), today(now), row["total_halere"])
        if payment["state"] in (domain.InvoiceState.UNPAID, domain.InvoiceState.OVERDUE) \
                and payment["owed_halere"] > 0:
            unpaid.append({"document": row["document"], "owed_halere": payment["owed_halere"],
                           "label": payment["label"]})
    return {"year": year, "month": month, "name": month_name(year, month), "first": first.isoformat(),
            "last": last.isoformat(), "made_on": today(now).isoformat(), "supplier": dict(settings.supplier),
            "documents": documents, "payments": payments, "unpaid": unpaid,
            "refunds": store.refunds_created(conn, since, until)}
