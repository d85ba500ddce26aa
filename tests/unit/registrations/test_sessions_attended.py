"""Attendance per day: the hours of a session, the certificate share, the door's session, and a
three-day course marked day by day through the service (real SQLite)."""
from datetime import datetime, timedelta

import pytest

from services.common.errors import Conflict, ValidationError
from services.registrations import domain, records, usecases
from tests.unit.registrations.test_service import NOW, event_data, person


def moment(text):
    return datetime.fromisoformat(text)


def course(share=100, hours=24, lengths=(8, 8, 8)):
    """Three days in March 2027, each starting at 8:00 in Prague and ``lengths`` hours long."""
    sessions = [{"starts_at": moment(f"2027-03-0{n + 1}T08:00:00+01:00"),
                 "ends_at": moment(f"2027-03-0{n + 1}T08:00:00+01:00") + timedelta(hours=length)}
                for n, length in enumerate(lengths)]
    return {"hours": hours, "certificate_share": share, "sessions": sessions,
            "starts_at": sessions[0]["starts_at"], "ends_at": sessions[-1]["ends_at"]}


ONE_DAY = {"hours": 6, "starts_at": moment("2026-12-15T09:00:00+01:00"),
           "ends_at": moment("2026-12-15T15:00:00+01:00")}


def test_an_events_hours_are_split_over_its_sessions_by_their_lengths():
    assert domain.session_hours(course()) == [8, 8, 8]
    assert domain.session_hours(course(hours=10, lengths=(2, 3, 5))) == [2, 3, 5]
    # whole hours that add up to the event's: the largest remainders, earlier first on a tie
    assert domain.session_hours(course(hours=8)) == [3, 3, 2]
    assert domain.session_hours(course(hours=7, lengths=(4, 4, 2))) == [3, 3, 1]
    assert sum(domain.session_hours(course(hours=13, lengths=(3, 5, 7)))) == 13
    assert domain.session_hours(ONE_DAY) == [6]  # an event without sessions is one session


def test_a_certificate_states_the_hours_of_the_sessions_attended():
    assert domain.attended_hours(course(), [0, 1]) == 16
    assert domain.attended_hours(course(), [2, 2]) == 8
    assert domain.attended_hours(course(), []) == 0
    assert domain.attended_hours(ONE_DAY, [0]) == 6


def test_two_days_of_three_make_a_certificate_at_66_per_cent_and_its_hours_are_those_days():
    event = course(share=66)
    assert domain.sessions_needed(event) == 2
    assert domain.reaches_share(event, [0, 2])
    assert domain.attended_hours(event, [0, 2]) == 16
    assert domain.short_of_share(event, [0, 2]) is None
    assert not domain.reaches_share(event, [1])


def test_two_days_of_three_make_no_certificate_when_all_are_needed_and_the_console_says_why():
    event = course(share=100)
    assert domain.sessions_needed(event) == 3 and not domain.reaches_share(event, [0, 1])
    assert domain.short_of_share(event, [0, 1]) == (
        "Účast na 2 z 3 termínů; osvědčení a započtení účasti vyžaduje 3 z 3 (100 % termínů).")
    assert domain.short_of_share(event, []) is None  # nothing marked: nothing to explain


def test_the_share_defaults_to_all_sessions_and_is_1_to_100_per_cent():
    assert domain.certificate_share({"hours": 4}) == 100
    assert domain.sessions_needed(dict(course(), certificate_share=1)) == 1
    for wrong in (0, 101, "50", None, True):
        with pytest.raises(ValidationError):
            domain.check_certificate_share(wrong)
    domain.check_certificate_share(66)


@pytest.mark.parametrize("now, session", [
    ("2027-02-20T10:00:00+01:00", 0),  # before the course: its first day
    ("2027-03-01T07:30:00+01:00", 0), ("2027-03-02T17:00:00+01:00", 1), ("2027-03-03T23:00:00+01:00", 2),
    ("2027-03-10T10:00:00+01:00", 2),  # after the course: its last day
])
def test_the_door_checks_people_in_for_todays_session(now, session):
    assert domain.door_session(course(), moment(now)) == session


def test_two_sessions_on_one_day_the_door_takes_the_running_or_next_one():
    event = course(lengths=(3, 3, 3))
    event["sessions"][1] = {"starts_at": moment("2027-03-01T13:00:00+01:00"),
                            "ends_at": moment("2027-03-01T16:00:00+01:00")}
    assert domain.door_session(event, moment("2027-03-01T09:00:00+01:00")) == 0
    assert domain.door_session(event, moment("2027-03-01T12:00:00+01:00")) == 1
    assert domain.door_session(event, moment("2027-03-01T18:00:00+01:00")) == 1


