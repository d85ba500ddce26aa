"""The accountant's export of one month: a POHODA XML data pack, an XLSX workbook and the ISDOCs.

Pure functions of the month ``usecases.accounting_month`` gathers (amounts in haléře). The three
files say the same money: the invoices and credit notes of the month (each with its sign: a
credit note takes back) add up to the same total in the data pack, in the workbook's sheet
"Faktury" and in the ISDOCs of the zip; the bank lines of the month to the same total in the data
pack and in the workbook's bank rows (``totals``; a test checks all three).

The data pack follows Stormware's POHODA XML schemas "version_2" (``pohoda_xsd/``, vendored with
their source; the tests validate against them):

- ``inv:invoice`` with ``invoiceType`` ``issuedInvoice`` for an invoice and ``issuedCreditNotice``
  (POHODA's "Dobropis") for a credit note, its amounts negative as the credit note has them and
  its ``originalDocument`` the invoice it corrects. (The schema's ``issuedCorrectiveTax``,
  "opravný daňový doklad", is POHODA's separate agenda type for other corrections of the tax.)
  The number is the system's own (``numberRequested``: POHODA refuses the same number twice, so
  a month imported again adds nothing); prices include VAT (``payVAT``) as the invoices state them.
- VAT: a supplier that is no VAT payer (``VAT_PAYER`` off) writes every amount "bez DPH"
  (``rateVAT`` none, ``priceNone``), no tax date and ``classificationVAT`` ``nonSubsume``
  ("Nezahrnovat do DPH"); a VAT payer writes its rate (21 % is ``high``, 12 % and 15 % ``low``),
  the tax date (DUZP) and ``inland`` ("Tuzemské plnění").
- ``bnk:bank`` for each bank line that paid something (``receipt``) or took a payment back
  (``expense``, a reversal), with its variable symbol, so that POHODA pairs it with the invoice.
  Which bank account and which "předkontace" they go to is POHODA's user setting (the schema:
  "Pokud není účet uveden, POHODA použije účet uvedený v uživatelském nastavení"). Payments not
  from the bank (cash at the door) are in the workbook only: they belong to the cash book.
- UTF-8 (POHODA imports UTF-8 and Windows-1250; UTF-8 keeps every name as typed).

The schema requires at least one item in a data pack: a month with nothing to import has no data
pack (``nothing_to_import``); its workbook and zip are still made, empty.
"""
import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal

from lxml import etree
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from services.common.czech import local
from services.common.errors import Conflict
from services.common.vocabulary import InvoiceKind

from . import isdoc

DAT = "http://www.stormware.cz/schema/version_2/data.xsd"
INV = "http://www.stormware.cz/schema/version_2/invoice.xsd"
BNK = "http://www.stormware.cz/schema/version_2/bank.xsd"
TYP = "http://www.stormware.cz/schema/version_2/type.xsd"
NAMESPACES = {"dat": DAT, "inv": INV, "bnk": BNK, "typ": TYP}
VERSION = "2.0"
APPLICATION = "SMOPK přihlášky na akce"
INVOICE_TYPES = {InvoiceKind.INVOICE: "issuedInvoice", InvoiceKind.CREDIT_NOTE: "issuedCreditNotice"}
# POHODA's rates (type.xsd ``vatRateType``) by the Czech rate in per cent.
VAT_RATES = {0: "none", 21: "high", 15: "low", 12: "low"}
SUMMARY_FIELDS = {"none": ("priceNone",), "high": ("priceHigh", "priceHighVAT", "priceHighSum"),
                  "low": ("priceLow", "priceLowVAT", "priceLowSum")}
UNIT = "ks"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The workbook's sheets, in order.
SHEETS = ("Faktury", "Platby", "Nezaplacené", "Vratky")
TOTAL = "Celkem"
BANK_TOTAL = "Celkem z banky (v datovém balíku pro Pohodu)"
OTHER_TOTAL = "Celkem mimo banku (hotově, zaznamenáno ručně)"
MONEY_FORMAT = '#,##0.00" Kč"'
DAY_FORMAT = "d. m. yyyy"
HOW = {"camt.053": "převodem (výpis camt.053)", "gpc": "převodem (výpis GPC)", "fio": "převodem (API banky)",
       "cash": "hotově", "hand": "zaznamenáno ručně"}
