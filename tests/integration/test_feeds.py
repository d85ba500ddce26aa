"""The public site's events for other websites and programs, over real HTTP: the calendar feed
(read by two iCalendar parsers), the Atom feed (feedparser), their caching, and the page that a
town's website frames, the only page any site may frame."""
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import feedparser
import pytest
import vobject
from icalendar import Calendar
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.calendar import event_uid
from services.common.czech import PRAGUE
from services.registrations.service import RegistrationsService
from tests.integration.test_multiday import sessions_from
from tests.integration.test_system import published_event, seminar
from tests.integration.timetravel import move_event

TENDERS = "Veřejné zakázky malého rozsahu"
GDPR = "GDPR v obci: série"
CANCELLED = "Zrušený seminář o dotacích"


@pytest.fixture
def feeds(runner_factory, service_config, web_session):
    """Events in every state the feeds tell apart; the answer names their ids."""
    runner_factory(service_config, RegistrationsService).start()
    with ClusterRpcProxy(service_config, timeout=30) as cluster:
        events = cluster.registrations
        ids = {"tenders": published_event(cluster, title=TENDERS, topic="zakázky", days=10)["id"]}
        series = seminar(title=GDPR, topic="GDPR", sessions=sessions_from(20))
        del series["starts_at"], series["ends_at"]
        ids["gdpr"] = events.publish_event(events.create_event(series)["id"])["id"]
        ids["draft"] = events.create_event(seminar(title="Koncept, který nikdo nevidí", topic="zakázky"))["id"]
        ids["cancelled"] = published_event(cluster, title=CANCELLED, topic="dotace", days=15)["id"]
        events.cancel_event(ids["cancelled"], "Lektor onemocněl.")
        ids["cancelled_draft"] = events.create_event(seminar(title="Zrušený koncept", topic="dotace"))["id"]
        events.cancel_event(ids["cancelled_draft"], "Nebude.")
        ids["recent"] = published_event(cluster, title="Nedávný seminář", topic="zakázky")["id"]
        move_event(service_config, ids["recent"], datetime.now(PRAGUE) - timedelta(days=10))
        ids["old"] = published_event(cluster, title="Dávný seminář", topic="zakázky")["id"]
        move_event(service_config, ids["old"], datetime.now(PRAGUE) - timedelta(days=40))
        yield web_session, ids, cluster, service_config


def entries(body):
    """The feed's VEVENTs by UID, as icalendar reads them."""
    return {str(entry["uid"]): entry for entry in Calendar.from_ical(body).walk("VEVENT")}


def test_the_calendar_feed_has_the_published_events_and_the_cancelled_ones_for_two_parsers(feeds):
    web, ids, cluster, config = feeds
    answer = web.get("/akce.ics")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
    sender = config["MAIL_FROM"]
    found = entries(answer.content)
    uid = {name: event_uid(ids[name], sender) for name in ids}
    # every session of the series; the recent past too; no draft, no cancelled draft, nothing older than 30 days
    assert set(found) == {uid["tenders"], uid["gdpr"], event_uid(ids["gdpr"], sender, 2),
                          event_uid(ids["gdpr"], sender, 3), uid["cancelled"], uid["recent"]}
    calendar = Calendar.from_ical(answer.content)
    assert str(calendar["X-WR-CALNAME"]) == f"Semináře a školení – {config['ORGANISER_NAME']}"
    tenders = found[uid["tenders"]]
    assert str(tenders["summary"]) == TENDERS and str(tenders["status"]) == "CONFIRMED"
    assert str(tenders["url"]) == f"{config['PUBLIC_BASE_URL']}/events/{ids['tenders']}"
    assert tenders["dtstart"].params["TZID"] == "Europe/Prague"
    assert tenders.decoded("dtstart").strftime("%H:%M") == "09:00"  # the wall time in Prague
    assert str(found[uid["cancelled"]]["status"]) == "CANCELLED"
    assert str(found[event_uid(ids["gdpr"], sender, 2)]["summary"]) == f"{GDPR} (2/3)"

    parsed = vobject.readOne(answer.text)  # the second parser: the same entries, times and states
    read = {entry.uid.value: entry for entry in parsed.vevent_list}
    assert set(read) == set(found)
    assert read[uid["tenders"]].dtstart.value.utcoffset() == tenders.decoded("dtstart").utcoffset()
    assert read[uid["tenders"]].dtstart.value.strftime("%H:%M") == "09:00"
    assert read[uid["cancelled"]].status.value == "CANCELLED"
    assert parsed.contents["x-wr-calname"][0].value == str(calendar["X-WR-CALNAME"])

    topic = web.get("/akce.ics", params={"tema": "GDPR"})
    assert set(entries(topic.content)) == {uid["gdpr"], event_uid(ids["gdpr"], sender, 2),
                                           event_uid(ids["gdpr"], sender, 3)}
    assert str(Calendar.from_ical(topic.content)["X-WR-CALNAME"]).endswith(" – téma GDPR")
    assert vobject.readOne(web.get("/akce.ics", params={"tema": "nic takového"}).text).contents.get("vevent") is None


