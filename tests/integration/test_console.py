"""The staff console over HTTP, with the services it calls: every page behind its right, logging in
with a one-time password and a code from the phone, and the office's and the door's main paths."""
import re
import time

import pyotp
import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from services.backoffice import store, usecases
from services.backoffice.service import ROUTES, BackofficeService
from services.common.db import Database, utcnow
from services.common.schemas import without_diacritics
from services.common.unit_of_work import UnitOfWork
from services.registrations.service import RegistrationsService
from tests.conftest import free_port
from tests.integration.test_system import published_event

PASSWORD = "Dlouhé heslo pro test 2026"


def staff_accounts(database_url):
    """An admin, a staff and a door account, each with ``PASSWORD`` already changed; the admin
    with a second factor. Returns the TOTP secrets by role."""
    database = Database(database_url, store.metadata)
    secrets = {}
    with database.transaction() as tx:
        for role in ("admin", "staff", "door"):
            account, _ = usecases.create_account(UnitOfWork(tx, utcnow()), f"{role}@smopk.example", role.title(), role,
                                                 password=PASSWORD)
            store.update_account(tx, account["id"], {"must_change_password": False})
        secrets["admin"] = usecases.new_totp_secret()
        store.update_account(tx, store.get_account(tx, email="admin@smopk.example")["id"],
                             {"totp_secret": secrets["admin"]})
    database.dispose()
    return secrets


@pytest.fixture
def console(runner_factory, service_config, web_config_port):
    port = free_port()
    config = dict(service_config, BACKOFFICE_ADDRESS=f"127.0.0.1:{port}")
    runner_factory(config, BackofficeService, RegistrationsService).start()
    secrets = staff_accounts(config["DATABASES"]["backoffice"])
    with ClusterRpcProxy(config, timeout=30) as cluster:
        yield (f"http://127.0.0.1:{port}", cluster, secrets, f"http://127.0.0.1:{web_config_port}",
               config["DATABASES"]["backoffice"])


def logged_in(base, role, secrets):
    browser = requests.Session()
    form = browser.get(f"{base}/prihlaseni")
    answer = browser.post(f"{base}/prihlaseni", data={"csrf": csrf_of(form), "email": f"{role}@smopk.example",
                                                      "password": PASSWORD, "dal": "/"})
    if role in secrets:
        assert answer.url.endswith("/prihlaseni/kod")
        answer = browser.post(f"{base}/prihlaseni/kod", data={"csrf": csrf_of(answer),
                                                              "code": fresh_code(secrets[role])})
    assert answer.status_code == 200, answer.text[:500]
    return browser


USED_STEPS = {}


def fresh_code(secret):
    """A code from the phone that was not used yet: the console accepts a code once, and one step
    either side of now. A test logging in twice in one step takes the next step's code; a third
    time waits for the step to pass."""
    totp = pyotp.TOTP(secret)
    while True:
        now = totp.timecode(utcnow())
        step = max(now, USED_STEPS.get(secret, now - 1) + 1)
        if step <= now + 1:
            USED_STEPS[secret] = step
            return totp.generate_otp(step)
        time.sleep(1)


def csrf_of(page):
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def test_every_page_lets_in_exactly_the_roles_it_should(console):
    base, cluster, secrets = console[:3]
    event = published_event(cluster, capacity=5)
    registration = cluster.registrations.register(event["id"], {
        "first_name": "Jana", "last_name": "Nováková", "email": "jana@obec.example", "organisation_name": "Obec",
        "gdpr_consent": True})
    values = {"event_id": event["id"], "registration_id": registration["id"], "name": "console.css",
              "account_id": 2,
              "ico": "00075370", "contact_id": 1, "message_id": 1, "transaction_id": 1, "refund_id": 1,
              "number": "FV-2026-0001", "token_id": 1, "webhook_id": 1, "delivery_id": 1,
              "key": "registration_confirmed"}
    allowed = {"admin": {"door", "staff", "admin"}, "staff": {"door", "staff"}, "door": {"door"}}
    guarded = [(method, url, right) for method, url, right in ROUTES if right is not None]
    assert {right for _, _, right in guarded} == {"door", "staff", "admin"} and len(guarded) >= 27
    anonymous = requests.Session()
    for role in ("admin", "staff", "door"):
        browser = logged_in(base, role, secrets)
        token = csrf_of(browser.get(f"{base}/heslo"))
        for method, url, right in guarded:
            path = re.sub(r"<(?:int:)?(\w+)>", lambda m: str(values[m.group(1)]), url)
            if path in ("/odhlasit", "/odhlasit-vsude"):
                continue  # they would end the session this loop uses; tested below
            answer = browser.request(method, base + path, data={"csrf": token}, allow_redirects=False)
            if right in allowed[role]:
                assert answer.status_code != 403, (role, method, url)
            else:
                assert answer.status_code == 403, (role, method, url, answer.status_code)
                assert "Na tuto stránku nemáte oprávnění." in answer.text
        for method, url, _ in guarded:
            path = re.sub(r"<(?:int:)?(\w+)>", lambda m: str(values[m.group(1)]), url)
            answer = anonymous.request(method, base + path, allow_redirects=False)
            assert answer.status_code == 303 and "/prihlaseni" in answer.headers["Location"], (method, url)


