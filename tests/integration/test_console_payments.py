"""The console's fee pages for the office (staff): a statement uploaded, a line matched by hand,
cash at the door, one invoice for a town's three people, its PDF and ISDOC, cancelled with a
credit note, a refund settled; bad input re-shows the page with a Czech message."""
from datetime import datetime

import lxml.html
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.backoffice import store, usecases
from services.backoffice.service import BackofficeService
from services.common.czech import PRAGUE
from services.common.db import Database, utcnow
from services.common.unit_of_work import UnitOfWork
from services.documents.service import DocumentsService
from services.members.service import MembersService
from services.payments.service import PaymentsService
from services.registrations.service import RegistrationsService
from tests import statements
from tests.conftest import free_port, wait_for
from tests.helpers import pdf_text
from tests.integration.test_console import PASSWORD, csrf_of, logged_in
from tests.integration.test_system import published_event

TOWN = {"ico": "00257001", "name": "Obec Dolní Lhota", "kind": "obec", "address": "Náves 1, 330 01 Dolní Lhota",
        "billing_email": "ucetni@dolnilhota.example"}


@pytest.fixture
def office(runner_factory, service_config):
    port = free_port()
    config = dict(service_config, BACKOFFICE_ADDRESS=f"127.0.0.1:{port}", INVOICE_MODE="on_request")
    runner_factory(config, BackofficeService, RegistrationsService, PaymentsService, MembersService,
                   DocumentsService).start()
    database = Database(config["DATABASES"]["backoffice"], store.metadata)
    with database.transaction() as tx:
        account, _ = usecases.create_account(UnitOfWork(tx, utcnow()), "staff@smopk.example", "Staff", "staff",
                                             password=PASSWORD)
        store.update_account(tx, account["id"], {"must_change_password": False})
    database.dispose()
    with ClusterRpcProxy(config, timeout=30) as cluster:
        yield f"http://127.0.0.1:{port}", cluster


def visible(page):
    """The text a person sees on a page (no tags, no attribute values), white space collapsed."""
    tree = lxml.html.fromstring(page.text)
    for hidden in tree.xpath("//script|//style|//head"):
        hidden.drop_tree()
    return " ".join(" ".join(tree.itertext()).split())


def confirm_on(browser, base, page):
    """Say yes on a confirmation page (``Pages._confirm``): post its form with its hidden fields."""
    [form] = lxml.html.fromstring(page.text).xpath("//div[@class='confirm']/form")
    fields = {}
    for field in form.xpath(".//input[@type='hidden']"):
        fields.setdefault(field.get("name"), []).append(field.get("value"))
    return browser.post(base + form.get("action"), data=fields)


