"""The accountant's export in the console ("Účetnictví"): the office (staff) chooses a month, sees
what it holds and downloads the POHODA XML, the XLSX and the zip of ISDOCs; each download is
audited; the door may not; a month with nothing and a month that is none are said in Czech."""
import io
import zipfile

import openpyxl
import pytest
import requests
from lxml import etree
from nameko.standalone.rpc import ClusterRpcProxy

from services.backoffice import store, usecases
from services.backoffice.service import BackofficeService
from services.common.czech import MONTH_FORMAT, local, month_name
from services.common.db import Database, utcnow
from services.common.unit_of_work import UnitOfWork
from services.documents.service import DocumentsService
from services.members.service import MembersService
from services.payments.service import PaymentsService
from services.registrations.service import RegistrationsService
from tests import statements
from tests.conftest import free_port, wait_for
from tests.integration.test_console import PASSWORD, logged_in
from tests.integration.test_console_payments import TOWN, visible
from tests.integration.test_system import published_event
from tests.unit.payments.test_accounting import POHODA_XSD, b64

NS = {"dat": "http://www.stormware.cz/schema/version_2/data.xsd",
      "inv": "http://www.stormware.cz/schema/version_2/invoice.xsd",
      "bnk": "http://www.stormware.cz/schema/version_2/bank.xsd"}


@pytest.fixture
def office(runner_factory, service_config):
    port = free_port()
    config = dict(service_config, BACKOFFICE_ADDRESS=f"127.0.0.1:{port}")  # invoices at registration
    runner_factory(config, BackofficeService, RegistrationsService, PaymentsService, MembersService,
                   DocumentsService).start()
    database = Database(config["DATABASES"]["backoffice"], store.metadata)
    with database.transaction() as tx:
        for role in ("staff", "door"):
            account, _ = usecases.create_account(UnitOfWork(tx, utcnow()), f"{role}@smopk.example", role.title(),
                                                 role, password=PASSWORD)
            store.update_account(tx, account["id"], {"must_change_password": False})
    with ClusterRpcProxy(config, timeout=30) as cluster:
        yield f"http://127.0.0.1:{port}", cluster, database
    database.dispose()


def audit_rows(database):
    with database.transaction() as tx:
        return [dict(row) for row in store.list_audit(tx, limit=100, action="accounting_exported")]


