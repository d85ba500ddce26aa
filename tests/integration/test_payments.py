"""The fee's whole path on the real RabbitMQ, databases and SMTP server: a non-member registers,
gets the confirmation with a QR Platba picture and the ticket with its QR Platba, the invoice
(PDF and ISDOC) reaches the town's accountant, a bank statement pays it, a receipt follows and
the manage page says paid."""
import base64
import re

import pytest
from lxml import etree
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.schemas import without_diacritics
from tests import statements
from tests.conftest import wait_for
from tests.helpers import image_qr_codes, pdf_attachment, pdf_text, qr_codes, spd_fields
from tests.integration.test_system import ALL, seminar
from tests.unit.payments.test_isdoc import XSD


def isdoc_schema():
    return etree.XMLSchema(etree.parse(XSD))

TOWN = {"ico": "00257001", "name": "Obec Dolní Lhota", "kind": "obec", "address": "Náves 1, 330 01 Dolní Lhota",
        "dic": "CZ00257001", "billing_email": "ucetni@dolnilhota.example"}


@pytest.fixture
def cluster(service_config):
    with ClusterRpcProxy(service_config, timeout=30) as proxy:
        yield proxy


def by_subject(sink, start, count):
    messages = sink.wait_for_messages(count)
    return {(m["Subject"].split(":")[0], m["To"]): m for m in messages if m["Subject"].startswith(start)}


def test_a_non_member_pays_by_qr_platba_against_the_invoice_and_gets_a_receipt(
        runner_factory, service_config, cluster, web_session, smtp_sink):
    runner_factory(service_config, *ALL).start()
    cluster.members.upsert_organisation(TOWN)  # in the register, not a member
    event = cluster.registrations.create_event(seminar())
    cluster.registrations.publish_event(event["id"])

    answer = web_session.post(f"/api/events/{event['id']}/registrations", json={
        "first_name": "Věra", "last_name": "Průchová", "email": "vera@dolnilhota.example",
        "organisation_ico": TOWN["ico"], "gdpr_consent": True})
    assert answer.status_code == 201, answer.text
    registration = answer.json()
    assert registration["is_member"] is False and registration["price"] == 900
    vs = f"1{registration['id']:09d}"

    # The confirmation, the invoice to the accountant and to Věra: three emails.
    messages = smtp_sink.wait_for_messages(3)
    confirmation = next(m for m in messages if m["Subject"].startswith("Potvrzení přihlášky"))
    text = confirmation.get_body(("plain",)).get_content()
    assert f"Variabilní symbol: {vs}" in text and "19-2000145399/0800" in text and "900,00\xa0Kč" in text
    [picture] = [part for part in confirmation.walk() if part.get_content_type() == "image/png"]
    assert f'cid:{picture["Content-ID"].strip("<>")}' in confirmation.get_body(("html",)).get_content()
    [spd] = image_qr_codes(picture.get_content())
    fields = spd_fields(spd)
    assert (fields["ACC"], fields["AM"], fields["CC"], fields["X-VS"]) == (
        "CZ6508000000192000145399+GIBACZPX", "900.00", "CZK", vs)
    assert fields["MSG"] == f"{vs} Vera Pruchova"
    _name, ticket = pdf_attachment(confirmation)
    codes = qr_codes(ticket)
    assert registration["ticket_code"] in codes and spd in codes
    assert f"Variabilní symbol {vs}" in " ".join(pdf_text(ticket).split())

    invoices = [m for m in messages if m["Subject"].startswith("Faktura FV-")]
    assert sorted(m["To"] for m in invoices) == ["ucetni@dolnilhota.example", "vera@dolnilhota.example"]
    number = re.search(r"FV-\d{4}-\d{4}", invoices[0]["Subject"]).group()
    _name, invoice_pdf = pdf_attachment(invoices[0])
    invoice_text = " ".join(pdf_text(invoice_pdf).split())
    for needed in (number, "Obec Dolní Lhota", "00257001", "CZ00257001", "Náves 1", "25278754", vs,
                   "900,00 Kč", "Dodavatel není plátcem DPH", "spolkovém rejstříku"):
        assert needed in invoice_text, needed
    assert spd_fields(qr_codes(invoice_pdf)[0])["X-VS"] == vs
    [isdoc] = [p for p in invoices[0].iter_attachments() if p.get_filename() == f"{number}.isdoc"]
    document = etree.fromstring(isdoc.get_content() if isinstance(isdoc.get_content(), bytes)
                                else isdoc.get_content().encode())
    namespace = {"i": "http://isdoc.cz/namespace/2013"}
    assert document.findtext("i:ID", namespaces=namespace) == number
    assert document.findtext(".//i:VariableSymbol", namespaces=namespace) == vs

    # The manage page shows how to pay, with the QR Platba picture.
    def manage_page_knows():  # registrations hears payment_requested and invoice_issued on its own queues
        page = web_session.get(f"/r/{registration['token']}").text
        return f"Faktura {number}" in page and vs in page and page
    page = wait_for(manage_page_knows, message="the payment and the invoice on the manage page")
    assert "QR Platba" in page and "data:image/svg+xml" in page

    # The bank statement pays it: a receipt, and the registration is paid.
    statement = statements.camt053([{"bank_id": "E2E-1", "amount_halere": 90000, "variable_symbol": vs,
                                     "counter_name": "Obec Dolní Lhota"}])
    summary = cluster.payments.import_statement(base64.b64encode(statement).decode())
    assert summary["matched"] == 1
    [receipt] = [m for m in smtp_sink.wait_for_messages(4) if m["Subject"].startswith("Platba přijata")]
    assert receipt["To"] == "vera@dolnilhota.example"
    assert "900,00\xa0Kč" in receipt.get_body(("plain",)).get_content()
    wait_for(lambda: web_session.get(f"/api/registrations/{registration['token']}").json()["paid_at"],
             message="the paid flag in registrations")
    assert "Zaplaceno" in web_session.get(f"/r/{registration['token']}").text
    assert cluster.payments.payment_of(registration["id"])["status"] == "paid"
    assert len(smtp_sink.messages()) == 4  # nothing else, nothing twice


