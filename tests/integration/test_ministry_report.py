"""The yearly report to the Ministry of the Interior (§ 39 zákona č. 312/2002 Sb.) in the console:
chosen by year and accreditation number, read on the page, downloaded as CSV and as the PDF that
the real documents service renders; bad input answered in Czech."""
import csv
import io
from datetime import datetime

from services.common.schemas import without_diacritics
from tests.helpers import pdf_text
from tests.integration.test_console import logged_in
from tests.integration.test_console_records import office  # noqa: F401  (the console with its services)
from tests.integration.test_system import PLZEN, published_event
from tests.integration.timetravel import ended, move_event

NUMBER = "AK/PV-55/2026"


def test_staff_choose_read_and_download_the_ministry_report(office, service_config):  # noqa: F811
    base, cluster = office
    training = published_event(cluster, title="Stavební zákon pro obce", kind="training", capacity=10,
                               accreditation_number=NUMBER, hours=6, lecturer="JUDr. Karel Řehoř",
                               venue="Plzeň, Škroupova 18")
    people = [cluster.registrations.register(training["id"], {
        "first_name": first, "last_name": last, "email": f"{without_diacritics(first).lower()}@plzen.example",
        "organisation_ico": PLZEN, "gdpr_consent": True})
        for first, last in (("Jana", "Šťastná"), ("Petr", "Čermák"), ("Eva", "Malá"))]
    cluster.registrations.cancel_registration(people[2]["id"])
    called_off = published_event(cluster, title="Stavební zákon pro obce", kind="training", capacity=10,
                                 accreditation_number=NUMBER, hours=6, venue="Rokycany")
    cluster.registrations.register(called_off["id"], {"first_name": "Karel", "last_name": "Dvořák",
                                                      "email": "karel@plzen.example", "gdpr_consent": True,
                                                      "organisation_ico": PLZEN})
    cluster.registrations.cancel_event(called_off["id"], "Lektor onemocněl.")
    ended(service_config, training["id"])  # held: attendance, then her certificate
    starts = datetime.fromisoformat(cluster.registrations.get_event(training["id"])["starts_at"])
    move_event(service_config, called_off["id"], starts)  # the same year
    year = starts.year
    cluster.registrations.mark_attendance(training["id"], [people[0]["id"], people[1]["id"]])
    cluster.registrations.release_certificate(people[0]["id"], "staff@smopk.example")  # her fee: not paid here
    assert cluster.registrations.issue_certificates(training["id"])["issued"] == 1  # his waits for the payment
    browser = logged_in(base, "staff", {})

    assert 'href="/vyrocni-zprava/ministerstvo"' in browser.get(f"{base}/vzdelavani").text
    choose = browser.get(f"{base}/vyrocni-zprava/ministerstvo", params={"rok": year})
    assert choose.status_code == 200 and f'<option value="{NUMBER}">{NUMBER}</option>' in choose.text
    page = browser.get(f"{base}/vyrocni-zprava/ministerstvo", params={"rok": year, "akreditace": NUMBER})
    assert page.status_code == 200 and f'<option value="{NUMBER}" selected>' in page.text
    assert ("<td>Plzeň, Škroupova 18</td><td>JUDr. Karel Řehoř</td><td>6</td>\n    <td>2</td><td>2</td><td>0</td>"
            "<td>1</td><td>1</td>") in page.text
    assert "Rokycany: zrušených přihlášek 1" in page.text and "Údaj, který systém nevede: druh vzdělávání" in page.text
    assert "Šťastná" not in page.text and "Čermák" not in page.text  # counts only

    download = browser.get(f"{base}/vyrocni-zprava/ministerstvo/zprava.csv", params={"rok": year, "akreditace": NUMBER})
    assert download.headers["Content-Disposition"] == f'attachment; filename="zprava-mv-{year}-AK-PV-55-2026.csv"'
    table = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig")), delimiter=";"))
    held, cancelled, total = table[:3]
    assert (held["Řádek"], held["Místo"], held["Lektor"], held["Hodiny"], held["Účastníci"],
            held["Vydaná osvědčení"], held["Zrušené přihlášky"]) == (
        "běh", "Plzeň, Škroupova 18", "JUDr. Karel Řehoř", "6", "2", "1", "1")
    assert (cancelled["Řádek"], cancelled["Místo"], cancelled["Zrušené přihlášky"]) == ("zrušený běh", "Rokycany", "1")
    assert (total["Řádek"], total["Účastníci"], total["Osobohodiny"]) == ("celkem", "2", "12")
    assert [r["Řádek"] for r in table[3:]] == ["Údaj, který systém nevede"] * 4

    pdf = browser.get(f"{base}/vyrocni-zprava/ministerstvo/zprava.pdf", params={"rok": year, "akreditace": NUMBER})
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="zprava-mv-{year}-AK-PV-55-2026.pdf"'
    text = " ".join(pdf_text(pdf.content).split())
    assert f"Akreditovaný vzdělávací program {NUMBER} v roce {year}" in text
    assert "PODKLAD PRO PÍSEMNOU ZPRÁVU MINISTERSTVU VNITRA PODLE § 39 ZÁKONA Č. 312/2002 SB." in text
    assert "Plzeň, Škroupova 18 JUDr. Karel Řehoř 6 2 2 0 1 1" in text
    assert "Vydaná osvědčení 1" in text and "Zrušené běhy programu 1" in text
    assert "Údaj, který systém nevede: platnost akreditace programu" in text
    assert "Šťastná" not in text

    refused = browser.get(f"{base}/vyrocni-zprava/ministerstvo", params={"rok": "loni"})
    assert refused.status_code == 422 and "Zadejte rok" in refused.text
    unknown = browser.get(f"{base}/vyrocni-zprava/ministerstvo", params={"rok": year, "akreditace": "AK/NIC"})
    assert unknown.status_code == 404 and f"V roce {year} nemá program s číslem akreditace „AK/NIC“ žádnou akci." \
        in unknown.text
    other_year = browser.get(f"{base}/vyrocni-zprava/ministerstvo/zprava.pdf",
                             params={"rok": year - 3, "akreditace": NUMBER})
    assert other_year.status_code == 404 and "nemá program s číslem akreditace" in other_year.text
    empty = browser.get(f"{base}/vyrocni-zprava/ministerstvo", params={"rok": year - 3})
    assert empty.status_code == 200 and f"V roce {year - 3} nemá žádná akce číslo akreditace." in empty.text
    missing = browser.get(f"{base}/vyrocni-zprava/ministerstvo/zprava.csv", params={"rok": year})
    assert missing.status_code == 422 and "Vyberte číslo akreditace programu." in missing.text