# A Czech account number with its bank code: ``19-2000145399/0800``.
_ACCOUNT = re.compile(r"^(?P<number>(?:\d{1,6}-)?\d{1,10})/(?P<bank>\d{4})$")


def nothing_to_import(name: str) -> Conflict:
    """The refusal of a data pack for a month with no invoice, credit note or bank line: the schema
    allows no empty data pack. (A plain ``Conflict``: only the registered refusals cross RPC.)"""
    return Conflict("nothing_to_import", f"Za {name} není co importovat do Pohody: žádná faktura, dobropis ani "
                                         "spárovaná platba z banky. Soubor pro Pohodu proto nevzniká (Pohoda prázdný "
                                         "datový balík nepřijme); tabulka a ZIP s ISDOC jsou prázdné.")


def totals(month: dict) -> dict:
    """The month's money as the three files must agree on it, in haléře: ``documents`` (the
    invoices' and credit notes' totals with their signs), ``bank`` (bank lines: money in less
    reversals), ``other`` (cash and payments recorded by hand), ``unpaid`` (still owed) and
    ``refunds``; and the counts."""
    bank = [p for p in month["payments"] if p["from_bank"]]
    other = [p for p in month["payments"] if not p["from_bank"]]
    return {
        "documents": sum(d["total_halere"] for d in month["documents"]),
        "invoices": sum(d["total_halere"] for d in month["documents"] if d["kind"] == InvoiceKind.INVOICE),
        "credit_notes": sum(d["total_halere"] for d in month["documents"] if d["kind"] == InvoiceKind.CREDIT_NOTE),
        "bank": sum(p["amount_halere"] for p in bank), "other": sum(p["amount_halere"] for p in other),
        "unpaid": sum(u["owed_halere"] for u in month["unpaid"]),
        "refunds": sum(r["amount_halere"] for r in month["refunds"]),
        "counts": {"invoices": sum(d["kind"] == InvoiceKind.INVOICE for d in month["documents"]),
                   "credit_notes": sum(d["kind"] == InvoiceKind.CREDIT_NOTE for d in month["documents"]),
                   "bank": len(bank), "other": len(other), "unpaid": len(month["unpaid"]),
                   "refunds": len(month["refunds"])},
    }


def file_stem(month: dict) -> str:
    return f"ucetnictvi-{month['year']}-{month['month']:02d}"


# The POHODA XML data pack

