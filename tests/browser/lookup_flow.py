"""The registration form's fill by IČO in headless Chromium.

    python -m tests.browser.lookup_flow http://127.0.0.1:8000/events/1 up|down tests/artifacts/lookup

``up``: ARES (a stand-in) answers: an IČO outside the register fills the empty name and shows the
seat and DIČ; a name the person typed is kept. ``down``: ARES is too slow: the form says so, and the
registration goes through. Runs outside the test process (Playwright's synchronous API needs a
Python without eventlet's patching); exits non-zero at the first step that is not as it should be.
"""
import os
import sys

from playwright.sync_api import expect, sync_playwright

from tests.browser.flow import CHROMIUM, FLAGS


def main(form_url, mode, artifacts):
    os.makedirs(artifacts, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 412, "height": 900}, locale="cs-CZ")
        page.set_default_timeout(10000)
        page.goto(form_url)
        name = page.get_by_label("Organizace (obec, město, svazek…)")
        ico = page.get_by_label("IČO organizace")
        note = page.locator("#organisation-lookup")
        if mode == "up":
            ico.press_sequentially("00064581", delay=30)
            expect(name).to_have_value("Hlavní město Praha")
            expect(note).to_have_text("Podle registru ARES: Hlavní město Praha, Mariánské náměstí 2/2, "
                                      "Staré Město, 110 00 Praha 1, DIČ CZ00064581")
            page.screenshot(path=os.path.join(artifacts, "01-filled-from-ares.png"), full_page=True)
            ico.fill("")
            expect(note).to_have_text("")
            name.fill("Magistrát")
            ico.press_sequentially("00075370", delay=30)
            expect(note).to_contain_text("Podle evidence sdružení: Statutární město Plzeň")
            expect(name).to_have_value("Magistrát")  # what the person typed stays
            page.screenshot(path=os.path.join(artifacts, "02-register-name-typed-kept.png"), full_page=True)
        else:
            page.get_by_label("Jméno").fill("Eva")
            page.get_by_label("Příjmení").fill("Pražská")
            page.get_by_label("E-mail").fill("eva@praha.example")
            ico.press_sequentially("27074358", delay=30)
            expect(note).to_contain_text("Vyplňte prosím údaje sami.")
            expect(name).to_have_value("")
            page.screenshot(path=os.path.join(artifacts, "03-ares-away.png"), full_page=True)
            name.fill("Stavby Rokycany s. r. o.")
            page.get_by_label("Souhlasím se zpracováním osobních údajů").check()
            page.get_by_role("button", name="Odeslat přihlášku").click()
            expect(page.get_by_text("Děkujeme, jste přihlášeni")).to_be_visible()
            page.screenshot(path=os.path.join(artifacts, "04-registered.png"), full_page=True)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
