"""The console's records for staff: an organisation's evidence of training and the annual report,
on the page and downloaded as CSV and PDF, with the services that gather and render them."""
import csv
import io
from datetime import datetime

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.backoffice import store, usecases
from services.backoffice.service import BackofficeService
from services.common.db import Database, utcnow
from services.common.schemas import without_diacritics
from services.common.unit_of_work import UnitOfWork
from services.documents.service import DocumentsService
from services.members.service import MembersService
from services.registrations.service import RegistrationsService
from tests.conftest import free_port, wait_for
from tests.helpers import pdf_text
from tests.integration.test_console import PASSWORD, logged_in
from tests.integration.test_system import PLZEN, published_event
from tests.integration.timetravel import ended


@pytest.fixture
def office(runner_factory, service_config):
    port = free_port()
    config = dict(service_config, BACKOFFICE_ADDRESS=f"127.0.0.1:{port}")
    runner_factory(config, BackofficeService, RegistrationsService, MembersService, DocumentsService).start()
    database = Database(config["DATABASES"]["backoffice"], store.metadata)
    with database.transaction() as tx:
        account, _ = usecases.create_account(UnitOfWork(tx, utcnow()), "staff@smopk.example", "Staff", "staff",
                                             password=PASSWORD)
        store.update_account(tx, account["id"], {"must_change_password": False})
    database.dispose()
    with ClusterRpcProxy(config, timeout=30) as cluster:
        yield f"http://127.0.0.1:{port}", cluster