def test_the_first_administrator_changes_the_password_and_sets_up_the_code(console):
    base = console[0]
    database = Database(console[4], store.metadata)
    with database.transaction() as tx:
        _, one_time = usecases.create_account(UnitOfWork(tx, utcnow()), "novy@smopk.example", "Nový správce", "admin")
    database.dispose()
    browser = requests.Session()
    planted = "planted-session-id-from-an-attacker"
    browser.cookies.set("konzole", planted, domain="127.0.0.1")
    form = browser.get(f"{base}/prihlaseni")
    setup = browser.post(f"{base}/prihlaseni", data={"csrf": csrf_of(form), "email": "novy@smopk.example",
                                                     "password": one_time, "dal": "/akce"})
    assert setup.url.endswith("/prihlaseni/nastavit-kod") and "QR kód" in setup.text
    assert browser.cookies.get("konzole", domain="127.0.0.1") != planted  # a new session id at login
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', setup.text).group(1)
    wrong = browser.post(f"{base}/prihlaseni/nastavit-kod", data={"csrf": csrf_of(setup), "secret": secret,
                                                                 "code": "000000"})
    assert wrong.status_code in (401, 422)
    changing = browser.post(f"{base}/prihlaseni/nastavit-kod", data={
        "csrf": csrf_of(setup), "secret": secret, "code": fresh_code(secret)})
    assert changing.url.endswith("/heslo") and "platí jen pro první přihlášení" in changing.text
    assert browser.get(f"{base}/akce").url.endswith("/heslo")  # nothing else until the password is changed
    done = browser.post(f"{base}/heslo", data={"csrf": csrf_of(changing), "old_password": one_time,
                                               "password": "Moje nové heslo 2026"})
    assert done.status_code == 200 and "Přehled" in done.text


def test_login_is_throttled_per_account_not_for_everyone_behind_the_address(console):
    base, _, secrets = console[:3]
    browser = requests.Session()
    form = browser.get(f"{base}/prihlaseni")
    for _ in range(5):
        refused = browser.post(f"{base}/prihlaseni", data={"csrf": csrf_of(form), "email": "staff@smopk.example",
                                                           "password": "hádám"})
        assert refused.status_code == 401 and "Nesprávný e-mail, heslo nebo kód." in refused.text
    locked = browser.post(f"{base}/prihlaseni", data={"csrf": csrf_of(form), "email": "staff@smopk.example",
                                                      "password": PASSWORD})
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "900"
    other = browser.post(f"{base}/prihlaseni", data={"csrf": csrf_of(form), "email": "door@smopk.example",
                                                     "password": PASSWORD})
    assert other.status_code == 200 and other.url.endswith("/vstup")  # one colleague's typos lock out no one else


def test_a_form_without_its_token_is_refused_and_logging_out_everywhere_ends_every_session(console):
    base, _, secrets = console[:3]
    staff = logged_in(base, "door", secrets)
    forged = staff.post(f"{base}/heslo", data={"csrf": "not-the-token", "old_password": PASSWORD,
                                               "password": "Úplně jiné heslo 1"})
    assert forged.status_code == 403 and "Formulář vypršel" in forged.text
    everywhere = logged_in(base, "door", secrets)
    staff.post(f"{base}/odhlasit-vsude", data={"csrf": csrf_of(staff.get(f"{base}/heslo"))})
    assert everywhere.get(f"{base}/vstup", allow_redirects=False).status_code == 303  # logged out there too


