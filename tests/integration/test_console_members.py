"""The member register in the staff console over HTTP, with the members service: browsing it by
district and membership a page at a time, editing an organisation and its contacts (each change
in the audit log, a refusal shown in the form), and importing what Czech Excel saves."""
import base64
import re
from urllib.parse import unquote

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.backoffice import store, usecases
from services.backoffice.service import BackofficeService
from services.common.db import Database, utcnow
from services.common.ico import ico_check_digit
from services.common.unit_of_work import UnitOfWork
from services.members.service import MembersService
from services.registrations.service import RegistrationsService
from tests.conftest import free_port
from tests.integration.test_console import PASSWORD, csrf_of, logged_in

PLZEN, DOBRANY = "00075370", "00257231"


def ico(number):
    """A valid IČO made from a running number."""
    first = f"{number:07d}"
    return first + str(ico_check_digit(first))


@pytest.fixture
def console(runner_factory, service_config):
    port = free_port()
    config = dict(service_config, BACKOFFICE_ADDRESS=f"127.0.0.1:{port}")
    runner_factory(config, BackofficeService, MembersService, RegistrationsService).start()
    database = Database(config["DATABASES"]["backoffice"], store.metadata)
    with database.transaction() as tx:
        admin, _ = usecases.create_account(UnitOfWork(tx, utcnow()), "admin@smopk.example", "Admin", "admin",
                                           password=PASSWORD)
        secret = usecases.new_totp_secret()
        store.update_account(tx, admin["id"], {"must_change_password": False, "totp_secret": secret})
    database.dispose()
    with ClusterRpcProxy(config, timeout=30) as cluster:
        base = f"http://127.0.0.1:{port}"
        yield base, cluster, logged_in(base, "admin", {"admin": secret})


def notice(page):
    """What the status region says after an action."""
    found = re.search(r'<div class="notice" role="status"><p>(.*?)</p>', page.text, re.S)
    return found.group(1) if found else None


def test_the_register_is_listed_without_a_search_filtered_and_paged(console):
    base, cluster, admin = console
    rows = ["IČO;název;okres;členem od"]
    rows += [f"{ico(1000 + n)};Obec Testovací {n:02d};Tachov;2005-01-01" for n in range(55)]
    rows += [f"{ico(2000 + n)};Obec Nečlenská {n};Klatovy;" for n in range(3)]
    assert cluster.members.import_organisations_csv("\n".join(rows) + "\n")["created"] == 58
    cluster.members.end_membership(ico(1000), "2020-12-31")

    first = admin.get(f"{base}/clenove")
    assert first.status_code == 200 and "Nalezeno organizací: 58" in first.text
    assert "strana 1 z 2" in first.text and "Předchozí" not in first.text
    assert first.text.count('<a href="/clenove/') == 50
    assert "člen od 1. 1. 2005" in first.text and "2005-01-01" not in first.text
    later = re.search(r'<a href="([^"]+)" rel="next">Další</a>', first.text).group(1)
    second = admin.get(base + later.replace("&amp;", "&"))
    assert "strana 2 z 2" in second.text and "Předchozí" in second.text and "Další" not in second.text
    assert second.text.count('<a href="/clenove/') == 8

    former = admin.get(f"{base}/clenove", params={"okres": "Tachov", "clenstvi": "byvali"})
    assert "Nalezeno organizací: 1" in former.text and "bývalý člen (do 31. 12. 2020)" in former.text
    never = admin.get(f"{base}/clenove", params={"clenstvi": "necleni"})
    assert "Nalezeno organizací: 3" in never.text and "Obec Nečlenská 2" in never.text
    assert "Nalezeno organizací: 54" in admin.get(f"{base}/clenove", params={"clenstvi": "clenove"}).text
    searched = admin.get(f"{base}/clenove", params={"hledat": "testovaci 1", "okres": "Tachov", "strana": "1"})
    assert "Nalezeno organizací: 10" in searched.text and "strana 1 z 1" in searched.text
    odd = admin.get(f"{base}/clenove", params={"okres": "Praha", "clenstvi": "kdokoli", "strana": "-3"})
    assert odd.status_code == 200 and "Nalezeno organizací: 58" in odd.text  # unknown filters are no filters
    assert "Nic nenalezeno." in admin.get(f"{base}/clenove", params={"hledat": "neexistuje"}).text


