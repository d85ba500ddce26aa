"""Each role's main path through the staff console in headless Chromium, with a screenshot of each
step and axe-core run on every page (no serious or critical violation), public pages included.

    python -m tests.browser.console_flow CONSOLE PUBLIC PASSWORD TOTP_SECRET AXE_JS ARTIFACTS

The accounts admin@, staff@ and door@smopk.example exist with PASSWORD (admin with TOTP_SECRET).
Runs outside the test process: Playwright's synchronous API needs a Python without eventlet.
"""
import json
import os
import sys
import urllib.request

import pyotp
from playwright.sync_api import expect, sync_playwright

from tests.browser.flow import CHROMIUM, FLAGS

SERIOUS = ("serious", "critical")


class Walk:
    def __init__(self, browser, artifacts, axe_js):
        self.browser, self.artifacts, self.axe_js = browser, artifacts, axe_js
        self.step, self.problems = 0, []

    def page(self):
        # bypass_csp: axe is injected as a script the pages' own CSP would refuse
        context = self.browser.new_context(viewport={"width": 1200, "height": 900}, locale="cs-CZ",
                                           bypass_csp=True, accept_downloads=True)
        return context.new_page()

    def check(self, page, name):
        """A screenshot, and axe-core's serious and critical findings on the page as it is."""
        self.step += 1
        page.screenshot(path=os.path.join(self.artifacts, f"{self.step:02d}-{name}.png"), full_page=True)
        page.add_script_tag(path=self.axe_js)
        results = page.evaluate("async () => { const r = await axe.run(document); "
                                "return {violations: r.violations, passes: r.passes.length}; }")
        if not results["passes"]:
            self.problems.append(f"{name}: axe checked nothing")
        for violation in results["violations"]:
            if violation["impact"] in SERIOUS:
                targets = [node["target"] for node in violation["nodes"]][:3]
                self.problems.append(f"{name}: {violation['id']} ({violation['impact']}) {targets}")


def shown_soon(page, selector, url=None):
    """Reload ``page`` (or go to ``url``) until ``selector`` is on it: what events make in the
    background (a payment request, an email) takes a moment to show."""
    for _ in range(40):
        if url:
            page.goto(url)
        if page.locator(selector).count():
            return
        page.wait_for_timeout(250)
        if not url:
            page.reload()


def log_in(walk, console, email, password, secret=None):
    page = walk.page()
    page.goto(f"{console}/prihlaseni")
    walk.check(page, f"login-{email.split('@')[0]}")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    if secret:
        expect(page.locator("h1")).to_have_text("Ověřovací kód")
        walk.check(page, "totp")
        page.fill("#code", pyotp.TOTP(secret).now())
        page.click("button[type=submit]")
    return page


