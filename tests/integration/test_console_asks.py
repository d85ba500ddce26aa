"""The console asks before an action that emails, changes a seat or cannot be undone, and says
afterwards what it did; a cancellation made by mistake can be taken back."""
import re

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from services.backoffice import store, usecases
from services.backoffice.service import BackofficeService
from services.common.db import Database, utcnow
from services.common.unit_of_work import UnitOfWork
from services.documents.service import DocumentsService
from services.notifications.service import NotificationsService
from services.payments.service import PaymentsService
from services.registrations.service import RegistrationsService
from tests.conftest import free_port, wait_for
from tests.integration.test_console import PASSWORD, csrf_of
from tests.integration.test_system import published_event


def start_office(runner_factory, service_config, smtp_sink, *services):
    """The console, registrations, the email path and ``services``; a staff member logged in."""
    port = free_port()
    config = dict(service_config, BACKOFFICE_ADDRESS=f"127.0.0.1:{port}")
    runner_factory(config, BackofficeService, RegistrationsService, NotificationsService, DocumentsService,
                   *services).start()
    database = Database(config["DATABASES"]["backoffice"], store.metadata)
    with database.transaction() as tx:
        account, _ = usecases.create_account(UnitOfWork(tx, utcnow()), "staff@smopk.example", "Eva", "staff",
                                             password=PASSWORD)
        store.update_account(tx, account["id"], {"must_change_password": False})
    database.dispose()
    base, browser = f"http://127.0.0.1:{port}", requests.Session()
    form = browser.get(f"{base}/prihlaseni")
    browser.post(f"{base}/prihlaseni", data={"csrf": csrf_of(form), "email": "staff@smopk.example",
                                             "password": PASSWORD, "dal": "/"})
    with ClusterRpcProxy(config, timeout=30) as cluster:
        yield base, browser, cluster, smtp_sink


@pytest.fixture
def office(runner_factory, service_config, smtp_sink):
    yield from start_office(runner_factory, service_config, smtp_sink)


@pytest.fixture
def office_with_payments(runner_factory, service_config, smtp_sink):
    """As ``office``, with payments (invoicing a non-member on registration, the default)."""
    yield from start_office(runner_factory, service_config, smtp_sink, PaymentsService)


def person(first, last, email):
    return {"first_name": first, "last_name": last, "email": email, "organisation_name": "Obec Kbelnice",
            "gdpr_consent": True}


def notice(page):
    found = re.search(r'<div class="notice" role="status"><p>(.*?)</p>', page.text, re.S)
    return found.group(1) if found else None


