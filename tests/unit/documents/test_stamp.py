"""Tickets stamped on their event's base page read, print and scan as the tickets rendered in full;
a value the stamp cannot promise to draw the same way makes that ticket a full render."""
import base64
import re

import pytest
from nameko.testing.services import worker_factory
from PIL import ImageChops

from services.common.signing import ticket_code
from services.documents import stamp
from services.documents.pool import Renderer, new_timings
from services.documents.service import DocumentsService
from tests.helpers import page_pixels, pdf_flowing_text, pdf_text, pdf_words, qr_codes
from tests.unit.documents.test_ticket import KEY, LONG_SPD

ORGANISER = "Sdružení měst a obcí Plzeňského kraje"


@pytest.fixture
def documents(executor):
    return worker_factory(DocumentsService, renderer=Renderer(executor, new_timings()),
                          config={"ORGANISER_NAME": ORGANISER})


EVENT = {"id": 7, "title": "Účetnictví obcí 2027", "kind": "training", "venue": "Rokycany, Masarykovo nám. 1",
         "lecturer": "Ing. Žaneta Čermáková", "starts_at": "2026-12-08T09:00:00+01:00",
         "ends_at": "2026-12-08T15:00:00+01:00", "seats_left": 12, "topic": "účetnictví"}


def payload(number, first_name, last_name, organisation_name=None, position=None, pay=None, event=None):
    registration = {"id": number, "first_name": first_name, "last_name": last_name,
                    "organisation_name": organisation_name, "position": position, "price": 1200,
                    "is_member": organisation_name is not None, "ticket_code": ticket_code(KEY, number),
                    "manage_url": f"https://akce.example/r/{number}-Zx8kQ", "email": f"n{number}@example.cz",
                    "payment": pay, "paid_at": None}
    return {"registration": registration, "event": dict(event or EVENT, seats_left=100 - number)}


def payment(number, spd=LONG_SPD, amount=150000):
    return {"outstanding_halere": amount, "account": "19-2000145399/0800", "iban": "CZ6508000000192000145399",
            "variable_symbol": str(1000000000 + number), "due_on": "2026-12-08", "spd": spd}


def letters(text):
    """Text without spaces and hyphens: a value broken into lines reads back whole (pdftotext joins
    "Nováková-" and "Procházková" of the next line into "NovákováProcházková")."""
    return re.sub(r"[\s-]", "", text)


def ticket_of(data):
    """What render_ticket hands the pool: the full render's ticket of the same payload."""
    registration = data["registration"]
    return {"registration": registration, "event": data["event"], "payment": registration["payment"],
            "organiser": ORGANISER}


def rendered(documents, data):
    """The ticket as the service answers it, and the way it was made."""
    before = documents.renderer.timings
    pdf = base64.b64decode(documents.render_ticket(data)["data"])
    after = documents.renderer.timings
    [way] = [way for way in (stamp.STAMPED, stamp.FULL) if after[way] == before[way] + 1]
    return pdf, way


PEOPLE = [
    payload(1, "Jan", "Su"),
    payload(2, "Bohuslava", "Řehořová-Šťastná", "Městský úřad Horšovský Týn", "vedoucí odboru"),
    payload(3, "Ďárek", "Ťukal", position="účetní"),
    payload(4, "Filip", "Šafflová", "Obec Ůhořelice"),
    payload(5, "Łukasz", "Żółć-Gősz", "Gmina Čeljabinsk", "skarbnik", pay=payment(5)),
    payload(6, "Ó", "Ňa", pay=payment(6, spd="SPD*1.0*ACC:CZ6508000000192000145399*AM:900.00*CC:CZK*X-VS:1000000006",
                                      amount=90050)),
    # names and organisations on two and three lines, broken where the full render breaks them
    payload(7, "Bohuslava Kristýna", "Řehořová-Šťastná", "Městský úřad Horšovský Týn", "vedoucí odboru"),
    payload(8, "Maximiliána Bohuslava Kristýna", "Šťastná-Řeháčková-Dvořáková-Procházková-Nováková",
            "Svazek obcí pro nakládání s odpady a rozvoj cestovního ruchu mikroregionu Horní Berounka",
            pay=payment(8)),
]


