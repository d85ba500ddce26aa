"""Attendance sheets, attendee lists and certificates, read back from the PDF."""
import base64
import subprocess
from datetime import UTC, datetime

import eventlet
import pytest
from nameko.testing.services import worker_factory

from services.common.errors import Conflict
from services.documents import certificates, store
from services.documents.pool import Renderer
from services.documents.service import DocumentsService
from tests.helpers import pdf_text

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
EVENT = {"id": 5, "title": "Stavební zákon pro obce", "kind": "training", "venue": "Plzeň, Škroupova 18",
         "lecturer": "JUDr. Karel Řehoř", "starts_at": "2026-12-08T09:00:00+01:00",
         "ends_at": "2026-12-08T15:00:00+01:00", "capacity": 400, "accreditation_number": "AK/PV-77/2026",
         "hours": 6, "collects_birth_date": True}
SURNAMES = ["Zelený", "Čermák", "Cibulka", "Chalupa", "Hrubý", "Řezáč", "Rybář", "Šťastný", "Svoboda", "Žák"]


def person(n, last_name, **extra):
    values = {"id": n, "first_name": "Jana", "last_name": last_name, "organisation_name": f"Obec {n}",
              "position": "účetní", "email": f"p{n}@obec.example", "phone": None, "organisation_ico": None,
              "status": "confirmed", "waitlist_position": None, "checked_in_at": None, "attended_at": None,
              "birth_date": "1979-03-14", "event": EVENT}
    values.update(extra)
    return values


class Registrations:
    """Stands in for the registrations service's RPC: the data a call would bring."""

    def __init__(self, people):
        self.people = {p["id"]: p for p in people}

    def get_event(self, event_id):
        return EVENT

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


def pdf(answer):
    assert answer["content_type"] == "application/pdf"
    return base64.b64decode(answer["data"])


def page_count(data):
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def check_pdf(data, tmp_path):
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    subprocess.run(["qpdf", "--check", str(path)], check=True, capture_output=True)
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    assert all(row.split()[-5] == "yes" for row in fonts.splitlines()[2:])


def test_the_attendance_sheet_is_in_czech_order(documents, tmp_path):
    people = [person(n, name) for n, name in enumerate(SURNAMES, start=1)]
    people.append(person(99, "Nováková", status="waitlisted"))
    data = pdf(documents(people).render_attendance_sheet(5))
    check_pdf(data, tmp_path)
    text = " ".join(pdf_text(data).split())
    order = [name for name in sorted(SURNAMES, key=text.index)]
    assert order == ["Cibulka", "Čermák", "Hrubý", "Chalupa", "Rybář", "Řezáč", "Svoboda", "Šťastný", "Zelený",
                     "Žák"]
    assert "Nováková" not in text  # only confirmed people sign
    for expected in ("Stavební zákon pro obce", "út 8. 12. 2026 v 9:00 – 15:00", "JUDr. Karel Řehoř",
                     "AK/PV-77/2026", "strana 1 / 1"):
        assert expected in text


def test_300_attendees_fill_pages_with_the_head_on_each(documents, tmp_path):
    people = [person(n, f"{SURNAMES[n % len(SURNAMES)]} {n:03d}") for n in range(1, 301)]
    data = pdf(documents(people).render_attendance_sheet(5))
    check_pdf(data, tmp_path)
    pages = page_count(data)
    assert 8 <= pages <= 14
    text = pdf_text(data)
    assert text.count("Příjmení a jméno") == pages
    assert f"strana {pages} / {pages}" in text
    assert all(f"{n:03d}" in text for n in range(1, 301))


def test_the_attendee_list_shows_who_waits(documents, tmp_path):
    people = [person(1, "Žák"), person(2, "Adam", status="waitlisted", waitlist_position=1),
              person(3, "Beneš", status="cancelled")]
    data = pdf(documents(people).render_attendee_list(5))
    check_pdf(data, tmp_path)
    text = " ".join(pdf_text(data).split())
    assert "Žák" in text and "čeká (1.)" in text and "Beneš" not in text
    assert "potvrzeno 1 z 400" in text


