"""The office's whole seminar in the staff console, in headless Chromium: a first login, an
accredited training with a fee and a question, three people on the public site, a cancellation
that gives the seat to the waitlist, the attendance sheet, the door, attendance, a bank statement,
certificates after the training, a message to the attendees, the records and the annual report;
then the administrator (members, audit) and the door. Each step that sends, pays or cannot be
undone must ask first and say afterwards what it did: the walk reads each question and each
message. A screenshot of every page, and axe-core on it (no serious or critical violation).

    python -m tests.browser.console_flow CONSOLE PUBLIC SETTINGS.json

SETTINGS: the accounts, their password and the administrator's TOTP secret, the registrations
database (time passes for the training by moving its times there), axe-core, the artifacts
folder and ``keyboard``: the same walk with the keyboard alone (see ``tests.browser.hands``),
with a training and people of its own.
Runs outside the test process: Playwright's synchronous API needs a Python without eventlet.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
from datetime import datetime, timedelta

import pyotp
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import update

from services.common.czech import PRAGUE
from services.common.db import Database
from services.payments.domain import registration_vs
from services.registrations import store as registrations_store
from tests.browser.axe import serious_findings
from tests.browser.flow import CHROMIUM, FLAGS
from tests.browser.hands import Hands
from tests.statements import camt053

# Each way through (by mouse, by keyboard) has its own training and people, in the same system.
PEOPLE = {False: (("Věra", "Průchová"), ("Petr", "Dvořák"), ("Eva", "Svobodová")),
          True: (("Alena", "Malá"), ("Jan", "Novotný"), ("Lucie", "Černá"))}


def address(first):
    """The walk's email of a person: ``vera.walk@obec.example`` (no diacritics in the address)."""
    return f"{first.lower().translate(str.maketrans('áčďéěíňóřšťúůýž', 'acdeeinorstuuyz'))}.walk@obec.example"