def test_the_office_downloads_a_months_papers_for_the_accountant(office):
    base, cluster, database = office
    cluster.members.upsert_organisation(TOWN)
    event = published_event(cluster, capacity=10)
    ids = [cluster.registrations.register(event["id"], {
        "first_name": name, "last_name": "Nováková", "email": f"{name.lower()}@dolnilhota.example",
        "organisation_ico": TOWN["ico"], "gdpr_consent": True})["id"] for name in ("Jana", "Eva")]
    wait_for(lambda: len(cluster.payments.list_invoices()) == 2, message="two invoices at registration")
    today = local(utcnow()).date()
    cluster.payments.import_statement(b64(statements.gpc([
        {"bank_id": "2600000000001", "amount_halere": 90000, "variable_symbol": f"1{ids[0]:09d}",
         "booked_on": today.isoformat()}])))
    month = f"{today.year}-{today.month:02d}"

    # Not for the door, not for anyone logged out.
    door = logged_in(base, "door", {})
    assert door.get(f"{base}/ucetnictvi").status_code == 403
    assert door.get(f"{base}/ucetnictvi/pohoda.xml?mesic={month}").status_code == 403
    anonymous = requests.get(f"{base}/ucetnictvi/podklady.xlsx?mesic={month}", allow_redirects=False)
    assert anonymous.status_code == 303 and "/prihlaseni" in anonymous.headers["Location"]

    browser = logged_in(base, "staff", {})
    assert "Účetnictví" in visible(browser.get(f"{base}/"))  # in the menu
    page = browser.get(f"{base}/ucetnictvi", params={"mesic": month})
    said = visible(page)
    assert page.status_code == 200 and "Podklady pro účetní" in said
    assert "Vystavené faktury 2 1 800,00 Kč" in said and "Spárované platby z banky 1 900,00 Kč" in said
    assert "Nezaplacené faktury vystavené do konce měsíce (stav dnes) 1 900,00 Kč" in said
    assert "Stáhnout XML pro Pohodu" in said and audit_rows(database) == []  # counts name nobody

    pack = browser.get(f"{base}/ucetnictvi/pohoda.xml", params={"mesic": month})
    assert pack.status_code == 200 and pack.headers["Content-Type"] == "application/xml"
    assert pack.headers["Content-Disposition"] == f'attachment; filename="ucetnictvi-{month}-pohoda.xml"'
    root = etree.fromstring(pack.content)
    schema = etree.XMLSchema(etree.parse(POHODA_XSD))
    assert schema.validate(root), schema.error_log.filter_from_errors()
    assert len(root.findall("dat:dataPackItem/inv:invoice", NS)) == 2
    assert len(root.findall("dat:dataPackItem/bnk:bank", NS)) == 1
    workbook = browser.get(f"{base}/ucetnictvi/podklady.xlsx", params={"mesic": month})
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames == ["Faktury", "Platby", "Nezaplacené", "Vratky"]
    assert book["Faktury"].max_row == 4  # the header, two invoices, the total
    isdocs = browser.get(f"{base}/ucetnictvi/isdoc.zip", params={"mesic": month})
    assert sorted(zipfile.ZipFile(io.BytesIO(isdocs.content)).namelist()) == sorted(
        f"{i['number']}.isdoc" for i in cluster.payments.list_invoices())
    rows = audit_rows(database)
    assert [(r["who"], r["outcome"], r["details"]["format"]) for r in reversed(rows)] == [
        ("staff@smopk.example", "done", "XML pro Pohodu"), ("staff@smopk.example", "done", "tabulka XLSX"),
        ("staff@smopk.example", "done", "ISDOC (ZIP)")]
    assert {r["details"]["month"] for r in rows} == {month_name(today.year, today.month)}

    # A month with nothing: its page says so, its workbook and zip are empty, POHODA gets no file.
    page = browser.get(f"{base}/ucetnictvi", params={"mesic": "2020-01"})
    said = visible(page)
    assert page.status_code == 200 and "V měsíci leden 2020 nejsou žádné faktury" in said
    assert "Stáhnout XML pro Pohodu" not in said
    empty = openpyxl.load_workbook(io.BytesIO(browser.get(f"{base}/ucetnictvi/podklady.xlsx",
                                                          params={"mesic": "2020-01"}).content))
    assert [empty[name].max_row for name in empty.sheetnames] == [2, 3, 2, 2]  # headers and totals only
    assert zipfile.ZipFile(io.BytesIO(browser.get(f"{base}/ucetnictvi/isdoc.zip",
                                                  params={"mesic": "2020-01"}).content)).namelist() == []
    refused = browser.get(f"{base}/ucetnictvi/pohoda.xml", params={"mesic": "2020-01"})
    assert refused.status_code == 409 and "Za leden 2020 není co importovat do Pohody" in visible(refused)
    assert audit_rows(database)[0]["outcome"] == "refused"

    # A month that is none: said in Czech, never a 500, and nothing audited.
    before = len(audit_rows(database))
    page = browser.get(f"{base}/ucetnictvi", params={"mesic": "2028-13"})
    assert page.status_code == 422 and MONTH_FORMAT in visible(page)
    for path in ("pohoda.xml", "podklady.xlsx", "isdoc.zip"):
        answer = browser.get(f"{base}/ucetnictvi/{path}", params={"mesic": "duben"})
        assert answer.status_code == 422 and MONTH_FORMAT in visible(answer), path
    assert len(audit_rows(database)) == before
    # Without a month: the one before this one.
    assert "Podklady pro účetní" in visible(browser.get(f"{base}/ucetnictvi"))

