"""An invoice or a credit note as ISDOC 6.0.2, the Czech XML format that accounting software imports.

A pure function of the invoice dict the payments service builds (amounts in haléře); elements are
written in the order of the schema's sequences (isdoc-invoice-6.0.2.xsd), which a validator checks.

Two conventions the schema itself does not spell out:
- A credit note (DocumentType 2) states its amounts as positive numbers: the type says they are
  taken back. Importers negate a credit note's amounts themselves, so our negative ones would add up.
- A credit note asks for no payment, so it has no PaymentMeans (the supplier's account there would
  read as "pay us"); the refund is the staff's bank transfer.
"""
import re
from decimal import Decimal

from lxml import etree
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from services.common.vocabulary import InvoiceKind

NAMESPACE = "http://isdoc.cz/namespace/2013"
VERSION = "6.0.2"
ISSUING_SYSTEM = "SMOPK přihlášky na akce"
DOCUMENT_TYPES = {InvoiceKind.INVOICE: "1", InvoiceKind.CREDIT_NOTE: "2"}
# "0" is "from the bottom" (tax computed from the base), as the documents service was asked to write.
VAT_CALCULATION_METHOD = "0"
TRANSFER_TO_ACCOUNT = "42"
UNIT = "ks"
COUNTRY = ("CZ", "Česká republika")
ORIGINAL = "original"

# A Czech postcode: "301 00" or "30100", not part of a longer number or of "1234/56".
_POSTCODE = re.compile(r"(?<![\d/])(\d{3}) ?(\d{2})(?![\d/])")
# A building number at the end of a street: "11", "11a", "1234/5b", "č. p. 15".
_BUILDING_NUMBER = re.compile(
    r"^(?P<street>.*?)[\s,]*(?P<number>(?:č\.\s*(?:p|ev)\.\s*)?\d+[a-zA-Z]?(?:/\d+[a-zA-Z]?)?)$")