def test_the_office_settles_fees_in_the_console(office):
    base, cluster = office
    cluster.members.upsert_organisation(TOWN)
    event = published_event(cluster, capacity=10)
    ids = [cluster.registrations.register(event["id"], {
        "first_name": name, "last_name": "Nováková", "email": f"{name.lower()}@dolnilhota.example",
        "organisation_ico": TOWN["ico"], "gdpr_consent": True})["id"] for name in ("Jana", "Eva", "Petra", "Ivana")]
    wait_for(lambda: len(cluster.payments.unpaid(event["id"])) == 4, message="four payment requests")
    browser = logged_in(base, "staff", {})

    page = browser.get(f"{base}/platby?akce={event['id']}")
    assert page.status_code == 200 and f"1{ids[0]:09d}" in page.text and "900,00\xa0Kč" in page.text
    token = csrf_of(page)
    # The event page says on every row what is owed and by when.
    listing = visible(browser.get(f"{base}/akce/{event['id']}"))
    assert "Platba" in listing and "nezaplaceno 900 Kč, splatné " in listing

    # One invoice for Jana, Eva and Petra: asked first, with the names and the total.
    asked = browser.post(f"{base}/faktury/nova", data={"csrf": token, "registration_id": [str(i) for i in ids[:3]]})
    said = visible(asked)
    assert "Vystavit fakturu na 2 700 Kč: Obec Dolní Lhota?" in said and "Petra Nováková" in said
    assert cluster.payments.list_invoices() == []  # nothing issued until confirmed
    answer = confirm_on(browser, base, asked)
    [invoice] = cluster.payments.list_invoices()
    assert answer.url.endswith("/faktury") and f"Faktura {invoice['number']} na 2 700 Kč je vystavená" in \
        visible(answer)
    assert invoice["total"] == "2\xa0700,00\xa0Kč" and "nezaplaceno" in visible(answer)
    pdf = browser.get(f"{base}/faktury/{invoice['number']}.pdf")
    assert pdf.headers["Content-Type"] == "application/pdf" and "Obec Dolní Lhota" in pdf_text(pdf.content)
    isdoc = browser.get(f"{base}/faktury/{invoice['number']}.isdoc")
    assert isdoc.headers["Content-Disposition"].startswith("attachment") and invoice["number"] in isdoc.text

    # A statement: the town pays the invoice; someone pays with a wrong symbol. Whom it pays is
    # said before it is imported, and again after.
    statement = statements.gpc([
        {"bank_id": "2600000000001", "amount_halere": 270000, "variable_symbol": invoice["variable_symbol"]},
        {"bank_id": "2600000000002", "amount_halere": 90000, "variable_symbol": "123", "counter_name": "Ivana N."}])
    asked = browser.post(f"{base}/platby/vypis", data={"csrf": token},
                         files={"soubor": ("vypis.gpc", statement, "text/plain")})
    said = visible(asked)
    assert "Nahrát výpis a započítat 1 platbu?" in said and "Ke kontrole zůstane 1 platba" in said
    assert f"Jana Nováková, Eva Nováková, Petra Nováková (2 700 Kč, VS {invoice['variable_symbol']})" in said
    assert cluster.payments.to_check() == [] and len(cluster.payments.unpaid(event["id"])) == 4  # not yet
    answer = confirm_on(browser, base, asked)
    said = visible(answer)
    assert "Zaplatili: Jana Nováková, Eva Nováková, Petra Nováková" in said and "Na kontrolu čeká 1 platba." in said
    assert "Neznámý variabilní symbol" in said
    assert "zaplaceno " in visible(browser.get(f"{base}/faktury"))
    again = browser.post(f"{base}/platby/vypis", data={"csrf": token},
                         files={"soubor": ("vypis.gpc", statement, "text/plain")})  # pays nobody: no question
    assert "Nikoho nezaplatil." in visible(again) and "Už dříve nahraných řádků: 2." in visible(again)
    [line] = cluster.payments.to_check()
    answer = browser.post(f"{base}/platby/{line['id']}/prirazeni", data={"csrf": token, "vs": "12x"})
    assert answer.status_code == 422 and "Variabilní symbol má 1 až 10 číslic." in answer.text
    asked = browser.post(f"{base}/platby/{line['id']}/prirazeni", data={"csrf": token, "vs": f"1{ids[3]:09d}"})
    assert "Přiřadit platbu 900 Kč: Ivana Nováková?" in visible(asked) and cluster.payments.to_check()
    answer = confirm_on(browser, base, asked)
    assert f"Platba 900 Kč je přiřazená k VS 1{ids[3]:09d}: Ivana Nováková." in visible(answer)
    assert cluster.payments.to_check() == [] and cluster.payments.unpaid(event["id"]) == []
    wait_for(lambda: visible(browser.get(f"{base}/akce/{event['id']}")).count("zaplaceno 900 Kč (") == 4,
             message="all four paid on the event page")
    exported = browser.get(f"{base}/akce/{event['id']}/export.csv").text.splitlines()
    assert ";Cena (Kč);Zaplaceno;" in exported[0] and all(";900;ano (" in row for row in exported[1:])

    # A garbage file is refused in Czech, and nothing is imported.
    answer = browser.post(f"{base}/platby/vypis", data={"csrf": token},
                          files={"soubor": ("vypis.xml", b"<?xml version='1.0'?><a/>", "text/xml")})
    assert answer.status_code == 422 and "Výpis" in answer.text
    assert "Výpis se nepodařilo přečíst: " in answer.text and "[&#39;" not in answer.text  # text, not a list

    # Cash at the door for a late registration; then Jana cancels: a refund and a credit note.
    late = cluster.registrations.register(event["id"], {
        "first_name": "Hana", "last_name": "Pozdní", "email": "hana@obec.example", "organisation_name": "Obec Pozdní",
        "gdpr_consent": True})
    wait_for(lambda: cluster.payments.unpaid(event["id"]), message="the late request")
    asked = browser.post(f"{base}/platby/prihlaska/{late['id']}/hotove", data={"csrf": token})
    assert "Přijmout hotově 900 Kč od Hana Pozdní?" in visible(asked)
    assert cluster.payments.payment_of(late["id"])["paid_by"] is None
    assert "Zaplaceno hotově: Hana Pozdní, 900 Kč." in visible(confirm_on(browser, base, asked))
    assert cluster.payments.payment_of(late["id"])["paid_by"] == "cash"
    cluster.registrations.cancel_registration(ids[0])
    wait_for(lambda: cluster.payments.refunds_due(), message="the refund")
    page = browser.get(f"{base}/platby")
    assert "Jana Nováková" in page.text
    [refund] = cluster.payments.refunds_due()
    asked = browser.post(f"{base}/platby/vratky/{refund['id']}", data={"csrf": token, "poznamka": "Vráceno 1. 12."})
    assert "Vráceno 900 Kč: Jana Nováková?" in visible(asked) and cluster.payments.refunds_due()
    assert "Vratka je vyřízená: Jana Nováková" in visible(confirm_on(browser, base, asked))
    assert cluster.payments.refunds_due() == []
    listed = visible(browser.get(f"{base}/faktury"))
    assert "opravný doklad k " + invoice["number"] in listed and "dobropis" in listed

    # The whole invoice cancelled by the office: a second credit note, for what was left on it.
    asked = browser.post(f"{base}/faktury/{invoice['number']}/storno", data={"csrf": token,
                                                                             "duvod": "Chybný odběratel"})
    assert f"Stornovat fakturu {invoice['number']} (Obec Dolní Lhota, 2 700 Kč)?" in visible(asked)
    assert "ucetni@dolnilhota.example" in visible(asked)
    assert f"Faktura {invoice['number']} je stornovaná dobropisem" in visible(confirm_on(browser, base, asked))
    kinds = [(i["kind"], i["total_halere"]) for i in cluster.payments.list_invoices()]
    assert kinds == [("credit_note", -180000), ("credit_note", -90000), ("invoice", 270000)]
    assert "stornována" in visible(browser.get(f"{base}/faktury"))

    # Every payment received, with whom it paid.
    received = visible(browser.get(f"{base}/platby/prijate"))
    assert f"fakturu {invoice['number']}: Jana Nováková" in received and "Ivana Nováková" in received
    assert "hotově" in received and "Hana Pozdní" in received and "Plateb: 3." in received
    assert "Plateb: 0." in visible(browser.get(f"{base}/platby/prijate?od=2099-01-01"))
    audit = browser.get(f"{base}/audit")
    assert audit.status_code == 403  # staff do not read the audit log; it is written all the same