def pohoda_pack(month: dict) -> bytes:
    """The month's invoices, credit notes and bank lines as one POHODA data pack, UTF-8 XML.
    Refused (``nothing_to_import``) when there is none of them."""
    bank = [p for p in month["payments"] if p["from_bank"]]
    if not month["documents"] and not bank:
        raise nothing_to_import(month["name"])
    supplier = month["supplier"]
    attributes = {"version": VERSION, "id": f"SMOPK-{month['year']}-{month['month']:02d}",
                  "application": APPLICATION, "note": f"Podklady pro účetní za {month['name']}"}
    if supplier.get("ico"):
        attributes["ico"] = supplier["ico"]  # POHODA refuses the pack in another firm's accounts
    root = etree.Element(_q("dat", "dataPack"), nsmap=NAMESPACES, **attributes)
    for document in month["documents"]:
        item = _sub(root, "dat", "dataPackItem", version=VERSION, id=document["number"])
        _invoice(_sub(item, "inv", "invoice", version=VERSION), document)
    for line in bank:
        item = _sub(root, "dat", "dataPackItem", version=VERSION, id=f"BANKA-{line['id']}")
        _bank(_sub(item, "bnk", "bank", version=VERSION), line)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _invoice(parent, document: dict):
    vat_payer = bool(document["supplier"]["vat_payer"])
    credit = document["kind"] == InvoiceKind.CREDIT_NOTE
    header = _sub(parent, "inv", "invoiceHeader")
    _sub(header, "inv", "invoiceType", INVOICE_TYPES[document["kind"]])
    _sub(_sub(header, "inv", "number"), "typ", "numberRequested", document["number"])
    if document.get("variable_symbol"):
        _sub(header, "inv", "symVar", document["variable_symbol"])
    if credit and document.get("corrects"):
        _sub(header, "inv", "originalDocument", document["corrects"]["number"])
    _sub(header, "inv", "date", document["issued_on"])
    if vat_payer:
        _sub(header, "inv", "dateTax", document["taxable_on"])
    _sub(header, "inv", "dateDue", document["due_on"])
    _sub(_sub(header, "inv", "classificationVAT"), "typ", "classificationVATType",
         "inland" if vat_payer else "nonSubsume")
    _sub(header, "inv", "text", _cut(_header_text(document), 240))
    _partner(_sub(header, "inv", "partnerIdentity"), document["customer"])
    _sub(_sub(header, "inv", "paymentType"), "typ", "paymentType", "draft")
    account = _ACCOUNT.match(document["supplier"].get("account") or "")
    if account and not credit:
        where = _sub(header, "inv", "account")
        _sub(where, "typ", "accountNo", account.group("number"))
        _sub(where, "typ", "bankCode", account.group("bank"))
    note = isdoc.note_text(document)
    if note:
        _sub(header, "inv", "note", note)
    _sub(header, "inv", "intNote", f"Ze systému přihlášek na akce; UUID dokladu {document['uuid']}")

    detail = _sub(parent, "inv", "invoiceDetail")
    for item in document["items"]:
        rate = _rate(item["vat_rate"] if vat_payer else 0)
        line = _sub(detail, "inv", "invoiceItem")
        _sub(line, "inv", "text", _cut(item["description"], 90))
        _sub(line, "inv", "quantity", str(item["quantity"]))
        _sub(line, "inv", "unit", UNIT)
        _sub(line, "inv", "payVAT", "true")
        _sub(line, "inv", "rateVAT", rate)
        prices = _sub(line, "inv", "homeCurrency")
        _sub(prices, "typ", "unitPrice", crowns(item["unit_price_halere"]))
        _sub(prices, "typ", "price", crowns(item["base_halere"]))
        _sub(prices, "typ", "priceVAT", crowns(item["vat_halere"]))
        _sub(prices, "typ", "priceSum", crowns(item["total_halere"]))

    summary = _sub(parent, "inv", "invoiceSummary")
    _sub(summary, "inv", "roundingDocument", "none")
    _sub(summary, "inv", "roundingVAT", "none")
    home = _sub(summary, "inv", "homeCurrency")
    for rate, (base, vat) in _by_rate(document["items"], vat_payer).items():
        names = SUMMARY_FIELDS[rate]
        if rate == "none":
            _sub(home, "typ", names[0], crowns(base + vat))
        else:
            _sub(home, "typ", names[0], crowns(base))
            _sub(home, "typ", names[1], crowns(vat))
            _sub(home, "typ", names[2], crowns(base + vat))


def _header_text(document: dict) -> str:
    """What the document is for, without the people's names (the items have them)."""
    what = document["items"][0]["description"].rsplit(" – ", 1)[0] if document["items"] else ""
    if document["kind"] == InvoiceKind.CREDIT_NOTE:
        corrects = (document.get("corrects") or {}).get("number")
        return f"Dobropis k faktuře {corrects}: {what}" if corrects else f"Dobropis: {what}"
    return what


def _by_rate(items, vat_payer: bool) -> dict:
    """POHODA rate -> (base, VAT) over the items, in haléře."""
    found: dict = {}
    for item in items:
        rate = _rate(item["vat_rate"] if vat_payer else 0)
        base, vat = found.get(rate, (0, 0))
        if rate == "none":
            found[rate] = (base + item["total_halere"], 0)
        else:
            found[rate] = (base + item["base_halere"], vat + item["vat_halere"])
    return found


def _rate(percent: int) -> str:
    if percent not in VAT_RATES:
        raise Conflict("vat_rate_unknown", f"Sazbu DPH {percent} % Pohoda nezná (zná 21 %, 15 % a 12 %); "
                                           "zkontrolujte nastavení VAT_RATE.")
    return VAT_RATES[percent]


def _partner(parent, customer: dict):
    """The customer as POHODA's address: an organisation as ``company``, a person as ``name``."""
    address = _sub(parent, "typ", "address")
    if customer.get("ico"):
        _sub(address, "typ", "company", _cut(customer["name"], 255))
    else:
        _sub(address, "typ", "name", _cut(customer["name"], 64))
    parts = isdoc.split_address(customer.get("address"))
    if parts["city"]:
        _sub(address, "typ", "city", _cut(parts["city"], 45))
    street = " ".join(part for part in (parts["street"], parts["building_number"]) if part)
    if street:
        _sub(address, "typ", "street", _cut(street, 64))
    if parts["postcode"]:
        _sub(address, "typ", "zip", f"{parts['postcode'][:3]} {parts['postcode'][3:]}")
    if customer.get("ico"):
        _sub(address, "typ", "ico", customer["ico"])
    if customer.get("dic"):
        _sub(address, "typ", "dic", customer["dic"])


