"""The ticket PDF read back with the tools a person would use."""
import base64
import socket
import subprocess
import threading

import pytest
from nameko.testing.services import worker_factory

from services.common.signing import ticket_code, verify_ticket_code
from services.documents.pool import Renderer
from services.documents.service import DocumentsService
from tests.helpers import pdf_text, photographed_qr_codes, qr_codes

KEY = b"unit-test-key"


@pytest.fixture
def documents(executor):
    return worker_factory(DocumentsService, renderer=Renderer(executor),
                          config={"ORGANISER_NAME": "Sdružení měst a obcí Plzeňského kraje"})


def payload(**registration):
    values = {"id": 42, "first_name": "Jiří", "last_name": "Šťastný-Řeháček", "organisation_name": "Město Dobřany",
              "position": "účetní", "price": 1200, "is_member": False, "ticket_code": ticket_code(KEY, 42),
              "manage_url": "https://akce.example/r/abc"}
    values.update(registration)
    return {"registration": values, "event": {
        "title": "Účetnictví obcí 2027", "kind": "training", "venue": "Rokycany, Masarykovo nám. 1",
        "lecturer": "Ing. Žaneta Čermáková", "starts_at": "2026-12-08T09:00:00+01:00",
        "ends_at": "2026-12-08T15:00:00+01:00"}}


def render(documents, data):
    answer = documents.render_ticket(data)
    assert answer["content_type"] == "application/pdf"
    return answer, base64.b64decode(answer["data"])


def test_the_ticket_reads_back_in_czech_with_a_qr_code_that_verifies(documents, tmp_path):
    answer, pdf = render(documents, payload())
    assert answer["filename"] == "vstupenka-42.pdf"
    text = pdf_text(pdf)
    for expected in ("Jiří Šťastný-Řeháček", "Účetnictví obcí 2027", "ŠKOLENÍ", "út 8. 12. 2026 v 9:00 – 15:00",
                     "Rokycany, Masarykovo nám. 1", "Ing. Žaneta Čermáková", "Město Dobřany", "účetní",
                     "1 200 Kč", "42"):
        assert expected in text, expected
    [code] = qr_codes(pdf, resolution=100)
    assert verify_ticket_code(KEY, code) == 42

    path = tmp_path / "ticket.pdf"
    path.write_bytes(pdf)
    subprocess.run(["qpdf", "--check", str(path)], check=True, capture_output=True)
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    font_rows = fonts.splitlines()[2:]
    assert font_rows and all(row.split()[-5] == "yes" for row in font_rows)  # the "emb" column


# The longest QR Platba a ticket carries: an account with its BIC, a due date, a message of the
# 60 characters payments allows and a ten-digit variable symbol (version 8 at level M).
LONG_SPD = ("SPD*1.0*ACC:CZ6508000000192000145399+GIBACZPX*AM:1500.00*CC:CZK*DT:20261208"
            "*MSG:1000000001 Ivana Prochazkova Obec Nova Ves u Testu Plzen*X-VS:1000000001")


def unpaid(**registration):
    return payload(payment={"outstanding_halere": 150000, "account": "19-2000145399/0800",
                            "iban": "CZ6508000000192000145399", "variable_symbol": "1000000001",
                            "due_on": "2026-12-08", "spd": LONG_SPD}, **registration)


def test_both_codes_of_an_unpaid_ticket_decode_from_a_page_printed_at_100_dpi(documents):
    _, pdf = render(documents, unpaid())
    assert sorted(qr_codes(pdf, resolution=100)) == sorted([LONG_SPD, ticket_code(KEY, 42)])
    # beside the larger code, each payment detail still reads on one line, its label unbroken
    text = " ".join(pdf_text(pdf).split())
    assert "IBAN CZ6508000000192000145399 Variabilní symbol 1000000001 Splatnost" in text


@pytest.mark.parametrize("blur, angle, quality", [(1.0, 3, 60), (1.2, -5, 50), (0.8, 8, 70)])
def test_both_codes_of_an_unpaid_ticket_decode_from_a_phone_photo_of_the_printout(documents, blur, angle, quality):
    """At 45 mm the QR Platba needed a sharp picture: 0.8 px of blur at 100 dpi lost it."""
    _, pdf = render(documents, unpaid())
    assert sorted(photographed_qr_codes(pdf, resolution=100, blur=blur, angle=angle, quality=quality)) == sorted(
        [LONG_SPD, ticket_code(KEY, 42)])
    assert "1000000001" in pdf_text(pdf) and pdf_text(pdf).count("\f") == 1  # still one page


def test_typed_markup_prints_as_text_and_fetches_nothing(documents):
    contacted = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def accept():
        try:
            connection, _ = listener.accept()
            contacted.append(True)
            connection.close()
        except OSError:
            pass
    threading.Thread(target=accept, daemon=True).start()

    hostile_name = '<img src="file:///etc/passwd">'
    hostile_org = f'<link rel="stylesheet" href="http://127.0.0.1:{port}/">'
    _, pdf = render(documents, payload(first_name=hostile_name, organisation_name=hostile_org,
                                       position=f'<img src="http://127.0.0.1:{port}/x.png">'))
    listener.close()
    text = " ".join(pdf_text(pdf).split())
    assert hostile_name in text
    assert "root:x:0:0" not in text
    assert not contacted


def test_the_renderer_reads_only_its_own_templates_and_data_urls():
    from services.documents.render import TEMPLATES, ForbiddenResource, _local_fetcher

    fetcher = _local_fetcher()
    assert fetcher.fetch(f"file://{TEMPLATES}/base.css").read()
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"
    for url in ("file:///etc/passwd", f"file://{TEMPLATES}/../service.py", "http://127.0.0.1:1/",
                "https://example.org/x.css", "ftp://example.org/x"):
        with pytest.raises(ForbiddenResource):
            fetcher.fetch(url)
