"""Training records of officials and the annual report: the rules, then through the service."""
import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.test import EnvironBuilder

from services.common.errors import Conflict, ValidationError
from services.registrations import domain, records
from tests.unit.registrations.test_service import NOW, PLZEN, event_data, person, published

CHOTESOV = "00257206"
T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def row(n, email="jana@obec.example", status="confirmed", attended=True, accreditation="AK/1/2026", hours=6,
        ico=PLZEN, name="Statutární město Plzeň", event_id=1, day=0, **extra):
    values = {"registration_id": n, "status": status, "first_name": "Jana", "last_name": "Nováková", "email": email,
              "organisation_ico": ico, "organisation_name": name,
              "attended_at": T0 + timedelta(days=day, hours=5) if attended else None, "event_id": event_id,
              "title": f"Akce {event_id}", "kind": "training" if accreditation else "seminar",
              "topic": "stavební právo",
              "lecturer": "JUDr. Řehoř", "venue": "Plzeň", "starts_at": T0 + timedelta(days=day),
              "ends_at": T0 + timedelta(days=day, hours=6), "accreditation_number": accreditation, "hours": hours}
    values.update(extra)
    return values


@pytest.mark.parametrize("status, attended_at, counts", [
    ("confirmed", T0, True),
    ("confirmed", None, False),      # checked in perhaps, but attendance not marked
    ("cancelled", T0, False),
    ("waitlisted", T0, False),
])
def test_who_counts_as_having_attended(status, attended_at, counts):
    assert domain.attended({"status": status, "attended_at": attended_at}) is counts


@pytest.mark.parametrize("status, checked_in_at, attended_at, came_in, attended", [
    ("confirmed", T0, None, True, False),   # let in at the door, attendance not marked (yet)
    ("confirmed", None, T0, True, True),    # marked by hand
    ("confirmed", T0, T0, True, True),
    ("confirmed", None, None, False, False),
    ("cancelled", T0, T0, False, False),
    ("waitlisted", T0, None, False, False),
])
def test_came_in_is_the_wider_word_and_attended_the_evidence(status, checked_in_at, attended_at, came_in, attended):
    """Materials and the questionnaire go to whoever came in; records, certificates and the
    report count only marked attendance: a check-in alone is the one case where they differ."""
    registration = {"status": status, "checked_in_at": checked_in_at, "attended_at": attended_at}
    assert (domain.came_in(registration), domain.attended(registration)) == (came_in, attended)


def test_a_person_is_an_address_in_any_case_at_one_organisation():
    rows = [row(1, email="Jana@Obec.example", event_id=1), row(2, email=" jana@obec.EXAMPLE", event_id=2, day=30),
            row(3, event_id=3, day=60, accreditation=None, hours=3),
            row(4, event_id=4, day=90, ico=CHOTESOV, name="Obec Chotěšov", last_name="Svobodová"),
            row(5, event_id=5, day=100, attended=False)]
    record = records.training_record(rows, {1: "2026/0001", 4: "2026/0007"})
    plzen, chotesov = sorted(record["people"], key=lambda p: p["organisation_ico"] == CHOTESOV)
    assert [t["registration_id"] for t in plzen["trainings"]] == [1, 2]
    assert [t["certificate_number"] for t in plzen["trainings"]] == ["2026/0001", None]
    assert [e["registration_id"] for e in plzen["other_events"]] == [3]   # listed apart, no hours
    assert plzen["hours"] == 12
    assert (chotesov["last_name"], chotesov["hours"], chotesov["trainings"][0]["certificate_number"]) == (
        "Svobodová", 6, "2026/0007")
    assert (record["hours"], record["trainings"]) == (18, 3)


def test_without_an_ico_the_organisation_is_its_name_folded():
    rows = [row(1, ico=None, name="Obec  Kozojedy", event_id=1), row(2, ico=None, name="obec kozojedy", event_id=2),
            row(3, ico=None, name="Obec Kožlany", event_id=3)]
    assert sorted(len(p["trainings"]) for p in records.training_record(rows, {})["people"]) == [1, 2]


def test_the_record_as_csv_reads_back():
    text = records.training_record_csv(records.training_record(
        [row(1), row(2, event_id=2, accreditation=None, day=1, title="=HYPERLINK(1)")], {1: "2026/0001"}))
    assert text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))
    assert [(r["Příjmení"], r["Akreditováno"], r["Hodiny"], r["Číslo osvědčení"]) for r in table] == [
        ("Nováková", "ano", "6", "2026/0001"), ("Nováková", "ne", "", "")]
    assert table[0]["Začátek"] == "10. 3. 2026 9:00" and table[1]["Akce"] == "'=HYPERLINK(1)"


