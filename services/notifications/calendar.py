"""Calendar entries (.ics) that Google Calendar, Outlook and Thunderbird accept.

One UID per event, so every update replaces the entry; SEQUENCE is the
event's version, so a newer entry wins; METHOD:CANCEL removes it.
"""
from datetime import datetime
from email.utils import parseaddr

from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as CalendarEvent


def event_uid(event_id, sender) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"akce-{event_id}@{domain}"


def ics(payload, *, method, sender, organiser, now) -> bytes:
    """An iTIP calendar entry for the attendee of ``payload`` (``REQUEST`` or ``CANCEL``)."""
    event, registration = payload["event"], payload["registration"]
    calendar = Calendar()
    calendar.add("prodid", "-//SMOPK//Registrace na akce//CS")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    entry = CalendarEvent()
    entry.add("uid", event_uid(event["id"], sender))
    entry.add("sequence", int(event.get("version", 1)))
    entry.add("dtstamp", now)
    entry.add("dtstart", datetime.fromisoformat(event["starts_at"]))
    entry.add("dtend", datetime.fromisoformat(event["ends_at"]))
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
    return calendar.to_ical()