def test_a_member_registering_for_free_gets_the_confirmation_without_payments(
        runner_factory, service_config, cluster, web_session, smtp_sink):
    runner_factory(service_config, *ALL).start()
    event = cluster.registrations.create_event(seminar(price_member=0, price_non_member=0))
    cluster.registrations.publish_event(event["id"])
    answer = web_session.post(f"/api/events/{event['id']}/registrations", json={
        "first_name": "Jan", "last_name": "Zdarma", "email": "jan@obec.example", "organisation_name": "Obec Malá",
        "gdpr_consent": True})
    assert answer.status_code == 201
    [message] = smtp_sink.wait_for_messages(1)
    assert "Variabilní symbol" not in message.get_body(("plain",)).get_content()
    assert answer.json()["payment"] is None


def test_a_person_asks_for_an_invoice_for_their_own_registration_and_strangers_of_the_same_ico_stay_off_it(
        runner_factory, service_config, cluster, web_session, smtp_sink):
    """Issue 25/4: a typed IČO proves nothing; a second person of the town who registered
    separately is not on the invoice another person asked for, gets no email about it, and keeps
    their own payment (and its reminder)."""
    config = dict(service_config, INVOICE_MODE="on_request")
    runner_factory(config, *ALL).start()
    cluster.members.upsert_organisation(TOWN)  # in the register, not a member
    event = cluster.registrations.create_event(seminar(capacity=10))
    cluster.registrations.publish_event(event["id"])
    people = []
    for first, last in (("Věra", "Průchová"), ("Karel", "Lhotský"), ("Ivana", "Malá")):
        answer = web_session.post(f"/api/events/{event['id']}/registrations", json={
            "first_name": first, "last_name": last, "email": f"{without_diacritics(last).lower()}@dolnilhota.example",
            "organisation_ico": TOWN["ico"], "gdpr_consent": True})
        assert answer.status_code == 201, answer.text
        people.append(answer.json())
    smtp_sink.wait_for_messages(3)  # the confirmations, each with its own symbol; no invoice yet
    assert not [m for m in smtp_sink.messages() if m["Subject"].startswith("Faktura")]
    first = people[0]
    wait_for(lambda: all(web_session.get(f"/api/registrations/{p['token']}").json()["payment"] for p in people),
             message="the three payment requests")
    own_symbol = web_session.get(f"/api/registrations/{first['token']}").json()["payment"]["variable_symbol"]

    # Věra asks on her manage page: an invoice to the town for her registration alone.
    page = web_session.get(f"/r/{first['token']}").text
    assert "Chci fakturu na organizaci" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    stale = web_session.post(f"/r/{first['token']}/faktura", data={"csrf": "forged"}, allow_redirects=False)
    assert stale.status_code == 403
    answer = web_session.post(f"/r/{first['token']}/faktura", data={"csrf": csrf}, allow_redirects=False)
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/r/{first['token']}")
    page = web_session.get(f"/r/{first['token']}").text
    number = re.search(r"Faktura (FV-\d{4}-\d{4}) byla vystavena", page).group(1)
    assert own_symbol in page and "platí se jednou za všechny přihlášky" not in page

    # To the town's accountant (from the register) and to Věra: nobody else.
    invoices = by_subject(smtp_sink, "Faktura", 3 + 2)
    assert sorted(to for _subject, to in invoices) == ["pruchova@dolnilhota.example", "ucetni@dolnilhota.example"]
    message = invoices[(f"Faktura {number}", "ucetni@dolnilhota.example")]
    _name, invoice_pdf = pdf_attachment(message)
    text = " ".join(pdf_text(invoice_pdf).split())
    assert own_symbol in text and "900,00 Kč" in text.replace("\xa0", " ") and "Obec Dolní Lhota" in text
    assert "Lhotský" not in text and "Malá" not in text
    [isdoc] = [p for p in message.iter_attachments() if p.get_filename() == f"{number}.isdoc"]
    content = isdoc.get_content()
    document = etree.fromstring(content if isinstance(content, bytes) else content.encode())
    isdoc_schema().assertValid(document)
    assert len(document.findall(".//i:InvoiceLine", namespaces={"i": "http://isdoc.cz/namespace/2013"})) == 1

    # Karel keeps his own payment: not invoiced, his own symbol, his reminder still due.
    karel = web_session.get(f"/api/registrations/{people[1]['token']}").json()["payment"]
    assert karel["invoice_number"] is None and karel["variable_symbol"] != own_symbol
    [unpaid] = [p for p in cluster.payments.unpaid(event["id"]) if p["registration_id"] == people[1]["id"]]
    assert unpaid["invoices"] == [] and unpaid["reminded_at"] is None

    # Karel asks over the API: an invoice of his own, with his own symbol.
    answer = web_session.post(f"/api/registrations/{people[1]['token']}/invoice")
    assert answer.status_code == 200, answer.text
    payment = answer.json()["payment"]
    assert payment["invoice_number"] not in (None, number) and payment["variable_symbol"] == karel["variable_symbol"]
    assert payment["outstanding_halere"] == 90000
    missing = web_session.post("/api/registrations/no-such-token/invoice")
    assert missing.status_code == 404 and missing.json()["error"] == "registration_not_found"
    by_subject(smtp_sink, "Faktura", 3 + 2 + 2)
    assert len(smtp_sink.messages()) == 7  # nothing twice, nothing to Ivana
    assert not [m for m in smtp_sink.messages() if m["To"] == "mala@dolnilhota.example"
                and m["Subject"].startswith("Faktura")]


