"""The accountant's export of a month: the POHODA XML data pack checked against Stormware's
schemas (vendored in services/payments/pohoda_xsd), the XLSX workbook read back with openpyxl, the
zip of ISDOCs checked against the ISDOC schema, and the money in all three added up and compared.

The month is made by the payments service itself (a worker on its real database): invoices issued
at registration, a statement paying some, cash at the door, two cancellations (a credit note each,
one with a refund), a member's payment without an invoice, a line nobody could match, and the
next month's invoice and payment, which must stay out."""
import base64
import io
import os
import zipfile
from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest
from lxml import etree

from services.common.czech import month_of
from services.common.errors import Conflict, ValidationError
from services.payments import accounting
from tests import statements
from tests.unit.payments.conftest import NOW, payload
from tests.unit.payments.test_isdoc import XSD as ISDOC_XSD

POHODA_XSD = os.path.join(os.path.dirname(os.path.abspath(accounting.__file__)), "pohoda_xsd", "data.xsd")
NS = {"dat": accounting.DAT, "inv": accounting.INV, "bnk": accounting.BNK, "typ": accounting.TYP}
ISDOC = "{http://isdoc.cz/namespace/2013}"
FORMULA = '=HYPERLINK("a","b")'  # a GPC line keeps 20 characters of a name


@pytest.fixture(scope="module")
def pohoda_schema():
    return etree.XMLSchema(etree.parse(POHODA_XSD))


@pytest.fixture(scope="module")
def isdoc_schema():
    if not os.path.exists(ISDOC_XSD):
        pytest.fail(f"The ISDOC schema is missing at {ISDOC_XSD}: `make test` unpacks it")
    return etree.XMLSchema(etree.parse(ISDOC_XSD))


def b64(data):
    return base64.b64encode(data).decode()


def confirm(payments, registration_id, **options):
    payments.on_registration_confirmed(payload(registration_id, **options))


def a_month(payments):
    """November 2026 as the office lives it, then one thing of December."""
    for registration_id in (41, 42, 43, 44, 45):
        confirm(payments, registration_id)  # a non-member: FV-2026-0001 … 0005
    confirm(payments, 46, is_member=True)  # a member: no invoice
    payments.import_statement(b64(statements.gpc([
        {"bank_id": "2600000000001", "amount_halere": 90000, "variable_symbol": "1000000041"},
        {"bank_id": "2600000000002", "amount_halere": 90000, "variable_symbol": "1000000044"},
        {"bank_id": "2600000000003", "amount_halere": 90000, "variable_symbol": "1000000046", "counter_name": FORMULA},
        {"bank_id": "2600000000004", "amount_halere": 5000, "variable_symbol": "999"},  # nobody's: to check
    ])))
    payments.mark_paid(42)  # cash at the door
    payments.on_registration_cancelled(payload(43, status="cancelled"))  # OD-2026-0001, nothing paid
    payments.on_registration_cancelled(payload(44, status="cancelled"))  # OD-2026-0002 and a refund
    payments.clock_state["now"] = datetime(2026, 12, 2, 9, 0, tzinfo=NOW.tzinfo)
    confirm(payments, 47)  # FV-2026-0006, in December
    payments.import_statement(b64(statements.gpc([
        {"bank_id": "2600000000005", "amount_halere": 90000, "variable_symbol": "1000000047",
         "booked_on": "2026-12-02"}], statement_number=2)))


def export(payments, month, format):
    return base64.b64decode(payments.accounting_export(month, format)["data"])


def rows_of(sheet):
    """The sheet's rows below its header, as lists of values."""
    return [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]


