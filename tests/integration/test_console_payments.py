"""The console's fee pages for the office (staff): a statement uploaded, a line matched by hand,
cash at the door, one invoice for a town's three people, its PDF and ISDOC, cancelled with a
credit note, a refund settled; bad input re-shows the page with a Czech message."""
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.backoffice import store, usecases
from services.backoffice.service import BackofficeService
from services.common.db import Database, utcnow
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
        account, _ = usecases.create_account(tx, "staff@smopk.example", "Staff", "staff", utcnow(), password=PASSWORD)
        store.update_account(tx, account["id"], {"must_change_password": False})
    database.dispose()
    with ClusterRpcProxy(config, timeout=30) as cluster:
        yield f"http://127.0.0.1:{port}", cluster


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

    # One invoice for Jana, Eva and Petra.
    answer = browser.post(f"{base}/faktury/nova", data={"csrf": token, "registration_id": [str(i) for i in ids[:3]]})
    assert answer.status_code == 200 and "FV-" in answer.text
    [invoice] = cluster.payments.list_invoices()
    assert invoice["total"] == "2\xa0700,00\xa0Kč"
    pdf = browser.get(f"{base}/faktury/{invoice['number']}.pdf")
    assert pdf.headers["Content-Type"] == "application/pdf" and "Obec Dolní Lhota" in pdf_text(pdf.content)
    isdoc = browser.get(f"{base}/faktury/{invoice['number']}.isdoc")
    assert isdoc.headers["Content-Disposition"].startswith("attachment") and invoice["number"] in isdoc.text

    # A statement: the town pays the invoice; someone pays with a wrong symbol.
    statement = statements.gpc([
        {"bank_id": "2600000000001", "amount_halere": 270000, "variable_symbol": invoice["variable_symbol"]},
        {"bank_id": "2600000000002", "amount_halere": 90000, "variable_symbol": "123", "counter_name": "Ivana N."}])
    answer = browser.post(f"{base}/platby/vypis", data={"csrf": token},
                          files={"soubor": ("vypis.gpc", statement, "text/plain")})
    assert "spárováno 1, ke kontrole 1" in answer.text and "Neznámý variabilní symbol" in answer.text
    again = browser.post(f"{base}/platby/vypis", data={"csrf": token},
                         files={"soubor": ("vypis.gpc", statement, "text/plain")})
    assert "již nahraných 2" in again.text
    [line] = cluster.payments.to_check()
    answer = browser.post(f"{base}/platby/{line['id']}/prirazeni", data={"csrf": token, "vs": "12x"})
    assert answer.status_code == 422 and "Variabilní symbol má 1 až 10 číslic." in answer.text
    browser.post(f"{base}/platby/{line['id']}/prirazeni", data={"csrf": token, "vs": f"1{ids[3]:09d}"})
    assert cluster.payments.to_check() == [] and cluster.payments.unpaid(event["id"]) == []

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
    browser.post(f"{base}/platby/prihlaska/{late['id']}/hotove", data={"csrf": token})
    assert cluster.payments.payment_of(late["id"])["paid_by"] == "cash"
    cluster.registrations.cancel_registration(ids[0])
    wait_for(lambda: cluster.payments.refunds_due(), message="the refund")
    page = browser.get(f"{base}/platby")
    assert "Jana Nováková" in page.text
    [refund] = cluster.payments.refunds_due()
    browser.post(f"{base}/platby/vratky/{refund['id']}", data={"csrf": token, "poznamka": "Vráceno 1. 12."})
    assert cluster.payments.refunds_due() == []
    listed = browser.get(f"{base}/faktury").text
    assert "opravný doklad k " + invoice["number"] in listed

    # The whole invoice cancelled by the office: a second credit note, for what was left on it.
    browser.post(f"{base}/faktury/{invoice['number']}/storno", data={"csrf": token, "duvod": "Chybný odběratel"})
    kinds = [(i["kind"], i["total_halere"]) for i in cluster.payments.list_invoices()]
    assert kinds == [("credit_note", -180000), ("credit_note", -90000), ("invoice", 270000)]
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
    assert "spárováno 1, ke kontrole 0" in answer.text
    assert cluster.payments.payment_of(person["id"])["paid_at"]
