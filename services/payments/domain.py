"""The rules of paying: variable symbols, due dates, QR Platba, matching, invoice amounts.

Plain functions: no nameko, no database. Money is whole haléře (int) everywhere
in this service; prices come from registrations in whole crowns.
"""
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypedDict

from qrplatba import QRPlatbaGenerator
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from services.common.czech import local, money
from services.common.errors import Conflict, ValidationError
from services.common.vocabulary import InvoiceKind, PaymentStatus

HALERE = 100
# A registration's own variable symbol is 1 and its id; an invoice for several people gets 2
# and its own sequence: ten digits at most, and the two can never meet.
REGISTRATION_VS_PREFIX = "1"
GROUP_VS_PREFIX = "2"
SPD_MESSAGE_LENGTH = 60

INVOICE_PREFIX = {InvoiceKind.INVOICE: "FV", InvoiceKind.CREDIT_NOTE: "OD"}
NOT_A_VAT_PAYER = "Dodavatel není plátcem DPH."

# A row of this service's data as the store gives it (a payment request, an invoice, an item).
Row = Mapping[str, Any]


class BankAccount(TypedDict):
    """The association's account (``bank_account``)."""

    iban: str  # compact
    bic: str | None
    bank_code: str
    number: str  # ``19-2000145399``, or the IBAN abroad
    czech: str  # ``19-2000145399/0800``, or the IBAN formatted abroad


class InvoicePayment(TypedDict):
    """Whether an invoice is paid, as the list of invoices says it (``invoice_payment``)."""

    state: "InvoiceState"
    label: str
    paid_on: str | None  # ISO day
    owed_halere: int
    owed: str


class ItemAmounts(TypedDict):
    vat_rate: int
    base_halere: int
    vat_halere: int


class VatLine(TypedDict):
    rate: int
    base_halere: int
    vat_halere: int



class LineOutcome(StrEnum):
    """How a bank line ended (``transactions.outcome``): it paid what was due (matched), it is not
    money in (ignored), or it is on the staff's list, for the reason ``REASONS`` gives."""

    MATCHED = "matched"
    IGNORED = "ignored"  # money out: not ours to match
    UNKNOWN = "unknown"  # no symbol, or one of no request
    UNDERPAID = "underpaid"
    OVERPAID = "overpaid"
    ALREADY_PAID = "already_paid"
    CANCELLED = "cancelled"  # it pays a cancelled registration
    FOREIGN = "foreign_currency"
    REVERSED = "reversed"  # the bank took a payment back


# Lines that pay requests (an underpayment pays part, an overpayment all and more).
PAYING = (LineOutcome.MATCHED, LineOutcome.UNDERPAID, LineOutcome.OVERPAID)
# Lines nobody needs to look at.
SETTLED = (LineOutcome.MATCHED, LineOutcome.IGNORED)

REASONS = {
    LineOutcome.REVERSED: "Banka platbu vrátila (storno)",
    "reversal_unmatched": "Banka platbu vrátila (storno); původní platbu jsme nenašli",
    "reversed_debit": "Banka vrátila odchozí platbu (storno)",
    "paid_in_time_after_release": "Platba došla včas (do splatnosti), místo ale bylo mezitím uvolněno",
    "late_full": "Platba došla včas, ale místo už bylo obsazené",
    LineOutcome.UNKNOWN: "Neznámý variabilní symbol",
    "no_symbol": "Chybí variabilní symbol",
    LineOutcome.FOREIGN: "Platba v jiné měně",
    LineOutcome.UNDERPAID: "Nedoplatek",
    LineOutcome.OVERPAID: "Přeplatek",
    LineOutcome.ALREADY_PAID: "Už zaplaceno, platba navíc",
    LineOutcome.CANCELLED: "Přihláška je zrušená",
}

PAID_IN_TIME_NOTES = {
    None: "platba došla včas, ale po uvolnění místa: přihláška se obnoví, je-li volné místo, jinak se platba vrátí",
    PaymentStatus.PAID: "platba došla včas, ale po uvolnění místa: přihláška je obnovená",
    PaymentStatus.CANCELLED: "platba došla včas, ale místo už bylo obsazené: platba se vrací (najdete ji ve Vratkách)",
}