def decimal(value):
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.mark.parametrize("vat_payer", [False, True], ids=["no-vat-payer", "vat-payer"])
def test_the_data_pack_is_valid_against_stormwares_schema_and_says_what_was_issued_and_paid(
        payments, pohoda_schema, vat_payer):
    if vat_payer:
        payments.config.update(VAT_PAYER=True, VAT_RATE=21, ORGANISER_DIC="CZ25278754")
    a_month(payments)
    data = export(payments, "2026-11", "pohoda")
    root = etree.fromstring(data)
    assert pohoda_schema.validate(root), pohoda_schema.error_log.filter_from_errors()
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert root.get("id") == "SMOPK-2026-11" and root.get("ico") == "25278754"
    assert root.get("note") == "Podklady pro účetní za listopad 2026"

    invoices = root.findall("dat:dataPackItem/inv:invoice", NS)
    assert [(i.findtext("inv:invoiceHeader/inv:number/typ:numberRequested", namespaces=NS),
             i.findtext("inv:invoiceHeader/inv:invoiceType", namespaces=NS)) for i in invoices] == [
        ("FV-2026-0001", "issuedInvoice"), ("FV-2026-0002", "issuedInvoice"), ("FV-2026-0003", "issuedInvoice"),
        ("FV-2026-0004", "issuedInvoice"), ("FV-2026-0005", "issuedInvoice"),
        ("OD-2026-0001", "issuedCreditNotice"), ("OD-2026-0002", "issuedCreditNotice")]
    first, note = invoices[0], invoices[5]
    header = first.find("inv:invoiceHeader", NS)
    assert header.findtext("inv:symVar", namespaces=NS) == "1000000041"
    assert header.findtext("inv:date", namespaces=NS) == "2026-11-27"
    assert header.findtext("inv:dateDue", namespaces=NS) == "2026-12-08"
    partner = header.find("inv:partnerIdentity/typ:address", NS)
    assert {etree.QName(e).localname: e.text for e in partner} == {
        "company": "Obec Dolní Lhota", "city": "Dolní Lhota", "street": "Náves 1", "zip": "330 01",
        "ico": "00257001", "dic": "CZ00257001"}
    assert note.findtext("inv:invoiceHeader/inv:originalDocument", namespaces=NS) == "FV-2026-0003"
    item = first.find("inv:invoiceDetail/inv:invoiceItem", NS)
    if vat_payer:
        assert header.findtext("inv:dateTax", namespaces=NS) == "2026-12-08"  # the seminar's day (DUZP)
        assert header.findtext("inv:classificationVAT/typ:classificationVATType", namespaces=NS) == "inland"
        assert item.findtext("inv:rateVAT", namespaces=NS) == "high"
        assert [item.findtext(f"inv:homeCurrency/typ:{n}", namespaces=NS) for n in (
            "unitPrice", "price", "priceVAT", "priceSum")] == ["900.00", "743.80", "156.20", "900.00"]
        summary = note.find("inv:invoiceSummary/inv:homeCurrency", NS)
        assert [summary.findtext(f"typ:{n}", namespaces=NS) for n in ("priceHigh", "priceHighVAT", "priceHighSum")] \
            == ["-743.80", "-156.20", "-900.00"]
    else:
        assert header.find("inv:dateTax", NS) is None  # no tax date without VAT
        assert header.findtext("inv:classificationVAT/typ:classificationVATType", namespaces=NS) == "nonSubsume"
        assert item.findtext("inv:rateVAT", namespaces=NS) == "none"
        assert header.findtext("inv:note", namespaces=NS) == "Dodavatel není plátcem DPH."
        assert note.findtext("inv:invoiceSummary/inv:homeCurrency/typ:priceNone", namespaces=NS) == "-900.00"

    banks = root.findall("dat:dataPackItem/bnk:bank", NS)
    assert [(b.findtext("bnk:bankHeader/bnk:bankType", namespaces=NS),
             b.findtext("bnk:bankHeader/bnk:symVar", namespaces=NS),
             b.findtext("bnk:bankHeader/bnk:datePayment", namespaces=NS),
             b.findtext("bnk:bankSummary/bnk:homeCurrency/typ:priceNone", namespaces=NS)) for b in banks] == [
        ("receipt", "1000000041", "2026-11-27", "900.00"), ("receipt", "1000000044", "2026-11-27", "900.00"),
        ("receipt", "1000000046", "2026-11-27", "900.00")]  # not the unmatched line, not cash, not December
    bank_header = banks[0].find("bnk:bankHeader", NS)
    assert bank_header.findtext("bnk:text", namespaces=NS) == "Úhrada faktury FV-2026-0001: Věra Průchová"
    assert bank_header.findtext("bnk:paymentAccount/typ:accountNo", namespaces=NS) == "2900233333"
    assert bank_header.findtext("bnk:paymentAccount/typ:bankCode", namespaces=NS) == "2010"


