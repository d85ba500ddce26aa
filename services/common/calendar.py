"""Calendar entries (.ics) that Google Calendar, Outlook and Thunderbird accept.

Every entry is published (RFC 5546 ``METHOD:PUBLISH``): an ORGANIZER, as PUBLISH asks, and no
ATTENDEE, so a calendar adds it as an appointment and offers no Accept/Decline whose replies
nobody reads. The email's attachment says the same method in its Content-Type.

A cancellation is a PUBLISH of the same UID with ``STATUS:CANCELLED`` and a higher SEQUENCE.
RFC 5546 §3.2.1 lets an organiser update a published entry with another PUBLISH or cancel it with
a CANCEL; CANCEL is the scheduling method, whose component lists the ATTENDEEs it withdraws
(§3.2.5) and which calendars show as a meeting's cancellation: a published entry has no attendees
and is no meeting, so the whole life of an entry stays in one method, and the attachment of every
email says ``method=PUBLISH``.

One UID per registration and session: every update of the event replaces the entry. SEQUENCE
grows with each revision (``sequence``): three per version of the event, the entry, its
withdrawal and its return (a seat released as unpaid and paid in time after all comes back under
the same UID); a newer version of the event outranks all three. Registering again after a
cancellation is a new registration with a new entry. Times are in Europe/Prague with its
VTIMEZONE, as RFC 5545 wants for every TZID used.

A multi-day event or a series is one VEVENT per session. The first session keeps
the registration's UID, the n-th has ``prihlaska-<id>-<n>@…``: an event that gets
sessions later updates its entry and adds the others. Sessions removed from the end
of a series are not withdrawn from calendars that already hold them.

Shared by notifications (the entry attached to each email) and registrations (the manage page's
"Přidat do kalendáře" download, which states the seat as it is now: ``CURRENT``): both give the
same UIDs, so an entry imported from the page and one from an email are the same entry.

The public feed (``feed``, ``/akce.ics``) is the events' calendar, not a person's: its entries
have UIDs of the event (``akce-<id>@…``, the n-th session ``akce-<id>-<n>@…``), since an entry of a
registration is that person's seat. A subscribed calendar and a registered person's own entry are
two entries in two calendars, as in any calendar program. An entry of the feed is the same text
until the event changes (DTSTAMP and LAST-MODIFIED are the event's last change, SEQUENCE its
version), so the feed's ETag changes only with the events.
"""
import json
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr
from functools import lru_cache
from typing import Any

from icalendar import Calendar, Timezone, vCalAddress, vDuration, vText
from icalendar import Event as CalendarEvent
from icalendar.parser import foldline as _foldline

from services.common.czech import event_kind, local, schedule
from services.common.vocabulary import EventStatus


@lru_cache(maxsize=16)
def _address(sender: str) -> str:
    """The address of ``sender`` (``Name <address>``); one sender per process, parsed once."""
    return parseaddr(sender)[1]


def entry_uid(registration_id: int, sender: str, number: int = 1) -> str:
    """The UID of the ``number``-th session's entry (the first's is the registration's)."""
    domain = _address(sender).rpartition("@")[2] or "localhost"
    suffix = f"-{number}" if number > 1 else ""
    return f"prihlaska-{registration_id}{suffix}@{domain}"


METHOD = "PUBLISH"
# The revisions of one entry at one version of the event, in the order they can happen.
ENTRY, WITHDRAWN, RETURNED = range(3)
# The manage page's download: the seat as it is now, outranking every email of the same version
# (after a withdrawal and return too); a later version of the event outranks it in turn.
CURRENT = RETURNED


def sequence(event_version: int | None, revision: int = ENTRY) -> int:
    """The SEQUENCE of an entry's ``revision`` at ``event_version``: higher for every later one."""
    return 3 * int(event_version or 1) + revision


