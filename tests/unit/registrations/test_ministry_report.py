"""The yearly report to the Ministry of the Interior (§ 39 zákona č. 312/2002 Sb.): the rules on
plain data, then through the service with its own database."""
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from services.common.errors import NotFound, ValidationError
from services.registrations import records
from tests.unit.registrations.test_service import NOW, event_data, person

T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
AK = "AK/PV-1/2026"


def run(n, day, status="published", hours=6, venue="Plzeň, Škroupova 18", lecturer="JUDr. Řehoř", **extra):
    starts = T0 + timedelta(days=day)
    return dict({"id": n, "title": "Stavební zákon pro obce", "status": status, "starts_at": starts,
                 "ends_at": starts + timedelta(hours=hours), "venue": venue, "lecturer": lecturer, "hours": hours,
                 "accreditation_number": AK, "sessions": None}, **extra)


def reg(event_id, status="confirmed", attended=False, certificate=False):
    return {"event_id": event_id, "status": status, "attended_at": T0 if attended else None,
            "certificate_sent_at": T0 + timedelta(days=1) if certificate else None}


@pytest.mark.parametrize("registration, participant, cancellation, certificate", [
    (reg(1, attended=True, certificate=True), True, False, True),
    (reg(1, attended=True), True, False, False),           # attended, certificate not (yet) issued
    (reg(1), False, False, False),                         # confirmed, did not come
    (reg(1, status="cancelled"), False, True, False),
    (reg(1, status="cancelled", attended=True), False, True, False),  # attendance of a cancelled one never counts
    (reg(1, status="waitlisted"), False, False, False),
    (reg(1, status="substituted"), False, False, False),   # the substitute's own registration takes the seat
])
def test_who_is_a_participant_a_cancellation_and_has_a_certificate(registration, participant, cancellation,
                                                                  certificate):
    report = records.ministry_report(2026, AK, [run(1, 0)], [registration], LATER)
    [counted] = report["runs"]
    assert (counted["participants"], counted["cancellations"], counted["certificates"]) == (
        int(participant), int(cancellation), int(certificate))
    assert records.cancelled_registration(registration) is cancellation


def test_a_programme_run_twice_with_a_cancelled_run_and_one_to_come():
    events = [run(2, 40, venue="Rokycany", lecturer="Mgr. Eva Malá", hours=4), run(1, 0),
              run(3, 20, status="cancelled"), run(4, 300)]
    registrations = ([reg(1, attended=True, certificate=True)] * 3 + [reg(1, attended=True)] + [reg(1)]
                     + [reg(1, status="cancelled")] * 2 + [reg(1, status="waitlisted")]
                     + [reg(2, attended=True, certificate=True)] * 2 + [reg(2, status="cancelled")]
                     + [reg(3, status="cancelled")] * 5 + [reg(4)] * 2)
    report = records.ministry_report(2026, AK, events, registrations, T0 + timedelta(days=100))
    first, second = report["runs"]
    assert (first["event_id"], first["days"], first["venue"], first["lecturer"], first["hours"]) == (
        1, "10. 3. 2026", "Plzeň, Škroupova 18", "JUDr. Řehoř", 6)
    assert (first["confirmed"], first["participants"], first["absent"], first["certificates"],
            first["cancellations"], first["person_hours"]) == (5, 4, 1, 3, 2, 24)
    assert (second["event_id"], second["venue"], second["lecturer"], second["participants"],
            second["certificates"], second["cancellations"]) == (2, "Rokycany", "Mgr. Eva Malá", 2, 2, 1)
    [cancelled] = report["cancelled_runs"]
    assert (cancelled["event_id"], cancelled["cancellations"]) == (3, 5)
    assert [r["event_id"] for r in report["upcoming_runs"]] == [4]     # not ended: counts nowhere
    assert report["totals"] == {"runs": 2, "cancelled_runs": 1, "upcoming_runs": 1, "hours_taught": 10,
                                "confirmed": 7, "participants": 6, "absent": 1, "certificates": 5,
                                "cancellations": 3, "cancellations_with_runs": 5, "person_hours": 32}
    assert report["titles"] == ["Stavební zákon pro obce"]
    assert all(line.startswith("Údaj, který systém nevede: ") for line in report["not_held"])
    assert any("druh vzdělávání podle § 18" in line for line in report["not_held"])


def test_a_multi_day_run_gives_its_days_and_every_place():
    sessions = [{"starts_at": T0, "ends_at": T0 + timedelta(hours=6), "title": "Modul 1", "venue": None},
                {"starts_at": T0 + timedelta(days=7), "ends_at": T0 + timedelta(days=7, hours=6), "title": "Modul 2",
                 "venue": "Rokycany"}]
    event = run(1, 0, sessions=sessions, ends_at=T0 + timedelta(days=7, hours=6), hours=12)
    [counted] = records.ministry_report(2026, AK, [event], [], LATER)["runs"]
    assert counted["days"] == "10. 3. – 17. 3. 2026" and counted["venue"] == "Plzeň, Škroupova 18; Rokycany"
    assert len(counted["sessions"]) == 2