@pytest.mark.parametrize("data", PEOPLE, ids=[p["registration"]["last_name"] for p in PEOPLE])
def test_a_stamped_ticket_reads_and_scans_as_the_ticket_rendered_in_full(documents, executor, data):
    stamped, way = rendered(documents, data)
    full = executor.submit(stamp.full_ticket, ticket_of(data)).result()
    assert way == stamp.STAMPED
    assert pdf_text(stamped) == pdf_text(full)
    assert pdf_words(stamped) == pdf_words(full)  # each word where it was, as large
    registration = data["registration"]
    expected = sorted([registration["ticket_code"]] + ([registration["payment"]["spd"]] if registration["payment"]
                                                       else []))
    assert sorted(qr_codes(stamped, resolution=100)) == expected
    assert sorted(qr_codes(stamped)) == expected
    # printed, no pixel is more than a shade off (a letter or a module a tenth of a pixel aside is)
    difference = ImageChops.difference(page_pixels(stamped), page_pixels(full))
    assert sum(difference.histogram()[96:]) == 0
    text = letters(pdf_flowing_text(stamped))
    for value in (f"{registration['first_name']} {registration['last_name']}", registration["manage_url"],
                  registration["organisation_name"] or "Účastník", registration["position"] or "Místo"):
        assert letters(value) in text


def test_a_new_time_of_the_event_is_a_new_base_with_the_new_time(documents):
    before, way = rendered(documents, payload(11, "Jana", "Malá"))
    assert way == stamp.STAMPED and "út 8. 12. 2026 v 9:00 – 15:00" in pdf_text(before)
    moved = dict(EVENT, starts_at="2026-12-09T10:30:00+01:00", ends_at="2026-12-09T16:00:00+01:00",
                 venue="Plzeň, Kopeckého sady 11")
    after, way = rendered(documents, payload(12, "Petr", "Malý", event=moved))
    text = pdf_text(after)
    assert way == stamp.STAMPED
    assert "st 9. 12. 2026 v 10:30 – 16:00" in text and "Plzeň, Kopeckého sady 11" in text
    assert "9:00" not in text and "Rokycany" not in text and "Jana" not in text
    # and the event's other tickets keep their own base
    again, _ = rendered(documents, payload(13, "Eva", "Malá"))
    assert "út 8. 12. 2026 v 9:00 – 15:00" in pdf_text(again) and "Eva Malá" in pdf_text(again)


@pytest.mark.parametrize("first_name, last_name", [
    ("Maximiliána Bohuslava Kristýna Marie Terezie Anna", "Šťastná-Řeháčková-Dvořáková-Procházková-Nováková-"
     "Svobodová-Novotná-Černá-Veselá-Horáková-Němcová-Marková-Pokorná"),  # more lines than a base has
    ("Jan", "Novák-" + "Ř" * 40),  # a word wider than its box
    ("Nguyễn Thị", "Ánh"),  # a DejaVu glyph the base does not carry
    ("Wang", "王"),  # no glyph in DejaVu: another font
    ("Jose\u0301", "Dvořák"),  # a combining accent
])
def test_a_value_the_stamp_cannot_promise_makes_a_full_render_that_reads_right(documents, first_name, last_name):
    data = payload(21, first_name, last_name, "Obec Dolní Lhota", pay=payment(21))
    pdf, way = rendered(documents, data)
    assert way == stamp.FULL
    assert letters(f"{first_name} {last_name}") in letters(pdf_flowing_text(pdf))
    assert sorted(qr_codes(pdf, resolution=100)) == sorted([LONG_SPD, ticket_code(KEY, 21)])


def test_an_empty_value_makes_a_full_render(documents):
    pdf, way = rendered(documents, payload(22, "Jan", "Novák", position="   "))
    assert way == stamp.FULL
    assert "Jan Novák" in pdf_text(pdf) and "Pozice" in pdf_text(pdf)


def test_spaces_are_laid_out_as_the_full_render_lays_them_out(documents, executor):
    data = payload(23, "  Anna   Marie ", " Nová  ", " Obec  Lhota ")
    stamped, way = rendered(documents, data)
    assert way == stamp.STAMPED
    assert pdf_words(stamped) == pdf_words(executor.submit(stamp.full_ticket, ticket_of(data)).result())
    assert "Anna Marie Nová" in pdf_text(stamped)


