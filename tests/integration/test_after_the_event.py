"""After the seminar with the real services, the real broker and a real SMTP server: a message to
the confirmed only, the materials to those who came, the feedback questionnaire once."""
import base64
import re
import time
from datetime import datetime, timedelta

import requests
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import select

from services.common.czech import PRAGUE
from services.common.db import Database
from services.notifications.service import NotificationsService
from services.registrations import messaging, store
from services.registrations.service import RegistrationsService
from tests.conftest import wait_for
from tests.integration.test_console import csrf_of, logged_in, whole_console  # noqa: F401 (a fixture)
from tests.integration.test_system import published_event
from tests.integration.timetravel import begun

PDF = b"%PDF-1.7\n% slides of the seminar\n"
KEY = b"test-signing-key"  # service_config's TICKET_SIGNING_KEY


def person(n):
    return {"first_name": "Marie", "last_name": f"Účastnice {n}", "email": f"marie{n}@obec.example",
            "organisation_name": "Obec Chotěšov", "gdpr_consent": True}


def with_subject(sink, subject):
    return [m for m in sink.messages() if m["Subject"] == subject]


def link_in(message, path):
    return re.search(rf"(http://\S+/{path}/[0-9]+-[a-z2-7]+)", message.get_body(("plain",)).get_content()).group(1)


def test_a_message_to_the_confirmed_reaches_only_them_once(runner_factory, service_config, smtp_sink):
    runner_factory(service_config, RegistrationsService, NotificationsService).start()
    with ClusterRpcProxy(service_config, timeout=30) as cluster:
        event = published_event(cluster, capacity=2, price_non_member=0)  # free: no payments here
        registered = [cluster.registrations.register(event["id"], person(n)) for n in range(3)]
        assert [r["status"] for r in registered] == ["confirmed", "confirmed", "waitlisted"]
        assert cluster.registrations.message_attendees(event["id"], "Změna sálu", "Sejdeme se v sále 2.",
                                                       "confirmed") == {"queued": 2}
        messages = wait_for(lambda: len(with_subject(smtp_sink, "Změna sálu")) >= 2
                            and with_subject(smtp_sink, "Změna sálu"), timeout=60,
                            message="the message to both confirmed")
    # the event once more, as a redelivery would bring it: nobody gets it twice
    database = Database(service_config["DATABASES"]["registrations"], store.metadata)
    with database.transaction() as tx:
        [payload] = tx.execute(select(store.outbox.c.payload)
                               .where(store.outbox.c.event_type == "attendees_messaged")).scalars().all()
    database.dispose()
    event_dispatcher(service_config)("registrations", "attendees_messaged", payload)
    time.sleep(3)  # time to send a duplicate, were there one
    assert sorted(m["To"] for m in with_subject(smtp_sink, "Změna sálu")) == [
        "marie0@obec.example", "marie1@obec.example"]
    assert "Sejdeme se v sále 2." in messages[0].get_body(("plain",)).get_content()