def test_a_statement_of_ten_thousand_lines_goes_through_the_console(office):
    """As big as a year of the association's account: 20 MB of camt.053, more than RabbitMQ takes
    in one message as plain base64; the console sends it packed, and waits for the pairing."""
    base, cluster = office
    event = published_event(cluster, capacity=10)
    person = cluster.registrations.register(event["id"], {
        "first_name": "Věra", "last_name": "Průchová", "email": "vera@kbelnice.example",
        "organisation_name": "Obec Kbelnice", "gdpr_consent": True})
    wait_for(lambda: cluster.payments.unpaid(event["id"]), message="the payment request")
    [owed] = cluster.payments.unpaid(event["id"])
    lines = [{"amount_halere": -(1000 + n), "message": f"Nájem sálu a služby, doklad {n}",
              "counter_name": f"Dodavatel {n}"} for n in range(9_999)]
    lines.append({"amount_halere": 90000, "variable_symbol": owed["variable_symbol"], "counter_name": "Věra P."})
    statement = statements.camt053(lines)
    assert len(statement) > 16 * 1024 * 1024 * 3 / 4  # plain base64 of it would not fit one message

    browser = logged_in(base, "staff", {})
    token = csrf_of(browser.get(f"{base}/platby"))
    answer = browser.post(f"{base}/platby/vypis", data={"csrf": token},
                          files={"soubor": ("vypis.xml", statement, "text/xml")})
    assert answer.status_code == 200, answer.text[-500:]
    confirmed = confirm_on(browser, base, answer)
    assert "Zaplatili: Věra Průchová" in visible(confirmed) and "Na kontrolu čeká" not in visible(confirmed)
    assert cluster.payments.payment_of(person["id"])["paid_at"]