def test_no_console_page_is_on_the_public_address(console):
    public = console[3]
    for path in ("/prihlaseni", "/akce", "/ucty", "/vstup", "/audit"):
        assert requests.get(public + path).status_code == 404


def test_the_office_creates_and_publishes_a_seminar_and_the_door_checks_people_in(console):
    base, cluster, secrets = console[:3]
    office = logged_in(base, "staff", secrets)
    form = office.get(f"{base}/akce/nova")
    invalid = office.post(f"{base}/akce/nova", data={"csrf": csrf_of(form), "title": "", "kind": "seminar"})
    assert invalid.status_code == 422 and "Některé údaje nejsou vyplněny správně" in invalid.text
    created = office.post(f"{base}/akce/nova", data={
        "csrf": csrf_of(form), "title": "Zákon o obcích v praxi", "kind": "seminar", "topic": "právo",
        "venue": "Plzeň, Škroupova 18", "starts": "2026-12-30T09:00", "ends": "2026-12-30T13:00", "capacity": "2",
        "price_member": "0", "price_non_member": "900", "lecturer": "", "description": "Novela a praxe.",
        "max_per_organisation": "1", "waitlist_enabled": "ano"})
    assert created.status_code == 200 and "koncept" in created.text, created.text[:400]
    event_id = int(created.url.rsplit("/", 1)[1])
    made = cluster.registrations.get_event(event_id)
    assert made["starts_at"] == "2026-12-30T09:00:00+01:00" and made["max_per_organisation"] == 1
    assert made["waitlist_enabled"] and not made["collects_birth_date"] and made["accreditation_number"] is None
    asked = office.post(f"{base}/akce/{event_id}/zverejnit", data={"csrf": csrf_of(created)})
    assert "Zveřejnit akci „Zákon o obcích v praxi“?" in asked.text and "Objeví se na webu" in asked.text
    assert cluster.registrations.get_event(event_id)["status"] == "draft"  # asked, not done
    published = office.post(f"{base}/akce/{event_id}/zverejnit", data={"csrf": csrf_of(created), "confirmed": "ano"})
    assert "zveřejněna" in published.text and "Akce „Zákon o obcích v praxi“ je zveřejněná" in published.text
    jana = cluster.registrations.register(event_id, {"first_name": "Jana", "last_name": "Nováková",
                                                     "email": "jana@obec.example", "organisation_name": "Obec",
                                                     "gdpr_consent": True})
    listing = office.get(f"{base}/akce/{event_id}?hledat=novák")
    assert "Nováková Jana" in listing.text and "potvrzeno" in listing.text

    door = logged_in(base, "door", secrets)
    assert door.get(f"{base}/").url.endswith("/vstup")
    page = door.get(f"{base}/vstup/{event_id}")
    early = door.post(f"{base}/vstup/{event_id}", data={"csrf": csrf_of(page), "code": jana["ticket_code"]})
    assert early.status_code == 409 and "Akce je až 30. 12. 2026 – opravdu vpustit?" in early.text  # weeks ahead
    assert "Uvnitř 0 z 1" in early.text
    admitted = door.post(f"{base}/vstup/{event_id}", data={"csrf": csrf_of(page), "code": jana["ticket_code"],
                                                           "confirmed": "ano"})
    assert "Vstup povolen: Jana Nováková" in admitted.text and "Uvnitř 1 z 1" in admitted.text
    again = door.post(f"{base}/vstup/{event_id}", data={"csrf": csrf_of(page), "code": jana["ticket_code"]})
    assert again.status_code == 409 and "Vstupenka už byla odbavena" in again.text
    forged = door.post(f"{base}/vstup/{event_id}", data={"csrf": csrf_of(page), "code": "T1-AAAAAAAAAAAAAAAA"})
    assert forged.status_code == 404 and "Neplatná vstupenka" in forged.text

    admin = logged_in(base, "admin", secrets)
    audit = admin.get(f"{base}/audit").text
    assert "vytvořena akce" in audit and "zveřejněna akce" in audit and "odbaven účastník" in audit
    exported = admin.get(f"{base}/audit?format=csv")
    assert exported.headers["Content-Type"].startswith("text/csv") and "staff@smopk.example" in exported.text


