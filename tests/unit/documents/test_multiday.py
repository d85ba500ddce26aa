"""The documents of a multi-day event read back from the PDF: every day on the ticket, a page of
the attendance sheet for each session, the range of days on the certificate."""
import pytest
from nameko.testing.services import worker_factory

from services.documents import store
from services.documents.pool import Renderer
from services.documents.service import DocumentsService
from tests.helpers import pdf_text
from tests.unit.documents.test_sheets_and_certificates import EVENT, NOW, check_pdf, page_count, pdf, person
from tests.unit.documents.test_ticket import payload, render

SESSIONS = [{"starts_at": "2027-03-03T13:00:00+01:00", "ends_at": "2027-03-03T16:30:00+01:00", "title": "Úvod",
             "venue": None},
            {"starts_at": "2027-03-10T13:00:00+01:00", "ends_at": "2027-03-10T16:30:00+01:00", "title": None,
             "venue": None},
            {"starts_at": "2027-03-17T09:00:00+01:00", "ends_at": "2027-03-17T12:00:00+01:00", "title": "Praxe",
             "venue": "Rokycany, sál"}]
SERIES = dict(EVENT, starts_at=SESSIONS[0]["starts_at"], ends_at=SESSIONS[-1]["ends_at"], sessions=SESSIONS)
DAYS = ("st 3. 3. 2027 v 13:00 – 16:30", "st 10. 3. 2027 v 13:00 – 16:30", "st 17. 3. 2027 v 9:00 – 12:00")


class Registrations:
    def __init__(self, people):
        self.people = {p["id"]: dict(p, event=SERIES) for p in people}

    def get_event(self, event_id):
        return SERIES

    def list_registrations(self, event_id, status=None):
        return [p for p in self.people.values() if status is None or p["status"] == status]

    def get_registration(self, registration_id):
        return self.people[registration_id]


@pytest.fixture
def documents(executor, make_database):
    def make(people):
        return worker_factory(DocumentsService, renderer=Renderer(executor), registrations=Registrations(people),
                              db=make_database("documents", store.metadata), clock=lambda: NOW,
                              config={"ORGANISER_NAME": "Sdružení měst a obcí Plzeňského kraje"})
    return make


def test_the_ticket_shows_every_day(executor):
    documents = worker_factory(DocumentsService, renderer=Renderer(executor), config={"ORGANISER_NAME": "SMOPK"})
    data = payload()
    data["event"].update(starts_at=SESSIONS[0]["starts_at"], ends_at=SESSIONS[-1]["ends_at"], sessions=SESSIONS)
    _, ticket = render(documents, data)
    text = " ".join(pdf_text(ticket).split())
    assert "Termíny 3. 3. – 17. 3. 2027" in text
    for expected in (*DAYS, "Úvod", "Praxe · Rokycany, sál"):
        assert expected in text, expected


def test_the_attendance_sheet_has_a_page_for_each_session_with_its_date(documents, tmp_path):
    people = [person(1, "Žák"), person(2, "Čermák"), person(3, "Adam", status="waitlisted")]
    data = pdf(documents(people).render_attendance_sheet(5))
    check_pdf(data, tmp_path)
    assert page_count(data) == 3
    pages = [" ".join(page.split()) for page in pdf_text(data).split("\f") if page.strip()]
    assert len(pages) == 3
    for number, (page, day) in enumerate(zip(pages, DAYS, strict=True), start=1):
        assert day in page and f"{number}. TERMÍN Z 3" in page and f"strana {number} / 3" in page
        assert [d for d in DAYS if d in page] == [day]  # one day a page
        assert page.index("Čermák") < page.index("Žák") and "Adam" not in page
    assert "Rokycany, sál" in pages[2] and "Praxe" in pages[2] and "Rokycany, sál" not in pages[0]


def test_the_certificate_shows_the_range_of_days(documents, tmp_path):
    service = documents([person(1, "Šťastný", attended_at=NOW.isoformat(), certificate_sent_at=NOW.isoformat())])
    data = pdf(service.render_certificate(1))
    check_pdf(data, tmp_path)
    text = " ".join(pdf_text(data).split())
    assert "Datum konání 3. 3. – 17. 3. 2027 (3. 3. 2027, 10. 3. 2027, 17. 3. 2027)" in text