def test_new_payments_fetched_from_the_bank_are_asked_before_they_count(runner_factory, service_config):
    from tests.fio_standin import FioStandIn
    port = free_port()
    with FioStandIn(token="tajny") as bank:
        config = dict(service_config, BACKOFFICE_ADDRESS=f"127.0.0.1:{port}", FIO_API_TOKEN="tajny",
                      FIO_API_URL=bank.url)
        runner_factory(config, BackofficeService, RegistrationsService, PaymentsService, MembersService,
                       DocumentsService).start()
        database = Database(config["DATABASES"]["backoffice"], store.metadata)
        with database.transaction() as tx:
            account, _ = usecases.create_account(UnitOfWork(tx, utcnow()), "staff@smopk.example", "Staff", "staff",
                                                 password=PASSWORD)
            store.update_account(tx, account["id"], {"must_change_password": False})
        database.dispose()
        base = f"http://127.0.0.1:{port}"
        with ClusterRpcProxy(config, timeout=30) as cluster:
            event = published_event(cluster, capacity=10)
            person = cluster.registrations.register(event["id"], {
                "first_name": "Věra", "last_name": "Průchová", "email": "vera@kbelnice.example",
                "organisation_name": "Obec Kbelnice", "gdpr_consent": True})
            [owed] = wait_for(lambda: cluster.payments.unpaid(event["id"]), message="the payment request")
            browser = logged_in(base, "staff", {})
            token = csrf_of(browser.get(f"{base}/platby"))
            bank.add({"amount_halere": 90000, "variable_symbol": owed["variable_symbol"], "counter_name": "Věra P.",
                      "booked_on": datetime.now(PRAGUE).date().isoformat()})  # within the window fetched
            asked = browser.post(f"{base}/platby/banka", data={"csrf": token})
            assert "Započítat 1 platbu z banky?" in visible(asked) and "Věra Průchová (900 Kč" in visible(asked)
            assert cluster.payments.payment_of(person["id"])["paid_at"] is None
            done = visible(confirm_on(browser, base, asked))
            assert "Z banky přišlo: 1 řádek. Zaplatili: Věra Průchová (900 Kč" in done
            assert cluster.payments.payment_of(person["id"])["paid_at"]
            again = visible(browser.post(f"{base}/platby/banka", data={"csrf": token}))
            assert "Z banky přišlo: 1 řádek. Nikoho nezaplatil. Už dříve nahraných řádků: 1." in again