def test_the_workbook_has_the_months_invoices_payments_unpaid_and_refunds(payments):
    a_month(payments)
    book = openpyxl.load_workbook(io.BytesIO(export(payments, "2026-11", "xlsx")))
    assert book.sheetnames == ["Faktury", "Platby", "Nezaplacené", "Vratky"]

    invoices = rows_of(book["Faktury"])
    assert [row[0] for row in invoices] == ["FV-2026-0001", "FV-2026-0002", "FV-2026-0003", "FV-2026-0004",
                                            "FV-2026-0005", "OD-2026-0001", "OD-2026-0002", "Celkem"]
    assert invoices[5][1:3] == ["dobropis", "FV-2026-0003"]
    assert invoices[0][3] == datetime(2026, 11, 27) and invoices[0][7] == "Obec Dolní Lhota"
    assert decimal(invoices[5][13]) == Decimal("-900.00") and decimal(invoices[-1][13]) == Decimal("2700.00")

    paid = rows_of(book["Platby"])
    assert [(row[2], row[3], row[9]) for row in paid[:-2]] == [
        ("1000000041", "převodem (výpis GPC)", "ano"), ("1000000044", "převodem (výpis GPC)", "ano"),
        ("1000000046", "převodem (výpis GPC)", "ano"), ("1000000042", "hotově", "ne (pokladna)")]
    assert paid[0][7] == "FV-2026-0001" and paid[0][8] == "Věra Průchová"
    assert paid[2][5] == FORMULA and book["Platby"]["F4"].data_type == "s"  # text, never a live formula
    assert [(row[0], decimal(row[1])) for row in paid[-2:]] == [
        (accounting.BANK_TOTAL, Decimal("2700.00")), (accounting.OTHER_TOTAL, Decimal("900.00"))]

    unpaid = rows_of(book["Nezaplacené"])
    assert [row[0] for row in unpaid] == ["FV-2026-0005", "Celkem"]  # 0003 was credited, the others paid
    assert decimal(unpaid[0][7]) == Decimal("900.00") and unpaid[0][8] == "nezaplaceno"

    refunds = rows_of(book["Vratky"])
    assert [(row[1], row[4], decimal(row[5]), row[7]) for row in refunds[:-1]] == [
        ("Věra Průchová", "1000000044", Decimal("900.00"), "ne")]
    assert refunds[0][6] == "Zrušená zaplacená přihláška"


def test_the_zip_holds_each_isdoc_of_the_month_valid_against_the_isdoc_schema(payments, isdoc_schema):
    a_month(payments)
    archive = zipfile.ZipFile(io.BytesIO(export(payments, "2026-11", "isdoc")))
    assert archive.namelist() == [f"FV-2026-000{n}.isdoc" for n in range(1, 6)] + [
        "OD-2026-0001.isdoc", "OD-2026-0002.isdoc"]
    for name in archive.namelist():
        document = etree.fromstring(archive.read(name))
        assert isdoc_schema.validate(document), (name, isdoc_schema.error_log.filter_from_errors())
        assert document.findtext(f"{ISDOC}ID") == name.removesuffix(".isdoc")
    assert archive.read("FV-2026-0001.isdoc") == base64.b64decode(payments.invoice_isdoc("FV-2026-0001")["data"])


