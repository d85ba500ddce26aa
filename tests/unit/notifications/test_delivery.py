"""Delivery through a real SMTP server: once, retried through an outage, failed on a 5xx."""
import logging
from datetime import timedelta

import pytest

from services.common import calendar
from services.common.errors import Conflict, NotFound, ValidationError
from tests.unit.notifications.conftest import NOW


def confirmed(n=1, **registration):
    values = {"id": n, "first_name": "Jana", "last_name": "Nováková", "email": f"jana{n}@obec.example",
              "price": 0, "manage_url": f"https://akce.example/r/t{n}", "ticket_code": f"T{n}-X"}
    values.update(registration)
    return {"message_id": f"m{n}", "registration": values, "event": {
        "id": 7, "version": 1, "title": "Odpady v obci", "kind": "seminar", "venue": "Plzeň",
        "lecturer": "Ing. Eva Malá", "starts_at": "2026-12-08T09:00:00+01:00", "ends_at": "2026-12-08T13:00:00+01:00"}}


def test_a_confirmation_is_sent_once_however_often_it_is_delivered(notifications, sink):
    notifications.on_registration_confirmed(confirmed(1))
    notifications.on_registration_confirmed(confirmed(1))
    notifications.deliver_due()
    [message] = sink.messages()
    assert message["To"] == "jana1@obec.example"
    assert message["Reply-To"] == "seminare@smopk.example"
    assert message["Message-ID"].endswith("@smopk.example>")
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/pdf", "text/calendar"]
    html = message.get_body(("html",)).get_content()
    assert "út 8. 12. 2026 v 9:00" in html and "https://akce.example/r/t1" in html
    [record] = notifications.list_messages()
    assert (record["status"], record["attempts"]) == ("sent", 1)


def test_smtp_away_then_back_delivers_everything_once_without_resend(notifications, sink):
    sink.stop()
    for n in range(1, 6):
        notifications.on_registration_confirmed(confirmed(n))
    assert {m["status"] for m in notifications.list_messages()} == {"awaiting_retry"}
    assert {m["attempts"] for m in notifications.list_messages()} == {1}

    notifications.clock_state["now"] = NOW + timedelta(seconds=5)
    notifications.deliver_due()  # not due yet: nothing tried
    assert {m["attempts"] for m in notifications.list_messages()} == {1}

    sink.start()
    notifications.clock_state["now"] = NOW + timedelta(seconds=11)
    notifications.deliver_due()
    notifications.deliver_due()
    assert sorted(m["To"] for m in sink.messages()) == [f"jana{n}@obec.example" for n in range(1, 6)]
    assert {(m["status"], m["attempts"]) for m in notifications.list_messages()} == {("sent", 2)}


def test_a_refused_recipient_fails_without_holding_back_the_others(notifications, sink):
    notifications.on_registration_confirmed(confirmed(1, email="refused@obec.example"))
    notifications.on_registration_confirmed(confirmed(2))
    [failed] = notifications.list_messages(status="failed")
    assert failed["to"] == "refused@obec.example" and "550" in failed["last_error"]
    assert [m["To"] for m in sink.messages()] == ["jana2@obec.example"]
    notifications.clock_state["now"] = NOW + timedelta(hours=2)
    notifications.deliver_due()
    assert len(sink.messages()) == 1


def test_names_with_markup_are_text_in_the_html_part(notifications, sink):
    told = {"event": confirmed()["event"], "registration": confirmed(1)["registration"],
            "replaced": confirmed(1)["registration"],
            "substitute": {"first_name": "<b>Jana</b>", "last_name": "<script>x</script>"}}
    notifications.on_registration_confirmed(confirmed(2, first_name="<b>Jana</b>", last_name="<script>x</script>"))
    notifications._queue_and_send("registration_substituted", told, "jana1@obec.example")
    greeted, named = sorted(sink.messages(), key=lambda m: m["To"], reverse=True)
    assert greeted.get_body(("plain",)).get_content().splitlines()[0] == "Dobrý den,"  # no name to greet by
    html = named.get_body(("html",)).get_content()
    assert "&lt;b&gt;Jana&lt;/b&gt; &lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html
    assert "<b>Jana</b> <script>x</script>" in named.get_body(("plain",)).get_content()


def attachments(message):
    return {part.get_filename(): part for part in message.iter_attachments()}


