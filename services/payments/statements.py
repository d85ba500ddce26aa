"""Bank statements as Czech banks give them: ISO 20022 camt.053 XML and the GPC (ABO) text format.

``parse_statement(data)`` tells the two apart and returns the lines in one shape, the same one
``fio.fetch_new`` returns, so importing does not care where a line came from.

camt.053 is read with lxml directly, not with pycamt (1.1.1, installed): pycamt gives only
``AcctSvcrRef`` as an id (no ``NtryRef`` or ``TxId`` to fall back on, so a batch entry's lines
have none); it reads accounts only as IBAN, while Czech banks give domestic accounts as
``Othr/Id`` with the bank code in the agent's ``ClrSysMmbId`` or ``Othr``, and it drops those
agents; it lets a structured reference replace the first unstructured message line; and it
takes camt.052 reports and any XML with a ``Stmt`` in it, failing with whatever lxml or an
``AttributeError`` raises. What it would save is a thin layer over lxml anyway.

A line's ``bank_id`` is, in camt.053, the bank's own unique reference: the entry's
``AcctSvcrRef``, else its transaction's ``AcctSvcrRef`` (a batch entry's lines without one of
their own get ``<entry AcctSvcrRef>/1``, ``/2``, …). ``NtryRef`` and ``TxId`` are never ids:
some banks number ``NtryRef`` per statement (1, 2, 3, … every day), so tomorrow's line 1 would
be skipped as today's, and ``TxId`` is the payer's bank's. The ``EndToEndId`` is not used either:
the payer chooses it, and Czech payers often send the same ``/VS/…`` twice when paying an amount
in two parts. A line without an ``AcctSvcrRef`` gets a fingerprint (``sha256:…``) of the
statement's account, the booking date, the amount, the symbol, the counterparty and the line's
position in the statement, which is named by its id (``Stmt/Id``): the same statement read
again gives the same ids, two statements give different ones. In GPC the id is the transaction
id without its leading zeros. Fio gives its movement id (``ID pohybu``) as the Fio API's
``transaction_id``, as the camt.053's ``AcctSvcrRef`` and as GPC's transaction id, so a movement
fetched by the API and read again from a statement file has one id and counts once.

Reversals: a GPC line of accounting code 5 (reversal of a credit) or 4 (reversal of a debit),
and a camt.053 entry with ``RvslInd`` true, are marked ``reversal: True``; their amount has the
sign of the money's direction (a reversed credit takes money out, so it is negative). A camt.053
reversal's bank reference, which some banks copy from the payment it takes back, is kept as its
``original_ref`` and its id is ``storno:<reference>``.
Symbols are digits without leading zeros (``0308`` → ``308``) wherever they come from.

GPC (ABO) is the fixed-width text of Czech banks, 128 characters a record. Positions as the
banks' specifications give them (1-based, inclusive):

``074`` statement header: 4-19 account (prefix 6 + number 10), 20-39 short name, 40-45 date of the
previous statement, 46-59 + 60 previous balance in haléře and its sign, 61-74 + 75 new balance,
76-89 + 90 debits, 91-104 + 105 credits, 106-108 statement number, 109-114 statement date DDMMYY.

``075`` line: 4-19 account, 20-35 counter-account (prefix 6 + number 10), 36-48 transaction id,
49-60 amount in haléře, 61 accounting code (1 debit, 2 credit, 4 reversal of a debit, 5 reversal
of a credit), 62-71 variable symbol, 72-81 ``00`` + counter-account's bank code (4) + constant
symbol (4), 82-91 specific symbol, 92-97 value date DDMMYY, 98-117 counter-party name, 118 ``0``,
119-122 currency (ISO numeric, ``0203`` for CZK), 123-128 booking (due) date DDMMYY.

``076``, ``078`` and ``079`` records after a ``075`` carry message text and are added to its
message. Accounts are read in the standard digit order; the scrambled "internal" order some banks
offer as an export option is not supported. The header has no bank code, so a GPC statement's
own account comes without one (``19-2000145399``).
"""
import functools
import hashlib
import re
from collections import Counter
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from services.common.packed import STATEMENT_MAX_BYTES, STATEMENT_TOO_LARGE
from services.common.vocabulary import StatementFormat


