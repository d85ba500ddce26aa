"""Calendar entries (.ics) that Google Calendar, Outlook and Thunderbird accept.

One UID per registration: every update of the event replaces the entry
(SEQUENCE is the event's version, so a newer entry wins), METHOD:CANCEL
removes it, and registering again after a cancellation is a new registration
with a new entry, not a cancelled one revived at the same SEQUENCE. Times are
in Europe/Prague with its VTIMEZONE, as RFC 5545 wants for every TZID used.
"""
from datetime import datetime, timedelta
from email.utils import parseaddr

from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as CalendarEvent

from services.common.czech import local


def entry_uid(registration_id, sender) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"prihlaska-{registration_id}@{domain}"


def ics(payload, *, method, sender, organiser, now) -> bytes:
    """An iTIP calendar entry for the attendee of ``payload`` (``REQUEST`` or ``CANCEL``)."""
    event, registration = payload["event"], payload["registration"]
    calendar = Calendar()
    calendar.add("prodid", "-//SMOPK//Registrace na akce//CS")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    entry = CalendarEvent()
    starts, ends = (local(datetime.fromisoformat(event[field])) for field in ("starts_at", "ends_at"))
    entry.add("uid", entry_uid(registration["id"], sender))
    entry.add("sequence", int(event.get("version", 1)))
    entry.add("dtstamp", now)
    entry.add("dtstart", starts)
    entry.add("dtend", ends)
    entry.add("summary", event["title"])
    entry.add("location", event["venue"])
    if event.get("lecturer"):
        entry.add("description", f"Lektor: {event['lecturer']}\n{registration.get('manage_url', '')}")
    organiser_address = vCalAddress(f"mailto:{parseaddr(sender)[1]}")
    organiser_address.params["cn"] = vText(organiser)
    entry.add("organizer", organiser_address)
    attendee = vCalAddress(f"mailto:{registration['email']}")
    attendee.params["cn"] = vText(f"{registration['first_name']} {registration['last_name']}")
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    entry.add("attendee", attendee)
    entry.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    calendar.add_component(entry)
    # the rules of the year around the event only: the whole history would make the entry long
    calendar.add_missing_timezones(first_date=(starts - timedelta(days=366)).date(),
                                   last_date=(ends + timedelta(days=366)).date())
    return calendar.to_ical()
