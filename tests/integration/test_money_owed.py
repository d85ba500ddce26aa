"""What is owed after a colleague cancels, and the payment details on the thank-you page (issue
31), through the running services: real RabbitMQ, databases, SMTP server; QR codes read back
from the PDF ticket and the email's picture with zbarimg."""
import base64
import re

from services.documents.service import DocumentsService
from services.members.service import MembersService
from services.notifications.service import NotificationsService
from services.payments.service import PaymentsService
from services.registrations.service import RegistrationsService
from tests import statements
from tests.conftest import wait_for
from tests.helpers import download, image_qr_codes, spd_codes, spd_fields
from tests.integration.test_system import ALL, PLZEN, cluster, published_event  # noqa: F401 (a fixture)

MEMBER = {"ico": PLZEN, "name": "Statutární město Plzeň", "kind": "statutární město", "district": "Plzeň-město",
          "member_since": "2005-01-01"}
ATTENDEES = [{"first_name": "Jiří", "last_name": "Šťastný", "email": "jiri@plzen.example"},
             {"first_name": "Věra", "last_name": "Malá", "email": "vera@plzen.example"},
             {"first_name": "Ota", "last_name": "Řezníček", "email": "ota@plzen.example"}]



def words(html):
    """The page's text as a person reads it: tags gone, runs of spaces one (no-break spaces kept)."""
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html))

def plain(message):
    return message.get_body(("plain",)).get_content()


def test_after_one_of_three_colleagues_cancels_every_surface_asks_for_the_invoice_less_the_credit_note(
        runner_factory, service_config, cluster, web_session, smtp_sink):  # noqa: F811
    runner_factory(dict(service_config, INVOICE_MODE="on_request"), *ALL).start()
    cluster.members.upsert_organisation(MEMBER)
    event = published_event(cluster, days=1, capacity=5, price_member=500, price_non_member=500,
                            max_per_organisation=3)
    answer = web_session.post(f"/api/events/{event['id']}/group-registrations", json={
        "registrant": {"first_name": "Eva", "last_name": "Tajemnice", "email": "eva@plzen.example"},
        "organisation_ico": PLZEN, "gdpr_consent": True, "attendees": ATTENDEES})
    assert answer.status_code == 201, answer.text
    jiri, vera, ota = answer.json()["registrations"]
    api = {r["id"]: f"/api/registrations/{r['token']}" for r in (jiri, vera, ota)}
    wait_for(lambda: all(web_session.get(url).json()["payment"] for url in api.values()),
             message="the three payment requests")

    invoice = cluster.payments.issue_invoice([jiri["id"], vera["id"], ota["id"]])  # staff: one for the town
    vs = invoice["variable_symbol"]
    assert vs.startswith("2") and invoice["total_halere"] == 150000
    wait_for(lambda: all(web_session.get(url).json()["payment"]["variable_symbol"] == vs for url in api.values()),
             message="the group invoice's symbol on every registration")
    assert web_session.get(api[jiri["id"]]).json()["payment"]["outstanding_halere"] == 150000

    assert web_session.post(f"/api/registrations/{ota['token']}/cancel").status_code == 200

    def reduced():
        payments = [web_session.get(api[r["id"]]).json()["payment"] for r in (jiri, vera)]
        return all(p["outstanding_halere"] == 100000 for p in payments) and payments
    for payment in wait_for(reduced, message="the amount owed after the credit note"):  # the API
        assert (payment["variable_symbol"], payment["amount_halere"], payment["group_invoice"]) == (
            vs, 50000, invoice["number"])
        assert (spd_fields(payment["spd"])["AM"], spd_fields(payment["spd"])["X-VS"]) == ("1000.00", vs)

    page = web_session.get(f"/r/{jiri['token']}").text  # the manage page
    label = f"Zbývá zaplatit za celou skupinu (faktura {invoice['number']})"
    assert f"{label} 1\xa0000,00\xa0Kč Kopírovat" in words(page)
    assert "1\xa0500" not in page and "QR Platba: 1\xa0000,00\xa0Kč" in page

    ticket = download(web_session, f"/api/registrations/{jiri['token']}/ticket.pdf")  # the ticket's QR Platba
    assert ticket.status_code == 200
    [spd] = spd_codes(ticket.content)
    assert (spd_fields(spd)["AM"], spd_fields(spd)["X-VS"]) == ("1000.00", vs)

    # The credit note's email says what is left; the console's lists and the invoice list agree.
    note = wait_for(lambda: [m for m in smtp_sink.messages() if m["Subject"].startswith("Opravný doklad")],
                    message="the credit note's email")[0]
    assert f"Na faktuře {invoice['number']} tím zbývá zaplatit 1\xa0000,00\xa0Kč" in plain(note)
    assert sorted((p["registration_id"], p["owed_halere"]) for p in cluster.payments.unpaid(event["id"])) == [
        (jiri["id"], 50000), (vera["id"], 50000)]
    [listed] = [i for i in cluster.payments.list_invoices(event["id"]) if i["number"] == invoice["number"]]
    assert listed["payment"]["label"] == "nezaplaceno, zbývá 1\xa0000,00\xa0Kč"

    # The reminder before the event asks for the same, in words and in its QR Platba picture.
    assert cluster.registrations.send_due_reminders() == 2
    reminders = wait_for(lambda: (lambda found: len(found) == 2 and found)(
        [m for m in smtp_sink.messages() if m["Subject"].startswith("Připomínka")]), message="two reminders")
    for reminder in reminders:
        text = plain(reminder)
        assert "Cena za vás:       500,00\xa0Kč" in text
        assert f"Zbývá zaplatit za celou skupinu (faktura {invoice['number']}): 1\xa0000,00\xa0Kč" in text
        assert "1\xa0500" not in text
        [picture] = [p for p in reminder.walk() if p.get_content_type() == "image/png"]
        assert spd_fields(image_qr_codes(picture.get_content())[0])["AM"] == "1000.00"

    # A transfer of the reduced amount pays both in full; nothing waits for a check.
    statement = statements.camt053([{"bank_id": "ISSUE31-1", "amount_halere": 100000, "variable_symbol": vs,
                                     "counter_name": "Statutární město Plzeň"}])
    summary = cluster.payments.import_statement(base64.b64encode(statement).decode())
    assert (summary["matched"], summary["to_check"]) == (1, 0) and cluster.payments.to_check() == []
    wait_for(lambda: all(web_session.get(api[r["id"]]).json()["paid_at"] for r in (jiri, vera)),
             message="both paid")
    assert "Zaplaceno" in web_session.get(f"/r/{vera['token']}").text
    [listed] = [i for i in cluster.payments.list_invoices(event["id"]) if i["number"] == invoice["number"]]
    assert listed["payment"]["state"] == "paid"