class StatementError(ValueError):
    """A statement that cannot be read. The message is in Czech, for the person who uploaded it."""


def _unreadable(reason: str) -> StatementError:
    return StatementError(f"Výpis se nepodařilo přečíst: {reason}.")


def parse_statement(data: bytes) -> dict:
    """Read a camt.053 or GPC statement.

    Returns ``{"format": "camt.053" | "gpc", "account", "statement_id", "transactions"}``; each
    transaction is ``{"bank_id", "booked_on" (YYYY-MM-DD), "amount_halere" (credits positive),
    "currency", "variable_symbol", "constant_symbol", "specific_symbol", "counter_account",
    "counter_name", "message", "reversal"}``. Raises ``StatementError`` for anything it cannot read,
    and for more than ``STATEMENT_MAX_BYTES`` (``services.common.packed``).
    """
    data = bytes(data)
    if len(data) > STATEMENT_MAX_BYTES:  # never more than this into one lxml tree
        raise StatementError(STATEMENT_TOO_LARGE)
    head = data[:64].lstrip()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
    if not head:
        raise _unreadable("soubor je prázdný")
    if head.startswith(b"<"):
        return _Camt().parse(data)
    if head.startswith(b"074"):
        return _parse_gpc(data)
    raise _unreadable("soubor není ve formátu camt.053 (XML) ani GPC (ABO)")


# Symbols

_TAGGED = {
    tag: re.compile(rf"(?<![A-Z0-9]){tag}\s*[:/.=\-]?\s*(\d{{1,10}})(?!\d)", re.IGNORECASE)
    for tag in ("VS", "SS", "KS")
}


def clean_symbol(value) -> str | None:
    """A variable, constant or specific symbol as digits without leading zeros; None if empty or zero."""
    if value is None:
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):
        return None
    return text.lstrip("0") or None


def _tagged_symbol(text: str | None, tag: str) -> str | None:
    if not text:
        return None
    found = _TAGGED[tag].search(text)
    return clean_symbol(found.group(1)) if found else None


def variable_symbol_from(text: str | None) -> str | None:
    """The variable symbol written in free text: ``VS:123``, ``VS 123``, ``VS123`` or ``/VS/123``."""
    return _tagged_symbol(text, "VS")


def czech_account(prefix: str, number: str, bank: str | None = None) -> str | None:
    """``19-2000145399/0800`` from its parts, leading zeros dropped; None for an all-zero number."""
    prefix, number = prefix.lstrip("0"), number.lstrip("0")
    if not number and not prefix:
        return None
    account = f"{prefix}-{number or '0'}" if prefix else number
    bank = (bank or "").strip()
    return f"{account}/{bank}" if bank.strip("0") else account


_DOMESTIC = re.compile(r"(?:(\d{1,6})-)?(\d{1,10})(?:/(\d{4}))?")


def _account(identifier: str | None, bank: str | None = None) -> str | None:
    if not identifier:
        return None
    identifier = identifier.replace(" ", "")
    domestic = _DOMESTIC.fullmatch(identifier)
    if domestic:
        prefix, number, own_bank = domestic.groups()
        return czech_account(prefix or "", number, own_bank or bank)
    if bank and "/" not in identifier and not identifier[:2].isalpha():
        return f"{identifier}/{bank}"
    return identifier.upper() if identifier[:2].isalpha() else identifier


def _bank_code(value: str | None) -> str | None:
    """A Czech bank code (four digits, ``0800``) or None: a servicer's ``Othr/Id`` may be anything
    else (a VAT id, a registration number), which is no part of an account number."""
    value = (value or "").strip()
    return value if len(value) == 4 and value.isascii() and value.isdigit() else None


# Ids