def test_an_organisation_is_edited_refused_in_czech_and_audited(console):
    base, cluster, admin = console
    cluster.members.upsert_organisation({"ico": PLZEN, "name": "Statutární město Plzeň", "kind": "statutární město",
                                         "district": "Plzeň-město", "member_since": "2005-01-01"})
    page = admin.get(f"{base}/clenove/{PLZEN}")
    assert "od 1. 1. 2005" in page.text and "Upravit organizaci" in page.text
    form = admin.get(f"{base}/clenove/{PLZEN}/upravit")
    assert 'name="member_since" type="date" value="2005-01-01"' in form.text
    values = {"csrf": csrf_of(form), "name": "Statutární město Plzeň", "kind": "statutární město",
              "district": "Plzeň-město", "address": "nám. Republiky 1", "email": "", "phone": "", "dic": "CZ123",
              "billing_email": "faktury", "member_since": "2005-01-01", "member_until": "2004-12-31"}
    refused = admin.post(f"{base}/clenove/{PLZEN}/upravit", data=values)
    assert refused.status_code == 422
    assert "DIČ má tvar CZ a 8 až 10 číslic." in refused.text and "Zadejte platnou e-mailovou adresu." in refused.text
    assert 'value="nám. Republiky 1"' in refused.text  # what was typed stays
    assert cluster.members.get_organisation(PLZEN)["address"] is None
    overlapping = admin.post(f"{base}/clenove/{PLZEN}/upravit",
                             data=dict(values, dic="CZ00075370", billing_email="faktury@plzen.example"))
    assert overlapping.status_code == 422 and "Konec členství nemůže být dřív než jeho začátek." in overlapping.text

    saved = admin.post(f"{base}/clenove/{PLZEN}/upravit", data=dict(
        values, dic="CZ00075370", billing_email="faktury@plzen.example", member_until="31. 12. 2025"))
    assert saved.status_code == 200 and saved.url.endswith(f"/clenove/{PLZEN}")
    assert notice(saved) == ("Organizace Statutární město Plzeň je uložena: adresa, DIČ, e-mail pro faktury, "
                             "členem do.")
    assert "od 1. 1. 2005 do 31. 12. 2025" in saved.text and "faktury@plzen.example" in saved.text
    organisation = cluster.members.get_organisation(PLZEN)
    assert organisation["is_member"] is False and organisation["dic"] == "CZ00075370"
    again = admin.post(f"{base}/clenove/{PLZEN}/upravit", data=dict(
        values, dic="CZ00075370", billing_email="faktury@plzen.example", member_until="2025-12-31"))
    assert notice(again) == "Organizace Statutární město Plzeň je uložena: nic se nezměnilo."
    audit = admin.get(f"{base}/audit", params={"co": "organisation_edited"}).text
    # every attempt has its row, written before it: two refused, one saved, one that changed nothing
    assert audit.count('<td class="action">upravena organizace</td>') == 4
    assert audit.count("odmítnuto: Některé údaje nejsou vyplněny správně.") == 2
    assert audit.count("<td>provedeno</td>") == 2
    assert "změněno: adresa, DIČ, e-mail pro faktury, členem do" in audit and "změněno: nic se nezměnilo" in audit
    assert admin.get(f"{base}/clenove/12345678/upravit").status_code == 422