def event(n, kind="training", topic="odpady", status="published", accreditation=None, hours=4, day=0):
    starts = T0 + timedelta(days=day)
    return {"id": n, "title": f"Akce {n}", "kind": kind, "topic": topic, "status": status, "starts_at": starts,
            "ends_at": starts + timedelta(hours=hours), "accreditation_number": accreditation, "hours": hours}


def fact(event_id, status="confirmed", attended=False, member=True, ico=PLZEN, name=None):
    return {"event_id": event_id, "status": status, "attended_at": T0 if attended else None, "is_member": member,
            "organisation_ico": ico, "organisation_name": name}


def test_the_annual_figures_and_the_attendance_rate():
    now = T0 + timedelta(days=100)
    events = [event(1, accreditation="AK/1", hours=6), event(2, kind="seminar", topic="GDPR", day=5),
              event(3, kind="seminar", topic="GDPR", day=10),          # held, nobody took attendance
              event(4, day=200),                                       # still to come
              event(5, status="cancelled", day=20)]
    facts = ([fact(1, attended=True)] * 3 + [fact(1)] + [fact(1, status="cancelled")]
             + [fact(2, attended=True, member=False, ico=CHOTESOV), fact(2, attended=True, ico=None, name="Spolek X"),
                fact(2, member=False), fact(2, status="waitlisted")]
             + [fact(3)] * 5 + [fact(4)] * 2 + [fact(5, status="cancelled")])
    organisations = {PLZEN: {"name": "Statutární město Plzeň", "district": "Plzeň-město"},
                     CHOTESOV: {"name": "Obec Chotěšov", "district": None}}
    report = records.annual_report(2026, events, facts, organisations, now)
    assert report["events"]["total"] == 4 and report["events"]["held"] == 3 and report["events"]["cancelled"] == 1
    assert report["events"]["by_kind"] == [{"kind": "seminar", "label": "seminář", "count": 2},
                                           {"kind": "training", "label": "školení", "count": 2}]
    assert report["events"]["by_topic"] == [{"topic": "GDPR", "count": 2}, {"topic": "odpady", "count": 2}]
    # the cancelled event's registrations are not counted
    assert report["registrations"] == {"total": 16, "confirmed": 14, "waitlisted": 1, "cancelled": 1}
    # the rate: events 1 and 2 only (3 kept no record, 4 is to come): 5 attended of 7 confirmed
    attendance = report["attendance"]
    assert (attendance["attended"], attendance["confirmed"], attendance["events_counted"],
            attendance["events_without_record"]) == (5, 7, 2, 1)
    assert attendance["rate"] == pytest.approx(5 / 7)
    assert report["members"] == {"confirmed_members": 12, "confirmed_non_members": 2, "attended_members": 4,
                                 "attended_non_members": 1}
    assert report["districts"] == [{"district": "Plzeň-město", "count": 3}, {"district": "okres neuveden", "count": 1},
                                   {"district": "organizace bez IČO", "count": 1}]
    assert report["organisations"][0] == {"ico": PLZEN, "name": "Statutární město Plzeň", "attendees": 3}
    assert {"ico": None, "name": "Spolek X", "attendees": 1} in report["organisations"]
    assert (report["accredited"]["hours_taught"], report["accredited"]["person_hours"]) == (6, 18)
    assert report["accredited"]["events"][0]["attendees"] == 3