def _assign_bank_ids(transactions: list[dict], fingerprints: list[str | None]) -> None:
    """Give lines without a bank reference an id from their content, and keep ids unique.

    A line without a reference gets a sha256 of its fields and of its ordinal among identical
    lines, so two genuinely identical lines stay two, and the same statement read again gives the
    same ids. A reference the bank repeats within one statement gets ``#2``, ``#3``, … after it.
    """
    identical = Counter()
    seen = Counter()
    for transaction, fingerprint in zip(transactions, fingerprints, strict=True):
        if transaction["bank_id"] is None:
            identical[fingerprint] += 1
            digest = hashlib.sha256(f"{fingerprint}\x1f{identical[fingerprint]}".encode()).hexdigest()
            transaction["bank_id"] = f"sha256:{digest[:40]}"
        seen[transaction["bank_id"]] += 1
        if seen[transaction["bank_id"]] > 1:
            transaction["bank_id"] = f"{transaction['bank_id']}#{seen[transaction['bank_id']]}"


def _fingerprint(*fields) -> str:
    return "\x1f".join("" if field is None else str(field) for field in fields)


# camt.053

_CAMT_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d{2}")
_MAX_HALERE = 10**15


@functools.lru_cache(maxsize=512)
def _qualified(namespace: str, path: str) -> tuple[str, ...]:
    return tuple(f"{{{namespace}}}{step}" if namespace else step for step in path.split("/"))