def test_contacts_are_added_edited_and_removed_after_asking(console):
    base, cluster, admin = console
    cluster.members.upsert_organisation({"ico": DOBRANY, "name": "Město Dobřany", "district": "Plzeň-jih"})
    form = admin.get(f"{base}/clenove/{DOBRANY}/kontakty/novy")
    assert 'name="wants_announcements" value="ano" checked' in form.text
    typed = {"csrf": csrf_of(form), "first_name": "Štěpánka", "last_name": "", "role": "starostka",
             "email": "stepanka@", "phone": "377 000 000", "wants_announcements": "ano"}
    refused = admin.post(f"{base}/clenove/{DOBRANY}/kontakty/novy", data=typed)
    assert refused.status_code == 422 and "Příjmení má 1 až 100 znaků." in refused.text
    assert "Zadejte platnou e-mailovou adresu." in refused.text and 'value="Štěpánka"' in refused.text
    added = admin.post(f"{base}/clenove/{DOBRANY}/kontakty/novy", data=dict(
        typed, last_name="Žďárská", email="stepanka@dobrany.example"))
    assert notice(added) == "Kontakt Štěpánka Žďárská je přidán k organizaci Město Dobřany."
    [contact] = cluster.members.list_contacts(DOBRANY)
    assert (contact["role"], contact["wants_announcements"]) == ("starostka", True)

    edit = admin.get(f"{base}/clenove/{DOBRANY}/kontakty/{contact['id']}")
    assert 'value="stepanka@dobrany.example"' in edit.text
    edited = admin.post(f"{base}/clenove/{DOBRANY}/kontakty/{contact['id']}", data={
        "csrf": csrf_of(edit), "first_name": "Štěpánka", "last_name": "Žďárská", "role": "místostarostka",
        "email": "stepanka@dobrany.example", "phone": ""})  # the box unticked: no announcements
    assert notice(edited) == "Kontakt Štěpánka Žďárská je uložen: funkce, telefon, informační servis."
    [contact] = cluster.members.list_contacts(DOBRANY)
    assert (contact["role"], contact["phone"], contact["wants_announcements"]) == ("místostarostka", None, False)
    assert admin.get(f"{base}/clenove/{PLZEN}/kontakty/{contact['id']}").status_code in (404, 422)

    asked = admin.post(f"{base}/clenove/{DOBRANY}/kontakty/{contact['id']}/odebrat", data={"csrf": csrf_of(edit)})
    assert asked.status_code == 200 and "Odebrat kontakt Štěpánka Žďárská?" in asked.text
    assert "vrátit to nelze" in asked.text and len(cluster.members.list_contacts(DOBRANY)) == 1
    removed = admin.post(f"{base}/clenove/{DOBRANY}/kontakty/{contact['id']}/odebrat",
                         data={"csrf": csrf_of(edit), "confirmed": "ano"})
    assert notice(removed) == "Kontakt Štěpánka Žďárská je odebrán z organizace Město Dobřany."
    assert cluster.members.list_contacts(DOBRANY) == [] and "Žádné kontakty." in removed.text
    audit = admin.get(f"{base}/audit").text
    assert "přidán kontakt" in audit and "upraven kontakt" in audit and "odebrán kontakt" in audit


# What Czech Excel saves as "CSV (oddělený středníkem)": Windows-1250, `;`, CRLF.
EXCEL_ROWS = ("IČO;název;druh;okres;adresa;členem od\r\n"
              f"{PLZEN};Statutární město Plzeň;statutární město;Plzeň-město;nám. Republiky 1;2005-01-01\r\n"
              f"{ico(3001)};Obec Žďár;obec;Rokycany;Štěpánka 12, Žďár;loni\r\n"
              f"{ico(3002)};Obec Třemošná;obec;Plzeň-sever;;2010-01-01\r\n"
              f"{ico(3003)};Obec Ďáblice;obec;Praha;;\r\n")


