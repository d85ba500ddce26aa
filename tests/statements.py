"""Bank statements made for tests, as the banks write them: camt.053.001.02 XML and GPC (ABO).

Each line is a dict like a parsed transaction; what a line leaves out comes from ``DEFAULTS``
(``bank_id`` defaults to a 13-digit number from the line's position; ``None`` leaves it out).
``amount_halere`` is required: positive money in, negative money out.

Options the camt builder reads from a line: ``vs_place`` (where the variable symbol goes:
``"ref"`` the creditor reference as bare digits, the default; ``"ref_tagged"`` ``VS:123`` there;
``"end_to_end"`` ``/VS/123``; ``"end_to_end_short"`` ``VS123``; ``"ustrd"`` ``VS:123`` and
``"ustrd_slash"`` ``/VS/123`` in an unstructured remittance line of its own), ``entry_ref``
(an ``NtryRef``), ``end_to_end_id``, ``status`` (``BOOK``, or ``PDNG`` for a pending entry),
``reversal`` (``RvslInd`` true on the entry), ``tx_ref`` (an ``AcctSvcrRef`` in the transaction's
``Refs`` rather than on the entry), ``account_name_only`` (the other party's name only in
``DbtrAcct/Nm`` or ``CdtrAcct/Nm``, as Raiffeisenbank CZ writes it).
The GPC builder reads ``code`` (accounting code, default 1 or 2 by the sign) and ``value_date``.
"""
from datetime import date, timedelta

from lxml import etree

CAMT_053_001_02 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
OUR_NAME = "Sdružení měst a obcí Plzeňského kraje"

DEFAULTS = {
    "booked_on": "2026-11-27",
    "currency": "CZK",
    "variable_symbol": None,
    "constant_symbol": None,
    "specific_symbol": None,
    "counter_account": "2900233333/2010",
    "counter_name": "Obec Zkušební",
    "message": None,
    "reversal": False,
}


def complete(lines):
    """The lines with their defaults filled in, as the builders write them."""
    done = []
    for n, line in enumerate(lines, start=1):
        if "amount_halere" not in line:
            raise ValueError(f"line {n} has no amount_halere")
        done.append({"bank_id": f"{2600000000000 + n}", **DEFAULTS, **line})
    return done


def _money(halere):
    return f"{abs(halere) // 100}.{abs(halere) % 100:02d}"


def _split_account(account):
    """``19-2000145399/0800`` → (``19-2000145399``, ``0800``); an IBAN → (IBAN, None)."""
    if account is None:
        return None, None
    number, _, bank = account.partition("/")
    return number, bank or None


# camt.053

def _el(parent, tag, text=None, **attributes):
    element = etree.SubElement(parent, f"{{{CAMT_053_001_02}}}{tag}", attributes)
    if text is not None:
        element.text = str(text)
    return element


def _path(parent, path, text=None, **attributes):
    """Make ``A/B/C`` under ``parent`` and return the last one."""
    *steps, last = path.split("/")
    for step in steps:
        parent = _el(parent, step)
    return _el(parent, last, text, **attributes)


def _account_id(parent, tag, account):
    number, _ = _split_account(account)
    identification = _path(parent, f"{tag}/Id")
    if number[:2].isalpha():
        _el(identification, "IBAN", number.replace(" ", ""))
    else:
        _path(identification, "Othr/Id", number)


def _balance(statement, code, halere, day):
    balance = _el(statement, "Bal")
    _path(balance, "Tp/CdOrPrtry/Cd", code)
    _el(balance, "Amt", _money(halere), Ccy="CZK")
    _el(balance, "CdtDbtInd", "CRDT" if halere >= 0 else "DBIT")
    _path(balance, "Dt/Dt", day)


def _remittance(detail, line):
    vs, place = line["variable_symbol"], line.get("vs_place", "ref")
    unstructured, references = [], []
    if vs and place == "ustrd":
        unstructured.append(f"VS:{vs}")
    elif vs and place == "ustrd_slash":
        unstructured.append(f"/VS/{vs}")
    elif vs and place == "ref":
        references.append(vs)
    elif vs and place == "ref_tagged":
        references.append(f"VS:{vs}")
    if line["message"]:
        unstructured.append(line["message"])
    if line["specific_symbol"]:
        references.append(f"SS:{line['specific_symbol']}")
    if line["constant_symbol"]:
        references.append(f"KS:{line['constant_symbol']}")
    if not unstructured and not references:
        return
    remittance = _el(detail, "RmtInf")
    for text in unstructured:
        _el(remittance, "Ustrd", text)
    for text in references:
        _path(remittance, "Strd/CdtrRefInf/Ref", text)