class _Camt:
    """One reading of a camt.053 document.

    Elements are found a child at a time with ``iterchildren`` rather than with ``find``: on
    10,000 entries lxml's path matching was most of the time, and this way about half of it.
    """

    def parse(self, data: bytes) -> dict:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
                                 remove_pis=True, collect_ids=False)
        try:
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as error:
            line = error.lineno or (error.position[0] if error.position else None)
            where = f" (chyba na řádku {line})" if line else ""
            raise _unreadable(f"soubor není platné XML{where}") from None
        except ValueError:  # e.g. an encoding lxml does not know
            raise _unreadable("soubor není platné XML") from None
        name = etree.QName(root)
        self.namespace = name.namespace or ""
        if name.localname != "Document" or (self.namespace and not _CAMT_NAMESPACE.fullmatch(self.namespace)):
            raise _unreadable("nejde o výpis z účtu ve formátu camt.053")
        statements = self.every(root, "BkToCstmrStmt/Stmt")
        if not statements:
            raise _unreadable("nejde o výpis z účtu ve formátu camt.053")

        account, transactions, fingerprints, number = None, [], [], 0
        for index, statement in enumerate(statements):
            this_account = self.account(self.child(statement, "Acct"), own=True)
            if index and this_account != account:
                raise _unreadable("soubor obsahuje výpisy více účtů; nahrajte prosím každý účet zvlášť")
            account = this_account
            self.statement_id = self.text(statement, "Id")
            for position, entry in enumerate(statement.iterchildren(self.tag("Ntry")), start=1):
                number += 1
                self.position = position
                self.entry(entry, number, account, transactions, fingerprints)
        _assign_bank_ids(transactions, fingerprints)
        return {"format": StatementFormat.CAMT_053, "account": account, "statement_id": self.text(statements[0], "Id"),
                "transactions": transactions}

    def tag(self, name: str) -> str:
        return _qualified(self.namespace, name)[0]

    def child(self, element, path: str):
        """The first element at ``path`` (child names joined by ``/``) under ``element``, or None."""
        for tag in _qualified(self.namespace, path):
            if element is None:
                return None
            element = next(element.iterchildren(tag), None)
        return element

    def every(self, element, path: str) -> list:
        found = [] if element is None else [element]
        for tag in _qualified(self.namespace, path):
            found = [child for parent in found for child in parent.iterchildren(tag)]
        return found

    def text(self, element, path: str) -> str | None:
        element = self.child(element, path)
        if element is None or element.text is None:
            return None
        return element.text.strip() or None

    def texts(self, element, path: str) -> list[str]:
        return [found.text.strip() for found in self.every(element, path) if found.text and found.text.strip()]

    def account(self, element, own=False) -> str | None:
        if element is None:
            return None
        identification = self.child(element, "Id")
        iban = self.text(identification, "IBAN")
        if iban:
            return _account(iban)
        bank = None
        if own:
            servicer = self.child(element, "Svcr/FinInstnId")
            bank = _bank_code(self.text(servicer, "ClrSysMmbId/MmbId")) or _bank_code(self.text(servicer, "Othr/Id"))
        return _account(self.text(identification, "Othr/Id"), bank)

    def amount(self, element, number: int) -> tuple[int, str] | None:
        if element is None or element.text is None or not element.text.strip():
            return None
        try:
            value = Decimal(element.text.strip())
        except InvalidOperation:
            raise _unreadable(f"pohyb č. {number} má neplatnou částku „{element.text.strip()[:20]}“") from None
        halere = value * 100
        if not value.is_finite() or value < 0 or halere >= _MAX_HALERE or halere != halere.to_integral_value():
            raise _unreadable(f"pohyb č. {number} má neplatnou částku „{element.text.strip()[:20]}“")
        return int(halere), (element.get("Ccy") or "CZK").strip().upper()

    def direction(self, indicator: str | None, number: int) -> int:
        if indicator == "CRDT":
            return 1
        if indicator == "DBIT":
            return -1
        raise _unreadable(f"pohyb č. {number} neuvádí, zda jde o příjem, nebo o výdej")

    def day(self, element, number: int) -> str | None:
        value = self.text(element, "Dt") or (self.text(element, "DtTm") or "")[:10] or None
        if value is None:
            return None
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            raise _unreadable(f"pohyb č. {number} má neplatné datum „{value[:20]}“") from None

    def entry(self, entry, number: int, account, transactions: list, fingerprints: list) -> None:
        # camt.053.001.02 to .07 write <Sts>BOOK</Sts>, .08 and later <Sts><Cd>BOOK</Cd></Sts>.
        status = self.text(entry, "Sts") or self.text(entry, "Sts/Cd")
        if status is not None and status.upper() != "BOOK":
            return  # pending or informational: not money on the account yet
        amount = self.amount(self.child(entry, "Amt"), number)
        if amount is None:
            raise _unreadable(f"pohyb č. {number} nemá částku")
        sign = self.direction(self.text(entry, "CdtDbtInd"), number)
        booked_on = (self.day(self.child(entry, "BookgDt"), number)
                     or self.day(self.child(entry, "ValDt"), number))
        if booked_on is None:
            raise _unreadable(f"pohyb č. {number} nemá datum zaúčtování")
        entry_reference = self.text(entry, "AcctSvcrRef")  # never NtryRef: some banks number it per statement
        reversal = (self.text(entry, "RvslInd") or "").lower() in ("true", "1")

        details = self.every(entry, "NtryDtls/TxDtls")
        parts = [(details[0] if details else None, amount, sign)]
        if len(details) > 1:
            # A batch booked as one entry: each TxDtls is a payment of its own, if each says how much.
            amounts = [self.amount(self.child(detail, "Amt"), number)
                       or self.amount(self.child(detail, "AmtDtls/TxAmt/Amt"), number) for detail in details]
            if all(amounts):
                parts = []
                for detail, part in zip(details, amounts, strict=True):
                    indicator = self.text(detail, "CdtDbtInd")
                    parts.append((detail, part, self.direction(indicator, number) if indicator else sign))
        batch = len(parts) > 1
        for ordinal, (detail, (halere, currency), direction) in enumerate(parts, start=1):
            # The entry's own description ("Poplatek za vedení účtu") is a message only for an
            # entry without details: for a payment it is the bank's "Příchozí platba".
            entry_message = self.text(entry, "AddtlNtryInf") if detail is None else None
            transaction, _content = self.transaction(detail, direction * halere, currency, booked_on, entry_message,
                                                   reversal)
            transaction["reversal"] = reversal
            refs = self.child(detail, "Refs")
            if batch:
                reference = self.text(refs, "AcctSvcrRef") or (
                    f"{entry_reference}/{ordinal}" if entry_reference else None)
            else:
                reference = entry_reference or self.text(refs, "AcctSvcrRef")
            if reversal and reference:
                # Some banks give a reversal the reference of the payment it takes back: it pairs
                # them, and the reversal gets an id of its own, or it would be skipped as the payment.
                transaction["original_ref"], reference = reference, f"storno:{reference}"
            transaction["bank_id"] = reference
            transactions.append(transaction)
            # Without the bank's reference: the money and where in which statement it stands.
            fingerprints.append(_fingerprint(
                account, booked_on, transaction["amount_halere"], transaction["variable_symbol"],
                transaction["counter_account"], transaction["counter_name"], self.statement_id,
                self.position, ordinal))

    def transaction(self, detail, amount_halere: int, currency: str, booked_on: str, entry_message, reversal=False):
        # The other party is the debtor of money coming in and the creditor of money going out;
        # a reversal keeps the parties of the payment it takes back.
        party, agent = ("Dbtr", "DbtrAgt") if (amount_halere > 0) != reversal else ("Cdtr", "CdtrAgt")
        parties = self.child(detail, "RltdPties")
        # camt.053.001.08 and later put the name one level down, in Pty.
        # Raiffeisenbank CZ names the other party on its account only (``DbtrAcct/Nm``, valid in .001.02).
        counter_name = (self.text(parties, f"{party}/Nm") or self.text(parties, f"{party}/Pty/Nm")
                        or self.text(parties, f"{party}Acct/Nm")
                        or self.text(parties, f"Ultmt{party}/Nm") or self.text(parties, f"Ultmt{party}/Pty/Nm"))
        counter_account = self.account(self.child(parties, f"{party}Acct"))
        if counter_account is not None and "/" not in counter_account and counter_account[:2].isdigit():
            agent_id = self.child(detail, f"RltdAgts/{agent}/FinInstnId")
            bank = self.text(agent_id, "ClrSysMmbId/MmbId") or self.text(agent_id, "Othr/Id")
            if bank:
                counter_account = f"{counter_account}/{bank}"

        end_to_end = self.text(detail, "Refs/EndToEndId")
        if end_to_end and end_to_end.upper() == "NOTPROVIDED":
            end_to_end = None
        remittance = self.child(detail, "RmtInf")
        references = self.texts(remittance, "Strd/CdtrRefInf/Ref")
        unstructured = self.texts(remittance, "Ustrd")
        message = (" ".join(unstructured) or " ".join(self.texts(remittance, "Strd/AddtlRmtInf"))
                   or self.text(detail, "AddtlTxInf") or entry_message)

        def symbol(tag):
            for text in (*references, end_to_end, *unstructured):
                found = _tagged_symbol(text, tag)
                if found:
                    return found
            return None

        variable_symbol = symbol("VS")
        if variable_symbol is None:
            # Czech banks put a bare variable symbol in the creditor reference.
            plain = [ref for ref in references if ref.isascii() and ref.isdigit() and len(ref) <= 10]
            variable_symbol = clean_symbol(plain[0]) if plain else None
        transaction = {
            "bank_id": None, "booked_on": booked_on, "amount_halere": amount_halere, "currency": currency,
            "variable_symbol": variable_symbol, "constant_symbol": symbol("KS"), "specific_symbol": symbol("SS"),
            "counter_account": counter_account, "counter_name": counter_name, "message": message or None,
        }
        fingerprint = _fingerprint(*(transaction[key] for key in sorted(transaction)), end_to_end, *references)
        return transaction, fingerprint