def paid_in_time_note(reason: str | None, statuses: list[str] | None = None) -> str | None:
    """What staff read of a payment booked by its due date for a seat already released, once
    registrations has answered (``statuses``: its requests' states now; none yet: what will
    happen), or None for any other payment."""
    if reason != REASONS["paid_in_time_after_release"]:
        return None
    if statuses is None:
        return PAID_IN_TIME_NOTES[None]
    return PAID_IN_TIME_NOTES[PaymentStatus.CANCELLED if PaymentStatus.CANCELLED in statuses else PaymentStatus.PAID]


class InvoiceState(StrEnum):
    """Whether an invoice is paid, as the list of invoices says it (``invoice_payment``)."""

    CREDIT_NOTE = "credit_note"  # a credit note: nothing to pay
    CANCELLED = "cancelled"
    PAID = "paid"
    OVERDUE = "overdue"
    UNPAID = "unpaid"


class InvoiceMode(StrEnum):
    """When invoices are issued (``INVOICE_MODE``): a non-member's at registration, or only when
    staff ask."""

    ON_REGISTRATION = "on_registration"
    ON_REQUEST = "on_request"


def invoice_payment(kind: str, cancelled: object, due_on: date | str, requests: Sequence[Row], today: date,
                    total_halere: int | None = None) -> InvoicePayment:
    """Whether an invoice is paid, as the list of invoices says it: ``state`` (``credit_note``,
    ``cancelled``, ``paid``, ``overdue``, ``unpaid``), its Czech ``label`` (``zaplaceno
    3. 12. 2026``, ``nezaplaceno``, ``po splatnosti``, ``dobropis``, ``stornována``) and what is
    still owed on it (``owed_halere``, ``owed``). ``requests`` are the payment requests it covers
    (``status``, ``paid_at``, ``amount_halere``, ``paid_halere``); a cancelled one (taken back by a
    credit note) does not count. When that leaves less to pay than the invoice's ``total_halere``,
    the label says how much: ``nezaplaceno, zbývá 1 000,00 Kč``."""
    if kind == InvoiceKind.CREDIT_NOTE:
        return {"state": InvoiceState.CREDIT_NOTE, "label": "dobropis", "paid_on": None, "owed_halere": 0,
                "owed": money(0)}
    if cancelled:
        return {"state": InvoiceState.CANCELLED, "label": "stornována", "paid_on": None, "owed_halere": 0,
                "owed": money(0)}
    due = owed(requests)
    live = [r for r in requests if r["status"] != PaymentStatus.CANCELLED]
    if live and all(r["status"] == PaymentStatus.PAID for r in live):
        paid_on = max(local(r["paid_at"]).date() for r in live if r["paid_at"])
        return {"state": InvoiceState.PAID, "label": f"zaplaceno {paid_on.day}. {paid_on.month}. {paid_on.year}",
                "paid_on": paid_on.isoformat(), "owed_halere": due, "owed": money(due)}
    state, label = ((InvoiceState.OVERDUE, "po splatnosti") if date.fromisoformat(str(due_on)[:10]) < today
                    else (InvoiceState.UNPAID, "nezaplaceno"))
    if total_halere is not None and due != total_halere:
        label += f", zbývá {money(due)}"
    return {"state": state, "label": label, "paid_on": None, "owed_halere": due, "owed": money(due)}


def registration_vs(registration_id: int) -> str:
    if not 0 < registration_id < 10 ** 9:
        raise ValueError(f"registration id {registration_id} does not fit a variable symbol")
    return f"{REGISTRATION_VS_PREFIX}{registration_id:09d}"


def group_vs(sequence: int) -> str:
    if not 0 < sequence < 10 ** 9:
        raise ValueError(f"group sequence {sequence} does not fit a variable symbol")
    return f"{GROUP_VS_PREFIX}{sequence:09d}"


def due_on(now: datetime, event_starts_at: datetime, days: int | str, after_start_allowed: bool = False,
           release_after_days: int | str | None = None) -> date:
    """``days`` after ``now``; never after the event's start day unless allowed, never after the
    day before an event that releases unpaid seats would release this one, never before today."""
    today = local(now).date()
    due = today + timedelta(days=int(days))
    if not after_start_allowed:
        due = min(due, local(event_starts_at).date())
    if release_after_days:
        due = min(due, today + timedelta(days=int(release_after_days) - 1))
    return max(due, today)