def test_materials_and_feedback_reach_only_those_who_came(runner_factory, service_config, smtp_sink, web_session):
    runner_factory(service_config, RegistrationsService, NotificationsService).start()
    with ClusterRpcProxy(service_config, timeout=30) as cluster:
        event = published_event(cluster, capacity=5, price_non_member=0)
        came, marked, away = [cluster.registrations.register(event["id"], person(n)) for n in range(3)]
        cluster.registrations.check_in(event["id"], came["ticket_code"], any_day=True)
        begun(service_config, event["id"])  # attendance from the start on
        cluster.registrations.mark_attendance(event["id"], [marked["id"]])
        material = cluster.registrations.add_material(event["id"], "Přednáška.pdf", base64.b64encode(PDF).decode())
        for name, size in (("Program.pdf", 12 * 1024), ("Sborník.pdf", 1468006)):  # 12 kB, 1,4 MB
            cluster.registrations.add_material(event["id"], name, base64.b64encode(PDF.ljust(size, b" ")).decode())
        assert cluster.registrations.send_materials(event["id"]) == {"sent": 2}
        assert cluster.registrations.send_materials(event["id"]) == {"sent": 0}

        subject = f"Podklady z akce: {event['title']}"
        mails = wait_for(lambda: len(with_subject(smtp_sink, subject)) >= 2 and with_subject(smtp_sink, subject),
                         timeout=60, message="the materials to both who came")
        assert sorted(m["To"] for m in mails) == ["marie0@obec.example", "marie1@obec.example"]
        link = link_in(mails[0], "materials")
        listing = requests.get(link, timeout=10)
        assert listing.status_code == 200 and "Přednáška.pdf" in listing.text
        sizes = re.findall(r'download>([^<]+)</a>\s*\(([^)]+)\)', listing.text)  # sizes as Czech write them
        assert sizes == [("Přednáška.pdf", "33\xa0B"), ("Program.pdf", "12\xa0kB"), ("Sborník.pdf", "1,4\xa0MB")]
        served = requests.get(f"{link}/{material['id']}", timeout=10)
        assert served.status_code == 200 and served.content == PDF
        assert served.headers["Content-Type"] == "application/pdf"
        assert served.headers["Content-Disposition"].startswith('attachment; filename="Prednaska.pdf"')
        not_hers = web_session.get(f"/materials/{messaging.signed_token(KEY, 'materials', away['id'])}/"
                                   f"{material['id']}")
        assert not_hers.status_code == 403 and "jen pro ty, kdo se akce zúčastnili" in not_hers.text
        forged = requests.get(f"{link[:-1]}{'b' if link.endswith('a') else 'a'}/{material['id']}", timeout=10)
        assert forged.status_code == 404 and forged.content != PDF

        # The event is over (moved into the past), the questionnaire goes to those who came.
        start = datetime.now(PRAGUE) - timedelta(days=1)
        cluster.registrations.update_event(event["id"], {
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=4)).isoformat(),
            "registration_closes_at": (start - timedelta(days=1)).isoformat()})
        assert cluster.registrations.send_feedback_requests(event["id"]) == {"sent": 2}
        subject = f"Zpětná vazba: {event['title']}"
        mails = wait_for(lambda: len(with_subject(smtp_sink, subject)) >= 2 and with_subject(smtp_sink, subject),
                         timeout=60, message="the questionnaire to both who came")
        assert sorted(m["To"] for m in mails) == ["marie0@obec.example", "marie1@obec.example"]

        browser = requests.Session()
        link = link_in(mails[0], "feedback")
        form = browser.get(link, timeout=10)
        assert form.status_code == 200 and "<legend>Obsah" in form.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        answer = {"csrf": csrf, "content_rating": "5", "lecturer_rating": "4", "organisation_rating": "4",
                  "comment": "=HYPERLINK(\"x\") a díky"}
        assert browser.post(link, data=answer, timeout=10).status_code == 200  # after the redirect: thanks
        again = browser.post(link, data=dict(answer, content_rating="1"), timeout=10)
        assert again.status_code == 409 and "odpověď z tohoto odkazu už máme" in again.text

        results = cluster.registrations.feedback_results(event["id"])
        assert (results["requested"], results["answers"], results["averages"]) == (
            2, 1, {"content_rating": 5.0, "lecturer_rating": 4.0, "organisation_rating": 4.0})
        csv = cluster.registrations.export_feedback(event["id"])
        assert csv.splitlines()[1].startswith("1;5;4;4;\"'=HYPERLINK(\"\"x\"\") a díky\";")