@pytest.fixture
def whole_console(runner_factory, service_config, smtp_sink):
    from tests.integration.test_system import ALL
    port = free_port()
    config = dict(service_config, BACKOFFICE_ADDRESS=f"127.0.0.1:{port}")
    runner_factory(config, BackofficeService, *ALL).start()
    database = Database(config["DATABASES"]["backoffice"], store.metadata)
    with database.transaction() as tx:
        for role in ("staff", "door"):
            account, _ = usecases.create_account(UnitOfWork(tx, utcnow()), f"{role}@smopk.example", role.title(), role,
                                                 password=PASSWORD)
            store.update_account(tx, account["id"], {"must_change_password": False})
        admin, _ = usecases.create_account(UnitOfWork(tx, utcnow()), "admin@smopk.example", "Admin", "admin",
                                           password=PASSWORD)
        secret = usecases.new_totp_secret()
        store.update_account(tx, admin["id"], {"must_change_password": False, "totp_secret": secret})
    database.dispose()
    with ClusterRpcProxy(config, timeout=30) as cluster:
        yield f"http://127.0.0.1:{port}", cluster, {"admin": secret}, smtp_sink


def test_the_office_prints_the_sheet_marks_attendance_and_gets_the_certificate(whole_console, service_config):
    from tests.helpers import pdf_text
    from tests.integration.timetravel import begun, ended
    base, cluster, secrets, smtp_sink = whole_console
    event = published_event(cluster, capacity=5, accreditation_number="AK/PV-3/2026", hours=4,
                            price_non_member=0)  # free: the fees have their own console test
    people = [cluster.registrations.register(event["id"], {
        "first_name": first, "last_name": last, "email": f"{without_diacritics(first).lower()}@obec.example",
        "organisation_name": "Obec Chotěšov", "gdpr_consent": True}) for first, last in (
        ("Žaneta", "Čermáková"), ("Adam", "Šimek"))]
    smtp_sink.wait_for_messages(2)
    office = logged_in(base, "staff", secrets)
    sheet = office.get(f"{base}/akce/{event['id']}/prezencni-listina.pdf")
    assert sheet.headers["Content-Type"] == "application/pdf"
    assert "Čermáková Žaneta" in pdf_text(sheet.content) and "Šimek Adam" in pdf_text(sheet.content)
    begun(service_config, event["id"])  # attendance from the start on (tests/integration/test_certificates.py)
    listing = office.get(f"{base}/akce/{event['id']}")
    office.post(f"{base}/akce/{event['id']}/ucast", data={"csrf": csrf_of(listing), "attended": [people[0]["id"]],
                                                          "confirmed": "ano"})
    after = office.get(f"{base}/akce/{event['id']}").text
    assert f'name="attended" value="{people[1]["id"]}"' in after  # not marked: still to tick
    ended(service_config, event["id"])
    office.post(f"{base}/akce/{event['id']}/osvedceni", data={"csrf": csrf_of(listing), "confirmed": "ano"})
    after = office.get(f"{base}/akce/{event['id']}").text
    assert f"/prihlasky/{people[0]['id']}/osvedceni.pdf" in after
    certificate = office.get(f"{base}/prihlasky/{people[0]['id']}/osvedceni.pdf")
    text = " ".join(pdf_text(certificate.content).split())
    assert "Žaneta Čermáková" in text and "AK/PV-3/2026" in text

    emails = office.get(f"{base}/zpravy?komu=adam@obec.example")
    [message_id] = re.findall(r'action="/zpravy/(\d+)/znovu"', emails.text)
    content = office.get(f"{base}/zpravy/{message_id}")
    assert "Potvrzení přihlášky: " in content.text and "Dobrý den, pane Šimku," in content.text
    asked = office.post(f"{base}/zpravy/{message_id}/znovu", data={"csrf": csrf_of(emails)})
    assert "Poslat e-mail znovu?" in asked.text and "adam@obec.example" in asked.text
    resent = office.post(f"{base}/zpravy/{message_id}/znovu", data={"csrf": csrf_of(emails), "confirmed": "ano"})
    assert resent.status_code == 200 and "E-mail odchází znovu na adam@obec.example." in resent.text
    assert sum(m["To"] == "adam@obec.example" for m in smtp_sink.wait_for_messages(4)) == 2