def assert_valid_calendar(message, method):
    """The entry as a second parser (vobject) reads it: every TZID defined, the hour right, UTF-8."""
    import vobject
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert part.get_content_charset() == "utf-8" and part.get_param("method") == method
    text = part.get_payload(decode=True).decode("utf-8")
    parsed = vobject.readOne(text)
    tzids = {line.split("TZID=")[1].split(":")[0] for line in text.splitlines() if "TZID=" in line}
    defined = {str(zone.tzid.value) for zone in parsed.contents.get("vtimezone", [])}
    assert tzids == {"Europe/Prague"} and tzids <= defined
    start = parsed.vevent.dtstart.value
    assert start.isoformat() == "2026-12-08T09:00:00+01:00" and start.utcoffset().total_seconds() == 3600


def calendar_of(message):
    from icalendar import Calendar
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True))


@pytest.mark.parametrize("kind, subject, words, files, status", [
    ("registration_confirmed", "Potvrzení přihlášky: Odpady v obci", "Vaše místo na akci je",
     {"vstupenka-1.pdf", "pozvanka.ics"}, "CONFIRMED"),
    ("registration_waitlisted", "Jste na čekací listině: Odpady v obci", "jako 3. v pořadí", set(), None),
    ("registration_promoted", "Uvolnilo se místo, jste přihlášeni: Odpady v obci", "uvolnilo se místo a",
     {"vstupenka-1.pdf", "pozvanka.ics"}, "CONFIRMED"),
    ("registration_cancelled", "Přihláška zrušena: Odpady v obci", "vaše přihláška byla", {"zruseni.ics"},
     "CANCELLED"),
    ("event_cancelled", "Akce se ruší: Odpady v obci", "Důvod: Lektor onemocněl.", {"zruseni.ics"}, "CANCELLED"),
    ("reminder_due", "Připomínka: Odpady v obci (8. 12. 2026)", "připomínáme", {"vstupenka-1.pdf"}, None),
    ("attendance_confirmed", "Osvědčení o absolvování: Odpady v obci", "osvědčení o absolvování",
     {"osvedceni-2026-0001.pdf"}, None),
])
def test_each_kind_of_email(notifications, sink, kind, subject, words, files, status):
    payload = confirmed(1, waitlist_position=3)
    payload["reason"] = "Lektor onemocněl."
    getattr(notifications, f"on_{kind}")(payload)
    [message] = sink.messages()
    assert message["Subject"] == subject
    plain = message.get_body(("plain",)).get_content()
    assert words in plain and words in message.get_body(("html",)).get_content()
    assert "Sdružení měst a obcí Plzeňského kraje" in plain  # the footer
    assert set(attachments(message)) == files
    if status:  # published, so that a calendar adds it with nothing to accept or decline (issue 31)
        published = calendar_of(message)
        assert published["METHOD"] == "PUBLISH"
        [entry] = published.walk("VEVENT")
        assert str(entry["SUMMARY"]) == "Odpady v obci" and str(entry["UID"]) == "prihlaska-1@smopk.example"
        assert str(entry["STATUS"]) == status and "ATTENDEE" not in entry
        assert str(entry["ORGANIZER"]) == "mailto:seminare@smopk.example"
        assert_valid_calendar(message, "PUBLISH")
    if kind == "attendance_confirmed":
        notifications.documents.render_certificate.assert_called_with(1, original=True)


def test_a_change_of_time_says_what_changed_and_updates_the_calendar(notifications, sink):
    payload = confirmed(1)
    payload["event"] = dict(payload["event"], version=2, starts_at="2026-12-09T10:00:00+01:00")
    payload["changes"] = {"starts_at": ["2026-12-08T09:00:00+01:00", "2026-12-09T10:00:00+01:00"]}
    notifications.on_event_updated(payload)
    notifications.on_event_updated(payload)
    [message] = sink.messages()
    plain = message.get_body(("plain",)).get_content()
    assert "začátek: st 9. 12. 2026 v 10:00 (dříve út 8. 12. 2026 v 9:00)" in plain
    [entry] = calendar_of(message).walk("VEVENT")
    assert entry["SEQUENCE"] == calendar.sequence(2)
    payload["event"]["version"] = 3
    notifications.on_event_updated(payload)
    assert len(sink.messages()) == 2  # a newer version is news again