def test_staff_download_an_organisations_record_and_the_annual_report(office, service_config):
    base, cluster = office
    cluster.members.upsert_organisation({"ico": PLZEN, "name": "Statutární město Plzeň", "kind": "statutární město",
                                         "district": "Plzeň-město", "member_since": "2005-01-01"})
    wait_for(lambda: cluster.registrations.organisation_training_record(PLZEN)["organisation"]["district"],
             message="the district in the registrations' copy of the register")
    training = published_event(cluster, title="Stavební zákon pro obce", kind="training", capacity=10,
                               accreditation_number="AK/PV-77/2026", hours=6)
    people = [cluster.registrations.register(training["id"], {
        "first_name": first, "last_name": last, "email": f"{without_diacritics(first).lower()}@plzen.example",
        "organisation_ico": PLZEN, "gdpr_consent": True}) for first, last in (("Jana", "Šťastná"), ("Petr", "Čermák"))]
    ended(service_config, training["id"])  # held: attendance and its certificate
    year = datetime.fromisoformat(cluster.registrations.get_event(training["id"])["starts_at"]).year
    cluster.registrations.mark_attendance(training["id"], [people[0]["id"]])
    cluster.registrations.release_certificate(people[0]["id"], "staff@smopk.example")  # her fee: not paid here
    assert cluster.registrations.issue_certificates(training["id"])["issued"] == 1
    number = cluster.documents.render_certificate(people[0]["id"])["number"]
    browser = logged_in(base, "staff", {})

    page = browser.get(f"{base}/vzdelavani", params={"ico": PLZEN, "rok": str(year)})
    assert page.status_code == 200 and page.url.endswith(f"/vzdelavani/{PLZEN}?rok={year}")
    assert "Šťastná Jana" in page.text and number in page.text and "Čermák" not in page.text  # he did not come
    table = list(csv.DictReader(io.StringIO(browser.get(f"{base}/vzdelavani/{PLZEN}/evidence.csv",
                                                        params={"rok": year}).content.decode("utf-8-sig")),
                                delimiter=";"))
    assert [(r["Příjmení"], r["Hodiny"], r["Číslo osvědčení"]) for r in table] == [("Šťastná", "6", number)]
    download = browser.get(f"{base}/vzdelavani/{PLZEN}/evidence.pdf", params={"rok": year})
    assert download.headers["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(download.content).split())
    assert "Šťastná Jana" in text and f"AK/PV-77/2026 6 {number}" in text and "okres Plzeň-město" in text

    report = browser.get(f"{base}/vyrocni-zprava", params={"rok": year})
    assert report.status_code == 200 and f"Výroční zpráva {year}" in report.text and "Plzeň-město" in report.text
    rows = list(csv.reader(io.StringIO(browser.get(f"{base}/vyrocni-zprava/zprava.csv", params={"rok": year})
                                       .content.decode("utf-8-sig")), delimiter=";"))
    assert ["Účastníci podle okresu", "Plzeň-město", "1"] in rows
    assert ["Akreditované vzdělávání (konané akce)", "odučené akreditované hodiny", "6"] in rows
    pdf = browser.get(f"{base}/vyrocni-zprava/zprava.pdf", params={"rok": year})
    text = " ".join(pdf_text(pdf.content).split())
    assert f"za rok {year}" in text and "Plzeň-město 1" in text and "(hodiny programu × účastníci): 6." in text
    assert "Odučené akreditované hodiny (součet hodin konaných programů): 6." in text

    refused = browser.get(f"{base}/vzdelavani/12345678")
    assert refused.status_code == 422 and "kontrolní číslici" in refused.text
    refused = browser.get(f"{base}/vyrocni-zprava", params={"rok": "loni"})
    assert refused.status_code == 422 and "Zadejte rok" in refused.text


def test_staff_find_a_record_by_organisation_name_or_by_person(office, service_config):
    base, cluster = office
    cluster.members.upsert_organisation({"ico": PLZEN, "name": "Statutární město Plzeň", "kind": "statutární město",
                                         "district": "Plzeň-město", "member_since": "2005-01-01"})
    cluster.members.upsert_organisation({"ico": "00257231", "name": "Město Dobřany", "district": "Plzeň-jih"})
    wait_for(lambda: cluster.registrations.organisation_training_record(PLZEN)["organisation"]["district"],
             message="the organisation in the registrations' copy of the register")  # her row names it
    training = published_event(cluster, title="Stavební zákon pro obce", kind="training", capacity=10,
                               accreditation_number="AK/PV-77/2026", hours=6)
    jana = cluster.registrations.register(training["id"], {
        "first_name": "Jana", "last_name": "Šťastná", "email": "Jana.Stastna@plzen.example",
        "organisation_ico": PLZEN, "gdpr_consent": True})
    ended(service_config, training["id"])  # held: attendance, then the certificate
    cluster.registrations.mark_attendance(training["id"], [jana["id"]])
    cluster.registrations.release_certificate(jana["id"], "staff@smopk.example")  # her fee: not paid here
    assert cluster.registrations.issue_certificates(training["id"])["issued"] == 1
    number = cluster.documents.render_certificate(jana["id"])["number"]
    browser = logged_in(base, "staff", {})

    page = browser.get(f"{base}/vzdelavani")
    # the register offers the names as one types (a datalist: no script needed)
    assert '<input id="organizace" name="organizace" list="organizace-z-evidence"' in page.text
    assert f'<option value="Statutární město Plzeň ({PLZEN})">' in page.text
    assert '<option value="Město Dobřany (00257231)">' in page.text
    chosen = browser.get(f"{base}/vzdelavani", params={"organizace": f"Statutární město Plzeň ({PLZEN})"})
    assert chosen.url.endswith(f"/vzdelavani/{PLZEN}") and "Šťastná Jana" in chosen.text
    typed = browser.get(f"{base}/vzdelavani", params={"organizace": "plzen", "rok": ""})
    assert typed.status_code == 200 and f'<a href="/vzdelavani/{PLZEN}">Statutární město Plzeň</a>' in typed.text
    assert "Dobřany" not in typed.text.split("Organizace podle")[1].split("</section>")[0]
    none = browser.get(f"{base}/vzdelavani", params={"organizace": "Brno"})
    assert "Žádná organizace v evidenci členů tomu neodpovídá." in none.text
    assert browser.get(f"{base}/vzdelavani", params={"organizace": PLZEN}).url.endswith(f"/vzdelavani/{PLZEN}")

    people = browser.get(f"{base}/vzdelavani", params={"osoba": "stastna"})
    link = "/vzdelavani/osoba?email=Jana.Stastna%40plzen.example"
    assert f'<a href="{link}">Šťastná Jana</a>' in people.text and "Statutární město Plzeň (akcí: 1)" in people.text
    record = browser.get(base + link)
    assert record.status_code == 200 and "Evidence vzdělávání: Jana Šťastná" in record.text
    assert number in record.text and "hodin celkem: 6" in record.text
    by_email = browser.get(f"{base}/vzdelavani", params={"osoba": "jana.stastna@PLZEN.example"})
    assert by_email.url.endswith("/vzdelavani/osoba?email=jana.stastna%40PLZEN.example") and number in by_email.text
    pdf = browser.get(f"{base}/vzdelavani/osoba/evidence.pdf", params={"email": "jana.stastna@plzen.example"})
    assert pdf.headers["Content-Type"] == "application/pdf" and "Šťastná Jana" in pdf_text(pdf.content)
    nobody = browser.get(f"{base}/vzdelavani", params={"osoba": "Novák"})
    assert "Nikdo takový nemá zaznamenanou účast na akci." in nobody.text
    assert browser.get(f"{base}/vzdelavani/osoba", params={"email": "nikdo"}).status_code == 422