def _bank(parent, line: dict):
    header = _sub(parent, "bnk", "bankHeader")
    _sub(header, "bnk", "bankType", "receipt" if line["amount_halere"] > 0 else "expense")
    if line.get("variable_symbol"):
        _sub(header, "bnk", "symVar", line["variable_symbol"])
    booked = _day(line["booked_on"])
    _sub(header, "bnk", "dateStatement", booked)
    _sub(header, "bnk", "datePayment", booked)
    _sub(_sub(header, "bnk", "classificationVAT"), "typ", "classificationVATType", "nonSubsume")
    _sub(header, "bnk", "text", _cut(payment_text(line), 240))
    if line.get("counter_name"):
        _sub(_sub(_sub(header, "bnk", "partnerIdentity"), "typ", "address"), "typ", "company",
             _cut(line["counter_name"], 255))
    account = _ACCOUNT.match((line.get("counter_account") or "").strip())
    if account:
        paid_from = _sub(header, "bnk", "paymentAccount")
        _sub(paid_from, "typ", "accountNo", account.group("number"))
        _sub(paid_from, "typ", "bankCode", account.group("bank"))
    _sub(header, "bnk", "intNote", f"Pohyb banky {line['bank_id']}")
    summary = _sub(parent, "bnk", "bankSummary")
    _sub(summary, "bnk", "roundingDocument", "none")
    _sub(_sub(summary, "bnk", "homeCurrency"), "typ", "priceNone", crowns(abs(line["amount_halere"])))


def payment_text(line: dict) -> str:
    """What a payment paid: ``Úhrada faktury FV-2028-0003: Jana Nováková, Eva Nováková``."""
    names = _names(line)
    if line["amount_halere"] < 0:
        return f"Banka vrátila platbu (storno): {names}" if names else "Banka vrátila platbu (storno)"
    what = f"Úhrada faktury {line['invoice_number']}" if line.get("invoice_number") else "Úhrada poplatku"
    return f"{what}: {names}" if names else what


def _names(line: dict) -> str:
    """Whom a payment paid (or whose payment the bank took back), each once."""
    return ", ".join(dict.fromkeys(p["payer_name"] for p in line["paid"]))


# The workbook