def test_the_thank_you_page_shows_how_to_pay_on_first_view(
        runner_factory, service_config, cluster, web_session):  # noqa: F811
    runner_factory(service_config, *ALL).start()
    event = published_event(cluster, price_non_member=900)
    answer = web_session.post(f"/api/events/{event['id']}/registrations", json={
        "first_name": "Věra", "last_name": "Průchová", "email": "vera@dolnilhota.example",
        "organisation_name": "Obec Dolní Lhota", "gdpr_consent": True})
    assert answer.status_code == 201, answer.text
    page = web_session.get(f"/r/{answer.json()['token']}?nova=1").text  # at once, as the form's redirect
    vs = f"1{answer.json()['id']:09d}"
    assert "Děkujeme, jste přihlášeni" in page
    assert f"Variabilní symbol {vs}" in words(page) and "Částka k úhradě 900,00\xa0Kč" in words(page)
    assert "data:image/svg+xml" in page and 'http-equiv="refresh"' not in page


def test_without_payments_the_thank_you_page_says_the_details_follow_and_reloads_until_they_come(
        runner_factory, service_config, cluster, web_session):  # noqa: F811
    runner_factory(service_config, MembersService, RegistrationsService, NotificationsService,
                   DocumentsService).start()  # payments is away for now
    event = published_event(cluster, price_non_member=900)
    person = web_session.post(f"/api/events/{event['id']}/registrations", json={
        "first_name": "Věra", "last_name": "Průchová", "email": "vera@dolnilhota.example",
        "organisation_name": "Obec Dolní Lhota", "gdpr_consent": True}).json()
    page = web_session.get(f"/r/{person['token']}?nova=1").text
    assert "Děkujeme, jste přihlášeni" in page and "Variabilní symbol" not in page
    assert "Částka k úhradě: 900,00\xa0Kč" in page
    assert "pošleme vám je e-mailem do minuty; tato stránka je ukáže sama" in page
    assert '<meta http-equiv="refresh" content="5">' in page

    runner_factory(service_config, PaymentsService).start()  # payments back: the request is made
    page = wait_for(lambda: (lambda text: "Variabilní symbol" in text and text)(
        web_session.get(f"/r/{person['token']}?nova=1").text), message="the payment details on the page")
    assert f"1{person['id']:09d}" in page and 'http-equiv="refresh"' not in page
