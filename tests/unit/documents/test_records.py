"""The training record and the annual report as PDFs, read back with pdftotext."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from nameko.testing.services import worker_factory

from services.common.errors import ValidationError
from services.documents import certificates, charts, store
from services.documents.pool import Renderer
from services.documents.service import DocumentsService
from services.registrations import records
from tests.helpers import pdf_text
from tests.unit.documents.test_sheets_and_certificates import check_pdf, pdf

NOW = datetime(2027, 1, 15, 10, 0, tzinfo=UTC)
T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
PLZEN, CHOTESOV = "00075370", "00257206"


def row(n, first, last, email, event_id, day, accreditation=None, hours=6, ico=PLZEN, name="Statutární město Plzeň"):
    starts = T0 + timedelta(days=day)
    return {"registration_id": n, "status": "confirmed", "first_name": first, "last_name": last, "email": email,
            "organisation_ico": ico, "organisation_name": name, "attended_at": starts + timedelta(hours=5),
            "event_id": event_id, "title": f"Program {event_id}" if accreditation else f"Setkání {event_id}",
            "kind": "training" if accreditation else "good_practice", "topic": "stavební právo",
            "lecturer": "JUDr. Řehoř", "venue": "Plzeň", "starts_at": starts, "ends_at": starts + timedelta(hours=6),
            "accreditation_number": accreditation, "hours": hours}


RECORD = dict(records.training_record([
    row(1, "Jana", "Šťastná", "jana@plzen.example", 1, 0, "AK/PV-1/2026", 6),
    row(2, "Jana", "Šťastná", "jana@plzen.example", 2, 40, "AK/PV-2/2026", 4),
    row(3, "Jana", "Šťastná", "jana@plzen.example", 3, 60),
    row(4, "Petr", "Čermák", "petr@plzen.example", 1, 0, "AK/PV-1/2026", 6),
    row(5, "<b>Eva</b>", "Cibulková", "eva@plzen.example", 2, 40, "AK/PV-2/2026", 4),
], {}), organisation={"ico": PLZEN, "name": "Statutární město Plzeň", "district": "Plzeň-město"}, year=2026)


class Registrations:
    def __init__(self, report=None):
        self.report = report

    def annual_report(self, year):
        return dict(self.report, year=int(year))


@pytest.fixture
def documents(executor, make_database):
    def make(report=None):
        return worker_factory(DocumentsService, renderer=Renderer(executor), registrations=Registrations(report),
                              db=make_database("documents", store.metadata), clock=lambda: NOW,
                              config={"ORGANISER_NAME": "Sdružení měst a obcí Plzeňského kraje"})
    return make


def words(text):
    return " ".join(text.split())


def test_the_organisations_record_names_people_hours_and_certificate_numbers(documents, tmp_path):
    service = documents()
    for registration_id in (4, 1):  # issued as the emails went out
        certificates.issue(service.db, lambda: NOW, registration_id)
    assert service.certificate_numbers([1, 2, 4, 99]) == [{"registration_id": 1, "number": "2027/0002"},
                                                          {"registration_id": 4, "number": "2027/0001"}]
    answer = service.render_training_record(RECORD)
    assert answer["filename"] == f"evidence-vzdelavani-{PLZEN}-2026.pdf"
    data = pdf(answer)
    check_pdf(data, tmp_path)
    text = words(pdf_text(data))
    assert "Evidence vzdělávání úředníků: Statutární město Plzeň" in text
    assert "IČO 00075370" in text and "okres Plzeň-město" in text and "akce v roce 2026" in text
    # people in Czech order: Cibulková, Čermák, Šťastná
    assert text.index("Cibulková <b>Eva</b>") < text.index("Čermák Petr") < text.index("Šťastná Jana")
    jana = text[text.index("Šťastná Jana"):]
    assert "akreditované hodiny celkem: 10" in jana
    assert "10. 3. 2026 Program 1 AK/PV-1/2026 6 2027/0002" in jana
    assert "19. 4. 2026 Program 2 AK/PV-2/2026 4 dosud nevydáno" in jana
    assert "Další akce bez akreditace" in jana and "Setkání 3 setkání dobré praxe" in jana
    assert "2027/0001" in text[text.index("Čermák Petr"):text.index("Šťastná Jana")]
    assert "Účasti na akreditovaných programech: 4, hodin celkem: 20." in text


def test_a_persons_record_and_a_bad_record(documents):
    service = documents()
    person = dict(records.training_record([row(1, "Jana", "Šťastná", "jana@plzen.example", 1, 0, "AK/1", 6)], {}),
                  email="jana@plzen.example")
    answer = service.render_training_record(person)
    text = words(pdf_text(pdf(answer)))
    assert answer["filename"] == "evidence-vzdelavani-osobni.pdf"
    assert "Evidence vzdělávání: jana@plzen.example" in text and "AK/1 6 dosud nevydáno" in text
    with pytest.raises(ValidationError):
        service.render_training_record({"lidé": []})


def test_the_annual_report_has_its_figures_and_charts(documents, tmp_path):
    events = [{"id": 1, "title": "Stavební zákon", "kind": "training", "topic": "stavební právo",
               "status": "published", "starts_at": T0, "ends_at": T0 + timedelta(hours=6),
               "accreditation_number": "AK/PV-1/2026", "hours": 6},
              {"id": 2, "title": "GDPR v obci", "kind": "seminar", "topic": "GDPR", "status": "published",
               "starts_at": T0 + timedelta(days=9), "ends_at": T0 + timedelta(days=9, hours=3),
               "accreditation_number": None, "hours": 3}]
    facts = ([{"event_id": 1, "status": "confirmed", "attended_at": T0, "is_member": True, "organisation_ico": PLZEN,
               "organisation_name": None}] * 3
             + [{"event_id": 1, "status": "confirmed", "attended_at": None, "is_member": True,
                 "organisation_ico": PLZEN, "organisation_name": None}]
             + [{"event_id": 2, "status": "confirmed", "attended_at": T0, "is_member": False,
                 "organisation_ico": CHOTESOV, "organisation_name": "Obec Chotěšov"}] * 2)
    report = records.annual_report(2026, events, facts, {
        PLZEN: {"name": "Statutární město Plzeň", "district": "Plzeň-město"},
        CHOTESOV: {"name": "Obec Chotěšov", "district": "Plzeň-jih"}}, NOW)
    answer = documents(report).render_annual_report(2026)
    assert answer["filename"] == "vyrocni-zprava-2026.pdf"
    data = pdf(answer)
    check_pdf(data, tmp_path)
    text = words(pdf_text(data))
    for heading in ("Výroční zpráva o vzdělávacích akcích za rok 2026", "Akce podle druhu", "Akce podle tématu",
                    "Přihlášky a účast", "Členové a nečlenové", "Účastníci podle okresu",
                    "Účastníci podle organizace", "Akreditované vzdělávání"):
        assert heading in text
    assert "Akce v roce (bez zrušených) 2" in text and "Přihlášky celkem 6" in text
    assert "Míra účasti (zúčastnění / potvrzení) 83,3 %" in text
    assert "Účastníci z členských organizací 3" in text and "Účastníci z ostatních organizací 2" in text
    assert "10. 3. 2026 Stavební zákon AK/PV-1/2026 6 3 18" in text
    assert "Osobohodiny akreditovaného vzdělávání (hodiny programu × účastníci): 18." in text
    assert "Odučené akreditované hodiny (součet hodin konaných programů): 6." in text
    assert "Účastníci konaných akcí (potvrzená účast) 5" in text and "Konané akce (už skončily) 2" in text
    # the district chart: its labels and values are text drawn by the SVG (districts appear nowhere else)
    districts = text[text.index("Účastníci podle okresu"):text.index("Účastníci podle organizace")]
    assert re.search(r"Plzeň-město 3\b", districts) and re.search(r"Plzeň-jih 2\b", districts)
    kinds = text[text.index("Akce podle druhu"):text.index("Akce podle tématu")]
    assert "seminář 1" in kinds and "školení 1" in kinds


def test_a_chart_escapes_its_labels_and_draws_bars_in_proportion():
    svg = charts.bar_chart([("<script>", 4), ("Obec & spol.", 2), ("prázdná", 0)], "Test")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "Obec &amp; spol." in svg
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[2] == 0