def test_cancelling_asks_with_who_gets_the_seat_then_says_it_and_can_be_taken_back(office):
    base, browser, cluster, smtp = office
    event = published_event(cluster, capacity=1, price_non_member=0)
    jana = cluster.registrations.register(event["id"], person("Jana", "Nováková", "jana@obec.example"))
    eva = cluster.registrations.register(event["id"], person("Eva", "Svobodová", "eva@obec.example"))
    assert eva["status"] == "waitlisted"
    smtp.wait_for_messages(2)
    page = browser.get(f"{base}/akce/{event['id']}")

    asked = browser.post(f"{base}/prihlasky/{jana['id']}/zrusit", data={"csrf": csrf_of(page)})
    assert asked.status_code == 200 and "Zrušit přihlášku: Jana Nováková?" in asked.text
    assert "Místo dostane Eva Svobodová, 1. na čekací listině" in asked.text
    assert cluster.registrations.get_registration(jana["id"])["status"] == "confirmed"  # nothing done yet
    assert 'name="confirmed" value="ano"' in asked.text and "Ne, zpět" in asked.text

    done = browser.post(f"{base}/prihlasky/{jana['id']}/zrusit", data={"csrf": csrf_of(page), "confirmed": "ano"})
    assert done.url.endswith(f"/akce/{event['id']}")
    assert notice(done) == ("Přihláška je zrušená: Jana Nováková. E-mail odchází. "
                            "Místo dostal(a) Eva Svobodová z čekací listiny.")
    assert notice(browser.get(f"{base}/akce/{event['id']}")) is None  # said once
    assert cluster.registrations.get_registration(eva["id"])["status"] == "confirmed"
    smtp.wait_for_messages(4)  # Jana's cancellation, Eva's seat

    # taken back: the event is full now, so Jana goes to the end of the waitlist, as said first
    page = browser.get(f"{base}/akce/{event['id']}")
    assert f'action="/prihlasky/{jana["id"]}/obnovit"' in page.text
    asked = browser.post(f"{base}/prihlasky/{jana['id']}/obnovit", data={"csrf": csrf_of(page)})
    assert "Obnovit přihlášku: Jana Nováková?" in asked.text
    assert "Akce je plná: Jana Nováková bude na čekací listině jako 1. v pořadí" in asked.text
    assert cluster.registrations.get_registration(jana["id"])["status"] == "cancelled"
    done = browser.post(f"{base}/prihlasky/{jana['id']}/obnovit", data={"csrf": csrf_of(page), "confirmed": "ano"})
    assert "Přihláška je obnovená: Jana Nováková je na čekací listině jako 1. v pořadí." in notice(done)
    [restored] = [r for r in cluster.registrations.list_registrations(event["id"], "waitlisted")
                  if r["email"] == "jana@obec.example"]  # the person again, as a new registration
    assert restored["waitlist_position"] == 1 and restored["id"] != jana["id"]
    assert cluster.registrations.get_registration(jana["id"])["status"] == "cancelled"
    mails = smtp.wait_for_messages(5)
    told = [m for m in mails if m["To"] == "jana@obec.example" and "obnovena" in m["Subject"]]
    assert len(told) == 1 and "čekací listině jako 1. v pořadí" in told[0].get_body(("plain",)).get_content()

    # Eva cancels herself: Jana gets the seat back in the ordinary way
    cluster.registrations.cancel_registration(eva["id"])
    assert cluster.registrations.get_registration(restored["id"])["status"] == "confirmed"
    page = browser.get(f"{base}/akce/{event['id']}")
    assert f'action="/prihlasky/{jana["id"]}/obnovit"' not in page.text  # she is back: nothing to restore
    again = browser.post(f"{base}/prihlasky/{jana['id']}/obnovit", data={"csrf": csrf_of(page), "confirmed": "ano"})
    assert "jiná platná přihláška" in again.text and again.status_code == 409


def test_a_cancellation_with_a_seat_free_comes_back_confirmed_with_its_ticket(office):
    base, browser, cluster, smtp = office
    event = published_event(cluster, capacity=3, price_non_member=0)
    jana = cluster.registrations.register(event["id"], person("Jana", "Nováková", "jana@obec.example"))
    cluster.registrations.cancel_registration(jana["id"])
    page = browser.get(f"{base}/akce/{event['id']}")
    asked = browser.post(f"{base}/prihlasky/{jana['id']}/obnovit", data={"csrf": csrf_of(page)})
    assert "Volné místo je: Jana Nováková bude znovu potvrzen(a)" in asked.text
    done = browser.post(f"{base}/prihlasky/{jana['id']}/obnovit", data={"csrf": csrf_of(page), "confirmed": "ano"})
    assert notice(done) == "Přihláška je obnovená: Jana Nováková má znovu místo. E-mail se vstupenkou odchází."
    assert cluster.registrations.event_stats(event["id"])["confirmed"] == 1
    wait_for(lambda: [m for m in smtp.messages() if "obnovena" in m["Subject"]], message="the restored email")
    [mail] = [m for m in smtp.messages() if "obnovena" in m["Subject"]]
    assert "znovu potvrzené" in mail.get_body(("plain",)).get_content()
    assert {part.get_content_type() for part in mail.iter_attachments()} >= {"application/pdf", "text/calendar"}
    # the same email may not hold two live registrations
    [back] = cluster.registrations.list_registrations(event["id"], "confirmed")
    cluster.registrations.cancel_registration(back["id"])
    cluster.registrations.register(event["id"], person("Jana", "Nováková", "jana@obec.example"))
    refused = browser.post(f"{base}/prihlasky/{jana['id']}/obnovit", data={"csrf": csrf_of(page), "confirmed": "ano"})
    assert refused.status_code == 409 and "jiná platná přihláška" in refused.text