def main(console, public, password, secret, axe_js, artifacts):
    os.makedirs(artifacts, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        walk = Walk(browser, artifacts, axe_js)

        # the office: a seminar from nothing to a certificate
        office = log_in(walk, console, "staff@smopk.example", password)
        expect(office.locator("h1")).to_have_text("Přehled")
        walk.check(office, "dashboard")
        office.click("text=Nová akce")
        office.fill("#title", "Stavební zákon v praxi obcí")
        office.select_option("#kind", "training")
        office.fill("#topic", "stavební právo")
        office.fill("#venue", "Plzeň, Škroupova 18")
        office.fill("#starts", "2026-12-30T09:00")
        office.fill("#ends", "2026-12-30T15:00")
        office.fill("#capacity", "20")
        office.fill("#price_member", "0")
        office.fill("#price_non_member", "900")
        office.fill("#accreditation_number", "AK/PV-12/2026")
        office.fill("#hours", "6")
        office.fill("#q0_label", "Strava")  # a question of the event's own, asked on the public form
        office.select_option("#q0_type", "choice")
        office.fill("#q0_options", "běžná\nbezlepková")
        office.check("input[name=q0_required]")
        walk.check(office, "event-form")
        office.click("text=Uložit jako koncept")
        office.click("text=Zveřejnit")
        expect(office.locator("body")).to_contain_text("zveřejněna")
        event_id = office.url.rstrip("/").rsplit("/", 1)[1]
        body = json.dumps({"first_name": "Věra", "last_name": "Průchová", "email": "vera@obec.example",
                           "organisation_name": "Obec Kbelnice", "gdpr_consent": True,
                           "answers": {"strava": "bezlepková"}}).encode()
        answer = urllib.request.urlopen(urllib.request.Request(
            f"{public}/api/events/{event_id}/registrations", data=body, headers={"Content-Type": "application/json"}),
            timeout=30)
        token = json.loads(answer.read())["token"]
        office.reload()
        expect(office.locator("table")).to_contain_text("Průchová Věra")
        expect(office.locator("table")).to_contain_text("Strava: bezlepková")
        office.fill("#hledat", "novak")  # search as you type: nobody of that name
        expect(office.locator("#registrations tbody tr").first).to_be_hidden()
        office.fill("#hledat", "pruchova")  # found without the diacritics typed
        expect(office.locator("#registrations tbody tr").first).to_be_visible()
        walk.check(office, "registration-arrived")
        with office.expect_download() as sheet:
            office.evaluate("url => { const a = document.createElement('a'); a.href = url; a.download = 'x.pdf'; "
                            "document.body.appendChild(a); a.click(); }",
                            f"/akce/{event_id}/prezencni-listina.pdf")
        if not open(sheet.value.path(), "rb").read(5) == b"%PDF-":
            sys.exit("the attendance sheet is not a PDF")
        office.check("input[name=attended]")
        office.click("text=Potvrdit účast zaškrtnutých")
        expect(office.locator("table")).to_contain_text("ano")
        walk.check(office, "attendance")
        with office.expect_download() as certificate:
            office.evaluate("() => { const a = document.querySelector('a[href$=\"osvedceni.pdf\"]'); "
                            "a.setAttribute('download', 'osvedceni.pdf'); a.click(); }")
        if not open(certificate.value.path(), "rb").read(5) == b"%PDF-":
            sys.exit("the certificate is not a PDF")
        office.goto(f"{console}/platby?akce={event_id}")  # Věra, not a member, owes 900 Kč
        shown_soon(office, "text=Průchová")  # the payment request follows the registration's event
        expect(office.locator("main")).to_contain_text("900,00")
        walk.check(office, "payments")
        office.goto(f"{console}/faktury")
        expect(office.locator("table")).to_contain_text("FV-")
        walk.check(office, "invoices")
        payer = walk.page()  # Věra's own page: how to pay, with the QR Platba picture
        shown_soon(payer, "text=Variabilní symbol", f"{public}/r/{token}")
        expect(payer.locator("figure.qr img")).to_be_visible()
        walk.check(payer, "public-payment")
        office.goto(f"{console}/akce")
        walk.check(office, "events")
        office.goto(f"{console}/akce/{event_id}/upravit")
        walk.check(office, "event-edit")
        office.goto(f"{console}/zpravy")
        walk.check(office, "emails")
        shown_soon(office, 'td a[href^="/zpravy/"]')  # the confirmation email is made in the background
        office.click('td a[href^="/zpravy/"] >> nth=0')
        expect(office.locator("h1")).to_contain_text("Stavební zákon v praxi obcí")
        walk.check(office, "email")
        office.goto(f"{console}/zpravy/udalosti")
        walk.check(office, "dead-letters")
        office.goto(f"{console}/heslo")
        walk.check(office, "password")
        office.goto(f"{console}/kod")
        walk.check(office, "own-code")
        office.goto(f"{console}/oznameni")
        walk.check(office, "announcement")
        office.goto(f"{console}/akce/{event_id}")
        office.click("td form[action$='/zrusit'] button")
        expect(office.locator("table")).to_contain_text("zrušeno")
        walk.check(office, "registration-cancelled")

        # the administrator: accounts and the audit log
        admin = log_in(walk, console, "admin@smopk.example", password, secret)
        admin.goto(f"{console}/ucty")
        admin.fill("#email", "nova@smopk.example")
        admin.fill("#name", "Nová kolegyně")
        admin.select_option("#role", "door")
        admin.click("text=Založit")
        expect(admin.locator(".answer")).to_contain_text("Jednorázové heslo")
        walk.check(admin, "accounts")
        admin.goto(f"{console}/audit")
        expect(admin.locator("table")).to_contain_text("zrušena přihláška")
        walk.check(admin, "audit")
        admin.goto(f"{console}/clenove?hledat=plze")
        walk.check(admin, "members")
        admin.click("table a >> nth=0")
        walk.check(admin, "organisation")

        # the door: today's events
        door = log_in(walk, console, "door@smopk.example", password)
        expect(door.locator("h1")).to_have_text("Dnešní akce")
        walk.check(door, "door")
        door.goto(f"{console}/vstup/{event_id}")
        walk.check(door, "door-event")

        # the public pages, for the same accessibility check
        visitor = walk.page()
        visitor.goto(f"{public}/")
        walk.check(visitor, "public-list")
        visitor.goto(f"{public}/events/{event_id}")
        expect(visitor.get_by_role("group", name="Strava")).to_be_visible()
        walk.check(visitor, "public-event")
        visitor.get_by_role("button", name="Odeslat přihlášku").click()  # the questions shown again with errors
        expect(visitor.locator("#q_strava-error")).to_have_text("Odpovězte prosím na tuto otázku.")
        walk.check(visitor, "public-event-errors")
        visitor.goto(f"{public}/ochrana-osobnich-udaju")
        walk.check(visitor, "public-privacy")

        browser.close()
    if walk.problems:
        sys.exit("accessibility:\n" + "\n".join(walk.problems))
    print(f"console: {walk.step} pages walked, no serious or critical accessibility finding")


if __name__ == "__main__":
    main(*sys.argv[1:])