def test_the_administrator_searches_and_imports_the_member_register(whole_console):
    base, cluster, secrets, _ = whole_console
    admin = logged_in(base, "admin", secrets)
    page = admin.get(f"{base}/clenove")
    csv = "IČO;název;druh;okres;členem od\n00075370;Statutární město Plzeň;statutární město;Plzeň-město;2005-01-01\n" \
          "12345678;Obec se špatným IČO;obec;Tachov;2010-01-01\n"
    asked = admin.post(f"{base}/clenove/import", data={"csrf": csrf_of(page)},
                       files={"soubor": ("clenove.csv", csv.encode("utf-8-sig"), "text/csv")})
    assert asked.status_code == 200 and "Nahrát 1 novou organizaci?" in asked.text
    assert "řádek 3: IČO: IČO nemá platnou kontrolní číslici." in asked.text
    assert cluster.members.membership_register() == []  # asked first, nothing stored yet
    answer = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', asked.text))
    report = admin.post(f"{base}/clenove/import", data=answer)
    assert report.status_code == 200 and "Evidence nahrána: nové 1" in report.text and "chybné 1" in report.text
    found = admin.get(f"{base}/clenove?hledat=plzen")
    assert "Statutární město Plzeň" in found.text
    cluster.members.add_contact("00075370", {"first_name": "Jan", "last_name": "Radní", "email": "radni@plzen.example"})
    organisation = admin.get(f"{base}/clenove/00075370")
    assert "od 1. 1. 2005" in organisation.text and "Jan Radní" in organisation.text
    assert "nahrána evidence členů" in admin.get(f"{base}/audit").text


def test_staff_see_parked_events_and_send_them_back(console, service_config):
    import pika

    from services.common.deadletters import connection_parameters
    from services.common.events import QUORUM
    base, _, secrets = console[:3]
    connection = pika.BlockingConnection(connection_parameters(service_config["AMQP_URI"]))
    channel = connection.channel()
    channel.queue_declare("evt-test-handler", durable=True, arguments=QUORUM)
    channel.exchange_declare("dead-letters", exchange_type="fanout", durable=True)
    channel.queue_declare("dead-letters", durable=True, arguments=QUORUM)
    channel.queue_bind("dead-letters", "dead-letters")
    channel.basic_publish("dead-letters", "evt-test-handler", b'{"registration": {"id": 7}}', pika.BasicProperties(
        message_id="m-7", content_type="application/json", delivery_mode=2,
        headers={"x-parked-from": "evt-test-handler", "x-attempts": 7, "x-last-error": "KeyError: 'event'"}))
    office = logged_in(base, "staff", secrets)
    assert "Nezpracované události: 1" in office.get(f"{base}/").text
    page = office.get(f"{base}/zpravy/udalosti")
    assert "evt-test-handler" in page.text and "KeyError: &#39;event&#39;" in page.text
    asked = office.post(f"{base}/zpravy/udalosti", data={"csrf": csrf_of(page), "message_id": "m-7"})
    assert "Zpracovat znovu 1 událost?" in asked.text
    assert channel.queue_declare("dead-letters", passive=True).method.message_count == 1  # not yet
    done = office.post(f"{base}/zpravy/udalosti", data={"csrf": csrf_of(page), "message_id": "m-7",
                                                        "confirmed": "ano"})
    assert "Znovu ke zpracování: 1 událost." in done.text
    assert channel.queue_declare("evt-test-handler", passive=True).method.message_count == 1
    assert channel.queue_declare("dead-letters", passive=True).method.message_count == 0
    connection.close()
    assert "Žádné nezpracované události." in office.get(f"{base}/zpravy/udalosti").text


