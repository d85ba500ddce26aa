"""The public site's events for other websites and programs: the calendar feed (``/akce.ics``),
the Atom feed (``/akce.atom``), both of all events or of one topic (``?tema=``), and the list
of upcoming events that a town's website puts in an iframe (``/vlozit/akce``).

The feeds show published events, and those cancelled after they were published (as cancelled),
that ended at most ``PAST_DAYS`` ago. Their text changes only when an event does, so each answer
carries an ETag (its digest) and Last-Modified (the latest change), and a poll that has both
gets 304 without a body; ``Cache-Control`` lets a proxy keep it ``MAX_AGE`` seconds. Seats left
are not in the feeds (they would change the text with every registration); the embeddable list,
a page for people, shows them.

Everything here reads and writes nothing: failing halfway leaves nothing behind, and an outage
is a 503 page with Retry-After (``page_route``).
"""
import hashlib
from datetime import UTC
from urllib.parse import urlencode
from xml.etree import ElementTree

from werkzeug.wrappers import Response

from services.common import calendar, czech
from services.common.errors import ServiceError
from services.common.vocabulary import EventStatus

from . import pages, usecases
from .web import page_route

PAST_DAYS = 30
MAX_AGE = 900  # seconds: calendar programs poll every hour or so; a new event shows within 15 minutes
EMBED_MAX_AGE = 300
EMBED_LIMIT = 20
ATOM = "http://www.w3.org/2005/Atom"
# Any site may show the embeddable list in a frame; it has no forms and no cookies to protect.
EMBED_HEADERS = dict(pages.SECURITY_HEADERS, **{
    "Content-Security-Policy": pages.SECURITY_HEADERS["Content-Security-Policy"].replace(
        "frame-ancestors 'none'", "frame-ancestors *")})
del EMBED_HEADERS["X-Frame-Options"]


def topic_of(request):
    """The topic asked for (``?tema=``), None for all; a text no topic can be is refused in Czech."""
    topic = request.args.get("tema", "").strip()
    if len(topic) > 100 or not topic.isprintable():
        raise ServiceError("bad_topic", "Takové téma neexistuje: téma má nejvýš 100 znaků.")
    return topic or None


def query(topic):
    """The address's query naming ``topic`` (none for all)."""
    return f"?{urlencode({'tema': topic})}" if topic else ""


def feed_name(organiser, topic):
    return f"Semináře a školení – {organiser}" + (f" – téma {topic}" if topic else "")


def last_change(events, now):
    """The latest change of the feed's events (its Last-Modified), to the second; with no events
    the hour of ``now``, so that an empty feed too stays the same between polls."""
    changes = [czech.local(event["updated_at"]).astimezone(UTC) for event in events]
    if changes:
        return max(changes).replace(microsecond=0)
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def event_link(base_url, event):
    """An event's page; a cancelled event has none left, so the list of events stands for it."""
    return f"{base_url}/" if event["status"] == EventStatus.CANCELLED else f"{base_url}/events/{event['id']}"


def when(event):
    """The event's time as the pages write it: its session, or the days of its sessions."""
    sessions = czech.schedule(event)
    if len(sessions) == 1:
        return czech.session(event["starts_at"], event["ends_at"])
    return f"{czech.days(sessions)} ({len(sessions)} {'termíny' if len(sessions) < 5 else 'termínů'})"


def atom(events, *, base_url, organiser, topic, updated):
    """The Atom 1.0 document (RFC 4287) of ``events``."""
    ElementTree.register_namespace("", ATOM)

    def add(parent, tag, text=None, **attributes):
        element = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        if text is not None:
            element.text = text
        return element

    def stamp(moment):
        return czech.local(moment).astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")

    root = ElementTree.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "cs"})
    self_url = f"{base_url}/akce.atom{query(topic)}"
    add(root, "id", self_url)
    add(root, "title", feed_name(organiser, topic))
    add(root, "updated", stamp(updated))
    add(root, "link", rel="alternate", type="text/html", href=f"{base_url}/{query(topic)}")
    add(root, "link", rel="self", type="application/atom+xml", href=self_url)
    add(add(root, "author"), "name", organiser)
    for event in events:
        entry = add(root, "entry")
        cancelled = event["status"] == EventStatus.CANCELLED
        add(entry, "id", f"{base_url}/events/{event['id']}")
        add(entry, "title", f"Zrušeno: {event['title']}" if cancelled else event["title"])
        add(entry, "updated", stamp(event["updated_at"]))
        add(entry, "published", stamp(event["published_at"]))
        add(entry, "link", rel="alternate", type="text/html", href=event_link(base_url, event))
        add(entry, "category", term=event["topic"])
        facts = [czech.event_kind(event["kind"]).capitalize(), event["topic"], when(event), event["venue"]]
        if event.get("lecturer"):
            facts.append(f"lektor {event['lecturer']}")
        summary = " · ".join(facts)
        add(entry, "summary", f"Akce byla zrušena. {summary}" if cancelled else summary)
    body: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def conditional(request, body, content_type, modified):
    """``body`` with its validators; 304 without it when the client holds this version."""
    response = Response(body, status=200, content_type=content_type,
                        headers={"Cache-Control": f"public, max-age={MAX_AGE}"})
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.last_modified = modified
    return response.make_conditional(request)


class FeedPages:
    """Mixed into ``RegistrationsService``, whose dependencies it uses."""

    def _feed_events(self, request):
        topic = topic_of(request)
        now = self.clock()
        with self.db.transaction() as tx:
            events = usecases.feed_events(tx, now, topic, past_days=PAST_DAYS)
        return topic, events, now

    @page_route("GET", "/akce.ics")
    def feed_calendar(self, request):
        """The calendar to subscribe to: every event of the feed, one entry a session."""
        topic, events, now = self._feed_events(request)
        body = calendar.feed(events, name=feed_name(self.settings.organiser_name, topic),
                             sender=self.settings.mail_from, organiser=self.settings.organiser_name,
                             event_url=lambda event: event_link(self.base_url, event))
        return conditional(request, body, "text/calendar; charset=utf-8", last_change(events, now))

    @page_route("GET", "/akce.atom")
    def feed_atom(self, request):
        topic, events, now = self._feed_events(request)
        updated = last_change(events, now)
        body = atom(events, base_url=self.base_url, organiser=self.settings.organiser_name, topic=topic,
                    updated=updated)
        return conditional(request, body, "application/atom+xml; charset=utf-8", updated)

    @page_route("GET", "/vlozit/akce")
    def embed_events(self, request):
        """The upcoming events for a frame on another website: no scripts, no forms, links open
        in a new window; the only page that any site may frame."""
        topic = topic_of(request)
        now = self.clock()
        with self.db.transaction() as tx:
            events = [event for event in usecases.upcoming_events(tx, now) if topic is None or event["topic"] == topic]
        response = pages.page("embed.html", events=events[:EMBED_LIMIT], more=len(events) > EMBED_LIMIT,
                              topic=topic, organiser=self.settings.organiser_name, base_url=self.base_url,
                              query=query(topic))
        response.headers.update(EMBED_HEADERS)
        del response.headers["X-Frame-Options"]
        response.omit_headers = ("X-Frame-Options",)
        response.headers["Cache-Control"] = f"public, max-age={EMBED_MAX_AGE}"
        return response