def _released_as_if_days_passed(config, cluster, registration_id):
    """The payment was asked for ten days ago (the event releases after 3), its due date was
    yesterday and the warning went out two days ago: the release timer's next run releases it."""
    from datetime import date, datetime, timedelta

    from sqlalchemy import update

    from services.common.czech import PRAGUE
    from services.common.db import Database
    from services.payments import store as payments_store
    from services.registrations import store as registrations_store

    yesterday = date.today() - timedelta(days=1)
    database = Database(config["DATABASES"]["registrations"], registrations_store.metadata)
    with database.transaction() as tx:
        table = registrations_store.registrations
        payment = tx.execute(table.select().where(table.c.id == registration_id)).mappings().one()["payment"]
        tx.execute(update(table).where(table.c.id == registration_id).values(
            payment=dict(payment, requested_on=(date.today() - timedelta(days=10)).isoformat()),
            release_warned_at=datetime.now(PRAGUE) - timedelta(days=2)))
    database.dispose()
    database = Database(config["DATABASES"]["payments"], payments_store.metadata)
    with database.transaction() as tx:
        tx.execute(update(payments_store.payment_requests).where(
            payments_store.payment_requests.c.registration_id == registration_id).values(due_on=yesterday))
    database.dispose()
    assert cluster.registrations.release_unpaid_seats()["released"] == 1
    wait_for(lambda: cluster.payments.payment_of(registration_id)["status"] == "cancelled",
             message="payments to hear of the release")
    return yesterday