def _entry(statement, line, our_iban):
    halere = line["amount_halere"]
    credit = halere >= 0
    entry = _el(statement, "Ntry")
    if line.get("entry_ref"):
        _el(entry, "NtryRef", line["entry_ref"])
    _el(entry, "Amt", _money(halere), Ccy=line["currency"])
    _el(entry, "CdtDbtInd", "CRDT" if credit else "DBIT")
    _el(entry, "Sts", line.get("status", "BOOK"))
    _path(entry, "BookgDt/Dt", line["booked_on"])
    _path(entry, "ValDt/Dt", line.get("value_date", line["booked_on"]))
    if line["bank_id"] is not None and not line.get("tx_ref"):
        _el(entry, "AcctSvcrRef", line["bank_id"])
    if line.get("reversal"):
        _el(entry, "RvslInd", "true")
    code = _el(entry, "BkTxCd")
    domain = _el(code, "Domn")
    _el(domain, "Cd", "PMNT")
    family = _el(domain, "Fmly")
    _el(family, "Cd", "RCDT" if credit else "ICDT")
    _el(family, "SubFmlyCd", "DMCT")
    proprietary = _el(code, "Prtry")
    _el(proprietary, "Cd", "10000107000" if credit else "10000105000")
    _el(proprietary, "Issr", "CBA")

    detail = _path(entry, "NtryDtls/TxDtls")
    vs, place = line["variable_symbol"], line.get("vs_place", "ref")
    end_to_end = line.get("end_to_end_id")
    if end_to_end is None:
        end_to_end = {"end_to_end": f"/VS/{vs}", "end_to_end_short": f"VS{vs}"}.get(place) if vs else None
    refs = _el(detail, "Refs")
    if line["bank_id"] is not None and line.get("tx_ref"):
        _el(refs, "AcctSvcrRef", line["bank_id"])
    _el(refs, "EndToEndId", end_to_end or "NOTPROVIDED")
    _el(_path(detail, "AmtDtls/TxAmt"), "Amt", _money(halere), Ccy=line["currency"])

    counter_number, counter_bank = _split_account(line["counter_account"])
    parties = _el(detail, "RltdPties")
    them = (line["counter_name"], line["counter_account"] if counter_number else None)
    us = (OUR_NAME, our_iban)
    credit_in = credit != bool(line.get("reversal"))  # a reversed credit is booked as a debit
    for role, (name, account) in zip(("Dbtr", "Cdtr"), (them, us) if credit_in else (us, them), strict=True):
        if name and not (line.get("account_name_only") and (name, account) == them):
            _path(parties, f"{role}/Nm", name)
        if account:
            _account_id(parties, f"{role}Acct", account)
            if name and line.get("account_name_only") and (name, account) == them:
                _el(parties.find(f"{{{CAMT_053_001_02}}}{role}Acct"), "Nm", name)
    if counter_bank:
        agent = "DbtrAgt" if credit else "CdtrAgt"
        _path(detail, f"RltdAgts/{agent}/FinInstnId/ClrSysMmbId/MmbId", counter_bank)
    _remittance(detail, line)
    _el(entry, "AddtlNtryInf", "Příchozí platba" if credit else "Odchozí platba")


def camt053(lines, account_iban="CZ6508000000192000145399", statement_id="0192000145399-2026-11-27",
            opening_balance_halere=0):
    """A camt.053.001.02 statement (UTF-8) of these lines, one booked entry each."""
    lines = complete(lines)
    days = sorted(line["booked_on"] for line in lines) or [DEFAULTS["booked_on"]]
    root = etree.Element(f"{{{CAMT_053_001_02}}}Document", nsmap={None: CAMT_053_001_02})
    message = _el(root, "BkToCstmrStmt")
    header = _el(message, "GrpHdr")
    _el(header, "MsgId", f"camt053-{statement_id}")
    _el(header, "CreDtTm", f"{days[-1]}T23:59:59+01:00")
    pagination = _el(header, "MsgPgntn")
    _el(pagination, "PgNb", "1")
    _el(pagination, "LastPgInd", "true")

    statement = _el(message, "Stmt")
    _el(statement, "Id", statement_id)
    _el(statement, "ElctrncSeqNb", "1")
    _el(statement, "CreDtTm", f"{days[-1]}T23:59:59+01:00")
    period = _el(statement, "FrToDt")
    _el(period, "FrDtTm", f"{days[0]}T00:00:00+01:00")
    _el(period, "ToDtTm", f"{days[-1]}T23:59:59+01:00")
    account = _el(statement, "Acct")
    _path(account, "Id/IBAN", account_iban)
    _el(account, "Ccy", "CZK")
    _path(account, "Ownr/Nm", OUR_NAME)
    _path(account, "Svcr/FinInstnId/BIC", "GIBACZPX")
    booked = [line for line in lines if line.get("status", "BOOK") == "BOOK"]
    closing = opening_balance_halere + sum(line["amount_halere"] for line in booked)
    _balance(statement, "OPBD", opening_balance_halere, days[0])
    _balance(statement, "CLBD", closing, days[-1])
    summary = _el(statement, "TxsSummry")
    for tag, chosen in (("TtlNtries", booked), ("TtlCdtNtries", [x for x in booked if x["amount_halere"] >= 0]),
                        ("TtlDbtNtries", [x for x in booked if x["amount_halere"] < 0])):
        totals = _el(summary, tag)
        _el(totals, "NbOfNtries", len(chosen))
        _el(totals, "Sum", _money(sum(abs(x["amount_halere"]) for x in chosen)))
    for line in lines:
        _entry(statement, line, account_iban)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# GPC

