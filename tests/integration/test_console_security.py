"""Issue 25 over HTTP, with the console behind a proxy (``CLIENT_ADDRESS_HEADER``): the second
factor locked after wrong codes across new logins and a code accepted once, the login going back
only to a page of the console, throttling by account and failed logins in the audit, and the
administrator disabling, re-roling and resetting accounts (asking first, saying after)."""
import re
from urllib.parse import quote

import pyotp
import pytest
import requests

from services.backoffice import store, usecases
from services.backoffice.service import BackofficeService
from services.common.db import Database, utcnow
from services.common.unit_of_work import UnitOfWork
from services.registrations.service import RegistrationsService
from tests.conftest import free_port
from tests.integration.test_console import PASSWORD, csrf_of, fresh_code, logged_in, staff_accounts


@pytest.fixture
def console(runner_factory, service_config):
    """``(base URL, TOTP secrets by role, database URL)``; the console trusts ``X-Forwarded-For``."""
    port = free_port()
    config = dict(service_config, BACKOFFICE_ADDRESS=f"127.0.0.1:{port}", CLIENT_ADDRESS_HEADER="X-Forwarded-For")
    runner_factory(config, BackofficeService, RegistrationsService).start()
    secrets = staff_accounts(config["DATABASES"]["backoffice"])
    yield f"http://127.0.0.1:{port}", secrets, config["DATABASES"]["backoffice"]


def password_step(base, email, password=PASSWORD, proxy="192.0.2.10", dal="/"):
    browser = requests.Session()
    browser.headers["X-Forwarded-For"] = proxy
    form = browser.get(f"{base}/prihlaseni")
    answer = browser.post(f"{base}/prihlaseni", data={"csrf": csrf_of(form), "email": email, "password": password,
                                                      "dal": dal})
    return browser, answer


def wrong_code(secret):
    right = {pyotp.TOTP(secret).at(utcnow().timestamp() + 30 * k) for k in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in right)


def account_id(database_url, email):
    database = Database(database_url, store.metadata)
    with database.transaction() as tx:
        found = store.get_account(tx, email=email)["id"]
    database.dispose()
    return found


def test_wrong_codes_across_new_logins_lock_the_second_factor_and_a_code_works_once(console):
    base, secrets, _ = console
    bad = wrong_code(secrets["admin"])
    answers = []
    for _ in range(3):  # the password is right every time; two wrong codes a login
        browser, answer = password_step(base, "admin@smopk.example")
        assert answer.url.endswith("/prihlaseni/kod")
        for _ in range(2):
            answer = browser.post(f"{base}/prihlaseni/kod", data={"csrf": csrf_of(answer), "code": bad})
            answers.append(answer)
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    assert "zablokované" in answers[-1].text and answers[-1].headers["Retry-After"] == "900"
    browser, answer = password_step(base, "admin@smopk.example")
    locked = browser.post(f"{base}/prihlaseni/kod", data={"csrf": csrf_of(answer), "code": fresh_code(
        secrets["admin"])})
    assert locked.status_code == 429  # the right code does not pass a locked second factor either


def test_a_used_code_is_refused_on_a_second_session(console):
    base, secrets, _ = console
    first, first_form = password_step(base, "admin@smopk.example")
    second, second_form = password_step(base, "admin@smopk.example", proxy="198.51.100.20")
    seen = fresh_code(secrets["admin"])
    assert first.post(f"{base}/prihlaseni/kod", data={"csrf": csrf_of(first_form), "code": seen}).status_code == 200
    replayed = second.post(f"{base}/prihlaseni/kod", data={"csrf": csrf_of(second_form), "code": seen})
    assert replayed.status_code == 401 and "Tento kód už byl použitý" in replayed.text
    assert second.get(f"{base}/akce", allow_redirects=False).headers["Location"] == "/prihlaseni/kod"


HOSTILE = ["//evil.example", "/\\evil.example", "/%5Cevil.example", "/\\t/evil.example", "/\t/evil.example",
           "https://evil.example", "/\x00", " /x", "///evil.example", "/%2F%2Fevil.example"]


def test_the_login_goes_back_only_to_a_page_of_the_console(console):
    base = console[0]
    for hostile in HOSTILE:
        form = requests.get(f"{base}/prihlaseni", params={"dal": hostile})
        assert '<input type="hidden" name="dal" value="/">' in form.text, hostile
        _, answer = password_step(base, "staff@smopk.example", dal=hostile)
        assert answer.history[0].headers["Location"] == "/", hostile
    wanted = "/akce?ktere=probehle"
    form = requests.get(f"{base}/prihlaseni", params={"dal": wanted})
    assert f'name="dal" value="{wanted}"' in form.text
    _, answer = password_step(base, "staff@smopk.example", dal=wanted)
    assert answer.history[0].headers["Location"] == wanted
    # What the gate itself sends to the login form comes back as it was.
    gate = requests.get(f"{base}/akce?ktere=probehle", allow_redirects=False)
    assert gate.headers["Location"] == f"/prihlaseni?dal={quote('/akce?ktere=probehle', safe='/')}"