def test_the_figures_agree_when_a_future_event_has_attendance_marked():
    """The rules no longer let anyone mark attendance before the start, but old data may hold it:
    the event to come counts for nothing about who came, and every figure says the same."""
    now = T0 + timedelta(days=30)
    events = [event(1, accreditation="AK/1", hours=6), event(2, accreditation="AK/2", hours=6, day=9),
              event(3, accreditation="AK/3", hours=4, day=60)]  # to come, yet two marked as attended
    facts = ([fact(1, attended=True)] * 2 + [fact(1)] + [fact(2, attended=True, member=False)] * 3
             + [fact(3, attended=True)] * 2)
    report = records.annual_report(2026, events, facts, {PLZEN: {"name": "Plzeň", "district": "Plzeň-město"}}, now)
    attendance, accredited = report["attendance"], report["accredited"]
    assert report["events"]["held"] == attendance["events_held"] == 2
    assert report["attendees"] == attendance["attended"] == 5
    assert attendance["confirmed"] == 6 and attendance["rate"] == pytest.approx(5 / 6)
    assert report["members"]["attended_members"] + report["members"]["attended_non_members"] == 5
    assert sum(d["count"] for d in report["districts"]) == sum(o["attendees"] for o in report["organisations"]) == 5
    assert [e["id"] for e in accredited["events"]] == [1, 2] and accredited["events_held"] == 2
    assert sum(e["attendees"] for e in accredited["events"]) == report["attendees"]
    assert accredited["hours_taught"] == 12  # hours taught: each held programme once
    assert accredited["person_hours"] == 6 * 2 + 6 * 3  # hours × attendees, apart
    assert attendance["not_ended_marked"] == 2  # said, not counted
    table = [tuple(r) for r in csv.reader(io.StringIO(records.annual_report_csv(report)[1:]), delimiter=";")]
    assert ("Účast (jen konané akce)", "účastníci (potvrzená účast)", "5") in table
    assert ("Účast (jen konané akce)", "nezapočtená účast u akcí, které ještě neskončily", "2") in table
    assert ("Akreditované vzdělávání (konané akce)", "odučené akreditované hodiny", "12") in table


def test_the_annual_report_as_csv_reads_back():
    report = records.annual_report(2026, [event(1, accreditation="AK/1", hours=6)],
                                   [fact(1, attended=True), fact(1)], {}, T0 + timedelta(days=1))
    table = [tuple(r) for r in csv.reader(io.StringIO(records.annual_report_csv(report)[1:]), delimiter=";")]
    assert table[0] == ("Oddíl", "Položka", "Hodnota")
    assert ("Účast (jen konané akce)", "míra účasti", "50\u00a0%") in table
    assert ("Akce podle druhu", "školení", "1") in table
    assert ("Účastníci podle okresu", "okres neuveden", "1") in table
    assert ("Akreditované vzdělávání (konané akce)", "odučené akreditované hodiny", "6") in table
    assert ("Akreditované vzdělávání (konané akce)", "osobohodiny akreditovaného vzdělávání (hodiny × účastníci)",
            "6") in table


def test_nothing_to_divide_gives_no_rate():
    report = records.annual_report(2026, [], [], {}, T0)
    assert report["attendance"]["rate"] is None and report["accredited"]["person_hours"] == 0
    assert report["accredited"]["hours_taught"] == 0


def test_the_report_counts_an_organisation_typed_two_ways_once():
    """The bug of two keys: the report folded names (NFKC + casefold) while the limit dropped
    legal forms and diacritics, so "Obec Kbelnice" and "KBELNICE" were two organisations here."""
    events = [event(1)]
    facts = [fact(1, attended=True, ico=None, name="Obec Kbelnice"), fact(1, attended=True, ico=None, name="KBELNICE"),
             fact(1, attended=True, ico=None, name="Obec Kbelnice, okres Plzeň-jih")]
    report = records.annual_report(2026, events, facts, {}, T0 + timedelta(days=1))
    assert [(o["ico"], o["name"], o["attendees"]) for o in report["organisations"]] == [
        (None, "KBELNICE", 2), (None, "Obec Kbelnice, okres Plzeň-jih", 1)]


def test_the_limit_the_record_and_the_report_tell_organisations_apart_alike(service):
    event = published(service, capacity=10, max_per_organisation=2)
    typed = ["Obec Kbelnice", "KBELNICE", "obec  Kbelnice"]
    came = [service.register(event["id"], person(n, organisation_name=name)) for n, name in enumerate(typed[:2])]
    with pytest.raises(Conflict) as refused:  # the limit: the two above are one organisation
        service.register(event["id"], person(2, organisation_name=typed[2]))
    assert refused.value.code == "organisation_limit_reached"
    service.clock_state["now"] = NOW + timedelta(days=11)
    service.mark_attendance(event["id"], [r["id"] for r in came])
    report = service.annual_report(2026)
    assert [o["attendees"] for o in report["organisations"]] == [2]  # was [1, 1]


# Through the service


class Documents:
    """Stands in for the documents service: its register of certificates, and what it was asked to render."""

    def __init__(self):
        self.numbers, self.rendered = {}, []

    def certificate_numbers(self, registration_ids):
        return [{"registration_id": i, "number": self.numbers[i]} for i in registration_ids if i in self.numbers]

    def render_training_record(self, record):
        self.rendered.append(record)
        return {"filename": "evidence-vzdelavani-osobni.pdf", "content_type": "application/pdf", "data": "JVBERg=="}