class Walk:
    def __init__(self, browser, settings):
        self.browser, self.settings = browser, settings
        self.artifacts, self.axe_js = settings["artifacts"], settings["axe"]
        self.step, self.problems = 0, []
        self.visited, self.checked = [], set()  # [(page, the addresses it showed)]; those checked

    def page(self, width=1200, height=900):
        # bypass_csp: axe is injected as a script the pages' own CSP would refuse
        context = self.browser.new_context(viewport={"width": width, "height": height}, locale="cs-CZ",
                                           bypass_csp=True, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(30000)
        shown = []
        page.on("framenavigated", lambda frame: shown.append(frame.url) if frame.parent_frame is None else None)
        self.visited.append((page, shown))
        return page

    def check(self, page, name):
        """A screenshot, and axe-core's serious and critical findings on the page as it is."""
        self.step += 1
        page.screenshot(path=os.path.join(self.artifacts, f"{self.step:02d}-{name}.png"), full_page=True,
                        timeout=90000)  # a long page on a busy machine
        self.problems += [f"{name}: {finding}" for finding in serious_findings(page, self.axe_js)]
        self.checked.add(page.url.split("#")[0])

    def sweep(self):
        """axe-core on every other page the walk showed (those passed on the way: lists, searches,
        the page under a message), opened again in the same browser, so the same person's."""
        for page, shown in self.visited:
            if page.is_closed():  # a page opened for one file: what it showed was the file
                continue
            for url in dict.fromkeys(address.split("#")[0] for address in shown):
                if url in self.checked or not url.startswith("http") or SWEEP_SKIPS.search(url):
                    continue
                self.checked.add(url)
                page.goto(url)
                self.problems += [f"{url}: {finding}" for finding in serious_findings(page, self.axe_js)]


# Not opened again: files, logging in and out (the session would change).
SWEEP_SKIPS = re.compile(r"\.(pdf|csv|ics|isdoc)(\?|$)|/(prihlaseni|odhlaseni)")


def asked(walk, hands, question, *consequences, answer):
    """The confirmation page: its question and consequences, then the button that says yes."""
    page = hands.page
    expect(page.locator("h1")).to_contain_text(question)
    for sentence in consequences:
        expect(page.locator(".confirm")).to_contain_text(sentence)
    walk.check(page, "question-" + re.sub(r"\W+", "-", question.lower())[:40].strip("-"))
    hands.start()
    hands.click(page.get_by_role("button", name=answer, exact=True))


def told(page, message):
    """The status region after an action says what was done."""
    expect(page.locator(".notice[role=status]")).to_contain_text(message)


def shown_soon(page, selector, url=None):
    """Reload ``page`` (or go to ``url``) until ``selector`` is on it: what events make in the
    background (a payment request, an email) takes a moment to show."""
    for _ in range(60):
        if url:
            page.goto(url)
        if page.locator(selector).count():
            return
        page.wait_for_timeout(250)
        if not url:
            page.reload()
    raise AssertionError(f"{selector} never showed")


def pdf(page, url):
    """A PDF the console serves, fetched with the page's session; its text."""
    answer = page.request.get(url)
    assert answer.ok and answer.body()[:5] == b"%PDF-", (url, answer.status)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(answer.body())
        file.flush()
        return subprocess.run(["pdftotext", "-layout", file.name, "-"], capture_output=True, text=True,
                              check=True).stdout


def move_event(database_url, event_id, starts):
    """Time passes for the training: it starts at ``starts`` and lasts six hours."""
    database = Database(database_url, registrations_store.metadata)
    with database.transaction() as tx:
        tx.execute(update(registrations_store.events).where(registrations_store.events.c.id == event_id).values(
            starts_at=starts, ends_at=starts + timedelta(hours=6), registration_closes_at=starts - timedelta(days=1)))
    database.dispose()


def register_by_api(public, event_id, person):
    body = json.dumps(dict(person, gdpr_consent=True)).encode()
    answer = urllib.request.urlopen(urllib.request.Request(
        f"{public}/api/events/{event_id}/registrations", data=body, headers={"Content-Type": "application/json"}),
        timeout=30)
    return json.loads(answer.read())


def log_in(walk, console, email, password, keyboard, secret=None, new_password=None):
    """The login, with the phone code where the account has one, and the first login's own
    password where the one-time one must be changed."""
    page = walk.page()
    hands = Hands(page, keyboard)
    page.goto(f"{console}/prihlaseni")
    walk.check(page, f"login-{email.split('@')[0]}")
    hands.fill(page.locator("#email"), email)
    hands.fill(page.locator("#password"), password)
    hands.click(page.get_by_role("button", name="Přihlásit"))
    if secret:
        expect(page.locator("h1")).to_have_text("Ověřovací kód")
        walk.check(page, "totp")
        hands.fill(page.locator("#code"), pyotp.TOTP(secret).now())
        hands.click(page.locator("main button[type=submit]"))
    if new_password:
        expect(page.locator("h1")).to_have_text("Změna hesla")
        walk.check(page, "first-password")
        hands.fill(page.locator("#old_password"), password)
        hands.fill(page.locator("#password"), new_password)
        hands.click(page.locator("main button[type=submit]"))
        told(page, "Heslo je změněné.")
    return page, hands


def office_seminar(walk, console, public, settings):
    """The office's seminar from the first login to the annual report."""
    keyboard = settings["keyboard"]
    title = "Stavební zákon v praxi obcí" + (" (2. běh)" if keyboard else "")
    (vera_first, vera_last), (petr_first, petr_last), (eva_first, eva_last) = PEOPLE[keyboard]
    vera, petr, eva = f"{vera_first} {vera_last}", f"{petr_first} {petr_last}", f"{eva_first} {eva_last}"
    row = {name: f"tr:has-text('{name.split()[1]} {name.split()[0]}')" for name in (vera, petr, eva)}
    office, hands = log_in(walk, console, settings["office"], settings["password"], keyboard,
                           new_password="Nové heslo kanceláře 2026")
    expect(office.locator("h1")).to_have_text("Přehled")
    walk.check(office, "dashboard")

    # a new accredited training with a fee for non-members and a question of its own
    hands.click(office.get_by_role("link", name="Akce", exact=True))
    hands.click(office.get_by_role("link", name="Nová akce"))
    expect(office.locator("h1")).to_contain_text("Nová akce")
    day = (datetime.now(PRAGUE) + timedelta(days=20)).strftime("%Y-%m-%d")
    hands.fill(office.locator("#title"), title)
    hands.select(office.locator("#kind"), "training")
    hands.fill(office.locator("#topic"), "stavební právo")
    hands.fill(office.locator("#venue"), "Plzeň, Škroupova 18")
    hands.moment(office.locator("#starts"), f"{day}T09:00")
    hands.moment(office.locator("#ends"), f"{day}T15:00")
    hands.fill(office.locator("#capacity"), "2")
    hands.fill(office.locator("#price_member"), "0")
    hands.fill(office.locator("#price_non_member"), "900")
    hands.fill(office.locator("#accreditation_number"), "AK/PV-12/2026")
    hands.fill(office.locator("#hours"), "6")
    hands.fill(office.locator("#q0_label"), "Strava")
    hands.select(office.locator("#q0_type"), "choice")
    hands.fill(office.locator("#q0_options"), "běžná\nbezlepková")
    hands.check(office.locator("#q0_required"))
    walk.check(office, "event-form")
    hands.click(office.get_by_role("button", name="Uložit jako koncept"))
    told(office, f"Koncept akce „{title}“ je uložený")
    expect(office.locator("main")).to_contain_text("900 Kč")  # the draft shows its settings
    walk.check(office, "draft")
    event_id = office.url.rstrip("/").rsplit("/", 1)[1]
    hands.start()
    hands.click(office.get_by_role("button", name="Zveřejnit"))
    asked(walk, hands, "Zveřejnit akci", answer="Ano, zveřejnit")
    told(office, "zveřejněn")

    # three people: the first on the public form (not a member: 900 Kč), two over the API
    visitor = walk.page(width=412)
    visiting = Hands(visitor, keyboard)
    visitor.goto(f"{public}/events/{event_id}")
    visiting.fill(visitor.get_by_label("Jméno"), vera_first)
    visiting.fill(visitor.get_by_label("Příjmení"), vera_last)
    visiting.fill(visitor.get_by_label("E-mail"), address(vera_first))
    visiting.fill(visitor.get_by_label("Organizace (obec, město, svazek…)"), "Obec Kbelnice")
    visiting.check(visitor.get_by_role("radio", name="bezlepková"))
    visiting.check(visitor.get_by_label("Souhlasím se zpracováním osobních údajů", exact=False))
    walk.check(visitor, "public-form")
    visiting.click(visitor.get_by_role("button", name="Odeslat přihlášku"))
    expect(visitor.get_by_role("heading", name="Děkujeme, jste přihlášeni")).to_be_visible()
    walk.check(visitor, "public-thanks")
    visitor.context.close()
    for first, last in ((petr_first, petr_last), (eva_first, eva_last)):
        register_by_api(public, event_id, {"first_name": first, "last_name": last,
                                           "email": address(first),
                                           "organisation_name": "Obec Kbelnice", "answers": {"strava": "běžná"}})

    office.goto(f"{console}/akce/{event_id}")
    table = office.locator("#registrations")
    expect(table).to_contain_text(f"{vera_last} {vera_first}")
    expect(table).to_contain_text("Strava: bezlepková")
    expect(table).to_contain_text("nezaplaceno 900 Kč")  # money where staff look
    expect(table).to_contain_text("čeká (1.)")
    walk.check(office, "registrations")
    ids = {name: office.locator(f"{row[name]} form[action$='/zrusit']").first.get_attribute("action").split("/")[2]
           for name in (vera, petr, eva)}

    # Petr cancels by phone: asked with who gets the seat, then said
    hands.start()
    hands.click(office.locator(f"form[action='/prihlasky/{ids[petr]}/zrusit'] button"))
    asked(walk, hands, f"Zrušit přihlášku: {petr}?", "dostane e-mail",
          f"Místo dostane {eva}, 1. na čekací listině", answer="Ano, zrušit přihlášku")
    told(office, f"Přihláška je zrušená: {petr}. E-mail odchází. Místo dostal(a) {eva} z čekací listiny.")
    expect(table).to_contain_text("zrušeno")
    walk.check(office, "cancelled")

    # the sheet to print; attendance is not offered before the start
    assert vera_last in pdf(office, f"{console}/akce/{event_id}/prezencni-listina.pdf")
    expect(office.locator("main")).to_contain_text("Účast lze potvrdit až od začátku akce")
    assert office.locator("input[name=attended]").count() == 0

    # the day comes: the door finds Věra, who forgot her ticket
    move_event(settings["registrations_database"], int(event_id), datetime.now(PRAGUE) - timedelta(hours=1))
    door = walk.page(width=390, height=844)
    door_hands = Hands(door, keyboard)
    door.context.add_cookies(office.context.cookies())
    door.goto(f"{console}/vstup/{event_id}")
    door_hands.fill(door.locator("#jmeno"), vera_last[:4].lower())
    door_hands.click(door.get_by_role("button", name="Hledat"))
    door_hands.start()
    door_hands.click(door.get_by_role("button", name=f"Vpustit: {vera}"))
    asked(walk, door_hands, f"Vpustit {vera} (Obec Kbelnice) bez vstupenky?", answer="Ano, vpustit")
    expect(door.locator(".door-answer")).to_contain_text(f"Vstup povolen: {vera}")
    walk.check(door, "door-by-name")
    door.context.close()

    # attendance, asked first, sends nothing
    office.goto(f"{console}/akce/{event_id}")
    hands.start()
    for registration in (vera, eva):
        hands.check(office.get_by_label(f"Účast: {registration}"))
    hands.click(office.get_by_role("button", name="Potvrdit účast zaškrtnutých"))
    asked(walk, hands, "Potvrdit účast 2", vera, eva, "Osvědčení se zatím neposílají", answer="Ano, potvrdit účast")
    told(office, "Účast potvrzena")

    # Věra pays by bank transfer: the statement says whom it pays before it counts
    statement = os.path.join(settings["artifacts"], f"vypis-{event_id}.xml")
    with open(statement, "wb") as file:
        file.write(camt053([{"amount_halere": 90000, "variable_symbol": registration_vs(int(ids[vera])),
                             "counter_name": "Obec Kbelnice", "booked_on": datetime.now(PRAGUE).date().isoformat(),
                             "bank_id": f"77{ids[vera]:0>11}"}], statement_id=f"walk-{event_id}"))
    hands.click(office.get_by_role("link", name="Platby", exact=True))
    shown_soon(office, f"text={vera_last}")  # the payment request follows the registration
    walk.check(office, "payments")
    hands.start()
    hands.upload(office.locator("#soubor"), statement)
    hands.click(office.get_by_role("button", name="Nahrát a spárovat"))
    asked(walk, hands, "Nahrát výpis a započítat 1 platbu?", f"Zaplatí: {vera}", answer="Ano, nahrát a započítat")
    told(office, f"Zaplatili: {vera} (900")
    hands.click(office.get_by_role("link", name="Přijaté platby"))
    expect(office.locator("main")).to_contain_text(vera)
    walk.check(office, "received-payments")
    hands.click(office.get_by_role("link", name="Faktury", exact=True))
    expect(office.locator("table")).to_contain_text("zaplaceno")
    walk.check(office, "invoices")

    # the training is over: certificates to those who came, Eva's held until paid or released
    move_event(settings["registrations_database"], int(event_id), datetime.now(PRAGUE) - timedelta(hours=7))
    office.goto(f"{console}/akce/{event_id}")
    expect(table).to_contain_text("zaplaceno 900 Kč")
    hands.start()
    hands.click(office.get_by_role("button", name="Vydat osvědčení (1)"))
    asked(walk, hands, "Odeslat osvědčení", vera, eva, answer="Ano, odeslat osvědčení (1)")
    told(office, "Osvědčení")
    expect(table).to_contain_text("čeká na platbu")
    hands.start()
    hands.click(office.get_by_role("button", name=f"Uvolnit osvědčení bez platby: {eva}"))
    asked(walk, hands, f"Uvolnit osvědčení bez platby: {eva}?", answer="Ano, uvolnit osvědčení")
    told(office, eva)
    walk.check(office, "certificates")
    link = office.locator(f"{row[vera]} a[href$='osvedceni.pdf']")
    hands.start()
    hands.focus(link)  # reachable by keyboard; its PDF is the issued certificate, not a duplicate
    certificate = pdf(office, console + link.get_attribute("href"))
    assert vera_last in certificate and "DUPLIKÁT" not in certificate, certificate[:500]

    # a message to those with a seat: previewed for one of them, counted before it goes
    office.goto(f"{console}/akce/{event_id}#po-akci")
    hands.start()
    hands.select(office.locator("#message-audience"), "confirmed")
    hands.fill(office.locator("#message-subject"), "Prezentace ze školení")
    hands.fill(office.locator("#message-text"), "Děkujeme za účast.\nPrezentaci pošleme zvlášť.")
    font = office.locator("#message-text").evaluate("area => getComputedStyle(area).fontFamily")
    assert "mono" not in font.lower() and font == office.locator("body").evaluate(
        "body => getComputedStyle(body).fontFamily"), font  # a letter is typed in the page's own font
    hands.click(office.get_by_role("button", name="Náhled"))
    expect(office.get_by_role("heading", name=re.compile("Odeslat zprávu 2 účastníkům akce"))).to_be_visible()
    expect(office.locator("main")).not_to_contain_text(petr)  # the cancelled one is nobody's preview
    walk.check(office, "message-question")
    hands.start()
    hands.click(office.get_by_role("button", name="Ano, odeslat zprávu 2 účastníkům"))
    told(office, "Zpráva „Prezentace ze školení“ odchází 2 účastníkům")

    # the emails in Czech; the records; the annual report
    hands.click(office.get_by_role("link", name="E-maily"))
    shown_soon(office, "text=potvrzení přihlášky")
    walk.check(office, "emails")
    hands.click(office.get_by_role("link", name="Vzdělávání"))
    hands.fill(office.locator("#osoba"), vera_last)
    hands.click(office.get_by_role("button", name="Najít"))
    hands.click(office.get_by_role("link", name=re.compile(vera_last)))
    expect(office.locator("main")).to_contain_text(title)
    walk.check(office, "training-record")
    office.goto(f"{console}/vyrocni-zprava")
    expect(office.locator("main")).to_contain_text("Odučené akreditované hodiny")
    walk.check(office, "annual-report")
    return event_id


def administrator(walk, console, settings):
    """Members browsed and one edited; the audit log in Czech."""
    admin, hands = log_in(walk, console, settings["admin"], settings["password"], settings["keyboard"],
                          secret=settings["admin_secret"])
    hands.click(admin.get_by_role("link", name="Členové"))
    expect(admin.locator("main")).to_contain_text("strana 1 z")  # the register without a search
    hands.select(admin.locator("#okres"), "Plzeň-jih")
    hands.click(admin.get_by_role("button", name="Zobrazit"))
    admin.wait_for_url(re.compile(r"okres="))
    walk.check(admin, "members")
    hands.click(admin.locator("main table a").first)
    name = admin.locator("h1").inner_text()
    hands.click(admin.get_by_role("link", name="Upravit organizaci"))
    hands.fill(admin.locator("#phone"), "+420 377 000 111")
    walk.check(admin, "organisation-form")
    hands.click(admin.get_by_role("button", name="Uložit"))
    told(admin, name)
    walk.check(admin, "organisation")
    hands.click(admin.get_by_role("link", name="Audit"))
    expect(admin.locator("table")).to_contain_text("zrušena přihláška")
    walk.check(admin, "audit")


def main(console, public, settings_file):
    with open(settings_file) as file:
        settings = json.load(file)
    os.makedirs(settings["artifacts"], exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        walk = Walk(browser, settings)
        event_id = office_seminar(walk, console, public, settings)
        administrator(walk, console, settings)
        visitor = walk.page()
        visitor.goto(f"{public}/")
        walk.check(visitor, "public-list")
        visitor.goto(f"{public}/events/{event_id}")
        walk.check(visitor, "public-event")
        walk.sweep()
        browser.close()
    if walk.problems:
        sys.exit("accessibility:\n" + "\n".join(walk.problems))
    print(f"console: {walk.step} pages walked {'by keyboard' if settings['keyboard'] else 'by mouse'}, "
          f"{len(walk.checked)} checked by axe-core, no serious or critical accessibility finding")


if __name__ == "__main__":
    main(*sys.argv[1:])