@pytest.mark.parametrize("vat_payer", [False, True], ids=["no-vat-payer", "vat-payer"])
def test_the_money_in_the_data_pack_the_workbook_and_the_isdocs_agrees(payments, vat_payer):
    if vat_payer:
        payments.config.update(VAT_PAYER=True, VAT_RATE=21, ORGANISER_DIC="CZ25278754")
    a_month(payments)
    overview = payments.accounting_overview("2026-11")["totals"]

    pack = etree.fromstring(export(payments, "2026-11", "pohoda"))
    pack_documents = sum(Decimal(e.text) for e in pack.xpath(
        "//inv:invoiceSummary/inv:homeCurrency/typ:priceNone | //inv:invoiceSummary/inv:homeCurrency/typ:priceLowSum"
        " | //inv:invoiceSummary/inv:homeCurrency/typ:priceHighSum", namespaces=NS))
    pack_items = sum(Decimal(e.text) for e in pack.xpath("//inv:invoiceItem/inv:homeCurrency/typ:priceSum",
                                                         namespaces=NS))
    pack_bank = sum(Decimal(b.findtext("bnk:bankSummary/bnk:homeCurrency/typ:priceNone", namespaces=NS))
                    * (1 if b.findtext("bnk:bankHeader/bnk:bankType", namespaces=NS) == "receipt" else -1)
                    for b in pack.findall("dat:dataPackItem/bnk:bank", NS))

    book = openpyxl.load_workbook(io.BytesIO(export(payments, "2026-11", "xlsx")))
    *invoice_rows, invoice_total = rows_of(book["Faktury"])
    book_documents = sum(decimal(row[13]) for row in invoice_rows)
    book_bases = sum(decimal(row[11]) + decimal(row[12]) for row in invoice_rows)
    *payment_rows, bank_total, _ = rows_of(book["Platby"])
    book_bank = sum(decimal(row[1]) for row in payment_rows if row[9] == "ano")

    archive = zipfile.ZipFile(io.BytesIO(export(payments, "2026-11", "isdoc")))
    isdoc_documents = Decimal(0)
    for name in archive.namelist():
        document = etree.fromstring(archive.read(name))
        sign = -1 if document.findtext(f"{ISDOC}DocumentType") == "2" else 1  # a credit note takes back
        isdoc_documents += sign * Decimal(document.findtext(f"{ISDOC}LegalMonetaryTotal/{ISDOC}TaxInclusiveAmount"))

    expected = Decimal(overview["documents"]) / 100
    assert expected == Decimal("2700.00")
    assert pack_documents == pack_items == book_documents == book_bases == decimal(invoice_total[13]) \
        == isdoc_documents == expected
    assert pack_bank == book_bank == decimal(bank_total[1]) == Decimal(overview["bank"]) / 100 == Decimal("2700.00")
    assert overview["other"] == 90000 and overview["unpaid"] == 90000 and overview["refunds"] == 90000
    assert overview["counts"] == {"invoices": 5, "credit_notes": 2, "bank": 3, "other": 1, "unpaid": 1,
                                  "refunds": 1}


def test_a_month_with_nothing_has_an_empty_workbook_and_zip_and_no_data_pack(payments, pohoda_schema):
    a_month(payments)
    overview = payments.accounting_overview("2026-10")
    assert overview["name"] == "říjen 2026" and overview["pohoda"] is False
    assert overview["totals"]["documents"] == 0 and overview["totals"]["counts"]["invoices"] == 0
    with pytest.raises(Conflict) as refused:
        payments.accounting_export("2026-10", "pohoda")
    assert refused.value.code == "nothing_to_import"
    assert refused.value.message.startswith("Za říjen 2026 není co importovat do Pohody")
    book = openpyxl.load_workbook(io.BytesIO(export(payments, "2026-10", "xlsx")))
    assert [[row[0] for row in rows_of(book[name])] for name in book.sheetnames] == [
        ["Celkem"], [accounting.BANK_TOTAL, accounting.OTHER_TOTAL], ["Celkem"], ["Celkem"]]
    assert zipfile.ZipFile(io.BytesIO(export(payments, "2026-10", "isdoc"))).namelist() == []
    # Why there is no empty data pack: Stormware's schema wants at least one item in it.
    empty = etree.fromstring(f'<dat:dataPack xmlns:dat="{accounting.DAT}" version="2.0" id="SMOPK-2026-10" '
                             f'application="SMOPK" note="nic"/>'.encode())
    assert not pohoda_schema.validate(empty)


@pytest.mark.parametrize("month", ["2026-13", "listopad", "", None, "1999-12", "2026/11/01", 202611])
def test_a_month_that_is_none_is_refused_in_czech(payments, month):
    with pytest.raises(ValidationError) as refused:
        payments.accounting_export(month, "xlsx")
    assert refused.value.message == "Měsíc zadejte jako rok a měsíc, například 2028-04 (roky 2000 až 2099)."
    with pytest.raises(ValidationError):
        payments.accounting_overview(month)


def test_an_unknown_format_is_refused_in_czech(payments):
    with pytest.raises(ValidationError) as refused:
        payments.accounting_export("2026-11", "pdf")
    assert refused.value.message.startswith("Formát je pohoda (XML pro Pohodu), xlsx (tabulka) nebo isdoc")


def test_a_month_is_read_as_people_type_it():
    assert month_of("2028-04") == month_of(" 4/2028 ") == month_of("4. 2028") == month_of("04 2028") == (2028, 4)
    assert [month_of(text) for text in ("2028-00", "13/2028", "2100-01", "duben", "28-04")] == [None] * 5