def _moment(value: datetime | str) -> datetime:
    """An event's time as a datetime in Prague (the payloads carry ISO texts, the pages datetimes)."""
    return local(datetime.fromisoformat(value) if isinstance(value, str) else value)


def ics(payload: Mapping[str, Any], *, revision: int, sender: str, organiser: str, now: datetime) -> bytes:
    """The published calendar entry of the attendee of ``payload``: the entry (``ENTRY``, or
    ``RETURNED`` after a withdrawal) or its withdrawal (``WITHDRAWN``, STATUS:CANCELLED).

    Everyone's entry of one event differs only in the registration's number (the UID), its
    manage link (in the description) and the moment (DTSTAMP): the entry is written once per event
    and revision with marks in their places (``_Template``) and each person's values are put in
    and folded as icalendar folds them. A value the marks cannot carry exactly (a link with
    characters TEXT escapes, a moment not in UTC) takes the library's whole way, ``_written``."""
    registration = payload["registration"]
    link = registration.get("manage_url", "")
    if now.tzinfo is UTC and type(registration["id"]) is int and type(link) is str and _PLAIN_LINK.match(link):
        template = _template(payload["event"], revision, sender, organiser)
        if template is not None:
            return template.fill(registration["id"], link, now)
    return _written(payload, revision=revision, sender=sender, organiser=organiser, now=now)


# Marks no text of an event can hold by chance (random per process), and a moment no entry has.
_MARK = secrets.token_hex(6)
_ID_MARK, _LINK_MARK = f"id{_MARK}", f"link{_MARK}"
_STAMP_MARK = datetime(1900, 1, 1, tzinfo=UTC)
_STAMP_TEXT = "19000101T000000Z"
# A link TEXT escaping leaves as it is (no backslash, comma, semicolon or line break).
_PLAIN_LINK = re.compile(r"[A-Za-z0-9:/._~?=&%+#@!$*'()-]*\Z")
TEMPLATES_KEPT = 128
_TEMPLATES: OrderedDict[str, "_Template | None"] = OrderedDict()


class _Template:
    """An entry as icalendar writes it, its lines kept as written (folded), but for those with a
    mark, kept unfolded to be filled and folded per person."""

    def __init__(self, written: bytes) -> None:
        self.parts: list[bytes | str] = []
        for line in re.split(rb"\r\n(?! )", written):  # a logical line and its continuation lines
            text = line.decode().replace("\r\n ", "")  # unfolded: a fold may fall inside a mark
            if _MARK in text or _STAMP_TEXT in text:
                self.parts.append(text)
            else:
                self.parts.append(line)

    def fill(self, registration_id: int, link: str, now: datetime) -> bytes:
        stamp = f"{now.year:04}{now.month:02}{now.day:02}T{now.hour:02}{now.minute:02}{now.second:02}Z"
        number = str(registration_id)
        return b"\r\n".join(_foldline(part.replace(_ID_MARK, number).replace(_LINK_MARK, link)
                                       .replace(_STAMP_TEXT, stamp)).encode() if isinstance(part, str) else part
                             for part in self.parts)

    def fits(self) -> bool:
        """Every mark where it belongs, once per entry: the UID, the DTSTAMP, the description."""
        marked = [part for part in self.parts if isinstance(part, str)]
        entries_count = sum(1 for part in self.parts if part == b"BEGIN:VEVENT")
        described = sum(1 for part in self.parts if isinstance(part, bytes) and part.startswith(b"DESCRIPTION")
                        or isinstance(part, str) and part.startswith("DESCRIPTION"))
        return (sum(part.count(_ID_MARK) for part in marked) == entries_count
                and sum(part.count(_LINK_MARK) for part in marked) == described
                and all(part.startswith("UID:") for part in marked if _ID_MARK in part)
                and sum(part.count(_STAMP_TEXT) for part in marked) == entries_count
                and all(part.startswith("DTSTAMP:") for part in marked if _STAMP_TEXT in part)
                and all(part.startswith("DESCRIPTION:") for part in marked if _LINK_MARK in part))


