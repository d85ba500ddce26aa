"""Invoices and credit notes read back from the PDF the way a person's tools would: every item
Czech law asks for (zákon o DPH § 29 and § 45, zákon o účetnictví § 11), and the QR Platba code."""
import base64
import subprocess

import pytest
from nameko.testing.services import worker_factory
from PIL import ImageChops

from services.documents import render, stamp
from services.documents.pool import Renderer, new_timings
from services.documents.service import DocumentsService
from tests.helpers import page_pixels, pdf_text, pdf_words, qr_codes
from tests.unit.payments.test_isdoc import a_credit_note, an_invoice, with_vat


def render_invoice(invoice) -> bytes:
    qr = render.qr_data_uri(invoice["spd"]) if invoice["spd"] else None
    return render.render_pdf("invoice.html", {"invoice": invoice, "qr": qr})


def read_back(pdf: bytes) -> str:
    """The text twice, whitespace collapsed: as laid out, where a label and its value share a
    line, then in reading order, where a name that wraps in its column stays whole."""
    flowing = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(pdf_text(pdf).split()) + "\n" + " ".join(flowing.split())


def page_count(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


EVERY_INVOICE = (
    # the supplier: name, seat, IČO and the register it is entered in
    "Sdružení měst a obcí Plzeňského kraje, z. s.", "Sídlo Kopeckého sady 11, 301 00 Plzeň", "IČO 12345678",
    "zapsaný ve spolkovém rejstříku vedeném Krajským soudem v Plzni, oddíl L, vložka 123",
    # the customer
    "Obec Dolní Lhota", "Sídlo Náves 1, 330 01 Dolní Lhota", "IČO 00257001", "DIČ CZ00257001",
    # the number, the dates, how to pay
    "Evidenční číslo", "FV-2026-0001", "Datum vystavení 29. 11. 2026", "Datum splatnosti 13. 12. 2026",
    "Bankovní účet 19-2000145399/0800", "IBAN CZ65 0800 0000 1920 0014 5399", "BIC (SWIFT) GIBACZPX",
    "Variabilní symbol 1000000042",
    # what was supplied
    "Účastnický poplatek: Veřejné zakázky malého rozsahu (8. 12. 2026) – Jana Nováková",
    "QR Platba",
)


def test_an_invoice_of_a_supplier_that_is_no_vat_payer_has_every_item_the_law_asks_for():
    invoice = an_invoice()
    pdf = render_invoice(invoice)
    text = read_back(pdf)
    assert page_count(pdf) == 1
    for expected in (*EVERY_INVOICE, "Faktura", "Množství Cena za MJ Celkem", "1 900,00 Kč 900,00 Kč",
                     "Dodavatel není plátcem DPH.", "Celkem k úhradě 900,00 Kč"):
        assert expected in text, expected
    assert "daňový doklad" not in text
    assert "zdanitelného plnění" not in text and "27. 11. 2026" not in text
    assert "DIČ CZ12345678" not in text
    assert qr_codes(pdf) == [invoice["spd"]]


def test_an_invoice_of_a_vat_payer_is_a_tax_document_with_the_tax_per_line_and_rate():
    invoice = with_vat(an_invoice())
    pdf = render_invoice(invoice)
    text = read_back(pdf)
    assert page_count(pdf) == 1
    for expected in (*EVERY_INVOICE, "Faktura – daňový doklad", "DIČ CZ12345678",
                     "Datum uskutečnění zdanitelného plnění", "27. 11. 2026", "Petr Šťastný-Řeháček",
                     "1 743,80 Kč 21 % 743,80 Kč 156,20 Kč 900,00 Kč",
                     "REKAPITULACE DPH", "21 % 1 487,60 Kč 312,40 Kč 1 800,00 Kč", "Celkem k úhradě 1 800,00 Kč"):
        assert expected in text, expected
    assert "není plátcem" not in text
    assert qr_codes(pdf) == [invoice["spd"]]


@pytest.mark.parametrize("vat_payer, title", [(False, "Opravný doklad"), (True, "Opravný daňový doklad")])
def test_a_credit_note_names_the_invoice_it_corrects_and_why_and_asks_for_no_payment(vat_payer, title):
    credit_note = with_vat(a_credit_note()) if vat_payer else a_credit_note()
    pdf = render_invoice(credit_note)
    text = read_back(pdf)
    assert page_count(pdf) == 1
    total = "−1 800,00 Kč" if vat_payer else "−900,00 Kč"
    for expected in (title, "Evidenční číslo", "OD-2026-0001", "Opravuje fakturu č. FV-2026-0001 ze dne 20. 11. 2026.",
                     "Důvod opravy: Zrušení přihlášky", "Obec Dolní Lhota", "IČO 00257001", "IČO 12345678",
                     "Datum vystavení 29. 11. 2026", f"Celkem k úhradě {total}"):
        assert expected in text, expected
    if vat_payer:  # the differences of base and tax, as § 45 of the VAT act asks
        for expected in ("−743,80 Kč", "−156,20 Kč", "Rozdíl základu daně a daně oproti opravované faktuře",
                         "21 % −1 487,60 Kč −312,40 Kč −1 800,00 Kč"):
            assert expected in text, expected
    assert "Faktura" not in text
    assert "QR Platba" not in text
    assert qr_codes(pdf) == []


def test_a_paid_invoice_has_no_qr_code():
    pdf = render_invoice(an_invoice(spd=None))
    assert "QR Platba" not in read_back(pdf)
    assert qr_codes(pdf) == []


def test_typed_markup_prints_as_text():
    name = '<script>alert("x")</script> Obec Horní & Dolní Lhota'
    invoice = an_invoice(customer=dict(an_invoice()["customer"], name=name, address=None, ico=None, dic=None))
    text = read_back(render_invoice(invoice))
    assert name in text


class InProcessRenderer:
    """Stands in for the render pool: renders in the test's own process, and keeps what it was given."""

    def __init__(self):
        self.calls = []

    def stamped(self, kind, document):
        self.calls.append((kind, document))
        return stamp.render_document(kind, document)[0]


@pytest.mark.parametrize("invoice, filename, has_qr", [
    (an_invoice(), "faktura-FV-2026-0001.pdf", True),
    (a_credit_note(), "opravny-doklad-OD-2026-0001.pdf", False),
])
def test_the_service_names_the_file_by_the_document_number(invoice, filename, has_qr):
    renderer = InProcessRenderer()
    documents = worker_factory(DocumentsService, renderer=renderer)
    answer = documents.render_invoice(invoice)
    assert answer["filename"] == filename
    assert answer["content_type"] == "application/pdf"
    assert invoice["number"] in read_back(base64.b64decode(answer["data"]))
    [(kind, document)] = renderer.calls
    assert kind == "invoice" and document == invoice
    assert bool(qr_codes(base64.b64decode(answer["data"]))) == has_qr


# Stamped: an invoice of a supplier that is no VAT payer is drawn over its base page (stamp.py) in
# the render pool; it reads, prints and scans as the invoice rendered in full.

@pytest.fixture
def documents(executor):
    return worker_factory(DocumentsService, renderer=Renderer(executor, new_timings()))


def served(documents, invoice):
    """The invoice as the service answers it, and the way it was made."""
    before = documents.renderer.timings
    pdf = base64.b64decode(documents.render_invoice(invoice)["data"])
    after = documents.renderer.timings
    [way] = [way for way in (stamp.STAMPED, stamp.FULL) if after[way] == before[way] + 1]
    return pdf, way


def a_group_invoice():
    names = ("Jana Nováková", "Petr Šťastný-Řeháček", "Bohuslava Kristýna Řehořová-Šťastná")
    return an_invoice(
        number="FV-2026-0107", variable_symbol="1000000107", issued_on="2026-12-01", due_on="2026-12-15",
        customer={"name": "Základní škola a mateřská škola Horní Bříza, příspěvková organizace",
                  "address": "Třída 1. máje 1084, 330 12 Horní Bříza", "ico": "70991111", "dic": None,
                  "email": None},
        items=[dict(an_invoice()["items"][0], description=f"Účastnický poplatek: Veřejné zakázky malého rozsahu "
                    f"(8. 12. 2026) – {name}", unit_price_halere=120000, total_halere=120000) for name in names],
        total_halere=360000, spd=an_invoice()["spd"].replace("900.00", "3600.00").replace("42", "107"))


STAMPED_INVOICES = [
    an_invoice(),
    a_group_invoice(),
    an_invoice(number="FV-2026-0002", spd=None, customer={"name": "Jana Nováková", "address": None, "ico": None,
                                                          "dic": None, "email": None}),
]


@pytest.mark.parametrize("invoice", STAMPED_INVOICES, ids=["one-participant", "group", "private-customer"])
def test_a_stamped_invoice_reads_and_scans_as_the_invoice_rendered_in_full(documents, executor, invoice):
    pdf, way = served(documents, invoice)
    full = executor.submit(stamp.full_invoice, invoice).result()
    assert way == stamp.STAMPED
    assert pdf_text(pdf) == pdf_text(full)
    assert pdf_words(pdf) == pdf_words(full)  # each word where it was, as large
    assert sum(ImageChops.difference(page_pixels(pdf), page_pixels(full)).histogram()[96:]) == 0
    assert qr_codes(pdf, resolution=100) == ([invoice["spd"]] if invoice["spd"] else [])
    assert page_count(pdf) == 1
    assert pdf_title(pdf) == f"Faktura {invoice['number']}"
    text = read_back(pdf)
    for expected in (invoice["number"], "Datum vystavení", "Variabilní symbol " + invoice["variable_symbol"],
                     "Dodavatel není plátcem DPH.", *(item["description"] for item in invoice["items"])):
        assert expected in text, expected


def test_the_stamped_invoice_has_every_item_the_law_asks_for(documents):
    invoice = an_invoice()
    pdf, way = served(documents, invoice)
    text = read_back(pdf)
    assert way == stamp.STAMPED
    for expected in (*EVERY_INVOICE, "Faktura", "Množství Cena za MJ Celkem", "1 900,00 Kč 900,00 Kč",
                     "Dodavatel není plátcem DPH.", "Celkem k úhradě 900,00 Kč"):
        assert expected in text, expected


@pytest.mark.parametrize("invoice", [with_vat(an_invoice()), a_credit_note(), with_vat(a_credit_note())],
                         ids=["vat-invoice", "credit-note", "vat-credit-note"])
def test_tax_documents_and_credit_notes_are_rendered_in_full(documents, invoice):
    pdf, way = served(documents, invoice)
    assert way == stamp.FULL
    assert invoice["number"] in read_back(pdf)


def test_an_invoice_whose_item_runs_over_four_lines_is_rendered_in_full_and_reads_right(documents):
    description = "Účastnický poplatek: " + ", ".join(["Veřejné zakázky malého rozsahu v obcích"] * 8)
    invoice = an_invoice(items=[dict(an_invoice()["items"][0], description=description)])
    pdf, way = served(documents, invoice)
    assert way == stamp.FULL
    assert "".join(description.split()) in "".join(read_back(pdf).split("\n")[1].split())


def pdf_title(pdf: bytes) -> str:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("Title:"))