def isdoc(invoice: dict) -> bytes:
    """The ISDOC 6.0.2 document of ``invoice`` (the payments service's invoice dict), UTF-8 XML."""
    supplier, customer = invoice["supplier"], invoice["customer"]
    credit = invoice["kind"] == InvoiceKind.CREDIT_NOTE
    sign = -1 if credit else 1
    vat_payer = bool(supplier["vat_payer"])

    root = etree.Element(_tag("Invoice"), nsmap={None: NAMESPACE}, version=VERSION)
    _add(root, "DocumentType", DOCUMENT_TYPES[invoice["kind"]])
    _add(root, "ID", invoice["number"])
    _add(root, "UUID", invoice["uuid"])
    _add(root, "IssuingSystem", ISSUING_SYSTEM)
    _add(root, "IssueDate", invoice["issued_on"])
    if vat_payer:
        _add(root, "TaxPointDate", invoice["taxable_on"])
    _add(root, "VATApplicable", _boolean(vat_payer))
    _add(root, "ElectronicPossibilityAgreementReference", "")
    note = note_text(invoice)
    if note:
        _add(root, "Note", note)
    _add(root, "LocalCurrencyCode", invoice["currency"])
    _add(root, "CurrRate", "1")
    _add(root, "RefCurrRate", "1")
    _party(_add(root, "AccountingSupplierParty"), supplier, register_entry=supplier.get("register_entry"),
           phone=supplier.get("phone"))
    _party(_add(root, "AccountingCustomerParty"), customer)
    corrects = invoice.get("corrects")
    if credit and corrects:
        reference = _add(_add(root, "OriginalDocumentReferences"), "OriginalDocumentReference", id=ORIGINAL)
        _add(reference, "ID", corrects["number"])
        _add(reference, "IssueDate", corrects["issued_on"])
        if corrects.get("uuid"):
            _add(reference, "UUID", corrects["uuid"])

    lines = _add(root, "InvoiceLines")
    for number, item in enumerate(invoice["items"], start=1):
        _invoice_line(lines, number, item, sign, vat_payer, original=credit and bool(corrects))

    subtotals = _subtotals(invoice["items"])
    tax_total = _add(root, "TaxTotal")
    for rate, (base, vat) in subtotals.items():
        _tax_subtotal(tax_total, rate, sign * base, sign * vat, vat_payer)
    _add(tax_total, "TaxAmount", _amount(sign * sum(vat for _, vat in subtotals.values())))

    base_total = sign * sum(base for base, _ in subtotals.values())
    total = sign * invoice["total_halere"]
    monetary = _add(root, "LegalMonetaryTotal")
    _add(monetary, "TaxExclusiveAmount", _amount(base_total))
    _add(monetary, "TaxInclusiveAmount", _amount(total))
    _add(monetary, "AlreadyClaimedTaxExclusiveAmount", _amount(0))
    _add(monetary, "AlreadyClaimedTaxInclusiveAmount", _amount(0))
    _add(monetary, "DifferenceTaxExclusiveAmount", _amount(base_total))
    _add(monetary, "DifferenceTaxInclusiveAmount", _amount(total))
    _add(monetary, "PayableRoundingAmount", _amount(0))
    _add(monetary, "PaidDepositsAmount", _amount(0))
    _add(monetary, "PayableAmount", _amount(total))

    if not credit:
        _payment_means(_add(root, "PaymentMeans"), invoice, total)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def split_address(address: str | None) -> dict:
    """A one-line Czech address cut into ISDOC's parts, by heuristics:
    ``"Kopeckého sady 11, 301 00 Plzeň"`` → street ``Kopeckého sady``, building number ``11``,
    postcode ``30100``, city ``Plzeň``. The postcode may also follow the city; a part that
    cannot be told is left empty, and an address with no street takes the city's name as its
    street (a village's "Dolní Lhota 15")."""
    text = " ".join((address or "").split())
    postcode = ""
    matches = list(_POSTCODE.finditer(text))
    if matches:
        found = matches[-1]
        postcode = found.group(1) + found.group(2)
        before, after = text[:found.start()].strip(" ,"), text[found.end():].strip(" ,")
        if after:
            street_part, city = before, after
        else:
            street_part, _, city = before.rpartition(",")
    else:
        street_part, _, city = text.rpartition(",")
    street_part, city = street_part.strip(" ,"), city.strip(" ,")
    number_match = _BUILDING_NUMBER.match(street_part)
    if number_match:
        street, number = number_match.group("street").strip(" ,"), number_match.group("number")
    else:
        street, number = street_part, ""
    if not street and number:
        street = city
    return {"street": street, "building_number": number, "city": city, "postcode": postcode}


def _party(parent, party: dict, register_entry=None, phone=None):
    element = _add(parent, "Party")
    _add(_add(element, "PartyIdentification"), "ID", party.get("ico") or "")
    _add(_add(element, "PartyName"), "Name", party["name"])
    address = split_address(party.get("address"))
    postal = _add(element, "PostalAddress")
    _add(postal, "StreetName", address["street"])
    _add(postal, "BuildingNumber", address["building_number"])
    _add(postal, "CityName", address["city"])
    _add(postal, "PostalZone", address["postcode"])
    country = _add(postal, "Country")
    _add(country, "IdentificationCode", COUNTRY[0])
    _add(country, "Name", COUNTRY[1])
    if party.get("dic"):
        scheme = _add(element, "PartyTaxScheme")
        _add(scheme, "CompanyID", party["dic"])
        _add(scheme, "TaxScheme", "VAT")
    if register_entry:
        _add(_add(element, "RegisterIdentification"), "Preformatted", register_entry)
    if phone or party.get("email"):
        contact = _add(element, "Contact")
        if phone:
            _add(contact, "Telephone", phone)
        if party.get("email"):
            _add(contact, "ElectronicMail", party["email"])