def _template(event: Mapping[str, Any], revision: int, sender: str, organiser: str) -> _Template | None:
    """The entry of ``event`` with marks for each person's values; None when they cannot be put
    in exactly (the whole way then)."""
    key = json.dumps([event, revision, sender, organiser], sort_keys=True, default=str)
    if key in _TEMPLATES:
        _TEMPLATES.move_to_end(key)
        return _TEMPLATES[key]
    made = _Template(_written({"event": event, "registration": {"id": _ID_MARK, "manage_url": _LINK_MARK}},
                              revision=revision, sender=sender, organiser=organiser, now=_STAMP_MARK))
    template = made if made.fits() else None
    _TEMPLATES[key] = template
    while len(_TEMPLATES) > TEMPLATES_KEPT:
        _TEMPLATES.popitem(last=False)
    return template


def _written(payload: Mapping[str, Any], *, revision: int, sender: str, organiser: str, now: datetime) -> bytes:
    """``ics`` the library's whole way."""
    event = payload["event"]
    calendar = entries(payload, revision=revision, sender=sender, organiser=organiser, now=now)
    starts, ends = _moment(event["starts_at"]), _moment(event["ends_at"])
    # the rules of the year around the event only: the whole history would make the entry long
    return with_timezones(calendar, first_date=(starts - timedelta(days=366)).date(),
                          last_date=(ends + timedelta(days=366)).date())


def entries(payload: Mapping[str, Any], *, revision: int, sender: str, organiser: str, now: datetime) -> Calendar:
    """The calendar of ``ics`` without its VTIMEZONE."""
    event, registration = payload["event"], payload["registration"]
    calendar = Calendar()
    calendar.add("prodid", "-//SMOPK//Registrace na akce//CS")
    calendar.add("version", "2.0")
    calendar.add("method", METHOD)
    sessions = schedule(event)
    for number, session in enumerate(sessions, start=1):
        calendar.add_component(_entry(event, registration, session, number, len(sessions), revision=revision,
                                      sender=sender, organiser=organiser, now=now))
    return calendar


def with_timezones(calendar: Calendar, *, first_date: date, last_date: date) -> bytes:
    """``calendar.add_missing_timezones(first_date, last_date)`` and ``to_ical()``, the same text
    for a fraction of the time: the VTIMEZONEs of a span are made and written once per process
    (``_timezones``) and put where add_missing_timezones puts them, before the first component
    (``calendar`` has none of its own). An email's entry spent most of its time making Prague's."""
    tzids = frozenset(calendar.get_missing_tzids())
    ical: bytes = calendar.to_ical()
    if not tzids:
        return ical
    found = ical.find(b"\r\nBEGIN:")  # the calendar's own properties are before it
    if found < 0:
        return ical
    at = found + 2
    return ical[:at] + _timezones(tzids, first_date, last_date) + ical[at:]


@lru_cache(maxsize=256)
def _timezones(tzids: frozenset[str], first_date: date, last_date: date) -> bytes:
    written = b""
    for tzid in sorted(tzids):
        try:
            timezone = Timezone.from_tzid(tzid, first_date=first_date, last_date=last_date)
        except ValueError:  # unknown: add_missing_timezones leaves it out too
            continue
        written += timezone.to_ical()
    return written