def workbook(month: dict) -> bytes:
    """The month in an XLSX workbook for the accountant: its invoices and credit notes, its
    payments, what is unpaid and its refunds, each sheet with its total; amounts as numbers in
    crowns, days as dates. Text that a spreadsheet would read as a formula stays text."""
    book = Workbook()
    book.remove(book.active)
    vat_payer = bool(month["supplier"]["vat_payer"])
    sheet = _sheet(book, SHEETS[0], ["Číslo", "Druh", "Opravuje", "Vystaveno", "DUZP", "Splatnost", "VS",
                                     "Odběratel", "IČO", "DIČ", "Adresa", "Základ", "DPH", "Celkem", "Poznámka"])
    for d in month["documents"]:
        base = sum(item["base_halere"] for item in d["items"])
        vat = sum(item["vat_halere"] for item in d["items"])
        _row(sheet, [d["number"], "dobropis" if d["kind"] == InvoiceKind.CREDIT_NOTE else "faktura",
                     (d.get("corrects") or {}).get("number"), _date(d["issued_on"]),
                     _date(d["taxable_on"]) if vat_payer else None, _date(d["due_on"]), d.get("variable_symbol"),
                     d["customer"]["name"], d["customer"].get("ico"), d["customer"].get("dic"),
                     d["customer"].get("address"), _money(base), _money(vat), _money(d["total_halere"]),
                     isdoc.note_text(d) or None])
    _total(sheet, TOTAL, {12: sum(sum(i["base_halere"] for i in d["items"]) for d in month["documents"]),
                          13: sum(sum(i["vat_halere"] for i in d["items"]) for d in month["documents"]),
                          14: sum(d["total_halere"] for d in month["documents"])})

    sheet = _sheet(book, SHEETS[1], ["Zaúčtováno", "Částka", "VS", "Způsob", "Protiúčet", "Plátce", "Zpráva",
                                     "Faktura", "Zaplaceno za", "V datovém balíku", "Pohyb banky"])
    for p in month["payments"]:
        _row(sheet, [_date(p["booked_on"]), _money(p["amount_halere"]), p.get("variable_symbol"),
                     HOW.get(p["source"], p["source"]), p.get("counter_account"), p.get("counter_name"),
                     p.get("message"), p.get("invoice_number"), _names(p) or None,
                     "ano" if p["from_bank"] else "ne (pokladna)", p["bank_id"]])
    _total(sheet, BANK_TOTAL, {2: sum(p["amount_halere"] for p in month["payments"] if p["from_bank"])})
    _total(sheet, OTHER_TOTAL, {2: sum(p["amount_halere"] for p in month["payments"] if not p["from_bank"])})

    sheet = _sheet(book, SHEETS[2], ["Číslo", "Odběratel", "IČO", "Vystaveno", "Splatnost", "VS", "Celkem",
                                     "Zbývá zaplatit", "Stav"])
    for u in month["unpaid"]:
        d = u["document"]
        _row(sheet, [d["number"], d["customer"]["name"], d["customer"].get("ico"), _date(d["issued_on"]),
                     _date(d["due_on"]), d.get("variable_symbol"), _money(d["total_halere"]), _money(u["owed_halere"]),
                     u["label"]])
    _total(sheet, TOTAL, {8: sum(u["owed_halere"] for u in month["unpaid"])})

    sheet = _sheet(book, SHEETS[3], ["Vzniklo", "Komu", "E-mail", "Akce", "VS", "Částka", "Důvod", "Vráceno",
                                     "Poznámka"])
    for r in month["refunds"]:
        _row(sheet, [_date(r["created_at"]), r["payer_name"], r["email"], r["event_title"], r["variable_symbol"],
                     _money(r["amount_halere"]), r.get("reason") or "Zrušená zaplacená přihláška",
                     _date(r["settled_at"]) if r.get("settled_at") else "ne", r.get("note")])
    _total(sheet, TOTAL, {6: sum(r["amount_halere"] for r in month["refunds"])})

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(book, title: str, headers: list[str]):
    sheet = book.create_sheet(title)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for number, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = max(12, len(header) + 2)
    return sheet


def _row(sheet, values: list):
    row = sheet.max_row + 1
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=value)
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # text typed into a form, never a formula
        elif isinstance(value, Decimal):
            cell.number_format = MONEY_FORMAT
        elif isinstance(value, date):
            cell.number_format = DAY_FORMAT


def _total(sheet, label: str, amounts: dict):
    """A row ``label`` with the sums (haléře) in their columns, as values (a reader that does not
    compute formulas reads them too)."""
    row = sheet.max_row + 1
    sheet.cell(row=row, column=1, value=label).font = Font(bold=True)
    for column, halere in amounts.items():
        cell = sheet.cell(row=row, column=column, value=_money(halere))
        cell.number_format, cell.font = MONEY_FORMAT, Font(bold=True)


def _money(halere: int) -> Decimal:
    return Decimal(halere) / 100


def _date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return local(value).date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# The ISDOCs

def isdoc_zip(month: dict) -> bytes:
    """Every invoice's and credit note's ISDOC of the month (``<number>.isdoc``), zipped."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for document in month["documents"]:
            issued = date.fromisoformat(document["issued_on"])
            entry = zipfile.ZipInfo(f"{document['number']}.isdoc", date_time=(issued.year, issued.month,
                                                                                  issued.day, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, isdoc.isdoc(document))
    return out.getvalue()


# Shared

def crowns(halere: int) -> str:
    """Haléře as POHODA's amount, crowns with two decimals from integers: ``-900.00``."""
    crowns_part, cents = divmod(abs(int(halere)), 100)
    return f"{'-' if halere < 0 else ''}{crowns_part}.{cents:02d}"


def _day(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _cut(text: str, length: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[:length - 1] + "…"


def _q(prefix: str, name: str) -> str:
    return f"{{{NAMESPACES[prefix]}}}{name}"


def _sub(parent, prefix: str, name: str, text: str | None = None, **attributes):
    element = etree.SubElement(parent, _q(prefix, name), **attributes)
    if text is not None:
        element.text = text
    return element