# GPC (ABO)

_CURRENCIES = {"203": "CZK", "978": "EUR", "840": "USD", "826": "GBP", "985": "PLN", "348": "HUF", "756": "CHF",
               "946": "RON", "578": "NOK", "752": "SEK", "208": "DKK"}
_SIGNS = {"1": -1, "2": 1, "4": 1, "5": -1}  # reversing a debit brings money back, reversing a credit takes it


def _lines(data: bytes) -> list[str]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1250", errors="replace")
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _digits(line: str, start: int, end: int, number: int, what: str) -> str:
    value = line[start:end].strip()
    if value and not (value.isascii() and value.isdigit()):
        raise _unreadable(f"řádek {number}: {what} „{value}“ není číslo")
    return value


def _gpc_date(value: str, number: int) -> str | None:
    if not value.strip("0 "):
        return None
    try:
        return date(2000 + int(value[4:6]), int(value[2:4]), int(value[0:2])).isoformat()
    except ValueError:
        raise _unreadable(f"řádek {number}: neplatné datum „{value}“") from None


def _parse_gpc(data: bytes) -> dict:
    account = statement_id = statement_date = None
    transactions, raw_lines, messages = [], [], []
    for number, line in enumerate(_lines(data), start=1):
        if not line.strip(" \x1a"):
            continue  # blank lines and the DOS end-of-file mark
        record = line[:3]
        if record == "074":
            if len(line) < 114:
                raise _unreadable(f"hlavička na řádku {number} je příliš krátká ({len(line)} znaků místo 128)")
            digits = _digits(line, 3, 19, number, "číslo účtu").zfill(16)
            this_account = czech_account(digits[:6], digits[6:])
            if account is not None and this_account != account:
                raise _unreadable("soubor obsahuje výpisy více účtů; nahrajte prosím každý účet zvlášť")
            account = this_account
            if statement_id is None:
                statement_id = _digits(line, 105, 108, number, "číslo výpisu").lstrip("0") or None
            statement_date = _gpc_date(line[108:114], number)
        elif record == "075":
            if len(line) < 128:
                raise _unreadable(f"řádek {number} je příliš krátký ({len(line)} znaků místo 128)")
            code = line[60]
            if code not in _SIGNS:
                raise _unreadable(f"řádek {number}: neznámý kód účtování „{code}“")
            amount = _digits(line, 48, 60, number, "částka")
            if not amount:
                raise _unreadable(f"řádek {number}: chybí částka")
            counter = _digits(line, 19, 35, number, "protiúčet").zfill(16)
            constant = _digits(line, 71, 81, number, "konstantní symbol").zfill(10)
            booked_on = (_gpc_date(line[122:128], number) or _gpc_date(line[91:97], number) or statement_date)
            if booked_on is None:
                raise _unreadable(f"řádek {number}: chybí datum")
            currency = _digits(line, 118, 122, number, "kód měny").lstrip("0")
            transactions.append({
                # Without leading zeros, as the Fio API gives the same id.
                "bank_id": _digits(line, 35, 48, number, "identifikátor transakce").lstrip("0") or None,
                "booked_on": booked_on,
                "amount_halere": _SIGNS[code] * int(amount),
                "currency": _CURRENCIES.get(currency, currency) if currency else "CZK",
                "variable_symbol": clean_symbol(_digits(line, 61, 71, number, "variabilní symbol")),
                "constant_symbol": clean_symbol(constant[6:]),
                "specific_symbol": clean_symbol(_digits(line, 81, 91, number, "specifický symbol")),
                "counter_account": czech_account(counter[:6], counter[6:], constant[2:6]),
                "counter_name": line[97:117].strip() or None,
                "message": None,
                "reversal": code in ("4", "5"),
            })
            raw_lines.append(line.rstrip())
            messages.append([])
        elif record in ("076", "078", "079"):
            if not transactions:
                raise _unreadable(f"řádek {number}: doplňující záznam {record} bez pohybu před ním")
            # 076: a transaction reference (26) and a date (6), then text. 078 and 079: message
            # fields of 35 characters, which the bank fills by cutting the text where it falls,
            # so 079 goes on where 078 stopped, even inside a word.
            text = line[35:] if record == "076" else line[3:73] + (line[73:].rstrip() if line[73:].strip() else "")
            if record == "079" and messages[-1]:
                messages[-1][-1] += text
            else:
                messages[-1].append(text)
        else:
            raise _unreadable(f"řádek {number} není záznam formátu GPC (typ „{record.strip()[:3]}“)")
    for transaction, parts in zip(transactions, messages, strict=True):
        transaction["message"] = " ".join(" ".join(parts).split()) or None
    # A line without a transaction id: its money and its place in this statement (number and date).
    _assign_bank_ids(transactions, [
        _fingerprint(account, t["booked_on"], t["amount_halere"], t["variable_symbol"], t["counter_account"],
                     t["counter_name"], statement_id, statement_date, position, line, *parts)
        for position, (t, line, parts) in enumerate(zip(transactions, raw_lines, messages, strict=True), start=1)])
    return {"format": StatementFormat.GPC, "account": account, "statement_id": statement_id,
            "transactions": transactions}
