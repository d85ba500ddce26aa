"""A three-day accredited course with the real services over RPC and the broker: the door lets a
person in on day 1 and again on day 2, attendance is marked per day, day 3 is missed; at a share
of 66 % the certificate (read back with pdftotext) states the hours of the two days, and so do
the person's training record, the annual report and the Ministry report."""
import base64
from datetime import UTC, datetime, timedelta

import pytest

from services.common.clock import Clock
from services.common.czech import PRAGUE
from services.common.errors import Conflict
from tests.conftest import wait_for
from tests.helpers import pdf_text
from tests.integration.test_system import ALL, cluster, seminar  # noqa: F401 (a fixture)

FIRST_DAY = datetime(2027, 3, 1, 8, 0, tzinfo=PRAGUE)


def moved_clock(monkeypatch):
    """The clock of registrations and documents: set ``now["at"]`` to move it (None: the real one)."""
    now = {"at": None}
    real = Clock.get_dependency

    def get_dependency(self, worker_ctx):
        if now["at"] is not None and self.container.service_name in ("registrations", "documents"):
            return lambda: now["at"].astimezone(UTC)
        return real(self, worker_ctx)

    monkeypatch.setattr(Clock, "get_dependency", get_dependency)
    return now


def test_a_three_day_course_certifies_the_hours_of_the_days_attended(runner_factory, service_config,
                                                                     cluster, monkeypatch, smtp_sink):  # noqa: F811
    now = moved_clock(monkeypatch)
    now["at"] = FIRST_DAY - timedelta(days=30)
    runner_factory(service_config, *ALL).start()
    sessions = [{"starts_at": (FIRST_DAY + timedelta(days=n)).isoformat(),
                 "ends_at": (FIRST_DAY + timedelta(days=n, hours=8)).isoformat()} for n in range(3)]
    data = seminar(sessions=sessions, capacity=5, price_member=0, price_non_member=0, hours=24,
                   accreditation_number="AK/PV-27/2027", certificate_share=66, kind="training")
    del data["starts_at"], data["ends_at"]
    registrations = cluster.registrations
    event = registrations.publish_event(registrations.create_event(data)["id"])
    assert event["session_hours"] == [8, 8, 8] and event["certificate_share"] == 66
    jana = registrations.register(event["id"], {
        "first_name": "Jana", "last_name": "Nováková", "email": "jana@obec.example",
        "organisation_name": "Obec Chotěšov", "gdpr_consent": True})

    now["at"] = FIRST_DAY + timedelta(minutes=30)  # day 1 at the door
    assert registrations.check_in(event["id"], jana["ticket_code"])["sessions_checked_in"] == [0]
    with pytest.raises(Conflict) as twice:
        registrations.check_in(event["id"], jana["ticket_code"])
    assert "already_checked_in" in str(twice.value)
    assert registrations.mark_attendance(event["id"])["registration_ids"] == [jana["id"]]  # day 1: those let in

    now["at"] = FIRST_DAY + timedelta(days=1, minutes=20)  # day 2: let in again, then by name
    assert registrations.check_in(event["id"], jana["ticket_code"])["sessions_checked_in"] == [0, 1]
    with pytest.raises(Conflict):
        registrations.check_in_by_id(event["id"], jana["id"])  # in already today
    with pytest.raises(Conflict) as early:
        registrations.mark_attendance(event["id"], [jana["id"]], [2])
    assert "not_started" in str(early.value)
    registrations.mark_attendance(event["id"], [jana["id"]], [1])

    now["at"] = FIRST_DAY + timedelta(days=3)  # day 3 missed; the course is over
    marked = registrations.get_registration(jana["id"])
    assert marked["sessions_attended"] == [0, 1] and marked["attended_hours"] == 16
    assert marked["attended_at"] is not None and marked["certificate"] == "due"
    assert registrations.issue_certificates(event["id"])["issued"] == 1
    certificate = cluster.documents.render_certificate(jana["id"])
    text = " ".join(pdf_text(base64.b64decode(certificate["data"])).split())
    assert "16 vyučovacích hodin" in text and "Účast ve dnech 1. 3. 2027, 2. 3. 2027" in text
    wait_for(lambda: any(m["To"] == "jana@obec.example" and m["Subject"].startswith("Osvědčení")
                         for m in smtp_sink.messages()), timeout=60, message="the certificate mailed")

    record = registrations.training_record("jana@obec.example")
    [person] = record["people"]
    assert person["hours"] == 16 and [t["hours"] for t in person["trainings"]] == [16]
    assert registrations.annual_report(2027)["accredited"]["person_hours"] == 16
    ministry = registrations.ministry_report(2027, "AK/PV-27/2027")
    assert ministry["totals"]["person_hours"] == 16 and ministry["totals"]["hours_taught"] == 24
    sheet = registrations.export_registrations(event["id"])
    assert "Účast 3. termín 3. 3. 2027;Hodiny účasti" in sheet and ";ano;ano;;16" in sheet
