"""The payments service's own tables: payment requests, bank lines, invoices, refunds."""
from functools import cache

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from services.common import numbering
from services.common.db import UTCDateTime
from services.common.outbox import outbox_table
from services.common.vocabulary import InvoiceKind, PaymentStatus

from .domain import SETTLED

metadata = MetaData()

# One per paid-for registration: what is owed, by when, under which variable symbol.
payment_requests = Table(
    "payment_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("registration_id", Integer, nullable=False, unique=True),
    Column("event_id", Integer, nullable=False, index=True),
    Column("event_title", String(200), nullable=False),
    Column("event_starts_at", UTCDateTime, nullable=False),
    Column("payer_name", String(201), nullable=False),
    Column("email", String(254), nullable=False),
    Column("organisation_ico", String(8)),
    Column("organisation_name", String(200)),
    Column("is_member", Boolean, nullable=False, default=False),
    Column("variable_symbol", String(10), nullable=False, unique=True),
    Column("amount_halere", Integer, nullable=False),
    Column("paid_halere", Integer, nullable=False, default=0),
    Column("due_on", Date, nullable=False),
    # open -> paid | cancelled
    Column("status", String(20), nullable=False, default=PaymentStatus.OPEN),
    Column("invoice_id", Integer, ForeignKey("invoices.id"), index=True),
    # The registration and its event as registrations last told us: what later events carry.
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("paid_at", UTCDateTime),
    Column("paid_by", String(20)),
    Column("reminded_at", UTCDateTime),
    Column("cancelled_at", UTCDateTime),
)