def test_an_import_from_czech_excel_is_asked_about_with_counts_then_stored(console):
    base, cluster, admin = console
    cluster.members.upsert_organisation({"ico": PLZEN, "name": "Statutární město Plzeň", "kind": "statutární město",
                                         "district": "Plzeň-město", "member_since": "2005-01-01"})
    page = admin.get(f"{base}/clenove")
    data = EXCEL_ROWS.encode("cp1250")
    assert "Plzeň".encode("cp1250") in data and "Žďár".encode("cp1250") in data and b"\xc5" not in data
    asked = admin.post(f"{base}/clenove/import", data={"csrf": csrf_of(page)},
                       files={"soubor": ("clenove.csv", data, "text/csv")})
    assert asked.status_code == 200
    assert "Nahrát 1 novou a změnit 1 organizaci?" in asked.text
    assert "řádek 3: členem od: Zadejte datum ve tvaru RRRR-MM-DD." in asked.text
    assert "řádek 5: okres: Neznámý okres Plzeňského kraje." in asked.text
    assert len(cluster.members.membership_register()) == 1  # nothing stored before the answer
    answer = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', asked.text))
    stored = admin.post(f"{base}/clenove/import", data=dict(answer, csrf=csrf_of(page)))
    assert stored.url.endswith("/clenove")
    assert unquote(notice(stored)) == ("Evidence nahrána: nové 1, změněné 1, beze změny 0, chybné 2. "
                                       "Nenahrané řádky: 3, 5.")
    assert cluster.members.get_organisation(ico(3002))["name"] == "Obec Třemošná"
    assert cluster.members.get_organisation(PLZEN)["address"] == "nám. Republiky 1"
    assert "\ufffd" not in str(cluster.members.membership_register())
    audit = admin.get(f"{base}/audit").text
    assert "nahrána evidence členů" in audit and "soubor: clenove.csv" in audit

    fixed = EXCEL_ROWS.replace("loni", "1.1.2010").replace("Praha", "Rokycany")  # as Czech Excel writes a day
    for encoded in (fixed.encode("utf-8"), fixed.encode("utf-8-sig")):
        asked = admin.post(f"{base}/clenove/import", data={"csrf": csrf_of(page)},
                           files={"soubor": ("clenove.csv", encoded, "text/csv")})
        assert "Nahrát 2 nové organizace?" in asked.text
    answer = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', asked.text))
    admin.post(f"{base}/clenove/import", data=dict(answer, csrf=csrf_of(page)))
    assert cluster.members.get_organisation(ico(3001))["address"] == "Štěpánka 12, Žďár"
    assert cluster.members.get_organisation(ico(3001))["periods"] == [{"from": "2010-01-01", "to": None}]
    same = admin.post(f"{base}/clenove/import", data={"csrf": csrf_of(page)},
                      files={"soubor": ("clenove.csv", fixed.encode("cp1250"), "text/csv")})
    assert same.status_code == 200 and "Soubor nic nemění" in same.text and "beze změny 4" in same.text


@pytest.mark.parametrize("data, line", [
    (EXCEL_ROWS.encode("utf-8").replace("Štěpánka".encode(), "Štěpánka".encode()[:4]), 3),  # UTF-8 cut short
    (EXCEL_ROWS.encode("cp1250").replace(b"Rokycany", b"Rokycany\x98"), 3),  # no character in Windows-1250
    (EXCEL_ROWS.replace("Třemošná", "T\ufffdemo\ufffdn\ufffd").encode("utf-8"), 4),  # damaged before
    (EXCEL_ROWS.encode("cp1250").decode("latin-1").encode("utf-8"), 3),  # read as Latin-1 once: Ž is C1
])
def test_a_file_in_no_known_encoding_is_refused_with_its_line_and_nothing_is_stored(console, data, line):
    base, cluster, admin = console
    page = admin.get(f"{base}/clenove")
    refused = admin.post(f"{base}/clenove/import", data={"csrf": csrf_of(page)},
                         files={"soubor": ("clenove.csv", data, "text/csv")})
    assert refused.status_code == 422 and f"na řádku {line}" in refused.text and "nic nebylo nahráno" in refused.text
    assert cluster.members.membership_register() == []
    garbled = base64.b64encode("IČO;název\n00075370;Plze\ufffd\n".encode()).decode()
    for obsah in (garbled, "not base64!"):  # a confirmation made up: members refuses it all the same
        forged = admin.post(f"{base}/clenove/import", data={"csrf": csrf_of(page), "confirmed": "ano", "obsah": obsah})
        assert forged.status_code == 422 and cluster.members.membership_register() == []