@pytest.fixture
def held(service):
    """Two accredited trainings and a seminar in 2026, attended; one training in 2027."""
    service.documents = Documents()
    service.on_organisation_joined({"organisation": {"ico": PLZEN, "name": "Statutární město Plzeň",
                                                     "district": "Plzeň-město",
                                                     "periods": [{"from": "2005-01-01", "to": None}]},
                                    "occurred_at": NOW.isoformat()})
    made = {}
    for name, days, extra in [("first", 10, {"accreditation_number": "AK/PV-1/2026", "hours": 6, "kind": "training"}),
                              ("seminar", 12, {}),
                              ("second", 14, {"accreditation_number": "AK/PV-2/2026", "hours": 4,
                                              "kind": "training"}),
                              ("next_year", 60, {"accreditation_number": "AK/PV-3/2027", "hours": 8,
                                                 "kind": "training"})]:
        start = NOW + timedelta(days=days)
        created = service.create_event(event_data(starts_at=start.isoformat(), capacity=10,
                                                  ends_at=(start + timedelta(hours=6)).isoformat(), **extra))
        made[name] = service.publish_event(created["id"])
    jana = {k: service.register(made[k]["id"], person(1, email="Jana.Novakova@Plzen.example",
                                                      organisation_ico=PLZEN)) for k in made}
    petr = service.register(made["first"]["id"], person(2, first_name="Petr", last_name="Dvořák",
                                                        email="petr@plzen.example", organisation_ico=PLZEN))
    other = service.register(made["first"]["id"], person(3, email="eva@chotesov.example", organisation_ico=CHOTESOV))
    absent = service.register(made["second"]["id"], person(4, email="karel@plzen.example", organisation_ico=PLZEN))
    service.clock_state["now"] = NOW + timedelta(days=70)
    service.mark_attendance(made["first"]["id"], [jana["first"]["id"], petr["id"], other["id"]])
    for k in ("seminar", "second", "next_year"):
        service.mark_attendance(made[k]["id"], [jana[k]["id"]])
    service.documents.numbers[jana["first"]["id"]] = "2026/0001"
    service.documents.numbers[petr["id"]] = "2026/0002"
    return dict(made=made, jana=jana, petr=petr, other=other, absent=absent)


def test_a_persons_record_over_all_events_with_certificate_numbers(service, held):
    record = service.training_record("JANA.novakova@plzen.example")
    [jana] = record["people"]
    assert [t["accreditation_number"] for t in jana["trainings"]] == ["AK/PV-1/2026", "AK/PV-2/2026", "AK/PV-3/2027"]
    assert [t["certificate_number"] for t in jana["trainings"]] == ["2026/0001", None, None]
    assert jana["hours"] == 18 and [e["title"] for e in jana["other_events"]] == ["Veřejné zakázky v obcích"]


def test_an_organisations_record_for_a_year_as_data_and_csv(service, held):
    record = service.organisation_training_record(PLZEN, 2026)
    assert record["organisation"] == {"ico": PLZEN, "name": "Statutární město Plzeň", "district": "Plzeň-město"}
    assert [(p["last_name"], p["hours"]) for p in record["people"]] == [("Dvořák", 6), ("Nováková 1", 10)]
    assert "eva@chotesov.example" not in str(record) and "karel@plzen.example" not in str(record)  # not attended
    table = list(csv.DictReader(io.StringIO(service.export_organisation_training_record(PLZEN, 2026)[1:]),
                                delimiter=";"))
    assert [(r["Příjmení"], r["Číslo akreditace"], r["Číslo osvědčení"]) for r in table] == [
        ("Dvořák", "AK/PV-1/2026", "2026/0002"), ("Nováková 1", "AK/PV-1/2026", "2026/0001"),
        ("Nováková 1", "AK/PV-2/2026", ""), ("Nováková 1", "", "")]    # accredited first
    assert len(service.organisation_training_record(PLZEN)["people"][1]["trainings"]) == 3
    # once erased (or anonymised after the retention period), a person is in no record, but still in the report
    service.erase_person("petr@plzen.example")
    assert [p["last_name"] for p in service.organisation_training_record(PLZEN, 2026)["people"]] == ["Nováková 1"]
    assert service.annual_report(2026)["attendees"] == 5