def bank_account(iban_text: str, bic: str | None = None) -> BankAccount:
    """The association's account from its IBAN: checked, and in the Czech form people type
    (``19-2000145399/0800``). A wrong IBAN stops the service at start, not at the first payment."""
    try:
        iban = IBAN(iban_text)
    except SchwiftyException as error:
        raise ValueError(f"BANK_IBAN {iban_text!r} is not a valid IBAN: {error}") from None
    if iban.country_code == "CZ":
        bban = iban.bban  # 4 digits of bank code, 6 of prefix, 10 of number
        prefix, base = bban[4:10].lstrip("0"), bban[10:].lstrip("0")
        number = f"{prefix}-{base}" if prefix else base
        czech = f"{number}/{iban.bank_code}"
    else:
        number, czech = iban.compact, iban.formatted
    return {"iban": iban.compact, "bic": bic or None, "bank_code": iban.bank_code, "number": number, "czech": czech}


def statement_account_error(given: str | None, account: BankAccount) -> str | None:
    """Why a statement of account ``given`` (an IBAN, or ``prefix-number/bank`` as the banks write
    it, the bank code left out in GPC) cannot be ours; None when it is, or says nothing."""
    if not given:
        return None
    text = given.replace(" ", "").upper()
    if text[:2].isalpha():
        same = text == account["iban"]
    else:
        number, _, bank = text.partition("/")
        prefix, _, base = number.rpartition("-")
        our_prefix, _, our_base = account["number"].rpartition("-")
        same = (base.lstrip("0"), prefix.lstrip("0")) == (our_base.lstrip("0"), our_prefix.lstrip("0")) and \
            bank in ("", account["bank_code"])
    return None if same else f"Výpis je z účtu {given}, ne z účtu sdružení {account['czech']}."


# Letters that have no ASCII decomposition in Unicode (NFKD keeps them whole), as people write
# them without diacritics. A table of our own rather than ``unidecode``: the names that reach a
# seminar of Czech municipalities are Latin-script, these few letters are all NFKD misses there,
# and a new dependency for them is not worth it. Anything else non-ASCII becomes "?" rather than
# vanishing, so a name never loses a letter unseen.
_LATIN = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "ß": "ss", "Æ": "AE",
                        "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "Th", "þ": "th", "Ð": "D", "ð": "d", "ı": "i",
                        "Ħ": "H", "ħ": "h", "Ŀ": "L", "ŀ": "l", "Ŧ": "T", "ŧ": "t", "ĸ": "k", "Ŋ": "N", "ŋ": "n",
                        "–": "-", "—": "-", "„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'"})