def test_certificates_are_numbered_and_a_duplicate_only_when_staff_issue_one(documents, tmp_path):
    issued = {"attended_at": NOW.isoformat(), "certificate_sent_at": NOW.isoformat()}
    people = [person(1, "Šťastný", **issued), person(2, "Řezáč", **issued), person(3, "Žák"),
              person(4, "Adam", attended_at=NOW.isoformat())]
    service = documents(people)
    first = service.render_certificate(1, original=True)  # as notifications mails it
    assert (first["number"], first["duplicate"]) == ("2026/0001", False)
    data = pdf(first)
    check_pdf(data, tmp_path)
    text = " ".join(pdf_text(data).split())
    for expected in ("OSVĚDČENÍ", "Jana Šťastný", "narozen(a) 14. 3. 1979", "Stavební zákon pro obce",
                     "AK/PV-77/2026", "8. 12. 2026", "6 vyučovacích hodin", "Plzeň, Škroupova 18",
                     "JUDr. Karel Řehoř", "2026/0001", "podpis za pořadatele"):
        assert expected in text, expected
    assert "DUPLIKÁT" not in text
    assert service.render_certificate(2)["number"] == "2026/0002"
    again = service.render_certificate(1)  # staff open it in the console: the same certificate
    assert (again["number"], again["duplicate"]) == ("2026/0001", False)
    assert "DUPLIKÁT" not in pdf_text(pdf(again))
    duplicate = service.render_duplicate_certificate(1)
    assert (duplicate["number"], duplicate["duplicate"]) == ("2026/0001", True)
    assert duplicate["filename"] == "osvedceni-2026-0001-duplikat.pdf"
    assert "DUPLIKÁT vydaný 27. 11. 2026" in " ".join(pdf_text(pdf(duplicate)).split())
    [kept] = service.export_person([1])["certificates"]
    assert kept["copies"] == 1 and kept["duplicate_issued_at"] == NOW.isoformat()
    with pytest.raises(Conflict) as refused:
        service.render_certificate(3)
    assert refused.value.code == "not_attended"
    with pytest.raises(Conflict) as not_issued:  # attended, but the certificates were not issued yet
        service.render_certificate(4)
    assert not_issued.value.code == "certificate_not_issued"
    with pytest.raises(Conflict) as no_duplicate:
        service.render_duplicate_certificate(4)
    assert no_duplicate.value.code == "certificate_not_issued"


def test_numbers_stay_unique_and_gapless_when_issued_at_once(make_database):
    database = make_database("documents", store.metadata)
    pool = eventlet.GreenPool(10)
    issued = list(pool.imap(lambda n: certificates.issue(database, lambda: NOW, n % 12), range(40)))
    originals = sorted(c["number"] for c, existed in issued if not existed)
    assert originals == list(range(1, 13))
    by_registration = {}
    for certificate, _ in issued:
        by_registration.setdefault(certificate["registration_id"], set()).add(certificate["number"])
    assert all(len(numbers) == 1 for numbers in by_registration.values())


def test_after_a_restore_certificate_numbers_go_on_past_the_gap(make_database):
    """tools/backup.py after a restore: each year's register from the backup's on jumps by the gap
    (one the backup did not have yet is made), so a number given after the backup is not given again."""
    database = make_database("documents", store.metadata)
    assert [certificates.issue(database, lambda: NOW, n)[0]["number"] for n in (1, 2)] == [1, 2]
    with database.transaction() as conn:
        assert store.skip_numbers(conn, 1000, [2026, 2027]) == {2026: 1003, 2027: 1001}
    assert certificates.issue(database, lambda: NOW, 3)[0]["number"] == 1003
    assert certificates.issue(database, lambda: NOW.replace(year=2027), 4)[0]["number"] == 1001
