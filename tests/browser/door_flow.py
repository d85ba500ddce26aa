"""The door's phone page in headless Chromium, its camera fed a video of a ticket.

    python tests/browser/door_flow.py CONSOLE EVENT_ID EMAIL PASSWORD GENUINE.y4m FORGED.y4m NAME FORGOTTEN ARTIFACTS

Chromium's fake camera plays each video file; the page's scanner (jsQR) must
read the QR code. The event is days ahead, so the genuine ticket is not let in
at once: the door warns that the event is not today, and admits the person
(green, with the name) only after a second, deliberate tap. The forged ticket
is refused (red). Then FORGOTTEN (``Jana Nováková|Obec Kbelnice``), who came
without a ticket, is found by part of the surname typed without diacritics and
admitted after the door asks. Screenshots on a 390×844 phone, and one on a
desktop. Runs outside the test process: Playwright's synchronous API needs a
Python without eventlet's monkey-patching.
"""
import os
import sys

from playwright.sync_api import expect, sync_playwright

from tests.browser.flow import CHROMIUM, FLAGS

PHONE = {"width": 390, "height": 844}


def launch(playwright, video=None):
    camera = [] if video is None else ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                                       f"--use-file-for-fake-video-capture={video}"]
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS + camera)


def door_page(browser, console, event_id, email, password, viewport=PHONE):
    context = browser.new_context(viewport=viewport, locale="cs-CZ")
    context.grant_permissions(["camera"], origin=console)
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(f"{console}/vstup/{event_id}")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{console}/vstup/{event_id}")
    return page


def check(condition, problem):
    if not condition:
        sys.exit(problem)


def main(console, event_id, email, password, genuine, forged, name, forgotten, artifacts):
    os.makedirs(artifacts, exist_ok=True)

    def shot(page, file):
        page.screenshot(path=os.path.join(artifacts, file), full_page=True)

    forgotten_name, organisation = forgotten.split("|")
    with sync_playwright() as playwright:
        browser = launch(playwright, genuine)
        page = door_page(browser, console, event_id, email, password)
        check(page.title().startswith("Vstup: ") and "<" not in page.title(), f"the title: {page.title()!r}")
        page.click("#scan")
        warning = page.locator(".door-answer.warning")
        expect(warning).to_be_visible()
        check("– opravdu vpustit?" in warning.inner_text() and "Akce je až " in warning.inner_text(),
              f"no warning for a ticket days ahead: {warning.inner_text()!r}")
        shot(page, "01-door-not-today.png")
        page.get_by_role("button", name="Ano, přesto vpustit").click()
        admitted = page.locator(".door-answer.ok")
        expect(admitted).to_be_visible()
        check(admitted.inner_text().strip() == f"Vstup povolen: {name}", f"not admitted: {admitted.inner_text()!r}")
        shot(page, "02-door-admitted.png")
        browser.close()

        browser = launch(playwright, forged)
        page = door_page(browser, console, event_id, email, password)
        page.click("#scan")
        refused = page.locator(".door-answer.refused")
        expect(refused).to_be_visible()
        check("Neplatná vstupenka" in refused.inner_text(), f"the forged ticket: {refused.inner_text()!r}")
        shot(page, "03-door-forged.png")
        browser.close()

        browser = launch(playwright)
        page = door_page(browser, console, event_id, email, password)
        surname = forgotten_name.split()[-1]
        page.fill("#jmeno", surname[:5].lower().replace("á", "a"))  # "novak": part of it, no diacritics
        page.get_by_role("button", name="Hledat").click()
        row = page.locator("ul.people li", has_text=surname)
        expect(row).to_contain_text(organisation)
        shot(page, "04-door-search.png")
        row.get_by_role("button", name=f"Vpustit: {forgotten_name}").click()
        expect(page.locator("h1")).to_have_text(f"Vpustit {forgotten_name} ({organisation}) bez vstupenky?")
        shot(page, "05-door-ask-without-ticket.png")
        page.get_by_role("button", name="Ano, vpustit").click()
        page.get_by_role("button", name="Ano, přesto vpustit").click()  # the event is not today: asked again
        admitted = page.locator(".door-answer.ok")
        expect(admitted).to_contain_text(f"Vstup povolen: {forgotten_name}")
        expect(admitted).to_contain_text("bez vstupenky")
        shot(page, "06-door-admitted-without-ticket.png")
        page.fill("#jmeno", surname[:5].lower().replace("á", "a"))
        page.get_by_role("button", name="Hledat").click()
        expect(page.locator("ul.people li", has_text=surname)).to_contain_text("uvnitř od")
        browser.close()

        browser = launch(playwright)
        page = door_page(browser, console, event_id, email, password, viewport={"width": 1280, "height": 800})
        page.fill("#jmeno", "a")
        page.get_by_role("button", name="Hledat").click()
        expect(page.locator("main")).to_contain_text("Napište alespoň 2 písmena.")
        page.fill("#jmeno", surname[:5].lower().replace("á", "a"))
        page.get_by_role("button", name="Hledat").click()
        shot(page, "07-door-desktop.png")
        browser.close()
    print("door: warned, admitted, refused and found by name as it should be")


if __name__ == "__main__":
    main(*sys.argv[1:])