def ascii_text(text: str) -> str:
    """``text`` in ASCII letters: diacritics dropped (``Průchová`` → ``Pruchova``), letters without
    a decomposition transliterated (``Łukasz Żółć`` → ``Lukasz Zolc``), anything else ``?``."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LATIN))
    return "".join(char if char.isascii() else "" if unicodedata.combining(char) else "?" for char in decomposed)


def spd_message(text: str) -> str:
    """A QR Platba message: ASCII (some banking apps mangle diacritics; see ``ascii_text``), at most
    60 characters, and escaped as the SPAYD specification asks: ``%`` as ``%25`` and ``*`` (the
    format's separator) as ``%2A``. qrplatba (1.2.0) writes values as given, so it is done here;
    the reference decoder refuses a bare ``%`` ("Firma 100% s.r.o.")."""
    plain = " ".join(ascii_text(text).split())[:SPD_MESSAGE_LENGTH].strip()
    return plain.replace("%", "%25").replace("*", "%2A")


def spd(account: BankAccount, amount_halere: int, vs: str, message: str, due: date | None = None) -> str:
    """The QR Platba text (Short Payment Descriptor 1.0) for a transfer of ``amount_halere``."""
    generator = QRPlatbaGenerator(account["iban"], bic=account.get("bic"), amount=amount_halere / HALERE,
                                  currency="CZK", x_vs=vs, message=spd_message(message), due_date=due)
    text: str = generator.get_text()
    return text


def owed(requests: Sequence[Row]) -> int:
    """What is still to pay, in haléře, for ``requests`` paid together under one variable symbol
    (one registration's own, or all those on an invoice for several people): each live request's
    amount less what it was paid. A cancelled request owes nothing: its fee was taken back by a
    credit note (or never invoiced), and what was paid on it is refunded. On an invoice this is
    therefore its amount less its credit notes less what was paid: the one rule behind every
    amount asked for (pages, API, QR Platba, emails, the ticket) and the matching of payments."""
    return sum(max(r["amount_halere"] - r["paid_halere"], 0) for r in requests
               if r["status"] != PaymentStatus.CANCELLED)


def payment_block(account: BankAccount, request: Row, now: datetime, invoice: Row | None = None,
                  together: Sequence[Row] | None = None) -> dict[str, Any]:
    """What people are shown to pay a request: account, amount, symbol, due date, QR Platba (whose
    due date is left out once it has passed: a banking app would refuse a date in the past).

    ``amount``/``amount_halere`` are the person's own fee; ``outstanding_halere`` is what is owed
    under ``variable_symbol`` (``owed``). On a live invoice for several people (``invoice``, with
    the requests it covers as ``together``) the symbol, due date and amount owed are the
    invoice's, and ``group_invoice`` names it: the organisation pays once for all of them."""
    group = invoice if invoice is not None and invoice["variable_symbol"] != request["variable_symbol"] else None
    if group is not None and together is None:
        raise ValueError("the payment details of an invoice need the requests it covers")
    symbol = group["variable_symbol"] if group else request["variable_symbol"]
    due_on = date.fromisoformat(group["document"]["due_on"]) if group else request["due_on"]
    outstanding = owed(together if group is not None and together is not None else [request])
    due = due_on if due_on >= local(now).date() else None
    message = f"{symbol} faktura {group['number']}" if group else f"{symbol} {request['payer_name']}"
    return {
        "variable_symbol": symbol, "amount": request["amount_halere"] // HALERE,
        "amount_halere": request["amount_halere"], "outstanding_halere": outstanding,
        "group_invoice": group["number"] if group else None,
        "due_on": due_on.isoformat(), "requested_on": local(request["created_at"]).date().isoformat(),
        "account": account["czech"], "iban": account["iban"],
        "bic": account.get("bic"),
        "spd": spd(account, outstanding, symbol, message, due) if outstanding > 0 else None,
    }


def allocate(amount_halere: int, requests: Sequence[Row]) -> tuple[list[tuple[Row, int]], int]:
    """Share a payment among the requests it pays, in order: ``([(request, paid_now)], left_over)``.
    Each request takes what it still owes; what is left over is an overpayment."""
    shares: list[tuple[Row, int]] = []
    left = amount_halere
    for request in requests:
        take = min(request["amount_halere"] - request["paid_halere"], left)
        if take > 0:
            shares.append((request, take))
            left -= take
    return shares, left


def outcome(amount_halere: int, requests: Sequence[Row]) -> tuple[LineOutcome, str | None]:
    """How a payment of ``amount_halere`` to these requests (open ones first) ends:
    ``(outcome, czech_reason or None)``."""
    if not requests:
        return LineOutcome.UNKNOWN, REASONS[LineOutcome.UNKNOWN]
    if all(r["status"] == PaymentStatus.CANCELLED for r in requests):
        return LineOutcome.CANCELLED, REASONS[LineOutcome.CANCELLED]
    due = owed(requests)  # a cancelled colleague's fee, taken back by a credit note, is not asked for
    if due <= 0:
        return LineOutcome.ALREADY_PAID, REASONS[LineOutcome.ALREADY_PAID]
    if amount_halere < due:
        return LineOutcome.UNDERPAID, f"{REASONS[LineOutcome.UNDERPAID]} {money(due - amount_halere)}"
    if amount_halere > due:
        return LineOutcome.OVERPAID, f"{REASONS[LineOutcome.OVERPAID]} {money(amount_halere - due)}"
    return LineOutcome.MATCHED, None


def document_number(kind: InvoiceKind, year: int, sequence: int) -> str:
    return f"{INVOICE_PREFIX[kind]}-{year}-{sequence:04d}"


def item_amounts(gross_halere: int, vat_rate: int) -> ItemAmounts:
    """An item's base and tax from its price (prices are what people pay, tax included)."""
    if not vat_rate:
        return {"vat_rate": 0, "base_halere": gross_halere, "vat_halere": 0}
    base = round(gross_halere * 100 / (100 + vat_rate))
    return {"vat_rate": vat_rate, "base_halere": base, "vat_halere": gross_halere - base}


def negated(item: Row) -> dict[str, Any]:
    """An invoice's item taken back on a credit note."""
    return dict(item, **{key: -item[key] for key in ("unit_price_halere", "total_halere", "base_halere", "vat_halere")})


def vat_lines(items: Sequence[Row]) -> list[VatLine]:
    lines: dict[int, VatLine] = {}
    for item in items:
        if item["vat_rate"]:
            line = lines.setdefault(item["vat_rate"], {"rate": item["vat_rate"], "base_halere": 0, "vat_halere": 0})
            line["base_halere"] += item["base_halere"]
            line["vat_halere"] += item["vat_halere"]
    return [lines[rate] for rate in sorted(lines)]


def invoice_item(request: Row, vat_rate: int, sign: int = 1) -> dict[str, Any]:
    gross = sign * request["amount_halere"]
    starts = local(request["event_starts_at"])
    return dict({
        "description": f"Účastnický poplatek: {request['event_title']} ({starts.day}. {starts.month}. {starts.year})"
                       f" – {request['payer_name']}",
        "quantity": 1, "unit_price_halere": gross, "total_halere": gross,
    }, **item_amounts(gross, vat_rate))


def taxable_on(vat_payer: bool, issued_on: date, supply_on: date, paid_on: list[date]) -> date:
    """The tax date (DUZP, datum uskutečnění zdanitelného plnění) of an invoice of seminar fees.

    For a VAT payer it is the day of the supply, the seminar's first day (zákon o DPH, § 21);
    when the fee was received in full before that, the day it was received (§ 21 odst. 1: a
    payment before the supply is taxed when received; ``paid_on`` are the days of the full payment
    of each registration on the invoice, empty when any is still unpaid, and the latest counts).
    An invoice issued before both therefore carries a tax date in the future, which the law allows.
    What the system does not do: a payment received before the seminar on an invoice issued
    earlier (with the seminar's day as its DUZP) gets no separate tax document for the received
    payment (daňový doklad k přijaté platbě, § 28); the association's accountant issues it from
    the received payments list when needed. For a supplier that is no VAT payer there is no tax
    date (the invoice prints none; ISDOC writes none) and this returns the issue day unchanged."""
    if not vat_payer:
        return issued_on
    if paid_on:
        received = max(paid_on)
        if received < supply_on:
            return received
    return supply_on


def check_invoiceable(requests: Sequence[Row]) -> None:
    """Several registrations go on one invoice when they are of one organisation (or one
    person), for one event, unpaid, live and not invoiced yet."""
    if not requests:
        raise ValidationError({"registration_ids": ["Vyberte aspoň jednu přihlášku s platbou."]})
    if len({r["event_id"] for r in requests}) > 1:
        raise Conflict("invoice_mixed_events", "Jedna faktura může pokrýt jen přihlášky na jednu akci.")
    if len({r["organisation_ico"] or r["email"] for r in requests}) > 1:
        raise Conflict("invoice_mixed_customers", "Jedna faktura může pokrýt jen přihlášky jedné organizace.")
    for request in requests:
        if request["status"] != PaymentStatus.OPEN:
            raise Conflict("invoice_not_open", f"Přihláška {request['registration_id']} je zaplacená nebo zrušená.")
        if request["invoice_id"] is not None:
            raise Conflict("already_invoiced", f"Přihláška {request['registration_id']} už je vyfakturovaná.")



def invoice_of_organisation(document: Mapping[str, Any], ico: str) -> bool:
    """An invoice or credit note is an organisation's (its municipality's page shows it) when it
    is addressed to its IČO: one issued to a person, without an IČO, is that person's."""
    return bool(ico) and (document.get("customer") or {}).get("ico") == ico