@pytest.mark.parametrize("call, field", [
    (lambda s: s.organisation_training_record("123"), "ico"),
    (lambda s: s.organisation_training_record(PLZEN, "loni"), "year"),
    (lambda s: s.annual_report(1850), "year"),
    (lambda s: s.training_record("nikdo"), "email"),
])
def test_bad_input_is_refused_in_czech(service, call, field):
    with pytest.raises(ValidationError) as refused:
        call(service)
    assert field in refused.value.fields


def test_the_annual_report_through_the_service(service, held):
    report = service.annual_report(2026)
    assert report["events"]["total"] == 3 and report["events"]["held"] == 3
    assert report["attendance"]["confirmed"] == 6 and report["attendance"]["attended"] == 5
    assert report["districts"][0] == {"district": "Plzeň-město", "count": 4}
    assert report["accredited"]["hours_taught"] == 6 + 4  # next year's training is in 2027's report
    assert report["accredited"]["person_hours"] == 6 * 3 + 4 * 1
    assert service.export_annual_report(2026).count("\r\n") > 10


def page(service, handler, **kwargs):
    request = EnvironBuilder(method="GET", query_string="email=petr@plzen.example").get_request()
    return getattr(service, handler)(request, **kwargs)


def test_the_manage_page_shows_the_persons_own_record_only(service, held):
    token = held["jana"]["first"]["token"]
    answer = page(service, "page_training_record", token=token)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "AK/PV-1/2026" in text and "2026/0001" in text and f"/r/{token}/vzdelavani.pdf" in text
    assert "Dvořák" not in text and "2026/0002" not in text        # a colleague's, asked for in the query
    pdf = page(service, "page_training_record_pdf", token=token)
    assert pdf.status_code == 200 and pdf.content_type == "application/pdf"
    [rendered] = service.documents.rendered
    assert {p["email"].casefold() for p in rendered["people"]} == {"jana.novakova@plzen.example"}
    assert page(service, "page_training_record", token="not-a-token").status_code == 404
    assert page(service, "page_training_record_pdf", token="not-a-token").status_code == 404
    assert service.documents.rendered == [rendered]
    manage = page(service, "page_registration", token=token).get_data(as_text=True)
    assert f"/r/{token}/vzdelavani" in manage


def test_the_api_gives_the_person_their_own_record_only(service, held):
    answer = page(service, "http_training_record", token=held["petr"]["token"])
    record = json.loads(answer.get_data())
    assert answer.status_code == 200 and record["email"] == "petr@plzen.example"
    [petr] = record["people"]
    assert [(t["accreditation_number"], t["hours"], t["certificate_number"]) for t in petr["trainings"]] == [
        ("AK/PV-1/2026", 6, "2026/0002")]
    missing = page(service, "http_training_record", token="not-a-token")
    assert missing.status_code == 404 and json.loads(missing.get_data())["error"] == "registration_not_found"


def test_a_registration_not_attended_opens_no_record(service, held):
    """Anyone may register anyone's address and get its token: the token of a registration nobody
    attended opens no record of that address, on the page, as PDF or in the API."""
    token = held["absent"]["token"]  # karel@plzen.example, registered, not marked as attending
    for handler in ("page_training_record", "page_training_record_pdf", "http_training_record"):
        refused = page(service, handler, token=token)
        assert refused.status_code == 403, handler
        assert "zúčastnili" in refused.get_data(as_text=True)
    assert service.documents.rendered == []
    assert "/vzdelavani" not in page(service, "page_registration", token=token).get_data(as_text=True)


def test_staff_find_a_persons_record_by_name_or_email(service, held):
    found = service.find_trainees("novakova")
    assert [(p["last_name"], p["email"], p["events"]) for p in found] == [
        ("Nováková 1", "Jana.Novakova@Plzen.example", 4), ("Nováková 3", "eva@chotesov.example", 1)]
    assert [p["organisation_ico"] for p in found] == [PLZEN, CHOTESOV]
    assert [p["last_name"] for p in service.find_trainees("DVOŘ")] == ["Dvořák"]
    assert [p["email"] for p in service.find_trainees("petr dvo")] == ["petr@plzen.example"]
    assert [p["email"] for p in service.find_trainees("plzen.example")] == [
        "petr@plzen.example", "Jana.Novakova@Plzen.example"]
    assert service.find_trainees("karel") == []  # registered, did not come: no record
    assert service.find_trainees("") == [] and service.find_trainees("a") == []
