"""The municipality's page (/obec) through real HTTP, with the real services, broker and SMTP
server: a contact asks for a link, reads it from the email, logs in and sees their organisation's
registrations, certificates, training and invoices, and nothing of another organisation's."""
import re
import time

import pytest
import requests
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.web.handlers import HttpRequestHandler

from services.registrations.portal import LINK_SENT
from services.registrations.service import RegistrationsService
from tests.conftest import wait_for
from tests.helpers import pdf_text
from tests.integration.test_system import ALL, cluster, published_event  # noqa: F401 (a fixture)
from tests.integration.test_web import csrf_of
from tests.integration.timetravel import begun, ended

PLZEN, DOBRANY = "00075370", "00257231"
SUBJECT = "Přihlášení na stránku obce"


def portal_routes():
    """Every HTTP route of the municipality's page, as the service declares them."""
    found = set()
    for name in dir(RegistrationsService):
        for entrypoint in getattr(getattr(RegistrationsService, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, HttpRequestHandler) and entrypoint.url.startswith("/obec"):
                found.add((entrypoint.method, entrypoint.url))
    return found


def links_to(sink, address):
    return [re.search(r"(http://\S+/obec/prihlaseni/\S+)", m.get_body(("plain",)).get_content()).group(1)
            for m in sink.messages() if m["To"] == address and m["Subject"] == SUBJECT]


def ask_for_link(base, address):
    browser = requests.Session()
    form = browser.get(f"{base}/obec")
    answer = browser.post(f"{base}/obec", data={"csrf": csrf_of(form), "email": address})
    assert answer.status_code == 200 and LINK_SENT in answer.text
    return browser


def log_in(base, sink, address, count=1):
    browser = ask_for_link(base, address)
    link = wait_for(lambda: len(links_to(sink, address)) >= count and links_to(sink, address)[-1], timeout=60,
                    message=f"the login link to {address}")
    button = browser.get(link)
    assert button.status_code == 200 and "Přihlásit se" in button.text
    assert browser.get(link).status_code == 200  # looking again (a mail scanner) does not use it up
    logged = browser.post(link, data={"csrf": csrf_of(button)}, allow_redirects=False)
    assert logged.status_code == 303 and logged.headers["Location"] == "/obec"
    return browser, link, logged


def settled(sink, quiet=3.0):
    """Until no email has come for ``quiet`` seconds: a test ends with nothing being rendered or
    sent (documents' render pool, stopped mid-render, would keep the test process from ending)."""
    seen = {"count": -1, "since": time.monotonic()}

    def quiet_now():
        count = len(sink.messages())
        if count != seen["count"]:
            seen.update(count=count, since=time.monotonic())
        return time.monotonic() - seen["since"] >= quiet
    wait_for(quiet_now, timeout=90, interval=0.2, message="the emails to settle")


@pytest.fixture
def towns(runner_factory, service_config, cluster, smtp_sink):  # noqa: F811
    runner = runner_factory(service_config, *ALL)
    runner.start()
    for ico, name in ((PLZEN, "Statutární město Plzeň"), (DOBRANY, "Město Dobřany")):
        cluster.members.upsert_organisation({"ico": ico, "name": name, "kind": "město", "district": "Plzeň-jih",
                                             "address": "Náměstí 1, 330 01 Plzeň"})
    cluster.members.add_contact(PLZEN, {"first_name": "Eva", "last_name": "Nováková", "email": "eva@plzen.example"})
    withdrawn = cluster.members.add_contact(PLZEN, {"first_name": "Jan", "last_name": "Bývalý",
                                                    "email": "jan@plzen.example"})
    cluster.members.set_portal_access(PLZEN, withdrawn["id"], False)
    cluster.members.add_contact(DOBRANY, {"first_name": "Petr", "last_name": "Dvořák",
                                          "email": "petr@dobrany.example"})
    training = published_event(cluster, title="Správní řád v praxi", accreditation_number="AK/PV-123/2026",
                               hours=12, price_non_member=0, price_member=0, capacity=10)
    seminar = published_event(cluster, title="Odpady v obci: nový zákon", capacity=10, days=20)

    def person(first, last, email, ico):
        return {"first_name": first, "last_name": last, "email": email, "organisation_ico": ico, "gdpr_consent": True}
    alena = cluster.registrations.register(training["id"], person("Alena", "Šťastná", "alena@plzen.example", PLZEN))
    cluster.registrations.register(training["id"], person("Ota", "Cizí", "ota@dobrany.example", DOBRANY))
    bohumil = cluster.registrations.register(seminar["id"], person("Bohumil", "Řezáč", "bohumil@plzen.example",
                                                                   PLZEN))
    cyril = cluster.registrations.register(seminar["id"], person("Cyril", "Dobřanský", "cyril@dobrany.example",
                                                                 DOBRANY))
    begun(service_config, training["id"])
    cluster.registrations.mark_attendance(training["id"], [alena["id"]])
    ended(service_config, training["id"])
    assert cluster.registrations.issue_certificates(training["id"])["issued"] == 1

    def invoices():
        found = {ico: cluster.payments.organisation_invoices(ico) for ico in (PLZEN, DOBRANY)}
        return all(found.values()) and found
    invoiced = wait_for(invoices, timeout=60, message="the seminar's invoices")
    settled(smtp_sink)  # the confirmations, invoices and the certificate rendered and sent
    return {"base": f"http://{service_config['WEB_SERVER_ADDRESS']}", "alena": alena, "bohumil": bohumil,
            "cyril": cyril, "seminar": seminar, "plzen_invoice": invoiced[PLZEN][0]["number"],
            "dobrany_invoice": invoiced[DOBRANY][0]["number"], "cluster": cluster}


def test_a_contact_logs_in_from_the_emailed_link_and_sees_their_organisation_only(towns, smtp_sink):
    base, rpc = towns["base"], towns["cluster"]
    for nobody in ("nikdo@plzen.example", "jan@plzen.example"):  # unknown, and withdrawn by staff
        ask_for_link(base, nobody)
    browser, link, logged = log_in(base, smtp_sink, "eva@plzen.example")
    cookie = logged.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/obec" in cookie and "Secure" not in cookie
    assert [m["To"] for m in smtp_sink.messages() if m["Subject"] == SUBJECT] == ["eva@plzen.example"]
    email = [m for m in smtp_sink.messages() if m["Subject"] == SUBJECT][0]
    assert "Statutární město Plzeň" in email.get_body(("plain",)).get_content()

    page = browser.get(f"{base}/obec")
    assert page.status_code == 200 and "Statutární město Plzeň" in page.text
    for shown in ("Alena Šťastná", "Bohumil Řezáč", "Správní řád v praxi", "zúčastnil(a) se", towns["plzen_invoice"],
                  "Stáhnout osvědčení (PDF)", f"/r/{towns['bohumil']['token']}", "QR Platba", "Variabilní symbol",
                  "jeden den vzdělávání počítáme jako 8 hodin", "chybí 16,5 dne",
                  f"/events/{towns['seminar']['id']}/kolegove?organisation_ico={PLZEN}"):
        assert shown in page.text, shown
    for foreign in ("Ota Cizí", "Cyril Dobřanský", towns["dobrany_invoice"], "Město Dobřany", "dobrany.example"):
        assert foreign not in page.text, foreign

    certificate = browser.get(f"{base}/obec/osvedceni/{towns['alena']['id']}.pdf")
    assert certificate.headers["Content-Type"] == "application/pdf" and "Alena Šťastná" in pdf_text(certificate.content)
    invoice = browser.get(f"{base}/obec/faktury/{towns['plzen_invoice']}.pdf")
    assert invoice.headers["Content-Type"] == "application/pdf"
    assert towns["plzen_invoice"] in " ".join(pdf_text(invoice.content).split())
    isdoc = browser.get(f"{base}/obec/faktury/{towns['plzen_invoice']}.isdoc")
    assert isdoc.status_code == 200 and b"<Invoice" in isdoc.content
    record = browser.get(f"{base}/obec/vzdelavani.csv")
    assert record.headers["Content-Type"].startswith("text/csv") and "Šťastná" in record.text
    assert "AK/PV-123/2026" in record.text and "Cizí" not in record.text
    colleagues = browser.get(f"{base}/events/{towns['seminar']['id']}/kolegove?organisation_ico={PLZEN}")
    assert f'value="{PLZEN}"' in colleagues.text

    used = requests.Session()
    again = used.get(link)
    assert again.status_code == 410 and "Tento odkaz už byl použit" in again.text and "Poslat nový odkaz" in again.text
    assert [login["email"] for login in rpc.registrations.portal_logins(PLZEN)] == ["eva@plzen.example"]
    assert rpc.registrations.portal_logins(DOBRANY) == []

    out = browser.post(f"{base}/obec/odhlasit", data={"csrf": csrf_of(page)})
    assert out.status_code == 200 and "Jste odhlášeni." in out.text
    assert "Alena" not in browser.get(f"{base}/obec").text
    browser.cookies.set("obec_relace", cookie.split(";")[0].split("=", 1)[1], path="/obec")  # the old cookie kept
    assert "Alena" not in browser.get(f"{base}/obec").text
    settled(smtp_sink)


def test_every_page_of_it_refuses_another_organisations_session_and_no_session(towns, smtp_sink):
    base = towns["base"]
    dobrany, _link, _ = log_in(base, smtp_sink, "petr@dobrany.example")
    plzen_data = ("Alena", "Bohumil", "Statutární město Plzeň", towns["plzen_invoice"], "plzen.example")
    csrf = csrf_of(dobrany.get(f"{base}/obec"))
    # Each route of the page, with Plzeň's identifiers where it takes any.
    tried = {
        ("GET", "/obec"): [("get", "/obec", {})],
        ("POST", "/obec"): [("post", "/obec", {"csrf": csrf, "email": "eva@plzen.example"})],
        ("GET", "/obec/prihlaseni/<token>"): [("get", "/obec/prihlaseni/neznamy-odkaz", {})],
        ("POST", "/obec/prihlaseni/<token>"): [("post", "/obec/prihlaseni/neznamy-odkaz", {"csrf": csrf})],
        ("POST", "/obec/odhlasit"): [],  # tried last: it ends the session
        ("GET", "/obec/osvedceni/<int(max=2147483647):registration_id>.pdf"): [
            ("get", f"/obec/osvedceni/{towns['alena']['id']}.pdf", {}),
            ("get", f"/obec/osvedceni/{towns['bohumil']['id']}.pdf", {})],
        ("GET", "/obec/faktury/<number>.pdf"): [("get", f"/obec/faktury/{towns['plzen_invoice']}.pdf", {})],
        ("GET", "/obec/faktury/<number>.isdoc"): [("get", f"/obec/faktury/{towns['plzen_invoice']}.isdoc", {})],
        ("GET", "/obec/vzdelavani.csv"): [("get", "/obec/vzdelavani.csv", {}),
                                          ("get", "/obec/vzdelavani.csv?od=2024", {})],
    }
    assert set(tried) == portal_routes()  # a new route of the page must be added here
    anonymous = requests.Session()
    anonymous.get(f"{base}/obec")  # its CSRF cookie
    for route, requests_made in tried.items():
        for method, path, data in requests_made:
            for who, browser in (("Dobřany", dobrany), ("nobody", anonymous)):
                if data:
                    data = dict(data, csrf=browser.cookies.get("csrf"))
                answer = getattr(browser, method)(f"{base}{path}", data=data or None, allow_redirects=False)
                body = answer.content.decode("utf-8", errors="replace")
                for secret in plzen_data:
                    assert secret not in body, (who, route, path, secret)
                downloads = ".pdf" in path or ".isdoc" in path or ".csv" in path
                if downloads and (who == "nobody" or "vzdelavani" not in path):
                    assert answer.status_code == 403, (who, path, answer.status_code)
                elif route == ("GET", "/obec") and who == "nobody":
                    assert answer.status_code == 200 and 'name="email"' in answer.text
    csv = dobrany.get(f"{base}/obec/vzdelavani.csv").text
    assert "Cizí" not in csv  # Ota did not attend: nobody of Dobřany has a record
    out = anonymous.post(f"{base}/obec/odhlasit", data={"csrf": anonymous.cookies.get("csrf")})
    assert out.status_code == 200 and "Jste odhlášeni." in out.text
    assert "Město Dobřany" in dobrany.get(f"{base}/obec").text  # nobody's logout ended nobody else's session
    # Either session's ask sent Eva a link to her own address (the answer said nothing more).
    wait_for(lambda: len(links_to(smtp_sink, "eva@plzen.example")) == 2, timeout=60, message="Eva's two links")
    settled(smtp_sink)
