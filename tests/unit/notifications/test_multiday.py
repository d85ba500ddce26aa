"""Emails and calendar entries of a multi-day event: every session, in Prague time."""
from datetime import UTC, datetime

from services.common import calendar
from tests.unit.notifications.test_delivery import calendar_of, confirmed

SESSIONS = [{"starts_at": "2027-03-03T13:00:00+01:00", "ends_at": "2027-03-03T16:30:00+01:00", "title": "Úvod",
             "venue": None},
            {"starts_at": "2027-03-10T13:00:00+01:00", "ends_at": "2027-03-10T16:30:00+01:00", "title": None,
             "venue": None},
            {"starts_at": "2027-03-31T09:00:00+02:00", "ends_at": "2027-03-31T12:00:00+02:00", "title": None,
             "venue": "Rokycany, sál"}]


def series(n=1, sessions=SESSIONS, **event):
    payload = confirmed(n)
    payload["event"].update(starts_at=sessions[0]["starts_at"], ends_at=sessions[-1]["ends_at"], sessions=sessions,
                            **event)
    return payload


def test_the_confirmation_lists_every_session_and_the_calendar_has_each(notifications, sink):
    notifications.on_registration_confirmed(series())
    [message] = sink.messages()
    plain, html = message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()
    for text in (plain, html):
        assert "3. 3. – 31. 3. 2027" in text
        for line in ("st 3. 3. 2027 v 13:00 – 16:30 · Úvod", "st 10. 3. 2027 v 13:00 – 16:30",
                     "st 31. 3. 2027 v 9:00 – 12:00 · Rokycany, sál"):
            assert line in text
    entries = calendar_of(message).walk("VEVENT")
    assert [str(e["UID"]) for e in entries] == [
        "prihlaska-1@smopk.example", "prihlaska-1-2@smopk.example", "prihlaska-1-3@smopk.example"]
    assert [e.decoded("DTSTART").isoformat() for e in entries] == [
        "2027-03-03T13:00:00+01:00", "2027-03-10T13:00:00+01:00", "2027-03-31T09:00:00+02:00"]  # summer time
    assert [str(e["DTSTART"].dt.tzinfo) for e in entries] == ["Europe/Prague"] * 3
    assert [e.decoded("DTEND").isoformat() for e in entries][-1] == "2027-03-31T12:00:00+02:00"
    assert [str(e["SUMMARY"]) for e in entries] == [
        "Odpady v obci (1/3): Úvod", "Odpady v obci (2/3)", "Odpady v obci (3/3)"]
    assert [str(e["LOCATION"]) for e in entries] == ["Plzeň", "Plzeň", "Rokycany, sál"]


def test_a_cancellation_withdraws_every_session(notifications, sink):
    notifications.on_registration_cancelled(series())
    [message] = sink.messages()
    calendar = calendar_of(message)
    assert calendar["METHOD"] == "PUBLISH"
    assert [str(e["STATUS"]) for e in calendar.walk("VEVENT")] == ["CANCELLED"] * 3


def test_the_calendar_uid_of_an_event_without_sessions_stays():
    text = calendar.ics(confirmed(1), revision=calendar.ENTRY, sender="Semináře <seminare@smopk.example>",
                        organiser="SMOPK", now=datetime(2026, 11, 27, tzinfo=UTC)).decode()
    assert text.count("BEGIN:VEVENT") == 1 and "UID:prihlaska-1@smopk.example" in text


def test_a_change_of_sessions_says_the_new_ones_and_the_old_ones(notifications, sink):
    moved = [SESSIONS[0], dict(SESSIONS[1], starts_at="2027-03-11T13:00:00+01:00",
                               ends_at="2027-03-11T16:30:00+01:00"), SESSIONS[2]]
    payload = series(sessions=moved, version=2)
    payload["changes"] = {"sessions": [SESSIONS, moved]}
    notifications.on_event_updated(payload)
    [message] = sink.messages()
    plain = message.get_body(("plain",)).get_content()
    now, before = plain.split("nyní:")[1].split("dříve:")
    assert "čt 11. 3. 2027 v 13:00 – 16:30" in now and "st 10. 3. 2027" not in now
    assert "st 10. 3. 2027 v 13:00 – 16:30" in before.split("Akce:")[0]
    html = message.get_body(("html",)).get_content()
    assert "termíny nyní: <strong>" in html and "čt 11. 3. 2027 v 13:00 – 16:30" in html
    assert [e["SEQUENCE"] for e in calendar_of(message).walk("VEVENT")] == [calendar.sequence(2)] * 3
    assert [e.decoded("DTSTART").day for e in calendar_of(message).walk("VEVENT")] == [3, 11, 31]


def test_a_series_made_from_a_single_event_shows_the_old_time(notifications, sink):
    payload = series(version=2)
    payload["changes"] = {"starts_at": ["2027-03-03T09:00:00+01:00", SESSIONS[0]["starts_at"]],
                          "ends_at": ["2027-03-03T12:00:00+01:00", SESSIONS[-1]["ends_at"]],
                          "sessions": [None, SESSIONS]}
    notifications.on_event_updated(payload)
    [message] = sink.messages()
    plain = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "začátek:" not in plain  # the sessions say it
    assert "dříve:\n    st 3. 3. 2027 v 9:00 – 12:00" in plain


def test_the_reminder_of_a_series_lists_its_sessions(notifications, sink):
    notifications.on_reminder_due(series())
    [message] = sink.messages()
    assert message["Subject"] == "Připomínka: Odpady v obci (3. 3. 2027)"
    assert "st 10. 3. 2027 v 13:00 – 16:30" in message.get_body(("plain",)).get_content()


def test_a_calendar_of_a_series_is_valid_for_a_second_parser(notifications, sink):
    """vobject reads every session, with every TZID defined (winter and summer time)."""
    import vobject
    notifications.on_registration_confirmed(series())
    [message] = sink.messages()
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    parsed = vobject.readOne(part.get_payload(decode=True).decode("utf-8"))
    starts = [entry.dtstart.value.isoformat() for entry in parsed.contents["vevent"]]
    assert starts == ["2027-03-03T13:00:00+01:00", "2027-03-10T13:00:00+01:00", "2027-03-31T09:00:00+02:00"]
    assert [str(zone.tzid.value) for zone in parsed.contents["vtimezone"]] == ["Europe/Prague"]


def test_the_cancellation_and_the_certificate_email_name_the_range_of_days(notifications, sink):
    notifications.on_event_cancelled(dict(series(), reason="Lektorka onemocněla."))
    notifications.on_attendance_confirmed(series(2))
    cancelled, attended = sorted(sink.messages(), key=lambda m: m["To"])
    assert "plánovaná na 3. 3. – 31. 3. 2027 ruší" in cancelled.get_body(("plain",)).get_content()
    assert "programu Odpady v obci (3. 3. – 31. 3. 2027)" in attended.get_body(("plain",)).get_content()
