"""Staff withdraw and give back a contact's login to the municipality's page in the console, and
see the logins of the organisation, with the real members and registrations services."""
from datetime import timedelta

from services.common.db import Database, utcnow
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

    form = admin.get(f"{base}/clenove/{PLZEN}/kontakty/{eva['id']}")
    assert "Odebrat přístup na stránku obce" in form.text
    done = admin.post(f"{base}/clenove/{PLZEN}/kontakty/{eva['id']}/pristup",
                      data={"csrf": csrf_of(form), "pristup": "ne"})
    assert notice(done).startswith("Eva Nováková se už nemůže přihlásit na stránku obce (Statutární město Plzeň)")
    assert cluster.members.portal_contact("eva@plzen.example") is None
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