def test_a_batch_of_documents_comes_in_one_call_each_as_it_would_alone_and_a_bad_one_fails_alone(documents):
    """notifications' batches ask for their tickets and invoices together (``render_documents``):
    each comes back in its place as ``render_ticket`` or ``render_invoice`` answer it alone; one
    that cannot be made is an error in its own place, and the others are made."""
    from tests.unit.payments.test_isdoc import an_invoice

    broken = payload(9, "Jan", "Zlý", event=dict(EVENT, starts_at="zítra ráno"))  # no moment: no ticket
    invoice = an_invoice()
    requests = [{"ticket": PEOPLE[1]}, {"invoice": invoice}, {"ticket": broken}, {"ticket": PEOPLE[4]}]
    before = documents.renderer.timings
    answers = documents.render_documents(requests)
    after = documents.renderer.timings
    assert after["count"] - before["count"] == 4 and after[stamp.STAMPED] - before[stamp.STAMPED] == 3
    assert [sorted(answer) for answer in answers] == [["content_type", "data", "filename"]] * 2 + [["error"]] + [
        ["content_type", "data", "filename"]]
    assert "zítra ráno" in answers[2]["error"]
    alone = [documents.render_ticket(PEOPLE[1]), documents.render_invoice(invoice), None,
             documents.render_ticket(PEOPLE[4])]
    for answer, single in zip(answers, alone, strict=True):
        if single is not None:
            assert answer["filename"] == single["filename"]
            assert pdf_text(base64.b64decode(answer["data"])) == pdf_text(base64.b64decode(single["data"]))
    assert [answer.get("filename") for answer in answers] == [
        "vstupenka-2.pdf", "faktura-FV-2026-0001.pdf", None, "vstupenka-5.pdf"]
    ticket = base64.b64decode(answers[3]["data"])
    assert "Żółć-Gősz" in pdf_text(ticket)
    assert sorted(qr_codes(ticket)) == sorted([PEOPLE[4]["registration"]["ticket_code"], LONG_SPD])
    assert documents.render_documents([]) == []
    # a ticket with no registration at all: its error in its place, before anything is rendered
    [made, unasked] = documents.render_documents([{"ticket": PEOPLE[0]}, {"ticket": {"event": EVENT}}])
    assert made["filename"] == "vstupenka-1.pdf" and unasked == {"error": "KeyError: 'registration'"}


@pytest.mark.parametrize("requests", ["vstupenky", [{"ticket": PEOPLE[0], "invoice": {}}], [{"certificate": 1}],
                                      [["ticket"]]])
def test_a_batch_that_is_not_a_list_of_tickets_and_invoices_is_refused_in_czech(documents, requests):
    from services.common.errors import ValidationError

    with pytest.raises(ValidationError) as refused:
        documents.render_documents(requests)
    assert refused.value.args[0] == {"requests": "Očekávám seznam vstupenek a faktur."}


def test_a_render_worker_warms_up_on_a_sample_ticket_and_invoice_both_stamped(monkeypatch, caplog):
    """A worker as it starts stamps a sample ticket (with the payment box) and a sample invoice:
    both stamped, not rendered in full, and reading as the samples; the faces of each template's
    values learned for its first real base; the samples' bases let go."""
    from collections import OrderedDict

    monkeypatch.setattr(stamp, "_faces", {})
    monkeypatch.setattr(stamp, "_BASES", OrderedDict())
    made = []
    render_document = stamp.render_document

    def kept(kind, document):
        made.append((kind, *render_document(kind, document)))
        return made[-1][1:]
    monkeypatch.setattr(stamp, "render_document", kept)
    with caplog.at_level("WARNING"):
        stamp.warm_up()
    assert [(kind, way) for kind, _, way in made] == [("ticket", stamp.STAMPED), ("invoice", stamp.STAMPED)]
    assert "warming up" not in caplog.text
    ticket, invoice = (pdf_flowing_text(data) for _, data, _ in made)
    assert "Jiří Šťastný" in ticket and "1000000001" in ticket and "FV-2026-0001" in invoice
    assert set(stamp._faces) == {"ticket.html", "invoice.html"} and not stamp._BASES