# Invoices and credit notes: never changed once issued but for being cancelled.
invoices = Table(
    "invoices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("year", Integer, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("number", String(20), nullable=False, unique=True),
    Column("variable_symbol", String(10), index=True),
    Column("corrects_id", Integer, ForeignKey("invoices.id")),
    Column("event_id", Integer, nullable=False, index=True),
    Column("customer_name", String(200), nullable=False),
    Column("total_halere", Integer, nullable=False),
    # The whole document as issued (``isdoc`` and the PDF are made from it, again and again).
    Column("document", JSON, nullable=False),
    # The addresses it was sent to.
    Column("recipients", JSON, nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("cancelled_at", UTCDateTime),
    UniqueConstraint("kind", "year", "sequence"),
)
_ADDING_INVOICE = invoices.insert()  # its values given as parameters (see _adding_request)

# Which registrations an invoice or credit note covers.
invoice_items = Table(
    "invoice_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("invoice_id", Integer, ForeignKey("invoices.id"), nullable=False, index=True),
    Column("request_id", Integer, ForeignKey("payment_requests.id"), nullable=False, index=True),
    UniqueConstraint("invoice_id", "request_id"),
)

# Lines of bank statements (and payments in cash or matched by hand), each once.
transactions = Table(
    "transactions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bank_id", String(120), nullable=False, unique=True),
    Column("source", String(20), nullable=False),
    Column("booked_on", Date, nullable=False),
    Column("amount_halere", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("variable_symbol", String(10)),
    Column("counter_account", String(60)),
    Column("counter_name", String(200)),
    Column("message", String(400)),
    # matched | underpaid | overpaid | unknown | already_paid | cancelled | ignored
    Column("outcome", String(20), nullable=False),
    Column("reason", String(300)),
    Column("imported_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("resolution", String(300)),
    # A reversal (the bank took a credit back): the line it takes back, when found.
    Column("reversal_of", Integer, ForeignKey("transactions.id", name="fk_transactions_reversal_of"), index=True),
)

# How much of a bank line went to which request.
allocations = Table(
    "allocations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("transaction_id", Integer, ForeignKey("transactions.id"), nullable=False, index=True),
    Column("request_id", Integer, ForeignKey("payment_requests.id"), nullable=False, index=True),
    Column("amount_halere", Integer, nullable=False),
)

# Money to send back: a paid registration was cancelled.
refunds = Table(
    "refunds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("payment_requests.id"), nullable=False, unique=True),
    Column("amount_halere", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("settled_at", UTCDateTime),
    Column("note", String(300)),
    # Why, when it is not simply a paid registration cancelled (Czech, for staff).
    Column("reason", String(300)),
)

# The last number given in each register (invoices of a year, credit notes of a year, group
# symbols); its row lock makes numbers gapless and unique however many are issued at once.
counters = Table(
    "counters",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("last_number", Integer, nullable=False),
)

# A statement read and shown to staff, kept until they confirm its import (or for an hour).
staged_statements = Table(
    "staged_statements",
    metadata,
    Column("token", String(64), primary_key=True),
    Column("format", String(20), nullable=False),
    Column("statement_id", String(120)),
    Column("lines", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False, index=True),
)

outbox = outbox_table(metadata)


def next_number(conn, name) -> int:
    """The next number of register ``name`` (see ``services.common.numbering``)."""
    return numbering.next_number(conn, counters, "name", name)


# The registers of ``counters`` whose numbers leave the service (``usecases``): invoices and
# credit notes per year (``invoice-2026``), and group invoices' variable symbols. The other rows
# are locks (``statement-imports``), not numbers.
YEARLY_REGISTERS = ("invoice", "credit_note")
REGISTERS = ("group-vs",)


def skip_numbers(conn, gap: int, years) -> dict[str, int]:
    """After a restore: every register of ``years`` (those of the backup up to now, when numbers
    lost with the restore may have been given) and every non-yearly one goes on ``gap`` past
    its last number; ``{register: the next number}``."""
    names = [f"{register}-{year}" for register in YEARLY_REGISTERS for year in years] + list(REGISTERS)
    return numbering.skip(conn, counters, "name", names, gap)


def _one(conn, query):
    row = conn.execute(query).mappings().first()
    return dict(row) if row is not None else None


def _all(conn, query):
    return [dict(row) for row in conn.execute(query).mappings()]


# Payment requests

def add_request(conn, values) -> dict | None:
    """The new request; None when the registration has one already (an event handled twice)."""
    row = conn.execute(_adding_request(conn.dialect.name), values).mappings().first()
    return dict(row) if row is not None else None


@cache
def _adding_request(dialect: str):
    """One statement for every request, its values given as parameters: built with ``values()``
    each time, SQLAlchemy spent more CPU on the statement's cache key than the insert took."""
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(payment_requests)
    return insert.on_conflict_do_nothing().returning(*payment_requests.c)


def get_request(conn, registration_id=None, request_id=None, lock=False):
    query = select(payment_requests)
    query = (query.where(payment_requests.c.registration_id == registration_id) if registration_id is not None
             else query.where(payment_requests.c.id == request_id))
    return _one(conn, query.with_for_update() if lock else query)


def requests_by_symbols(conn, symbols) -> dict:
    """Variable symbol -> the requests it pays (one registration's, or every one on a live
    invoice), for many symbols at once, locked. A request reached by two symbols (its own, and its
    invoice's) is one dict."""
    symbols = sorted(s for s in symbols if s)
    invoice_of, request_ids_of = {}, {}
    for chunk in _chunks(symbols):
        invoice_of.update(conn.execute(select(invoices.c.variable_symbol, invoices.c.id).where(
            invoices.c.variable_symbol.in_(chunk), invoices.c.kind == InvoiceKind.INVOICE,
            invoices.c.cancelled_at.is_(None))).all())
        for request_id, symbol in conn.execute(select(payment_requests.c.id, payment_requests.c.variable_symbol)
                                               .where(payment_requests.c.variable_symbol.in_(chunk))):
            request_ids_of.setdefault(symbol, []).append(request_id)
    on_invoice = {}
    for chunk in _chunks(sorted(invoice_of.values())):
        for invoice_id, request_id in conn.execute(select(invoice_items.c.invoice_id, invoice_items.c.request_id)
                                                   .where(invoice_items.c.invoice_id.in_(chunk))):
            on_invoice.setdefault(invoice_id, []).append(request_id)
    for symbol, invoice_id in invoice_of.items():  # an invoice's symbol pays what is on the invoice
        request_ids_of[symbol] = on_invoice.get(invoice_id, [])
    by_id = {}
    for chunk in _chunks(sorted({i for ids in request_ids_of.values() for i in ids})):
        for row in _all(conn, select(payment_requests).where(payment_requests.c.id.in_(chunk))
                        .order_by(payment_requests.c.id).with_for_update()):
            by_id[row["id"]] = row
    # in the order people registered (requests are made as their events arrive, in any order)
    return {symbol: sorted((by_id[i] for i in ids if i in by_id), key=lambda row: row["registration_id"])
            for symbol, ids in request_ids_of.items()}


def _chunks(values, size=500):
    return [values[start:start + size] for start in range(0, len(values), size)]


def update_requests(conn, rows):
    """Many requests' payment state in one statement (executemany)."""
    if rows:
        conn.execute(update(payment_requests).where(payment_requests.c.id == bindparam("b_id")).values(
            paid_halere=bindparam("b_paid_halere"), status=bindparam("b_status"), paid_at=bindparam("b_paid_at"),
            paid_by=bindparam("b_paid_by")), [{f"b_{key}": value for key, value in row.items()} for row in rows])


def requests_of(conn, registration_ids, lock=False):
    query = select(payment_requests).where(payment_requests.c.registration_id.in_(list(registration_ids))) \
        .order_by(payment_requests.c.id)
    return _all(conn, query.with_for_update() if lock else query)


def open_requests_for(conn, event_id, organisation_ico, lock=False):
    query = select(payment_requests).where(
        payment_requests.c.event_id == event_id, payment_requests.c.organisation_ico == organisation_ico,
        payment_requests.c.status == PaymentStatus.OPEN, payment_requests.c.invoice_id.is_(None),
    ).order_by(payment_requests.c.id)
    return _all(conn, query.with_for_update() if lock else query)


def update_request(conn, request_id, values, **expected) -> bool:
    conditions = [payment_requests.c.id == request_id]
    conditions += [payment_requests.c[name].is_(None) if value is None else payment_requests.c[name] == value
                   for name, value in expected.items()]
    return conn.execute(update(payment_requests).where(*conditions).values(**values)).rowcount == 1


def list_requests(conn, event_id=None, status=None):
    query = select(payment_requests).order_by(payment_requests.c.event_id, payment_requests.c.registration_id)
    if event_id is not None:
        query = query.where(payment_requests.c.event_id == event_id)
    if status is not None:
        query = query.where(payment_requests.c.status == status)
    return _all(conn, query)


def due_for_reminder(conn, today, now):
    """Open requests past their due date, not reminded, of events still to come (after the event
    a reminder would ask to cancel what can no longer be cancelled: staff see them in ``overdue``)."""
    return _all(conn, select(payment_requests).where(
        payment_requests.c.status == PaymentStatus.OPEN, payment_requests.c.due_on < today,
        payment_requests.c.reminded_at.is_(None), payment_requests.c.event_starts_at > now,
    ).order_by(payment_requests.c.id))


def overdue(conn, today, now):
    """Open requests past their due date whose reminder went out, or whose event has begun."""
    return _all(conn, select(payment_requests).where(
        payment_requests.c.status == PaymentStatus.OPEN, payment_requests.c.due_on < today,
        or_(payment_requests.c.reminded_at.is_not(None), payment_requests.c.event_starts_at <= now),
    ).order_by(payment_requests.c.due_on, payment_requests.c.id))


# Bank lines

def add_transaction(conn, values) -> int | None:
    """The new line's id; None when the bank's id was imported before."""
    try:
        with conn.begin_nested():
            return conn.execute(transactions.insert().values(**values)).inserted_primary_key[0]
    except IntegrityError:
        return None


def known_bank_ids(conn, bank_ids):
    found = set()
    ids = list(bank_ids)
    for start in range(0, len(ids), 500):
        found.update(conn.execute(select(transactions.c.bank_id).where(
            transactions.c.bank_id.in_(ids[start:start + 500]))).scalars())
    return found


def get_transaction(conn, transaction_id, lock=False):
    query = select(transactions).where(transactions.c.id == transaction_id)
    return _one(conn, query.with_for_update() if lock else query)


def update_transaction(conn, transaction_id, values):
    conn.execute(update(transactions).where(transactions.c.id == transaction_id).values(**values))


def unresolved(conn):
    """Bank lines that wait for a person: not matched exactly and not settled by hand."""
    return _all(conn, select(transactions).where(
        transactions.c.outcome.not_in(SETTLED), transactions.c.resolved_at.is_(None),
    ).order_by(transactions.c.booked_on, transactions.c.id))


def original_of_reversal(conn, reversal, original_ref=None) -> dict | None:
    """The credit a reversal takes back: the line with the bank's reference ``original_ref`` when
    there is one, else money in of the same amount and variable symbol (or, without a symbol, from
    the same account); not taken back before, the latest first; locked."""
    taken_back = select(transactions.c.reversal_of).where(transactions.c.reversal_of.is_not(None))
    conditions = [transactions.c.amount_halere == -reversal["amount_halere"], transactions.c.amount_halere > 0,
                  transactions.c.id.not_in(taken_back), transactions.c.currency == reversal["currency"]]
    if original_ref:
        found = _one(conn, select(transactions).where(*conditions, transactions.c.bank_id == original_ref)
                     .with_for_update())
        if found is not None:
            return found
    if reversal["variable_symbol"]:
        conditions.append(transactions.c.variable_symbol == reversal["variable_symbol"])
    elif reversal["counter_account"]:
        conditions.append(transactions.c.counter_account == reversal["counter_account"])
    else:
        return None
    return _one(conn, select(transactions).where(*conditions)
                .order_by(transactions.c.booked_on.desc(), transactions.c.id.desc()).limit(1).with_for_update())


def allocated_by(conn, transaction_id) -> dict:
    """request id -> what bank line ``transaction_id`` paid it (its allocations, summed)."""
    found = {}
    for request_id, amount in conn.execute(select(allocations.c.request_id, allocations.c.amount_halere)
                                           .where(allocations.c.transaction_id == transaction_id)):
        found[request_id] = found.get(request_id, 0) + amount
    return found


def add_transactions(conn, rows) -> list[int]:
    """Insert bank lines in bulk; their ids, in the order given."""
    if not rows:
        return []
    inserted = conn.execute(transactions.insert().returning(transactions.c.id, sort_by_parameter_order=True), rows)
    return [row.id for row in inserted]


def add_allocations(conn, rows):
    if rows:
        conn.execute(allocations.insert(), rows)


# Invoices

def add_invoice(conn, values) -> int:
    return conn.execute(_ADDING_INVOICE, values).inserted_primary_key[0]


def add_invoice_items(conn, invoice_id, request_ids):
    conn.execute(invoice_items.insert(), [{"invoice_id": invoice_id, "request_id": r} for r in request_ids])


def get_invoice(conn, number=None, invoice_id=None, lock=False):
    query = select(invoices)
    query = query.where(invoices.c.number == number) if number is not None else query.where(
        invoices.c.id == invoice_id)
    return _one(conn, query.with_for_update() if lock else query)


def invoice_request_ids(conn, invoice_id):
    return list(conn.execute(select(invoice_items.c.request_id).where(
        invoice_items.c.invoice_id == invoice_id).order_by(invoice_items.c.request_id)).scalars())


def credited_request_ids(conn, invoice_id):
    """The requests of invoice ``invoice_id`` that a credit note has taken back already."""
    notes = select(invoices.c.id).where(invoices.c.corrects_id == invoice_id)
    return set(conn.execute(select(invoice_items.c.request_id).where(
        invoice_items.c.invoice_id.in_(notes))).scalars())


def live_group_invoices(conn, invoice_ids) -> dict:
    """invoice id -> ``(invoice, [the requests it covers])`` for those of ``invoice_ids`` that are
    live invoices (not cancelled, not credit notes): what a payment under their symbol pays."""
    found = {}
    for chunk in _chunks(sorted(set(invoice_ids))):
        for invoice in _all(conn, select(invoices).where(invoices.c.id.in_(chunk),
                                                         invoices.c.kind == InvoiceKind.INVOICE,
                                                         invoices.c.cancelled_at.is_(None))):
            found[invoice["id"]] = (invoice, [])
        rows = _all(conn, select(invoice_items.c.invoice_id.label("on_invoice"), payment_requests)
                    .join(payment_requests, payment_requests.c.id == invoice_items.c.request_id)
                    .where(invoice_items.c.invoice_id.in_(chunk)).order_by(payment_requests.c.registration_id))
        for row in rows:
            on_invoice = row.pop("on_invoice")
            if on_invoice in found:
                found[on_invoice][1].append(row)
    return found


def list_invoices(conn, event_id=None):
    query = select(invoices).order_by(invoices.c.id.desc())
    if event_id is not None:
        query = query.where(invoices.c.event_id == event_id)
    return _all(conn, query)


def invoice_request_states(conn, invoice_ids) -> dict:
    """invoice id -> the requests it covers, as far as says whether it is paid and what is owed:
    ``[{status, paid_at, amount_halere, paid_halere}]``."""
    found = {}
    for chunk in _chunks(sorted(invoice_ids)):
        rows = conn.execute(select(invoice_items.c.invoice_id, payment_requests.c.status, payment_requests.c.paid_at,
                                   payment_requests.c.amount_halere, payment_requests.c.paid_halere)
                            .join(payment_requests, payment_requests.c.id == invoice_items.c.request_id)
                            .where(invoice_items.c.invoice_id.in_(chunk))).mappings()
        for row in rows:
            found.setdefault(row["invoice_id"], []).append({key: row[key] for key in (
                "status", "paid_at", "amount_halere", "paid_halere")})
    return found


def received(conn, since=None, until=None, offset=0, limit=50):
    """Money in (credits, cash, payments recorded by hand), newest first, with how many there are."""
    conditions = [transactions.c.amount_halere > 0]
    if since is not None:
        conditions.append(transactions.c.booked_on >= since)
    if until is not None:
        conditions.append(transactions.c.booked_on <= until)
    total = conn.execute(select(func.count()).select_from(transactions).where(*conditions)).scalar_one()
    rows = _all(conn, select(transactions).where(*conditions)
                .order_by(transactions.c.booked_on.desc(), transactions.c.id.desc()).offset(offset).limit(limit))
    return rows, total


def allocations_of(conn, transaction_ids) -> dict:
    """transaction id -> what it paid: ``[{registration_id, payer_name, event_title, variable_symbol,
    amount_halere, status}]`` (``status``: the request's now)."""
    found = {}
    for chunk in _chunks(sorted(transaction_ids)):
        rows = conn.execute(select(allocations.c.transaction_id, allocations.c.amount_halere,
                                   payment_requests.c.registration_id, payment_requests.c.event_id,
                                   payment_requests.c.payer_name, payment_requests.c.event_title,
                                   payment_requests.c.variable_symbol, payment_requests.c.status)
                            .join(payment_requests, payment_requests.c.id == allocations.c.request_id)
                            .where(allocations.c.transaction_id.in_(chunk)).order_by(allocations.c.id)).mappings()
        for row in rows:
            found.setdefault(row["transaction_id"], []).append(
                {key: row[key] for key in row.keys() if key != "transaction_id"})
    return found


def invoice_numbers_by_symbols(conn, symbols) -> dict:
    """variable symbol -> the number of the invoice that has it."""
    found = {}
    for chunk in _chunks(sorted(s for s in symbols if s)):
        found.update(conn.execute(select(invoices.c.variable_symbol, invoices.c.number).where(
            invoices.c.variable_symbol.in_(chunk), invoices.c.kind == InvoiceKind.INVOICE)).all())
    return found


def live_invoice_numbers(conn, request_ids) -> dict:
    """request id -> the numbers of the invoices (not cancelled) that cover it."""
    found = {}
    rows = conn.execute(select(invoice_items.c.request_id, invoices.c.number)
                        .join(invoices, invoices.c.id == invoice_items.c.invoice_id)
                        .where(invoice_items.c.request_id.in_(list(request_ids)),
                               invoices.c.kind == InvoiceKind.INVOICE, invoices.c.cancelled_at.is_(None))
                        .order_by(invoices.c.id))
    for request_id, number in rows:
        found.setdefault(request_id, []).append(number)
    return found


# Refunds

def add_refund(conn, request_id, amount_halere, now, reason=None) -> bool:
    try:
        with conn.begin_nested():
            conn.execute(refunds.insert().values(request_id=request_id, amount_halere=amount_halere,
                                                 created_at=now, reason=reason))
        return True
    except IntegrityError:
        return False


def list_refunds(conn, settled=False):
    """Refunds due (or settled), in the order the registrations came."""
    query = select(refunds, payment_requests.c.registration_id, payment_requests.c.payer_name,
                   payment_requests.c.email, payment_requests.c.event_title, payment_requests.c.variable_symbol) \
        .join(payment_requests, payment_requests.c.id == refunds.c.request_id) \
        .order_by(payment_requests.c.registration_id)
    query = query.where(refunds.c.settled_at.is_not(None) if settled else refunds.c.settled_at.is_(None))
    return _all(conn, query)


def settle_refund(conn, refund_id, now, note) -> bool:
    return conn.execute(update(refunds).where(refunds.c.id == refund_id, refunds.c.settled_at.is_(None))
                        .values(settled_at=now, note=note)).rowcount == 1


def get_refund(conn, refund_id):
    return _one(conn, select(refunds).where(refunds.c.id == refund_id))


def requests_of_email(conn, email):
    return _all(conn, select(payment_requests).where(func.lower(payment_requests.c.email) == email.lower())
                .order_by(payment_requests.c.id))


def count_by_status(conn):
    return dict(conn.execute(select(payment_requests.c.status, func.count()).group_by(
        payment_requests.c.status)).all())



# Statements waiting for staff to confirm their import

def add_staged(conn, values):
    conn.execute(staged_statements.insert().values(**values))


def take_staged(conn, token):
    """The staged statement of ``token``, deleted (it is imported once); None when there is none."""
    found = _one(conn, select(staged_statements).where(staged_statements.c.token == token))
    if found is not None:
        conn.execute(staged_statements.delete().where(staged_statements.c.token == token))
    return found


def forget_staged(conn, before):
    conn.execute(staged_statements.delete().where(staged_statements.c.created_at < before))


def invoices_covering_organisation(conn, ico):
    """Invoices and credit notes that cover a registration made with ``ico``, newest first."""
    covering = (select(invoice_items.c.invoice_id)
                .join(payment_requests, payment_requests.c.id == invoice_items.c.request_id)
                .where(payment_requests.c.organisation_ico == ico))
    return _all(conn, select(invoices).where(invoices.c.id.in_(covering)).order_by(invoices.c.id.desc()))


# The accountant's export: one month's documents and money

def invoices_issued(conn, since=None, until=None, kind=None):
    """Invoices and credit notes issued from ``since`` up to (not including) ``until`` (UTC
    moments; None: no bound), optionally of one ``kind``, in the order they were issued."""
    conditions = []
    if since is not None:
        conditions.append(invoices.c.issued_at >= since)
    if until is not None:
        conditions.append(invoices.c.issued_at < until)
    if kind is not None:
        conditions.append(invoices.c.kind == kind)
    return _all(conn, select(invoices).where(*conditions).order_by(invoices.c.issued_at, invoices.c.id))


def lines_booked(conn, first, last, sources):
    """Lines of ``sources`` (bank statements and the bank's API) booked from day ``first`` to day
    ``last`` (both included) that paid something or took a payment back (they have allocations),
    in the order they were booked."""
    paying = select(allocations.c.transaction_id)
    return _all(conn, select(transactions).where(
        transactions.c.booked_on >= first, transactions.c.booked_on <= last,
        transactions.c.source.in_(list(sources)), transactions.c.id.in_(paying),
    ).order_by(transactions.c.booked_on, transactions.c.id))


def other_payments_booked(conn, first, last, sources):
    """Payments not from the bank (cash at the door, recorded by hand) booked from ``first`` to
    ``last``, in the order they were booked."""
    return _all(conn, select(transactions).where(
        transactions.c.booked_on >= first, transactions.c.booked_on <= last,
        transactions.c.source.not_in(list(sources)),
    ).order_by(transactions.c.booked_on, transactions.c.id))


def refunds_created(conn, since, until):
    """Refunds that arose from ``since`` up to (not including) ``until``, settled or not, with
    whom and what they are for."""
    return _all(conn, select(refunds, payment_requests.c.registration_id, payment_requests.c.payer_name,
                             payment_requests.c.email, payment_requests.c.event_title,
                             payment_requests.c.variable_symbol)
                .join(payment_requests, payment_requests.c.id == refunds.c.request_id)
                .where(refunds.c.created_at >= since, refunds.c.created_at < until)
                .order_by(refunds.c.created_at, refunds.c.id))