def _gpc_account(account):
    """``19-2000145399`` → ``0000192000145399`` (prefix 6 + number 10)."""
    prefix, _, number = account.rpartition("-")
    return f"{int(prefix or 0):06d}{int(number or 0):010d}"


def _ddmmyy(day):
    return date.fromisoformat(day).strftime("%d%m%y")


def _fixed(text, width):
    return (text or "")[:width].ljust(width)


def _symbol(value, width):
    return f"{int(value or 0):0{width}d}"


def _record_075(line, account):
    halere = line["amount_halere"]
    code = str(line.get("code") or ("2" if halere >= 0 else "1"))
    number, bank = _split_account(line["counter_account"])
    if number and number[:2].isalpha():
        raise ValueError(f"GPC has no room for an IBAN: {number}")
    bank_id = line["bank_id"] or "0"
    if not str(bank_id).isdigit() or len(str(bank_id)) > 13:
        raise ValueError(f"a GPC transaction id is up to 13 digits, not {bank_id!r}")
    record = "".join((
        "075", _gpc_account(account), _gpc_account(number) if number else "0" * 16, f"{int(bank_id):013d}",
        f"{abs(halere):012d}", code, _symbol(line["variable_symbol"], 10),
        f"00{int(bank or 0):04d}{int(line['constant_symbol'] or 0):04d}", _symbol(line["specific_symbol"], 10),
        _ddmmyy(line.get("value_date", line["booked_on"])), _fixed(line["counter_name"], 20), "0",
        {"CZK": "0203", "EUR": "0978", "USD": "0840"}[line["currency"]], _ddmmyy(line["booked_on"]),
    ))
    assert len(record) == 128, len(record)
    records = [record]
    message = line["message"] or ""
    for start in range(0, len(message), 70):  # 078, then 079: two fields of 35 characters each
        chunk = message[start:start + 70]
        record_type = "078" if start == 0 else "079"
        records.append(record_type + _fixed(chunk, 70) + " " * 55)
    return records


def gpc(lines, account="19-2000145399", statement_number=1, statement_date=None, account_name="SMOPK",
        opening_balance_halere=0, encoding="cp1250"):
    """A GPC (ABO) statement of these lines: CP1250, CRLF, 128 characters a record."""
    lines = complete(lines)
    days = sorted(line["booked_on"] for line in lines) or [DEFAULTS["booked_on"]]
    statement_date = statement_date or days[-1]
    debits = sum(-line["amount_halere"] for line in lines if line["amount_halere"] < 0)
    credits = sum(line["amount_halere"] for line in lines if line["amount_halere"] >= 0)
    closing = opening_balance_halere + credits - debits
    previous = (date.fromisoformat(days[0]) - timedelta(days=1)).isoformat()
    header = "".join((
        "074", _gpc_account(account), _fixed(account_name, 20), _ddmmyy(previous),
        f"{abs(opening_balance_halere):014d}", "+" if opening_balance_halere >= 0 else "-",
        f"{abs(closing):014d}", "+" if closing >= 0 else "-",
        f"{debits:014d}", "0", f"{credits:014d}", "0",
        f"{statement_number:03d}", _ddmmyy(statement_date), " " * 14,
    ))
    assert len(header) == 128, len(header)
    records = [header]
    for line in lines:
        records.extend(_record_075(line, account))
    return ("\r\n".join(records) + "\r\n").encode(encoding)
