"""The console's audit log over HTTP with the real services (issue 25, item 7): every row paged
through and exported, reads of personal data recorded, and no action without its row, which is
written before the other service is called."""
import re
from datetime import timedelta

from services.backoffice import store
from services.common.db import Database, utcnow
from services.registrations.service import RegistrationsService
from tests.conftest import wait_for
from tests.integration.test_console import console, csrf_of, logged_in, whole_console  # noqa: F401 (fixtures)
from tests.integration.test_system import published_event


def audit_rows(url, **filters):
    database = Database(url, store.metadata)
    try:
        with database.transaction() as tx:
            return [dict(row) for row in store.list_audit(tx, limit=10000, **filters)]
    finally:
        database.dispose()


def test_the_log_pages_through_every_row_and_exports_all_or_the_filtered_range(console):  # noqa: F811
    base, _cluster, secrets, _web, url = console
    database = Database(url, store.metadata)
    start = utcnow() - timedelta(days=30)
    with database.transaction() as tx:
        for n in range(620):
            store.add_audit(tx, start + timedelta(hours=n), "door@smopk.example" if n % 2 else "staff@smopk.example",
                            "checked_in", {"n": n})
    database.dispose()
    admin = logged_in(base, "admin", secrets)
    first = admin.get(f"{base}/audit")
    assert first.status_code == 200 and "strana 1 z 13" in first.text and "Předchozí" not in first.text
    [older] = re.findall(r'href="([^"]+)" rel="next">Další', first.text)
    second = admin.get(base + older.replace("&amp;", "&"))
    assert "strana 2 z 13" in second.text and 'rel="prev">Předchozí' in second.text
    last = admin.get(f"{base}/audit", params={"strana": "13"})
    assert "n: 0" in last.text and "Další" not in last.text  # the oldest row is there, not cut at 500

    exported = admin.get(f"{base}/audit", params={"format": "csv"})
    lines = exported.text.splitlines()
    assert lines[0] == "\ufeffKdy;Kdo;Co;Výsledek;Podrobnosti"
    assert sum("n: " in line for line in lines) == 620 and lines[-1].endswith("n: 0")

    filtered = admin.get(f"{base}/audit", params={"kdo": "door", "co": "checked_in"})
    assert "Záznamů: 310." in filtered.text and "staff@smopk.example</td>" not in filtered.text
    day = (start + timedelta(hours=30)).date().isoformat()
    ranged = admin.get(f"{base}/audit", params={"kdo": "door", "od": day, "do": day, "format": "csv"})
    rows = [line for line in ranged.text.splitlines()[1:] if line]
    assert 10 <= len(rows) <= 13 and all("door@smopk.example" in line for line in rows)
    assert "stažen audit (CSV)" in admin.get(f"{base}/audit", params={"co": "audit_exported"}).text


def test_reads_of_personal_data_are_recorded(console):  # noqa: F811
    base, cluster, secrets, _web, url = console
    event = published_event(cluster, capacity=5)
    cluster.registrations.register(event["id"], {"first_name": "Jana", "last_name": "Nováková",
                                                 "email": "jana@obec.example", "organisation_name": "Obec",
                                                 "gdpr_consent": True})
    office = logged_in(base, "staff", secrets)
    exported = office.get(f"{base}/akce/{event['id']}/export.csv")
    assert exported.status_code == 200 and "jana@obec.example" in exported.text
    assert office.get(f"{base}/akce/999999/export.csv").status_code == 404
    done, refused = sorted(audit_rows(url, action="registrations_exported"), key=lambda row: row["id"])
    assert (done["who"], done["outcome"], done["details"]) == ("staff@smopk.example", "done",
                                                               {"event_id": event["id"]})
    assert (refused["outcome"], refused["error"]) == ("refused", "event_not_found")
    page = logged_in(base, "admin", secrets).get(f"{base}/audit")
    assert "stažen export přihlášek (CSV)" in page.text and "odmítnuto: Akce nebyla nalezena." in page.text