def test_a_checked_in_session_refuses_a_second_scan_and_another_days_check_in_does_not():
    registration = {"status": "confirmed", "first_name": "Jana", "last_name": "Nováková", "event_id": 1}
    today = moment("2027-03-02T08:30:00+01:00")
    domain.check_admissible(registration, course(), today, session_checked_in_at=None)
    with pytest.raises(Conflict) as refused:
        domain.check_admissible(registration, course(), today, session_checked_in_at=today - timedelta(minutes=20))
    assert refused.value.code == "already_checked_in" and "2. 3. 2027 8:10" in refused.value.message


def test_attendance_is_marked_at_a_session_only_from_its_start():
    event = dict(course(), status="published")
    on_day_two = moment("2027-03-02T09:00:00+01:00")
    assert domain.check_sessions_to_mark(event, None, on_day_two) == [0, 1]
    assert domain.check_sessions_to_mark(event, [1, 0, 1], on_day_two) == [0, 1]
    with pytest.raises(Conflict) as refused:
        domain.check_sessions_to_mark(event, [2], on_day_two)
    assert refused.value.code == "not_started" and "3. termín ještě nezačal" in refused.value.message
    with pytest.raises(ValidationError):
        domain.check_sessions_to_mark(event, [5], on_day_two)
    with pytest.raises(ValidationError):
        domain.check_sessions_to_mark(event, ["0"], on_day_two)


def three_days(service, share):
    first = NOW + timedelta(days=10)
    sessions = [{"starts_at": (first + timedelta(days=n)).isoformat(),
                 "ends_at": (first + timedelta(days=n, hours=8)).isoformat()} for n in range(3)]
    data = event_data(sessions=sessions, capacity=10, hours=24, accreditation_number="AK/PV-9/2026", price_member=0,
                      price_non_member=0,
                      certificate_share=share)
    del data["starts_at"], data["ends_at"]
    event = service.create_event(data)
    service.publish_event(event["id"])
    return event, first


@pytest.mark.parametrize("share, certificate, attended", [(66, "due", True), (100, None, False)])
def test_a_three_day_course_is_checked_in_and_marked_day_by_day(service, share, certificate, attended):
    event, first = three_days(service, share)
    jana = service.register(event["id"], person(1))
    service.clock_state["now"] = first + timedelta(hours=1)  # day 1
    service.check_in(event["id"], jana["ticket_code"])
    with pytest.raises(Conflict) as twice:
        service.check_in(event["id"], jana["ticket_code"])
    assert twice.value.code == "already_checked_in"
    assert service.mark_attendance(event["id"]) == {"marked": 1, "registration_ids": [jana["id"]]}
    service.clock_state["now"] = first + timedelta(days=1, hours=1)  # day 2: in again
    again = service.check_in(event["id"], jana["ticket_code"])
    assert again["sessions_checked_in"] == [0, 1]
    assert again["checked_in_at"] == service.get_registration(jana["id"])["checked_in_at"]  # the first
    service.mark_attendance(event["id"], [jana["id"]], sessions=[1])
    service.clock_state["now"] = first + timedelta(days=3)  # the course is over; day 3 missed
    now = service.get_registration(jana["id"])
    assert now["sessions_attended"] == [0, 1] and now["attended_hours"] == 16
    assert now["certificate"] == certificate and (now["attended_at"] is not None) == attended
    assert (now["attendance_short"] is None) == attended

    # Raising the share to all days takes the attendance back (no certificate issued yet).
    service.update_event(event["id"], {"certificate_share": 100})
    assert service.get_registration(jana["id"])["attended_at"] is None
    with pytest.raises(Conflict) as kept:
        service.update_event(event["id"], {"sessions": [{"starts_at": (first).isoformat(),
                                                         "ends_at": (first + timedelta(hours=8)).isoformat()}]})
    assert kept.value.code == "attendance_recorded"


def test_unmarking_a_day_takes_the_attendance_below_the_share_back(service):
    event, first = three_days(service, 66)
    jana = service.register(event["id"], person(1))
    service.clock_state["now"] = first + timedelta(days=2, hours=1)
    service.mark_attendance(event["id"], [jana["id"]], sessions=[0, 2])
    assert service.get_registration(jana["id"])["attended_at"] is not None
    assert service.unmark_attendance(event["id"], [jana["id"]], sessions=[2])["unmarked"] == 1
    back = service.get_registration(jana["id"])
    assert back["attended_at"] is None and back["sessions_attended"] == [0] and back["attended_hours"] == 8


def test_the_municipalitys_page_counts_the_hours_of_the_days_attended(service):
    """The three-year overview on /obec gives an official the hours of the sessions attended, as
    the certificate and the staff's training record do, never the whole course's."""
    event, first = three_days(service, 66)
    jana = service.register(event["id"], person(1, organisation_ico="00256129"))
    service.clock_state["now"] = first + timedelta(days=2, hours=1)
    service.mark_attendance(event["id"], [jana["id"]], sessions=[0, 2])
    with service.database.transaction() as conn:
        [row] = usecases.organisation_training(conn, "00256129", first.year)
    assert row["attended_hours"] == 16 and row["hours"] == 24
    assert records.hours_attended(row, row) == 16