def _invoice_line(parent, number: int, item: dict, sign: int, vat_payer: bool, original: bool):
    line = _add(parent, "InvoiceLine")
    _add(line, "ID", str(number))
    if original:
        _add(line, "OriginalDocumentReference", ref=ORIGINAL)
    quantity = item["quantity"]
    _add(line, "InvoicedQuantity", str(quantity), unitCode=UNIT)
    _add(line, "LineExtensionAmount", _amount(sign * item["base_halere"]))
    _add(line, "LineExtensionAmountTaxInclusive", _amount(sign * item["total_halere"]))
    _add(line, "LineExtensionTaxAmount", _amount(sign * item["vat_halere"]))
    _add(line, "UnitPrice", _amount(sign * item["base_halere"], per=quantity))
    _add(line, "UnitPriceTaxInclusive", _amount(sign * item["unit_price_halere"]))
    category = _add(line, "ClassifiedTaxCategory")
    _add(category, "Percent", str(item["vat_rate"] if vat_payer else 0))
    _add(category, "VATCalculationMethod", VAT_CALCULATION_METHOD)
    _add(category, "VATApplicable", _boolean(vat_payer))
    _add(_add(line, "Item"), "Description", item["description"])


def _subtotals(items) -> dict:
    """Base and tax per VAT rate, over every item (a 0 % rate included, so that the subtotals
    add up to the whole invoice); one 0 % subtotal when the supplier is no VAT payer."""
    subtotals = {}
    for item in items:
        base, vat = subtotals.get(item["vat_rate"], (0, 0))
        subtotals[item["vat_rate"]] = (base + item["base_halere"], vat + item["vat_halere"])
    return dict(sorted(subtotals.items()))


def _tax_subtotal(parent, rate: int, base: int, vat: int, vat_payer: bool):
    subtotal = _add(parent, "TaxSubTotal")
    _add(subtotal, "TaxableAmount", _amount(base))
    _add(subtotal, "TaxAmount", _amount(vat))
    _add(subtotal, "TaxInclusiveAmount", _amount(base + vat))
    _add(subtotal, "AlreadyClaimedTaxableAmount", _amount(0))
    _add(subtotal, "AlreadyClaimedTaxAmount", _amount(0))
    _add(subtotal, "AlreadyClaimedTaxInclusiveAmount", _amount(0))
    _add(subtotal, "DifferenceTaxableAmount", _amount(base))
    _add(subtotal, "DifferenceTaxAmount", _amount(vat))
    _add(subtotal, "DifferenceTaxInclusiveAmount", _amount(base + vat))
    category = _add(subtotal, "TaxCategory")
    _add(category, "Percent", str(rate if vat_payer else 0))
    _add(category, "VATApplicable", _boolean(vat_payer))


def _payment_means(parent, invoice: dict, total: int):
    supplier = invoice["supplier"]
    payment = _add(parent, "Payment")
    _add(payment, "PaidAmount", _amount(total))
    _add(payment, "PaymentMeansCode", TRANSFER_TO_ACCOUNT)
    details = _add(payment, "Details")
    _add(details, "PaymentDueDate", invoice["due_on"])
    account, _, bank_code = supplier["account"].partition("/")
    bank_name, bic = _bank(supplier["iban"])
    _add(details, "ID", account)
    _add(details, "BankCode", bank_code)
    _add(details, "Name", bank_name)
    _add(details, "IBAN", supplier["iban"])
    _add(details, "BIC", supplier.get("bic") or bic)
    _add(details, "VariableSymbol", invoice["variable_symbol"])


def _bank(iban: str):
    """The bank's name and BIC from its code in the IBAN (schwifty's bank registry); empty if unknown."""
    try:
        parsed = IBAN(iban)
        return parsed.bank_name or "", str(parsed.bic or "")
    except SchwiftyException:
        return "", ""


def note_text(invoice: dict) -> str:
    parts = []
    if invoice.get("reason"):
        parts.append(f"Důvod opravy: {invoice['reason']}")
    if invoice.get("vat_note"):
        parts.append(invoice["vat_note"])
    return " ".join(parts)


def _amount(halere: int, per: int = 1) -> str:
    """Haléře as a decimal of crowns with two places (``-900.00``), from integers, never floats.
    A unit price (``per`` units) that is no whole number of haléře keeps six places."""
    if halere % per:
        return str((Decimal(halere) / (100 * per)).quantize(Decimal("0.000001")))
    value = halere // per
    crowns, cents = divmod(abs(value), 100)
    return f"{'-' if value < 0 else ''}{crowns}.{cents:02d}"


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _add(parent, name: str, text: str | None = None, **attributes):
    element = etree.SubElement(parent, _tag(name), **attributes)
    if text is not None:
        element.text = text
    return element