def test_a_calendar_program_polls_cheaply_and_sees_a_change(feeds):
    web, ids, cluster, config = feeds
    first = web.get("/akce.ics")
    assert first.headers["Cache-Control"] == "public, max-age=900"
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert web.get("/akce.ics").headers["ETag"] == etag  # the same text while nothing changes
    same = web.get("/akce.ics", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    assert web.get("/akce.ics", headers={"If-Modified-Since": modified}).status_code == 304
    assert web.get("/akce.ics", headers={"If-Modified-Since": format_datetime(
        parsedate_to_datetime(modified) - timedelta(seconds=1), usegmt=True)}).status_code == 200

    cluster.registrations.cancel_event(ids["tenders"], "Sál není k dispozici.")
    changed = web.get("/akce.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    entry = entries(changed.content)[event_uid(ids["tenders"], config["MAIL_FROM"])]
    assert str(entry["status"]) == "CANCELLED" and int(entry["sequence"]) == 2
    assert web.get("/akce.atom", headers={"If-None-Match": etag}).status_code == 200  # each feed its own tag


def test_the_atom_feed_is_valid_and_has_the_events(feeds):
    web, ids, cluster, config = feeds
    answer = web.get("/akce.atom")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert answer.headers["ETag"] and answer.headers["Last-Modified"]
    feed = feedparser.parse(answer.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    base = config["PUBLIC_BASE_URL"]
    assert feed.feed.id == f"{base}/akce.atom" and feed.feed.updated_parsed
    assert {(link.rel, link.href) for link in feed.feed.links} == {("alternate", f"{base}/"),
                                                                   ("self", f"{base}/akce.atom")}
    titles = [entry.title for entry in feed.entries]
    assert titles == ["Nedávný seminář", TENDERS, f"Zrušeno: {CANCELLED}", GDPR]
    tenders = feed.entries[1]
    assert tenders.id == tenders.link == f"{base}/events/{ids['tenders']}"
    assert tenders.updated_parsed and "zakázky" in tenders.summary and "Plzeň, Škroupova 18" in tenders.summary
    assert feed.entries[2].summary.startswith("Akce byla zrušena.")

    topic = feedparser.parse(web.get("/akce.atom", params={"tema": "GDPR"}).content)
    assert not topic.bozo and [entry.title for entry in topic.entries] == [GDPR]
    assert topic.feed.title.endswith(" – téma GDPR")


def test_a_topic_no_event_can_have_is_refused_in_czech(feeds):
    web = feeds[0]
    for path in ("/akce.ics", "/akce.atom", "/vlozit/akce"):
        for topic in ("x" * 101, "a\x00b"):
            answer = web.get(path, params={"tema": topic})
            assert answer.status_code == 400, (path, answer.status_code)
            assert "Takové téma neexistuje" in answer.text


def test_the_list_links_its_feeds_and_only_the_embeddable_page_may_be_framed(feeds):
    web, ids, cluster, config = feeds
    listing = web.get("/", params={"tema": "GDPR"})
    assert '<link rel="alternate" type="application/atom+xml"' in listing.text
    assert 'href="/akce.atom?tema=GDPR"' in listing.text and 'href="/akce.ics?tema=GDPR"' in listing.text
    assert 'type="text/calendar"' in web.get("/").text
    assert listing.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in listing.headers["Content-Security-Policy"]

    embed = web.get("/vlozit/akce")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed.headers
    policy = embed.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "'none'" not in policy.split("frame-ancestors")[1].split(";")[0]
    assert "script-src 'self'" in policy and "<script" not in embed.text  # no scripts at all
    assert TENDERS in embed.text and GDPR in embed.text
    assert CANCELLED not in embed.text and "Nedávný seminář" not in embed.text  # upcoming and on only
    assert f'href="{config["PUBLIC_BASE_URL"]}/events/{ids["tenders"]}" target="_blank" rel="noopener"' in embed.text
    only = web.get("/vlozit/akce", params={"tema": "zakázky"})
    assert TENDERS in only.text and GDPR not in only.text
    for path in ("/akce.ics", f"/events/{ids['tenders']}", "/static/site.css"):
        assert web.get(path).headers["X-Frame-Options"] == "DENY", path