def test_no_event_of_the_programme_that_year_is_refused_in_czech():
    with pytest.raises(NotFound) as refused:
        records.ministry_report(2026, "AK/NIC", [], [], LATER)
    assert refused.value.code == "accreditation_not_found" and "„AK/NIC“" in refused.value.message


@pytest.mark.parametrize("typed", ["", "   ", None, "x" * 61])
def test_an_accreditation_number_must_be_chosen(typed):
    with pytest.raises(ValidationError) as refused:
        records.checked_accreditation(typed)
    assert "accreditation_number" in refused.value.fields


def test_the_accreditation_numbers_offered_are_each_once_in_order():
    assert records.accreditation_numbers(["b/2", "A/1", None, "", " A/1 "]) == ["A/1", "b/2"]


def test_the_report_as_csv_reads_back():
    events = [run(1, 0, title="=HYPERLINK(1)"), run(3, 20, status="cancelled")]
    registrations = [reg(1, attended=True, certificate=True), reg(1), reg(3, status="cancelled")]
    text = records.ministry_report_csv(records.ministry_report(2026, AK, events, registrations, LATER))
    assert text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))
    held, cancelled, total, *not_held = table
    assert (held["Řádek"], held["Číslo akreditace"], held["Termín"], held["Začátek"], held["Místo"],
            held["Lektor"], held["Hodiny"], held["Účastníci"], held["Neúčast"], held["Vydaná osvědčení"]) == (
        "běh", AK, "10. 3. 2026", "10. 3. 2026 9:00", "Plzeň, Škroupova 18", "JUDr. Řehoř", "6", "1", "1", "1")
    assert held["Program"] == "'=HYPERLINK(1)"   # a formula typed as a title stays text in Excel
    assert (cancelled["Řádek"], cancelled["Zrušené přihlášky"], cancelled["Účastníci"]) == ("zrušený běh", "1", "")
    assert (total["Řádek"], total["Účastníci"], total["Vydaná osvědčení"], total["Osobohodiny"]) == (
        "celkem", "1", "1", "6")
    assert {r["Řádek"] for r in not_held} == {"Údaj, který systém nevede"} and len(not_held) == len(
        records.MINISTRY_NOT_HELD)


# Through the service


@pytest.fixture
def programme(service):
    """AK/PV-9/2026 run twice in December 2026 (one run cancelled before), a certificate issued."""
    made = {}
    for name, days in (("first", 5), ("cancelled", 7), ("second", 12)):
        start = NOW + timedelta(days=days)
        created = service.create_event(event_data(
            title="Stavební zákon pro obce", kind="training", accreditation_number="AK/PV-9/2026", hours=6,
            capacity=10, price_member=0, price_non_member=0, lecturer="JUDr. Karel Řehoř",
            starts_at=start.isoformat(), ends_at=(start + timedelta(hours=6)).isoformat()))
        made[name] = service.publish_event(created["id"])
    other = service.create_event(event_data(accreditation_number="AK/JINY/2026", kind="training", hours=2))
    service.publish_event(other["id"])
    people = [service.register(made["first"]["id"], person(n)) for n in range(4)]
    service.register(made["cancelled"]["id"], person(9))
    service.cancel_registration(people[3]["id"])
    service.cancel_event(made["cancelled"]["id"], "Lektor onemocněl.")
    service.clock_state["now"] = NOW + timedelta(days=20)
    service.mark_attendance(made["first"]["id"], [p["id"] for p in people[:2]])
    assert service.issue_certificates(made["first"]["id"])["issued"] == 2
    return made


def test_the_ministry_report_through_the_service(service, programme):
    assert service.ministry_accreditations(2026) == {"year": 2026,
                                                     "accreditation_numbers": ["AK/JINY/2026", "AK/PV-9/2026"]}
    report = service.ministry_report("2026", " AK/PV-9/2026 ")
    first, second = report["runs"]
    assert (first["participants"], first["absent"], first["certificates"], first["cancellations"]) == (2, 1, 2, 1)
    assert (second["participants"], second["confirmed"]) == (0, 0)
    assert [(r["event_id"], r["cancellations"]) for r in report["cancelled_runs"]] == [
        (programme["cancelled"]["id"], 1)]
    assert "jana" not in str(report).lower()    # counts only: nobody is named
    assert service.export_ministry_report(2026, "AK/PV-9/2026").count("\r\n") == 1 + 3 + 1 + len(
        records.MINISTRY_NOT_HELD)


@pytest.mark.parametrize("year, number, error, field", [
    ("loni", "AK/PV-9/2026", ValidationError, "year"),
    (1850, "AK/PV-9/2026", ValidationError, "year"),
    (2026, "", ValidationError, "accreditation_number"),
    (2027, "AK/PV-9/2026", NotFound, None),      # the programme ran in 2026
    (2026, "AK/NEZNAMY", NotFound, None),
])
def test_bad_input_is_refused_in_czech(service, programme, year, number, error, field):
    with pytest.raises(error) as refused:
        service.ministry_report(year, number)
    assert field is None or field in refused.value.fields
    assert refused.value.message


def test_a_year_without_accredited_events_offers_none(service, programme):
    assert service.ministry_accreditations(2025)["accreditation_numbers"] == []
    with pytest.raises(ValidationError):
        service.ministry_accreditations("dva tisíce")