def test_the_office_writes_uploads_and_reads_the_feedback_in_the_console(whole_console):  # noqa: F811
    base, cluster, secrets, smtp_sink = whole_console
    event = published_event(cluster, capacity=1, price_non_member=0)
    _first, waiting = (cluster.registrations.register(event["id"], data) for data in (
        person(1), dict(person(2), first_name="Marie", last_name="Dvořáková")))
    office = logged_in(base, "staff", secrets)
    page = office.get(f"{base}/akce/{event['id']}")
    assert "Napsat účastníkům" in page.text and "Zatím žádné podklady." in page.text
    draft = {"csrf": csrf_of(page), "subject": "Parkování", "text": "Parkujte <b>za budovou</b>.",
             "audience": "waitlisted"}
    preview = office.post(f"{base}/akce/{event['id']}/zprava", data=draft)
    assert "Odeslat zprávu 1 účastníkovi akce" in preview.text
    assert "Parkujte &lt;b&gt;za budovou&lt;/b&gt;." in preview.text
    assert "Dobrý den, paní Dvořáková," in preview.text  # the one who gets it
    empty = office.post(f"{base}/akce/{event['id']}/zprava", data=dict(draft, text=" "))
    assert empty.status_code == 422 and "Toto pole je povinné." in empty.text
    sent = office.post(f"{base}/akce/{event['id']}/zprava", data=dict(draft, confirmed="ano"))
    assert "Zpráva „Parkování“ odchází 1 účastníkovi (postupně)." in sent.text
    wait_for(lambda: with_subject(smtp_sink, "Parkování"), timeout=60, message="the message to the waitlist")
    assert [m["To"] for m in with_subject(smtp_sink, "Parkování")] == [waiting["email"]]

    upload = office.post(f"{base}/akce/{event['id']}/podklady", data={"csrf": csrf_of(page)},
                         files={"soubor": ("Přednáška.pdf", PDF, "application/pdf")})
    assert upload.status_code == 200 and "Soubor Přednáška.pdf je nahraný." in upload.text
    refused = office.post(f"{base}/akce/{event['id']}/podklady", data={"csrf": csrf_of(page)},
                          files={"soubor": ("virus.exe", b"MZ", "application/octet-stream")})
    assert refused.status_code == 422 and "Tento typ souboru nepřijímáme" in refused.text
    assert f"Přednáška.pdf ({len(PDF)}\xa0B)" in office.get(f"{base}/akce/{event['id']}").text
    nobody_came = office.post(f"{base}/akce/{event['id']}/podklady/odeslat", data={"csrf": csrf_of(page)})
    assert "Nikdo nový by odkaz na podklady nedostal" in nobody_came.text
    too_early = office.post(f"{base}/akce/{event['id']}/zpetna-vazba/odeslat", data={"csrf": csrf_of(page)})
    assert too_early.status_code == 409 and "až po skončení akce" in too_early.text
    results = office.get(f"{base}/akce/{event['id']}/zpetna-vazba")
    assert "Dotazník rozeslán: 0, odpovědi: 0." in results.text
    export = office.get(f"{base}/akce/{event['id']}/zpetna-vazba.csv")
    assert export.headers["Content-Type"].startswith("text/csv") and export.text.startswith("\ufeffOdpověď;")
    assert "Zatím žádné odpovědi." in office.get(f"{base}/zpetna-vazba").text

    # someone came: the link goes to them by name, once asked, and the page says so afterwards
    cluster.registrations.check_in(event["id"], _first["ticket_code"], any_day=True)
    asked = office.post(f"{base}/akce/{event['id']}/podklady/odeslat", data={"csrf": csrf_of(page)})
    assert "Poslat odkaz na podklady 1 účastníkovi?" in asked.text
    assert "E-mail s osobním odkazem dostanou: Marie Účastnice 1." in asked.text
    assert cluster.registrations.follow_up_due(event["id"], "materials")  # nothing sent yet
    done = office.post(f"{base}/akce/{event['id']}/podklady/odeslat", data={"csrf": csrf_of(page), "confirmed": "ano"})
    assert "Odkaz na podklady odchází: 1 účastník." in done.text
    assert cluster.registrations.follow_up_due(event["id"], "materials") == []
    wait_for(lambda: with_subject(smtp_sink, f"Podklady z akce: {event['title']}"), timeout=60,
             message="the materials link")
    material_id = cluster.registrations.list_materials(event["id"])[0]["id"]
    asked = office.post(f"{base}/akce/{event['id']}/podklady/smazat",
                        data={"csrf": csrf_of(page), "material_id": str(material_id)})
    assert "Smazat podklady Přednáška.pdf?" in asked.text and cluster.registrations.list_materials(event["id"])
    done = office.post(f"{base}/akce/{event['id']}/podklady/smazat",
                       data={"csrf": csrf_of(page), "material_id": str(material_id), "confirmed": "ano"})
    assert "Soubor Přednáška.pdf je smazaný." in done.text and not cluster.registrations.list_materials(event["id"])
