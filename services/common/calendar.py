"""Calendar entries (.ics) that Google Calendar, Outlook and Thunderbird accept.

One UID per registration and session: every update of the event replaces the entry
(SEQUENCE is the event's version, so a newer entry wins), METHOD:CANCEL
removes it, and registering again after a cancellation is a new registration
with a new entry, not a cancelled one revived at the same SEQUENCE. Times are
in Europe/Prague with its VTIMEZONE, as RFC 5545 wants for every TZID used.

A multi-day event or a series is one VEVENT per session. The first session keeps
the registration's UID, the n-th has ``prihlaska-<id>-<n>@…``: an event that gets
sessions later updates its entry and adds the others. Sessions removed from the end
of a series are not withdrawn from calendars that already hold them.

Shared by notifications (the entry attached to the emails, ``REQUEST`` or ``CANCEL``) and by
registrations (the manage page's "Přidat do kalendáře" download, ``PUBLISH``): both give the
same UIDs, so an entry imported from the page and one from an email are the same entry.
A ``PUBLISH`` entry names no attendee (RFC 5546): nobody is asked to accept or decline it.
"""
from datetime import datetime, timedelta
from email.utils import parseaddr

from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as CalendarEvent

from services.common.czech import local, schedule


def entry_uid(registration_id, sender, number=1) -> str:
    """The UID of the ``number``-th session's entry (the first's is the registration's)."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    suffix = f"-{number}" if number > 1 else ""
    return f"prihlaska-{registration_id}{suffix}@{domain}"


def _moment(value) -> datetime:
    return local(datetime.fromisoformat(value) if isinstance(value, str) else value)


def ics(payload, *, method, sender, organiser, now) -> bytes:
    """An iTIP calendar entry for the attendee of ``payload`` (``REQUEST``, ``CANCEL`` or
    ``PUBLISH``); the event's times may be datetimes or their ISO texts."""
    event, registration = payload["event"], payload["registration"]
    calendar = Calendar()
    calendar.add("prodid", "-//SMOPK//Registrace na akce//CS")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    sessions = schedule(event)
    for number, session in enumerate(sessions, start=1):
        calendar.add_component(_entry(event, registration, session, number, len(sessions), method=method,
                                      sender=sender, organiser=organiser, now=now))
    starts, ends = _moment(event["starts_at"]), _moment(event["ends_at"])
    # the rules of the year around the event only: the whole history would make the entry long
    calendar.add_missing_timezones(first_date=(starts - timedelta(days=366)).date(),
                                   last_date=(ends + timedelta(days=366)).date())
    return calendar.to_ical()


def _entry(event, registration, session, number, count, *, method, sender, organiser, now):
    entry = CalendarEvent()
    entry.add("uid", entry_uid(registration["id"], sender, number))
    entry.add("sequence", int(event.get("version", 1)))
    entry.add("dtstamp", now)
    entry.add("dtstart", _moment(session["starts_at"]))
    entry.add("dtend", _moment(session["ends_at"]))
    title = event["title"] if count == 1 else f"{event['title']} ({number}/{count})"
    entry.add("summary", f"{title}: {session['title']}" if session["title"] else title)
    entry.add("location", session["venue"])
    if event.get("lecturer"):
        entry.add("description", f"Lektor: {event['lecturer']}\n{registration.get('manage_url', '')}")
    organiser_address = vCalAddress(f"mailto:{parseaddr(sender)[1]}")
    organiser_address.params["cn"] = vText(organiser)
    entry.add("organizer", organiser_address)
    if method != "PUBLISH":
        attendee = vCalAddress(f"mailto:{registration['email']}")
        attendee.params["cn"] = vText(f"{registration['first_name']} {registration['last_name']}")
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        entry.add("attendee", attendee)
    entry.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    return entry