def test_reading_the_attendee_pdfs_an_emails_content_and_the_parked_events_is_recorded(
        whole_console, service_config):  # noqa: F811
    base, cluster, secrets, _smtp = whole_console
    url = service_config["DATABASES"]["backoffice"]
    event = published_event(cluster, capacity=5)
    cluster.registrations.register(event["id"], {"first_name": "Jana", "last_name": "Nováková",
                                                 "email": "jana@obec.example", "organisation_name": "Obec",
                                                 "gdpr_consent": True})
    office = logged_in(base, "staff", secrets)
    for path in ("prezencni-listina.pdf", "seznam-ucastniku.pdf"):
        answer = office.get(f"{base}/akce/{event['id']}/{path}")
        assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    [message] = wait_for(lambda: cluster.notifications.list_messages(
        to="jana@obec.example", kind="registration_confirmed"), message="the email")
    assert "Nováková" in office.get(f"{base}/zpravy/{message['id']}").text
    assert office.get(f"{base}/zpravy/udalosti").status_code == 200
    read = {row["action"]: row for row in audit_rows(url) if row["who"] == "staff@smopk.example"}
    assert read["attendance_sheet_printed"]["details"] == {"event_id": event["id"]}
    assert read["attendee_list_printed"]["details"] == {"event_id": event["id"]}
    assert read["message_read"]["details"] == {"message_id": message["id"], "to": "jana@obec.example"}
    assert read["dead_letters_viewed"]["details"] == {"message_ids": []}
    assert {row["outcome"] for row in read.values()} == {"done"}
    page = logged_in(base, "admin", secrets).get(f"{base}/audit").text
    assert all(label in page for label in ("otevřena prezenční listina", "otevřen seznam účastníků",
                                           "přečten obsah e-mailu", "zobrazeny nezpracované události"))


def test_the_row_comes_before_the_call_and_without_it_nothing_is_done(console, monkeypatch):  # noqa: F811
    base, cluster, secrets, _web, url = console
    office = logged_in(base, "staff", secrets)
    draft = cluster.registrations.create_event({
        "title": "Zákon o obcích", "kind": "seminar", "topic": "právo", "venue": "Plzeň",
        "starts_at": (utcnow() + timedelta(days=20)).isoformat(), "ends_at": (utcnow() + timedelta(days=20, hours=4))
        .isoformat(), "capacity": 5, "price_member": 0, "price_non_member": 0})
    token = csrf_of(office.get(f"{base}/akce/{draft['id']}"))

    # the console's own database refuses the row: the event is not published, staff see the outage page
    real_add = store.add_audit

    def refusing(session, at, who, action, details, outcome="done"):
        if action == "event_published":
            raise OSError("the console's disk is full")
        return real_add(session, at, who, action, details, outcome)
    monkeypatch.setattr(store, "add_audit", refusing)
    answer = office.post(f"{base}/akce/{draft['id']}/zverejnit", data={"csrf": token, "confirmed": "ano"})
    assert answer.status_code == 503 and "nedostupná" in answer.text and answer.headers["Retry-After"]
    assert cluster.registrations.get_event(draft["id"])["status"] == "draft"
    monkeypatch.setattr(store, "add_audit", real_add)

    # while the other service acts, its row is already committed (as started)
    seen = []
    real_publish = RegistrationsService.publish_event

    def watching(self, event_id):
        seen.extend((row["action"], row["outcome"]) for row in audit_rows(url, action="event_published"))
        return real_publish(self, event_id)
    monkeypatch.setattr(RegistrationsService, "publish_event", watching)
    answer = office.post(f"{base}/akce/{draft['id']}/zverejnit", data={"csrf": token, "confirmed": "ano"})
    assert answer.status_code == 200 and cluster.registrations.get_event(draft["id"])["status"] == "published"
    assert seen == [("event_published", "started")]
    [row] = audit_rows(url, action="event_published")
    assert row["outcome"] == "done" and row["details"]["title"] == "Zákon o obcích"

    # a refusal of the other service is kept with its code
    door = logged_in(base, "door", secrets)
    page = door.get(f"{base}/vstup/{draft['id']}")
    assert door.post(f"{base}/vstup/{draft['id']}", data={"csrf": csrf_of(page), "code": "T1-AAAAAAAAAAAAAAAA"}
                     ).status_code == 404
    [refused] = audit_rows(url, action="checked_in")
    assert refused["outcome"] == "refused" and refused["error"]
    audit = logged_in(base, "admin", secrets).get(f"{base}/audit").text
    assert "odmítnuto: " in audit and "provedeno" in audit
