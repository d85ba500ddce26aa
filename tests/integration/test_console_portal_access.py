"""Staff withdraw and give back a contact's login to the municipality's page in the console, and
see the logins of the organisation, with the real members and registrations services."""
from datetime import timedelta

import requests

from services.common.db import Database, utcnow
from services.registrations import domain as registrations_domain
from services.registrations import store as registrations_store
from tests.integration.test_console import csrf_of
from tests.integration.test_console_members import PLZEN, console, notice  # noqa: F401 (a fixture)


def test_staff_withdraw_a_contacts_access_and_see_the_organisations_logins(console, service_config):  # noqa: F811
    base, cluster, admin = console
    cluster.members.upsert_organisation({"ico": PLZEN, "name": "Statutární město Plzeň", "kind": "statutární město",
                                         "district": "Plzeň-město"})
    eva = cluster.members.add_contact(PLZEN, {"first_name": "Eva", "last_name": "Nováková",
                                              "email": "eva@plzen.example"})
    page = admin.get(f"{base}/clenove/{PLZEN}")
    assert "smí se přihlásit" in page.text and "Zatím se nikdo nepřihlásil." in page.text

    # Eva is logged in to the municipality's page (a session as a login opens it)
    database = Database(service_config["DATABASES"]["registrations"], registrations_store.metadata)
    with database.transaction() as tx:
        registrations_store.add_portal_session(tx, {
            "session_hash": registrations_domain.portal_secret_hash("evina-relace"), "email": "eva@plzen.example",
            "ico": PLZEN, "created_at": utcnow(), "expires_at": utcnow() + timedelta(hours=8)})
    database.dispose()
    record = f"http://{service_config['WEB_SERVER_ADDRESS']}/obec/vzdelavani.csv"  # registrations' own data
    browser = requests.Session()
    browser.cookies.set("obec_relace", "evina-relace")
    assert browser.get(record).status_code == 200

    form = admin.get(f"{base}/clenove/{PLZEN}/kontakty/{eva['id']}")
    assert "Odebrat přístup na stránku obce" in form.text
    done = admin.post(f"{base}/clenove/{PLZEN}/kontakty/{eva['id']}/pristup",
                      data={"csrf": csrf_of(form), "pristup": "ne"})
    assert notice(done).startswith("Eva Nováková se už nemůže přihlásit na stránku obce (Statutární město Plzeň)")
    assert cluster.members.portal_contact("eva@plzen.example") is None
    assert browser.get(record).status_code == 403  # her open session ends at the next page
    with database.transaction() as tx:  # and for good: access given back does not revive it
        session = registrations_store.get_portal_session(tx, registrations_domain.portal_secret_hash("evina-relace"))
        assert not registrations_domain.portal_session_valid(session, utcnow())
    database.dispose()
    assert "Povolit přístup na stránku obce" in done.text
    assert "přístup odebrán" in admin.get(f"{base}/clenove/{PLZEN}").text
    forged = admin.post(f"{base}/clenove/{PLZEN}/kontakty/{eva['id']}/pristup", data={"pristup": "ano"})
    assert forged.status_code == 403 and cluster.members.portal_contact("eva@plzen.example") is None
    again = admin.post(f"{base}/clenove/{PLZEN}/kontakty/{eva['id']}/pristup",
                       data={"csrf": csrf_of(form), "pristup": "ano"})
    assert notice(again).startswith("Eva Nováková se může přihlašovat na stránku obce")
    assert cluster.members.portal_contact("eva@plzen.example")["contact_id"] == eva["id"]
    audit = admin.get(f"{base}/audit")
    assert "změněn přístup kontaktu na stránku obce" in audit.text

    database = Database(service_config["DATABASES"]["registrations"], registrations_store.metadata)
    with database.transaction() as tx:  # two logins, as the page records them
        for minutes in (10, 5):
            registrations_store.add_portal_login(tx, {"logged_in_at": utcnow() - timedelta(minutes=minutes),
                                                      "email": "eva@plzen.example", "ico": PLZEN})
    database.dispose()
    page = admin.get(f"{base}/clenove/{PLZEN}")
    assert "Posledních 2 přihlášení" in page.text and page.text.count("<td>eva@plzen.example</td>") == 3