def test_one_colleagues_typos_behind_the_proxy_lock_only_their_account_and_are_audited(console):
    base, secrets, _ = console
    for _ in range(5):
        _, refused = password_step(base, "staff@smopk.example", password="hádám", proxy="10.1.1.1, 192.0.2.10")
        assert refused.status_code == 401
    _, locked = password_step(base, "staff@smopk.example")
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "900"
    _, door = password_step(base, "door@smopk.example")  # the same proxy address: still let in
    assert door.status_code == 200 and door.url.endswith("/vstup")
    audit = logged_in(base, "admin", secrets).get(f"{base}/audit").text
    assert audit.count("důvod: špatné heslo") == 5 and "nepovedené přihlášení" in audit
    assert "adresa: 192.0.2.10, důvod: špatné heslo" in audit  # the proxy's last hop, not 10.1.1.1
    assert "důvod: příliš mnoho pokusů" in audit and "staff@smopk.example" in audit


def test_the_administrator_disables_re_roles_and_resets_accounts_asking_first(console):
    base, secrets, database_url = console
    admin = logged_in(base, "admin", secrets)
    staff = logged_in(base, "staff", secrets)
    staff_id, admin_id = account_id(database_url, "staff@smopk.example"), account_id(database_url,
                                                                                         "admin@smopk.example")
    token = csrf_of(admin.get(f"{base}/ucty"))

    asked = admin.post(f"{base}/ucty/{staff_id}/vypnout", data={"csrf": token})
    assert "Vypnout účet staff@smopk.example?" in asked.text and "Ano, vypnout účet" in asked.text
    assert staff.get(f"{base}/akce").status_code == 200  # nothing done before the yes
    done = admin.post(f"{base}/ucty/{staff_id}/vypnout", data={"csrf": token, "confirmed": "ano"})
    assert done.url.endswith("/ucty") and "je vypnutý a jeho přihlášení skončila" in done.text
    assert "vypnutý" in done.text
    assert staff.get(f"{base}/akce", allow_redirects=False).status_code == 303  # its session ended at once
    _, refused = password_step(base, "staff@smopk.example")
    assert refused.status_code == 401
    admin.post(f"{base}/ucty/{staff_id}/zapnout", data={"csrf": token, "confirmed": "ano"})

    asked = admin.post(f"{base}/ucty/{staff_id}/heslo", data={"csrf": token})
    assert "Nastavit účtu staff@smopk.example nové heslo?" in asked.text
    reset = admin.post(f"{base}/ucty/{staff_id}/heslo", data={"csrf": token, "confirmed": "ano"})
    one_time = re.search(r"má nové jednorázové heslo:\s*<code>([^<]+)</code>", reset.text).group(1)
    browser, changing = password_step(base, "staff@smopk.example", password=one_time)
    assert changing.url.endswith("/heslo")  # to be changed at once

    asked = admin.post(f"{base}/ucty/{staff_id}/role", data={"csrf": token, "role": "door"})
    assert "Změnit roli účtu staff@smopk.example na vstup?" in asked.text
    admin.post(f"{base}/ucty/{staff_id}/role", data={"csrf": token, "role": "door", "confirmed": "ano"})
    assert browser.get(f"{base}/heslo", allow_redirects=False).status_code == 303  # its sessions ended

    last = admin.post(f"{base}/ucty/{admin_id}/vypnout", data={"csrf": token})
    assert last.status_code == 409 and "posledního aktivního správce" in last.text
    last = admin.post(f"{base}/ucty/{admin_id}/role", data={"csrf": token, "role": "staff", "confirmed": "ano"})
    assert last.status_code == 409

    audit = admin.get(f"{base}/audit").text
    for label in ("vypnut účet", "znovu zapnut účet", "nastaveno nové jednorázové heslo", "změněna role účtu"):
        assert label in audit, label
    assert one_time not in audit


def test_a_second_factor_reset_makes_the_administrator_set_it_up_again(console):
    base, secrets, database_url = console
    database = Database(database_url, store.metadata)
    with database.transaction() as tx:
        usecases.create_account(UnitOfWork(tx, utcnow()), "druhy@smopk.example", "Druhý správce", "admin",
                                password=PASSWORD)
        store.update_account(tx, store.get_account(tx, email="druhy@smopk.example")["id"],
                             {"must_change_password": False, "totp_secret": usecases.new_totp_secret()})
    database.dispose()
    other_id = account_id(database_url, "druhy@smopk.example")
    admin = logged_in(base, "admin", secrets)
    token = csrf_of(admin.get(f"{base}/ucty"))
    asked = admin.post(f"{base}/ucty/{other_id}/kod", data={"csrf": token})
    assert "Zrušit ověřovací kód účtu druhy@smopk.example?" in asked.text
    done = admin.post(f"{base}/ucty/{other_id}/kod", data={"csrf": token, "confirmed": "ano"})
    assert "Ověřovací kód účtu druhy@smopk.example je zrušený" in done.text
    _, setup = password_step(base, "druhy@smopk.example")
    assert setup.url.endswith("/prihlaseni/nastavit-kod") and "QR kód" in setup.text
    assert "zrušen ověřovací kód účtu" in admin.get(f"{base}/audit").text


def test_a_changed_password_ends_the_accounts_other_sessions(console):
    base, secrets, _ = console
    here, elsewhere = logged_in(base, "door", secrets), logged_in(base, "door", secrets)
    done = here.post(f"{base}/heslo", data={"csrf": csrf_of(here.get(f"{base}/heslo")), "old_password": PASSWORD,
                                            "password": "Úplně nové heslo 2027"})
    assert elsewhere.get(f"{base}/vstup", allow_redirects=False).status_code == 303
    assert here.get(f"{base}/vstup").status_code == 200
    assert done.status_code == 200 and "na ostatních zařízeních jste odhlášeni" in done.text