@pytest.mark.parametrize("seat_free", [True, False], ids=["seat_free", "event_full"])
def test_a_payment_booked_on_the_due_date_and_imported_after_the_release(
        runner_factory, service_config, cluster, web_session, seat_free):
    """Issue 25/12: the seat comes back when one is free; otherwise the payment is refunded with
    the reason, and staff see it on the refunds list."""
    runner_factory(dict(service_config, INVOICE_MODE="on_request"), *ALL).start()
    event = cluster.registrations.create_event(seminar(capacity=1, waitlist_enabled=True,
                                                       release_unpaid_after_days=3))
    cluster.registrations.publish_event(event["id"])
    answer = web_session.post(f"/api/events/{event['id']}/registrations", json={
        "first_name": "Věra", "last_name": "Průchová", "email": "vera@dolnilhota.example",
        "organisation_ico": TOWN["ico"], "gdpr_consent": True})
    assert answer.status_code == 201, answer.text
    late = answer.json()
    if not seat_free:
        waiting = web_session.post(f"/api/events/{event['id']}/registrations", json={
            "first_name": "Karel", "last_name": "Lhotský", "email": "karel@dolnilhota.example",
            "organisation_ico": TOWN["ico"], "gdpr_consent": True}).json()
        assert waiting["status"] == "waitlisted"
    wait_for(lambda: web_session.get(f"/api/registrations/{late['token']}").json()["payment"],
             message="the payment request")
    symbol = web_session.get(f"/api/registrations/{late['token']}").json()["payment"]["variable_symbol"]
    due_on = _released_as_if_days_passed(service_config, cluster, late["id"])

    statement = statements.gpc([{"bank_id": "991", "amount_halere": 90000, "variable_symbol": symbol,
                                 "booked_on": due_on.isoformat()}])
    summary = cluster.payments.import_statement(base64.b64encode(statement).decode())
    assert summary["matched"] == 1 and summary["to_check"] == 0
    [paid] = summary["paid"]  # what the console's import summary says of it
    assert paid["note"] == ("platba došla včas, ale po uvolnění místa: přihláška se obnoví, je-li volné místo, "
                            "jinak se platba vrátí")

    def received_note():  # what the console's page of received payments says of it
        return cluster.payments.received_payments()["payments"][0]["note"]
    if seat_free:
        wait_for(lambda: web_session.get(f"/api/registrations/{late['token']}").json()["status"] == "confirmed",
                 message="the seat back")
        assert cluster.payments.payment_of(late["id"])["status"] == "paid"
        assert cluster.payments.refunds_due() == []
        assert received_note() == "platba došla včas, ale po uvolnění místa: přihláška je obnovená"
    else:
        wait_for(lambda: cluster.payments.refunds_due(), message="the refund")
        [refund] = cluster.payments.refunds_due()
        assert refund["registration_id"] == late["id"] and refund["amount_halere"] == 90000
        assert refund["reason"] == "Platba došla včas, ale místo už bylo obsazené"
        assert web_session.get(f"/api/registrations/{late['token']}").json()["status"] == "cancelled"
        assert web_session.get(f"/api/registrations/{waiting['token']}").json()["status"] == "confirmed"
        assert received_note() == ("platba došla včas, ale místo už bylo obsazené: platba se vrací "
                                   "(najdete ji ve Vratkách)")


def test_a_reversed_payment_takes_the_paid_flag_back_and_waits_on_the_staff_list(
        runner_factory, service_config, cluster, web_session):
    """Issue 25/3: a credit and its reversal (GPC code 5) leave the seat unpaid, and staff see it."""
    runner_factory(dict(service_config, INVOICE_MODE="on_request"), *ALL).start()
    event = cluster.registrations.create_event(seminar())
    cluster.registrations.publish_event(event["id"])
    person = web_session.post(f"/api/events/{event['id']}/registrations", json={
        "first_name": "Věra", "last_name": "Průchová", "email": "vera@dolnilhota.example",
        "organisation_ico": TOWN["ico"], "gdpr_consent": True}).json()
    url = f"/api/registrations/{person['token']}"
    wait_for(lambda: web_session.get(url).json()["payment"], message="the payment request")
    symbol = web_session.get(url).json()["payment"]["variable_symbol"]
    credit = {"bank_id": "501", "amount_halere": 90000, "variable_symbol": symbol}
    cluster.payments.import_statement(base64.b64encode(statements.gpc([credit])).decode())
    wait_for(lambda: web_session.get(url).json()["paid_at"], message="the paid flag")
    reversal = {"bank_id": "502", "amount_halere": -90000, "variable_symbol": symbol, "code": 5}
    summary = cluster.payments.import_statement(base64.b64encode(statements.gpc([reversal])).decode())
    assert summary["to_check"] == 1 and summary["ignored"] == 0
    wait_for(lambda: web_session.get(url).json()["paid_at"] is None, message="the paid flag taken back")
    assert cluster.payments.payment_of(person["id"])["status"] == "open"
    [line] = cluster.payments.to_check()
    assert line["reason"].startswith("Banka platbu vrátila (storno)")