def test_promoting_and_resending_ask_first_and_say_what_they_did(office):
    base, browser, cluster, smtp = office
    event = published_event(cluster, capacity=1, price_non_member=0)
    cluster.registrations.register(event["id"], person("Jana", "Nováková", "jana@obec.example"))
    eva = cluster.registrations.register(event["id"], person("Eva", "Svobodová", "eva@obec.example"))
    smtp.wait_for_messages(2)
    page = browser.get(f"{base}/akce/{event['id']}")
    asked = browser.post(f"{base}/prihlasky/{eva['id']}/povolit", data={"csrf": csrf_of(page)})
    assert "Přidat místo: Eva Svobodová?" in asked.text and "z 1 na 2" in asked.text
    assert cluster.registrations.get_registration(eva["id"])["status"] == "waitlisted"
    done = browser.post(f"{base}/prihlasky/{eva['id']}/povolit", data={"csrf": csrf_of(page), "confirmed": "ano"})
    assert notice(done).startswith("Eva Svobodová má místo na akci (kapacita je teď 2).")
    smtp.wait_for_messages(3)

    asked = browser.post(f"{base}/prihlasky/{eva['id']}/potvrzeni", data={"csrf": csrf_of(page)})
    assert "Poslat potvrzení znovu: Eva Svobodová?" in asked.text and "eva@obec.example" in asked.text
    assert len(smtp.messages()) == 3
    done = browser.post(f"{base}/prihlasky/{eva['id']}/potvrzeni", data={"csrf": csrf_of(page), "confirmed": "ano"})
    assert notice(done) == "Potvrzení se vstupenkou odchází znovu na eva@obec.example."
    smtp.wait_for_messages(4)


def test_restoring_a_registration_with_a_fee_asks_for_the_fee_again_under_a_new_symbol(office_with_payments):
    """Issue 24 (2): the restored registration is new; payments asks for its fee afresh (a new
    variable symbol, a new invoice), and "Přihláška obnovena" carries the new payment details."""
    base, browser, cluster, smtp = office_with_payments
    event = published_event(cluster, capacity=3, price_non_member=900)
    vera = cluster.registrations.register(event["id"], person("Věra", "Průchová", "vera@obec.example"))
    assert vera["price"] == 900
    wait_for(lambda: cluster.payments.unpaid(event["id"]), message="the first payment request")
    first = cluster.payments.payment_of(vera["id"])

    def to_vera(start):
        return [m for m in smtp.messages() if m["To"] == "vera@obec.example" and m["Subject"].startswith(start)]
    # her confirmation out before she cancels (cancelled first, it would rightly never go out)
    wait_for(lambda: to_vera("Potvrzení přihlášky"), message="the first confirmation")
    cluster.registrations.cancel_registration(vera["id"])
    wait_for(lambda: cluster.payments.payment_of(vera["id"])["status"] == "cancelled", message="its cancellation")

    page = browser.get(f"{base}/akce/{event['id']}")
    assert f'action="/prihlasky/{vera["id"]}/obnovit"' in page.text  # offered with a fee too
    asked = browser.post(f"{base}/prihlasky/{vera['id']}/obnovit", data={"csrf": csrf_of(page)})
    said = " ".join(asked.text.split())
    assert "Obnovit přihlášku: Věra Průchová?" in said
    assert ("Volné místo je: Věra Průchová bude znovu potvrzen(a) a dostane e-mail s novou vstupenkou "
            "a s novou výzvou k platbě (900 Kč) s novým variabilním symbolem.") in said
    assert cluster.registrations.get_registration(vera["id"])["status"] == "cancelled"  # nothing done yet
    done = browser.post(f"{base}/prihlasky/{vera['id']}/obnovit", data={"csrf": csrf_of(page), "confirmed": "ano"})
    assert notice(done) == ("Přihláška je obnovená: Věra Průchová má znovu místo. E-mail se vstupenkou "
                            "a výzvou k platbě (900\xa0Kč) odchází.")
    [back] = [r for r in cluster.registrations.list_registrations(event["id"], "confirmed")
              if r["email"] == "vera@obec.example"]
    assert back["id"] != vera["id"]

    wait_for(lambda: cluster.registrations.get_registration(back["id"])["payment"], message="the new request")
    again = cluster.payments.payment_of(back["id"])
    assert again["status"] == "open" and again["amount_halere"] == 90000
    assert again["variable_symbol"] != first["variable_symbol"]
    assert cluster.payments.payment_of(vera["id"])["status"] == "cancelled"  # the old one stays cancelled
    assert cluster.registrations.get_registration(back["id"])["payment"]["variable_symbol"] == \
        again["variable_symbol"]

    wait_for(lambda: to_vera("Přihláška obnovena") and len(to_vera("Faktura")) == 2,
             message="the restored email with the new payment details, and the new invoice")
    [restored] = to_vera("Přihláška obnovena")
    text = restored.get_body(("plain",)).get_content()
    assert f"Variabilní symbol: {again['variable_symbol']}" in text and "vstupenka je nová" in text
    assert any(part.get_content_type() == "image/png" for part in restored.walk())  # the QR Platba
    assert {part.get_content_type() for part in restored.iter_attachments()} >= {"application/pdf", "text/calendar"}
    invoiced = [m.get_body(("plain",)).get_content() for m in to_vera("Faktura")]
    assert any(f"Variabilní symbol: {again['variable_symbol']}" in body for body in invoiced)
    assert len(to_vera("Přihláška obnovena")) == 1 and len(to_vera("Potvrzení přihlášky")) == 1  # nothing twice