def test_a_change_of_time_is_shown_as_the_email_attendees_will_get_before_it_is_saved(whole_console):
    base, cluster, secrets, smtp_sink = whole_console
    event = published_event(cluster, capacity=5, price_non_member=0)  # free: the fees have their own test
    cluster.registrations.register(event["id"], {"first_name": "Jana", "last_name": "Nováková",
                                                 "email": "jana@obec.example", "organisation_name": "Obec",
                                                 "gdpr_consent": True})
    smtp_sink.wait_for_messages(1)
    office = logged_in(base, "staff", secrets)
    form = office.get(f"{base}/akce/{event['id']}/upravit")
    values = dict(re.findall(r'name="(\w+)" type="[\w-]+" value="([^"]*)"', form.text))
    assert values["title"] == event["title"] and values["starts"].endswith("T09:00")
    moved = dict(values, kind="seminar", description="", csrf=csrf_of(form), waitlist_enabled="ano",
                 starts=values["starts"].replace("T09:00", "T10:30"))
    preview = office.post(f"{base}/akce/{event['id']}/upravit", data=moved)
    assert "Přihlášení (1) dostanou tento e-mail" in preview.text and "Změna akce:" in preview.text
    assert "10:30 (dříve" in preview.text
    assert cluster.registrations.get_event(event["id"])["version"] == 1  # nothing saved yet
    saved = office.post(f"{base}/akce/{event['id']}/upravit", data=dict(moved, confirmed="ano"))
    assert saved.status_code == 200
    after = cluster.registrations.get_event(event["id"])
    assert after["version"] == 2 and after["waitlist_enabled"] and not after["collects_birth_date"]
    [told] = [m for m in smtp_sink.wait_for_messages(2) if m["Subject"].startswith("Změna akce")]
    assert "10:30 (dříve" in told.get_body(("plain",)).get_content()


def test_the_office_adds_a_seat_resends_a_ticket_and_announces_to_a_district(whole_console):
    base, cluster, secrets, smtp_sink = whole_console
    event = published_event(cluster, capacity=1, price_non_member=0)  # free: the fees have their own test
    first, waiting = (cluster.registrations.register(event["id"], {
        "first_name": "Jana", "last_name": f"Nováková {n}", "email": f"jana{n}@obec.example",
        "organisation_name": "Obec", "gdpr_consent": True}) for n in (1, 2))
    smtp_sink.wait_for_messages(2)
    office = logged_in(base, "staff", secrets)
    page = office.get(f"{base}/akce/{event['id']}")
    office.post(f"{base}/prihlasky/{waiting['id']}/povolit", data={"csrf": csrf_of(page), "confirmed": "ano"})
    assert cluster.registrations.get_registration(waiting["id"])["status"] == "confirmed"
    office.post(f"{base}/prihlasky/{first['id']}/potvrzeni", data={"csrf": csrf_of(page), "confirmed": "ano"})
    got = smtp_sink.wait_for_messages(4)
    assert sum(m["To"] == "jana1@obec.example" and m["Subject"].startswith("Potvrzení přihlášky") for m in got) == 2
    assert any(m["To"] == "jana2@obec.example" and m["Subject"].startswith("Uvolnilo se místo") for m in got)

    cluster.members.upsert_organisation({"ico": "00075370", "name": "Statutární město Plzeň",
                                         "district": "Plzeň-město", "member_since": "2005-01-01"})
    cluster.members.add_contact("00075370", {"first_name": "Jan", "last_name": "Radní", "email": "radni@plzen.example"})
    form = office.get(f"{base}/oznameni")
    assert "okres Tachov" in form.text
    draft = {"csrf": csrf_of(form), "subject": "Nové dotace", "text": "Vážení,\n\nvypsali jsme dotace.",
             "audience": "Plzeň-město"}
    preview = office.post(f"{base}/oznameni", data=draft)
    assert "Odeslat oznámení 1 adresátovi?" in preview.text and "vypsali jsme dotace" in preview.text
    assert "Dobrý den, pane Radní," in preview.text  # the real contact who gets it
    sent = office.post(f"{base}/oznameni", data=dict(draft, confirmed="ano"))
    assert "Oznámení „Nové dotace“ odchází 1 adresátovi" in sent.text
    assert any(m["To"] == "radni@plzen.example" for m in smtp_sink.wait_for_messages(5))


def test_any_account_can_add_the_code_from_the_phone(console):
    base, _, secrets = console[:3]
    staff = logged_in(base, "staff", secrets)
    setup = staff.get(f"{base}/kod")
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', setup.text).group(1)
    assert f'<code class="secret">{secret}</code>' in staff.get(f"{base}/kod").text  # a reload: the same QR code
    wrong = staff.post(f"{base}/kod", data={"csrf": csrf_of(setup), "secret": secret, "code": "12345"})
    assert wrong.status_code == 422 and "Kód nesouhlasí" in wrong.text
    done = staff.post(f"{base}/kod", data={"csrf": csrf_of(setup), "secret": secret,
                                           "code": fresh_code(secret)})
    assert "Ověřovací kód je zapnutý" in done.text
    assert logged_in(base, "staff", dict(secrets, staff=secret))  # from now on the code is asked for
