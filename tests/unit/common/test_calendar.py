"""Calendar entries with their VTIMEZONE written once per span: the same text as icalendar's own
``add_missing_timezones`` and ``to_ical`` give."""
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from services.common import calendar

SENDER = "SMOPK – semináře <seminare@smopk.example>"
NOW = datetime(2026, 11, 27, 10, tzinfo=UTC)


def payload(starts_at, ends_at, sessions=None, version=1, n=1):
    event = {"id": 7, "version": version, "title": "Odpady v obci – nová pravidla", "venue": "Plzeň, Škroupova 18",
             "lecturer": "Ing. Eva Malá", "starts_at": starts_at, "ends_at": ends_at}
    if sessions:
        event["sessions"] = sessions
    return {"event": event, "registration": {"id": n, "manage_url": f"https://akce.example/r/t{n}"}}


EVENTS = {
    "one morning": payload("2026-12-08T09:00:00+01:00", "2026-12-08T13:00:00+01:00"),
    "across the change to summer time": payload("2027-03-27T18:00:00+01:00", "2027-03-28T12:00:00+02:00", version=3),
    "from UTC texts": payload("2027-07-01T07:00:00+00:00", "2027-07-01T15:00:00+00:00"),
    "a series of three": payload("2027-03-03T13:00:00+01:00", "2027-03-31T12:00:00+02:00", sessions=[
        {"starts_at": "2027-03-03T13:00:00+01:00", "ends_at": "2027-03-03T16:30:00+01:00", "title": "Úvod"},
        {"starts_at": "2027-03-10T13:00:00+01:00", "ends_at": "2027-03-10T16:30:00+01:00", "title": None},
        {"starts_at": "2027-03-31T09:00:00+02:00", "ends_at": "2027-03-31T12:00:00+02:00", "title": None,
         "venue": "Rokycany, sál"}]),
    "two days over new year": payload("2027-12-31T09:00:00+01:00", "2028-01-01T12:00:00+01:00", sessions=[
        {"starts_at": "2027-12-31T09:00:00+01:00", "ends_at": "2027-12-31T15:00:00+01:00"},
        {"starts_at": "2028-01-01T09:00:00+01:00", "ends_at": "2028-01-01T12:00:00+01:00"}]),
}


def as_icalendar_writes_it(event_payload, revision, now=NOW):
    """What ``ics`` wrote before the VTIMEZONE was kept: the library's own way."""
    made = calendar.entries(event_payload, revision=revision, sender=SENDER, organiser="SMOPK", now=now)
    starts = calendar._moment(event_payload["event"]["starts_at"])
    ends = calendar._moment(event_payload["event"]["ends_at"])
    made.add_missing_timezones(first_date=(starts - timedelta(days=366)).date(),
                               last_date=(ends + timedelta(days=366)).date())
    return made.to_ical()


@pytest.mark.parametrize("name", sorted(EVENTS))
@pytest.mark.parametrize("revision", [calendar.ENTRY, calendar.WITHDRAWN, calendar.RETURNED])
def test_an_entry_is_the_text_icalendar_writes(name, revision):
    for _ in range(2):  # made, then kept
        written = calendar.ics(EVENTS[name], revision=revision, sender=SENDER, organiser="SMOPK", now=NOW)
        assert written == as_icalendar_writes_it(EVENTS[name], revision)
        assert written.count(b"BEGIN:VTIMEZONE") == 1


PEOPLE = [  # (registration id, manage link): links of several lengths fold in other places
    (1, "https://akce.example/r/t1"), (12345, f"https://akce.smopk.example/prihlaska/{'x' * 32}"),
    (987654321, f"https://akce.example/prihlaska/{'Ab-_' * 17}?a=1&b=%C5%A1"), (3, ""),
    (4, "https://akce.example/r/a,b;c"), (5, None)]  # the last two: escaped, and a link that is null


@pytest.mark.parametrize("name", sorted(EVENTS))
@pytest.mark.parametrize("revision", [calendar.ENTRY, calendar.WITHDRAWN])
def test_each_persons_entry_filled_in_is_the_text_icalendar_writes(name, revision, monkeypatch):
    calendar._TEMPLATES.clear()
    written = []
    entries = calendar.entries
    monkeypatch.setattr(calendar, "entries", lambda *args, **kwargs: written.append(1) or entries(*args, **kwargs))
    for registration_id, link in PEOPLE:
        for lecturer in ("Ing. Eva Malá", None):
            person = dict(EVENTS[name], event=dict(EVENTS[name]["event"], lecturer=lecturer),
                          registration={"id": registration_id, "manage_url": link})
            for now in (NOW, NOW + timedelta(days=400, seconds=7, microseconds=3)):
                filled = calendar.ics(person, revision=revision, sender=SENDER, organiser="SMOPK", now=now)
                assert filled == as_icalendar_writes_it(person, revision, now), (registration_id, link, now)
    # one entry per lecturer written with marks, the rest filled in; the escaped link and null
    # the library's whole way (2 lecturers × 2 moments × 2 links), besides the reference's own
    assert len(written) == 2 + 8 + len(PEOPLE) * 2 * 2


def test_a_fold_that_falls_inside_a_mark_still_gives_each_person_their_own_link():
    """The description folds at 75 octets wherever the lecturer's name ends; for some lengths the
    fold falls inside the link's mark (a second reader's finding)."""
    calendar._TEMPLATES.clear()
    for length in range(20, 90):
        lecturer = ("Ing. Jana Nováková, Ph.D., a Petr Dvořák a " * 3)[:length]
        for registration_id, link in PEOPLE[:3]:
            person = dict(EVENTS["one morning"], event=dict(EVENTS["one morning"]["event"], lecturer=lecturer),
                          registration={"id": registration_id, "manage_url": link})
            filled = calendar.ics(person, revision=calendar.ENTRY, sender=SENDER, organiser="SMOPK", now=NOW)
            assert filled == as_icalendar_writes_it(person, calendar.ENTRY), (length, registration_id)
    assert None not in calendar._TEMPLATES.values()  # each filled in, none the whole way


def test_a_title_that_holds_a_mark_takes_the_whole_way():
    calendar._TEMPLATES.clear()
    person = dict(EVENTS["one morning"], event=dict(EVENTS["one morning"]["event"], title="Kód 19000101T000000Z"))
    filled = calendar.ics(person, revision=calendar.ENTRY, sender=SENDER, organiser="SMOPK", now=NOW)
    assert filled == as_icalendar_writes_it(person, calendar.ENTRY)
    assert list(calendar._TEMPLATES.values()) == [None]


def test_each_span_has_its_own_timezone_rules():
    written = {name: calendar.ics(event, revision=calendar.ENTRY, sender=SENDER, organiser="SMOPK", now=NOW)
               for name, event in EVENTS.items()}
    assert b"from 2025-12-07 to 2027-12-09" in written["one morning"]
    assert b"from 2026-12-30 to 2029-01-01" in written["two days over new year"]


def test_a_calendar_without_local_times_gets_no_timezone():
    made = Calendar()
    made.add("prodid", "-//SMOPK//Registrace na akce//CS")
    entry = CalendarEvent()
    entry.add("dtstart", NOW)
    made.add_component(entry)
    written = calendar.with_timezones(made, first_date=date(2026, 1, 1), last_date=date(2027, 1, 1))
    assert written == made.to_ical() and b"VTIMEZONE" not in written