def test_raising_the_capacity_names_who_gets_a_seat_before_it_is_saved_and_after(office):
    base, browser, cluster, smtp = office
    event = published_event(cluster, capacity=1, price_non_member=0)
    cluster.registrations.register(event["id"], person("Jana", "Nováková", "jana@obec.example"))
    eva = cluster.registrations.register(event["id"], person("Eva", "Svobodová", "eva@obec.example"))
    petr = cluster.registrations.register(event["id"], person("Petr", "Malý", "petr@obec.example"))
    karel = cluster.registrations.register(event["id"], person("Karel", "Dlouhý", "karel@obec.example"))
    smtp.wait_for_messages(4)
    form = browser.get(f"{base}/akce/{event['id']}/upravit")
    values = dict(re.findall(r'name="(\w+)" type="[\w-]+" value="([^"]*)"', form.text))
    raised = dict(values, kind="seminar", description="", csrf=csrf_of(form), waitlist_enabled="ano", capacity="3")
    asked = browser.post(f"{base}/akce/{event['id']}/upravit", data=raised)
    assert "Vyšší kapacita dá místo prvním z čekací listiny (2): Eva Svobodová, Petr Malý." in \
        " ".join(asked.text.split())
    assert "Dostanou e-mail se vstupenkou." in asked.text and "Přihlášení (" not in asked.text  # no change to tell
    assert cluster.registrations.get_event(event["id"])["capacity"] == 1  # nothing saved yet
    assert cluster.registrations.get_registration(eva["id"])["status"] == "waitlisted"
    assert len(smtp.messages()) == 4

    saved = browser.post(f"{base}/akce/{event['id']}/upravit", data=dict(raised, confirmed="ano"))
    assert notice(saved) == (f"Změny akce „{event['title']}“ jsou uložené: počet míst. Místo z čekací listiny "
                             "dostali: Eva Svobodová, Petr Malý; e-mail se vstupenkou odchází.")
    assert [cluster.registrations.get_registration(r["id"])["status"] for r in (eva, petr, karel)] == [
        "confirmed", "confirmed", "waitlisted"]
    smtp.wait_for_messages(6)

    form = browser.get(f"{base}/akce/{event['id']}/upravit")
    renamed = dict(raised, csrf=csrf_of(form), title="Nový název")  # no seat to give: saved at once
    assert notice(browser.post(f"{base}/akce/{event['id']}/upravit", data=renamed)) == \
        "Změny akce „Nový název“ jsou uložené: název."
