"""A multi-day event with the real services: its pages, the confirmation email and calendar entry
with every session, and the staff console's form and attendance sheet."""
import html
import re
from datetime import datetime, timedelta

from icalendar import Calendar

from services.common import czech
from services.common.czech import PRAGUE
from tests.helpers import pdf_attachment, pdf_text
from tests.integration.test_console import csrf_of, logged_in, whole_console  # noqa: F401 (a fixture)
from tests.integration.test_system import ALL, cluster, seminar  # noqa: F401 (a fixture)


def sessions_from(days=10):
    """Three afternoons a week apart, the first ``days`` from now."""
    first = (datetime.now(PRAGUE) + timedelta(days=days)).replace(hour=13, minute=0, second=0, microsecond=0)
    return [{"starts_at": (first + timedelta(days=7 * n)).isoformat(),
             "ends_at": (first + timedelta(days=7 * n, hours=3, minutes=30)).isoformat()} for n in range(3)]


def series(cluster, **overrides):  # noqa: F811
    sessions = sessions_from()
    data = seminar(sessions=sessions, price_non_member=0, capacity=5, **overrides)  # free: no payment in these
    del data["starts_at"], data["ends_at"]
    return cluster.registrations.publish_event(cluster.registrations.create_event(data)["id"])


def test_the_pages_and_the_confirmation_show_every_session(runner_factory, service_config, cluster,  # noqa: F811
                                                           web_session, smtp_sink):
    runner_factory(service_config, *ALL).start()
    event = series(cluster)
    lines = czech.sessions(event)
    assert len(lines) == 3 and event["starts_at"] == event["sessions"][0]["starts_at"]

    page = html.unescape(web_session.get(f"/events/{event['id']}").text)
    assert czech.days(event["sessions"]) in page and all(line in page for line in lines)
    registered = web_session.post(f"/api/events/{event['id']}/registrations", json={
        "first_name": "Jana", "last_name": "Nováková", "email": "jana@obec.example",
        "organisation_name": "Obec Chotěšov", "gdpr_consent": True}).json()
    assert [s["starts_at"] for s in registered["event"]["sessions"]] == [s["starts_at"] for s in event["sessions"]]
    manage = html.unescape(web_session.get(f"/r/{registered['token']}").text)
    assert all(line in manage for line in lines)

    [message] = smtp_sink.wait_for_messages(1, timeout=60)
    plain = message.get_body(("plain",)).get_content()
    assert czech.days(event["sessions"]) in plain and all(line in plain for line in lines)
    ticket = " ".join(pdf_text(pdf_attachment(message)[1]).split())
    assert czech.days(event["sessions"]) in ticket and all(line in ticket for line in lines)
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    entries = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
    assert [e.decoded("DTSTART") for e in entries] == [datetime.fromisoformat(s["starts_at"])
                                                       for s in event["sessions"]]
    assert [e.decoded("DTEND") for e in entries] == [datetime.fromisoformat(s["ends_at"]) for s in event["sessions"]]
    assert len({str(e["UID"]) for e in entries}) == 3


def test_the_office_enters_the_sessions_in_the_form_and_prints_a_sheet_per_day(whole_console):  # noqa: F811 (the fixture)
    base, proxy, secrets, _ = whole_console
    office = logged_in(base, "staff", secrets)
    form = office.get(f"{base}/akce/nova")
    fields = {"csrf": csrf_of(form), "title": "Účetnictví obcí – cyklus", "kind": "training", "topic": "účetnictví",
              "venue": "Plzeň, Škroupova 18", "capacity": "10", "price_member": "0", "price_non_member": "0",
              "waitlist_enabled": "ano"}
    wrong = office.post(f"{base}/akce/nova", data=dict(fields, sessions="3. 3. 2027 13:00\n"))
    assert wrong.status_code == 422 and "1. termín čteme jako" in html.unescape(wrong.text)
    overlapping = office.post(f"{base}/akce/nova", data=dict(
        fields, sessions="3. 3. 2027 13:00–16:30\n3. 3. 2027 16:00–17:00"))
    assert overlapping.status_code == 422 and "2. termín musí začít až po konci předchozího" in overlapping.text
    created = office.post(f"{base}/akce/nova", data=dict(fields, sessions=(
        "3. 3. 2027 13:00–16:30 | Úvod\n10. 3. 2027 13:00–16:30\n\n17. 3. 2027 9:00–12:00 | Praxe | Rokycany, sál")))
    assert created.status_code == 200, created.text[:400]
    assert "3. 3. – 17. 3. 2027" in created.text
    assert "st 17. 3. 2027 v 9:00 – 12:00 · Praxe · Rokycany, sál" in created.text
    event_id = int(created.url.rsplit("/", 1)[1])
    made = proxy.registrations.get_event(event_id)
    assert (made["starts_at"], made["ends_at"]) == ("2027-03-03T13:00:00+01:00", "2027-03-17T12:00:00+01:00")
    assert [(s["title"], s["venue"]) for s in made["sessions"]] == [("Úvod", None), (None, None),
                                                                    ("Praxe", "Rokycany, sál")]
    edit = office.get(f"{base}/akce/{event_id}/upravit")
    typed = re.search(r'<textarea id="sessions"[^>]*>([^<]*)</textarea>', edit.text).group(1)
    assert html.unescape(typed).splitlines() == ["3. 3. 2027 13:00–16:30 | Úvod", "10. 3. 2027 13:00–16:30",
                                                 "17. 3. 2027 9:00–12:00 | Praxe | Rokycany, sál"]
    # saved again as shown, nothing changes
    values = dict(re.findall(r'name="(\w+)" type="[\w-]+" value="([^"]*)"', edit.text))
    again = office.post(f"{base}/akce/{event_id}/upravit", data=dict(
        values, csrf=csrf_of(edit), kind="training", description="", waitlist_enabled="ano",
        sessions=html.unescape(typed)))
    assert again.status_code == 200 and proxy.registrations.get_event(event_id)["version"] == 1

    proxy.registrations.publish_event(event_id)
    proxy.registrations.register(event_id, {"first_name": "Žaneta", "last_name": "Čermáková",
                                              "email": "zaneta@obec.example", "organisation_name": "Obec",
                                              "gdpr_consent": True})
    sheet = office.get(f"{base}/akce/{event_id}/prezencni-listina.pdf")
    assert sheet.headers["Content-Type"] == "application/pdf", sheet.text[:1000]
    pages = [" ".join(p.split()) for p in pdf_text(sheet.content).split("\f") if p.strip()]
    assert len(pages) == 3
    for page, day in zip(pages, ("st 3. 3. 2027", "st 10. 3. 2027", "st 17. 3. 2027"), strict=True):
        assert day in page and "Čermáková Žaneta" in page