def test_each_revision_of_a_calendar_entry_outranks_the_one_before(notifications, sink):
    """Confirmed, released as unpaid (withdrawn), paid in time after all (back under the same UID),
    then the event moved: a calendar takes the entry of a higher SEQUENCE as the newer one, so
    each step must be higher than the last, the withdrawal too (RFC 5546 PUBLISH)."""
    notifications.on_registration_confirmed(confirmed(1))
    notifications.on_registration_cancelled(dict(confirmed(1, status="cancelled"), released_unpaid=True))
    notifications.on_registration_restored(dict(confirmed(1, status="confirmed"), restored_from=1,
                                                paid_in_time=True))
    moved = confirmed(1, status="confirmed")
    moved["event"] = dict(moved["event"], version=2, starts_at="2026-12-09T09:00:00+01:00")
    moved["changes"] = {"starts_at": ["2026-12-08T09:00:00+01:00", "2026-12-09T09:00:00+01:00"]}
    notifications.on_event_updated(moved)
    by_subject = {m["Subject"].split(":")[0]: m for m in sink.messages()}
    steps = [by_subject[name] for name in ("Potvrzení přihlášky", "Přihláška zrušena", "Přihláška obnovena",
                                           "Změna akce")]
    entries = [calendar_of(message).walk("VEVENT")[0] for message in steps]
    assert {str(entry["UID"]) for entry in entries} == {"prihlaska-1@smopk.example"}
    assert [str(entry["STATUS"]) for entry in entries] == ["CONFIRMED", "CANCELLED", "CONFIRMED", "CONFIRMED"]
    sequences = [int(entry["SEQUENCE"]) for entry in entries]
    assert sequences == sorted(set(sequences)), sequences
    for message in steps:
        [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
        assert part.get_param("method") == "PUBLISH" and calendar_of(message)["METHOD"] == "PUBLISH"


def test_registering_again_after_cancelling_makes_a_new_calendar_entry(notifications, sink):
    notifications.on_registration_confirmed(confirmed(1))
    notifications.on_registration_cancelled(confirmed(1))
    notifications.on_registration_confirmed(confirmed(2, email="jana1@obec.example"))  # the same person again
    entries = [(str(calendar_of(m).walk("VEVENT")[0]["STATUS"]), str(calendar_of(m).walk("VEVENT")[0]["UID"]))
               for m in sink.messages()]
    [cancelled] = [uid for status, uid in entries if status == "CANCELLED"]
    requested = sorted(uid for status, uid in entries if status == "CONFIRMED")
    assert requested == ["prihlaska-1@smopk.example", "prihlaska-2@smopk.example"]
    assert cancelled == "prihlaska-1@smopk.example"  # the new entry is not the cancelled one


def test_announcements_are_paced_and_carry_an_unsubscribe_link(notifications, sink):
    assert notifications.announce("Dotace na obnovu návsí", "Vážení,\n\nvypsali jsme dotace.", "Tachov") == 6
    notifications.members.announcement_recipients.assert_called_with("Tachov")
    notifications.deliver_due()
    assert len(sink.messages()) == 1  # the first now, the rest at two a second
    notifications.clock_state["now"] = NOW + timedelta(seconds=1)
    notifications.deliver_due()
    assert len(sink.messages()) == 3
    notifications.clock_state["now"] = NOW + timedelta(seconds=10)
    notifications.deliver_due()
    messages = sink.messages()
    assert sorted(m["To"] for m in messages) == [f"starosta{n}@obec.example" for n in range(1, 7)]
    first = next(m for m in messages if m["To"] == "starosta1@obec.example")
    assert first["Subject"] == "Dotace na obnovu návsí"
    assert first["List-Unsubscribe"].endswith("/announcements/unsubscribe/tok1>")
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<p>vypsali jsme dotace.</p>" in first.get_body(("html",)).get_content()
    with pytest.raises(ValidationError):
        notifications.announce("", "text")


def test_resend_sends_again(notifications, sink):
    notifications.on_registration_confirmed(confirmed(1))
    [record] = notifications.list_messages()
    assert notifications.resend(record["id"])["attempts"] == 2
    assert len(sink.messages()) == 2
    with pytest.raises(NotFound):
        notifications.resend(999)


@pytest.mark.parametrize("first, later, subject_sent", [
    ("on_registration_confirmed", "on_registration_cancelled", "Přihláška zrušena"),
    ("on_registration_waitlisted", "on_registration_promoted", "Uvolnilo se místo"),
    ("on_reminder_due", "on_event_cancelled", "Akce se ruší"),
])
def test_a_message_waiting_for_a_retry_is_not_sent_once_overtaken(notifications, sink, first, later, subject_sent):
    sink.stop()
    getattr(notifications, first)(confirmed(1))
    [waiting] = notifications.list_messages(status="awaiting_retry")
    sink.start()
    later_payload = confirmed(1)
    if later == "on_event_cancelled":
        later_payload["event"]["version"] = 2
        later_payload["reason"] = "Lektor onemocněl."
    getattr(notifications, later)(later_payload)
    notifications.clock_state["now"] = NOW + timedelta(seconds=11)
    notifications.deliver_due()
    [message] = sink.messages()
    assert message["Subject"].startswith(subject_sent)
    overtaken = [m for m in notifications.list_messages() if m["id"] == waiting["id"]][0]
    assert overtaken["status"] == "superseded" and "overtaken by" in overtaken["last_error"]


def test_a_restored_registration_begins_anew_its_cancellation_overtakes_nothing_said_after(notifications, sink):
    notifications.on_registration_cancelled(confirmed(1))  # a released seat, or a cancellation by mistake
    notifications.on_registration_restored(dict(confirmed(1, status="confirmed"), paid_in_time=True))
    notifications.on_reminder_due(dict(confirmed(1), days_before=2))
    notifications.deliver_due()
    assert sorted(m["Subject"].split(":")[0] for m in sink.messages()) == [
        "Přihláška obnovena", "Přihláška zrušena", "Připomínka"], [(m["kind"], m["status"], m["last_error"])
                                                                 for m in notifications.list_messages()]


def test_an_older_change_of_time_is_not_sent_after_a_newer_one(notifications, sink):
    sink.stop()
    older = dict(confirmed(1), changes={"starts_at": ["2026-12-08T09:00:00+01:00", "2026-12-09T09:00:00+01:00"]})
    older["event"] = dict(older["event"], version=2)
    notifications.on_event_updated(older)
    sink.start()
    newer = dict(confirmed(1), changes={"starts_at": ["2026-12-09T09:00:00+01:00", "2026-12-10T09:00:00+01:00"]})
    newer["event"] = dict(newer["event"], version=3, starts_at="2026-12-10T09:00:00+01:00")
    notifications.on_event_updated(newer)
    notifications.clock_state["now"] = NOW + timedelta(seconds=11)
    notifications.deliver_due()
    [message] = sink.messages()
    assert "10. 12. 2026" in message.get_body(("plain",)).get_content()
    assert {m["status"] for m in notifications.list_messages()} == {"sent", "superseded"}


def test_what_a_sent_email_said_is_dropped_after_its_time_and_cannot_be_resent(notifications, sink):
    notifications.on_registration_confirmed(confirmed(1))
    notifications.clock_state["now"] = NOW + timedelta(days=89)
    notifications.forget_sent_bodies()
    [kept] = notifications.list_messages()
    notifications.clock_state["now"] = NOW + timedelta(days=91)
    notifications.forget_sent_bodies()
    [record] = notifications.list_messages()
    assert (record["to"], record["status"], record["sent_at"]) == (kept["to"], "sent", kept["sent_at"])
    from services.notifications import store
    with notifications.db.transaction() as tx:
        assert store.get_message(tx, record["id"])["payload"] == {"purged": True}
    with pytest.raises(Conflict) as refused:
        notifications.resend(record["id"])
    assert refused.value.code == "message_purged"


def test_an_email_builds_even_when_a_title_holds_a_line_break(notifications, sink):
    payload = confirmed(1)
    payload["event"] = dict(payload["event"], title="Odpady\r\nBcc: vsichni@example.org")  # from before the check
    notifications.on_registration_confirmed(payload)
    [message] = sink.messages()
    assert message["Subject"] == "Potvrzení přihlášky: Odpady Bcc: vsichni@example.org"
    assert message["Bcc"] is None


def test_an_email_sent_while_the_database_goes_away_is_recorded_when_it_is_back_and_sent_once(
        notifications, sink, database_urls, caplog):
    """The server took the email, then the database was away for a moment: the outcome waits for
    the database, so the message never looks unsent (it would go again once its claim lapsed)."""
    import eventlet

    from services.common.db import Database
    from services.notifications import store
    from tests.faults import database_away

    url = database_urls["notifications"]
    notifications.db = Database(url, store.metadata, lock_wait=0.2)  # the same file, a short wait for its lock
    session = notifications.smtp.session
    away = []

    def session_then_database_away():
        opened = session()
        send = opened.send

        def send_then_database_away(message):
            send(message)
            away.append(database_away(url))
            away[-1].__enter__()
            eventlet.spawn_after(1.5, away[-1].__exit__, None, None, None)
        opened.send = send_then_database_away
        return opened

    notifications.smtp.session = session_then_database_away
    try:
        with caplog.at_level(logging.WARNING):
            notifications.on_registration_confirmed(confirmed(1))
    finally:
        notifications.db.dispose()
    assert len(away) == 1 and "its outcome not recorded yet" in caplog.text
    notifications.db = Database(url, store.metadata)
    [record] = notifications.list_messages()
    assert (record["status"], record["attempts"]) == ("sent", 1)
    notifications.clock_state["now"] = NOW + timedelta(hours=1)  # every claim long lapsed
    notifications.deliver_due()
    assert [m["To"] for m in sink.messages()] == ["jana1@obec.example"]