def _entry(event: Mapping[str, Any], registration: Mapping[str, Any], session: Mapping[str, Any], number: int,
           count: int, *, revision: int, sender: str, organiser: str, now: datetime) -> CalendarEvent:
    entry = CalendarEvent()
    entry.add("uid", entry_uid(registration["id"], sender, number))
    entry.add("sequence", sequence(event.get("version", 1), revision))
    entry.add("dtstamp", now)
    entry.add("dtstart", _moment(session["starts_at"]))
    entry.add("dtend", _moment(session["ends_at"]))
    title = event["title"] if count == 1 else f"{event['title']} ({number}/{count})"
    entry.add("summary", f"{title}: {session['title']}" if session["title"] else title)
    entry.add("location", session["venue"])
    if event.get("lecturer"):
        entry.add("description", f"Lektor: {event['lecturer']}\n{registration.get('manage_url', '')}")
    organiser_address = vCalAddress(f"mailto:{_address(sender)}")
    organiser_address.params["cn"] = vText(organiser)
    entry.add("organizer", organiser_address)  # PUBLISH asks for it; no ATTENDEE, so nothing to answer
    entry.add("status", "CANCELLED" if revision == WITHDRAWN else "CONFIRMED")
    return entry


def event_uid(event_id: int, sender: str, number: int = 1) -> str:
    """The UID of the ``number``-th session of an event in the public feed."""
    domain = _address(sender).rpartition("@")[2] or "localhost"
    suffix = f"-{number}" if number > 1 else ""
    return f"akce-{event_id}{suffix}@{domain}"


# How often a subscribed calendar is asked to look again (RFC 7986 REFRESH-INTERVAL, and the
# older X-PUBLISHED-TTL that Outlook reads).
FEED_REFRESH = timedelta(hours=1)


def feed(events: Sequence[Mapping[str, Any]], *, name: str, sender: str, organiser: str,
         event_url: Callable[[Mapping[str, Any]], str]) -> bytes:
    """The public calendar of ``events`` (event views: published, or cancelled after publishing),
    named ``name`` (X-WR-CALNAME): one VEVENT per session, a cancelled event's as
    STATUS:CANCELLED, each with the event's page (``event_url``) and times in Europe/Prague."""
    calendar = Calendar()
    calendar.add("prodid", "-//SMOPK//Registrace na akce//CS")
    calendar.add("version", "2.0")
    calendar.add("method", METHOD)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Prague")
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    for event in events:
        sessions = schedule(event)
        for number, session in enumerate(sessions, start=1):
            calendar.add_component(_feed_entry(event, session, number, len(sessions), sender=sender,
                                               organiser=organiser, url=event_url(event)))
    if events:
        first = min(_moment(event["starts_at"]) for event in events)
        last = max(_moment(event["ends_at"]) for event in events)
        calendar.add_missing_timezones(first_date=(first - timedelta(days=366)).date(),
                                       last_date=(last + timedelta(days=366)).date())
    ical: bytes = calendar.to_ical()
    return ical


def _feed_entry(event: Mapping[str, Any], session: Mapping[str, Any], number: int, count: int, *, sender: str,
                organiser: str, url: str) -> CalendarEvent:
    changed = _utc(event["updated_at"])
    entry = CalendarEvent()
    entry.add("uid", event_uid(event["id"], sender, number))
    entry.add("sequence", int(event.get("version") or 1))
    entry.add("dtstamp", changed)
    entry.add("last-modified", changed)
    entry.add("dtstart", _moment(session["starts_at"]))
    entry.add("dtend", _moment(session["ends_at"]))
    title = event["title"] if count == 1 else f"{event['title']} ({number}/{count})"
    entry.add("summary", f"{title}: {session['title']}" if session["title"] else title)
    entry.add("location", session["venue"])
    lines = [f"{event_kind(event['kind']).capitalize()} · {event['topic']}"]
    if event.get("lecturer"):
        lines.append(f"Lektor: {event['lecturer']}")
    if event.get("description"):
        lines.append(event["description"])
    lines.append(url)
    entry.add("description", "\n\n".join(lines))
    entry.add("categories", [event["topic"]])
    entry.add("url", url)
    organiser_address = vCalAddress(f"mailto:{_address(sender)}")
    organiser_address.params["cn"] = vText(organiser)
    entry.add("organizer", organiser_address)
    entry.add("status", "CANCELLED" if event["status"] == EventStatus.CANCELLED else "CONFIRMED")
    entry.add("transp", "OPAQUE")
    return entry


def _utc(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
