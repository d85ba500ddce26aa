"""A person's way through the site in headless Chromium (registering, errors, the manage page, the
ticket, cancelling; colleagues registered at once and a seat handed to a substitute), with a
screenshot of each step.

    python tests/browser/flow.py http://127.0.0.1:8000 tests/artifacts/browser

Runs outside the test process because Playwright's synchronous API needs a
Python without eventlet's monkey-patching. Exits non-zero at the first step
that does not look as it should.
"""
import os
import sys

from playwright.sync_api import expect, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def main(base, artifacts):
    os.makedirs(artifacts, exist_ok=True)
    step = 0

    def shot(page, name):
        nonlocal step
        step += 1
        page.screenshot(path=os.path.join(artifacts, f"{step:02d}-{name}.png"), full_page=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 412, "height": 900}, locale="cs-CZ", accept_downloads=True)
        page.set_default_timeout(15000)

        page.goto(base + "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Semináře, školení a setkání dobré praxe")
        shot(page, "list")

        page.get_by_role("link", name="Veřejné zakázky malého rozsahu v praxi obcí").click()
        expect(page.get_by_role("heading", name="Přihláška")).to_be_visible()
        shot(page, "event")

        page.get_by_label("Jméno").fill("Jiří")
        page.get_by_label("E-mail").fill("tohle-neni-adresa")
        page.get_by_role("button", name="Odeslat přihlášku").click()
        expect(page.locator("#email-error")).to_have_text("Zadejte platnou e-mailovou adresu.")
        expect(page.locator("#gdpr_consent-error")).to_have_text(
            "Bez souhlasu se zpracováním osobních údajů vás nemůžeme přihlásit.")
        expect(page.get_by_label("Jméno")).to_have_value("Jiří")
        # the summary above the form has the focus and leads to each wrong field, the consent too
        summary = page.locator("#chyby")
        expect(summary).to_be_focused()
        expect(summary.get_by_role("link")).to_have_count(3)  # surname, email, consent
        shot(page, "errors")
        summary.get_by_role("link", name="E-mail: Zadejte platnou e-mailovou adresu.").click()
        expect(page.get_by_label("E-mail")).to_be_focused()

        page.get_by_label("Příjmení").fill("Šťastný-Řeháček")
        page.get_by_label("E-mail").fill("jiri.stastny@obec.example")
        page.get_by_label("Pracovní pozice").fill("tajemník")
        organisation = page.get_by_label("Organizace (obec, město, svazek…)")
        organisation.press_sequentially("dobř", delay=60)
        suggestion = page.get_by_role("option", name="Město Dobřany (IČO")
        expect(suggestion).to_be_visible()
        shot(page, "autocomplete")
        organisation.press("ArrowDown")
        organisation.press("Enter")
        expect(organisation).to_have_value("Město Dobřany")
        expect(page.get_by_label("IČO organizace")).not_to_have_value("")
        page.get_by_label("Souhlasím se zpracováním osobních údajů", exact=False).check()
        page.get_by_role("button", name="Odeslat přihlášku").click()
        expect(page.get_by_role("heading", name="Děkujeme, jste přihlášeni")).to_be_visible()
        shot(page, "confirmation")

        manage_url = page.url.split("?")[0]
        page.goto(manage_url)
        expect(page.locator(".status")).to_have_text("potvrzeno")
        shot(page, "manage")

        with page.expect_download() as download_info:
            page.get_by_role("link", name="Stáhnout vstupenku (PDF)").click(modifiers=["Alt"])
        path = download_info.value.path()
        with open(path, "rb") as ticket:
            assert ticket.read(5) == b"%PDF-", "the ticket is not a PDF"
        with open(path, "rb") as ticket, open(os.path.join(artifacts, "ticket.pdf"), "wb") as kept:
            kept.write(ticket.read())

        page.get_by_role("link", name="Zrušit přihlášku").click()
        expect(page.get_by_role("heading", name="Opravdu zrušit přihlášku?")).to_be_visible()
        shot(page, "cancel-confirm")
        page.get_by_role("button", name="Ano, zrušit přihlášku").click()
        expect(page.locator(".status")).to_have_text("zrušeno")
        shot(page, "cancelled")

        # a town registers two colleagues at once, and one of them hands the seat to a substitute
        page.goto(base + "/")
        page.get_by_role("link", name="Veřejné zakázky malého rozsahu v praxi obcí").click()
        page.get_by_role("link", name="Přihlásit několik kolegů najednou").click()
        for field, value in (("#first_name", "Eva"), ("#last_name", "Tajemníková"), ("#email", "eva@kbelnice.example"),
                             ("#organisation_name", "Obec Kbelnice"), ("#a0_first_name", "Petr"),
                             ("#a0_last_name", "Kolega"), ("#a0_email", "petr@kbelnice.example"),
                             ("#a1_first_name", "Lucie"), ("#a1_last_name", "Kolegová"),
                             ("#a1_email", "lucie@kbelnice.example")):
            page.locator(field).fill(value)
        page.locator("#gdpr_consent").check()
        page.get_by_role("button", name="Přihlásit kolegy").click()
        expect(page.get_by_role("heading", name="Děkujeme, kolegové jsou přihlášeni")).to_be_visible()
        expect(page.locator("ul.colleagues li")).to_have_count(2)
        shot(page, "colleagues")
        page.get_by_role("link", name="správa přihlášky").first.click()
        page.get_by_role("link", name="Nemůžete přijít? Předat místo kolegovi (náhradníkovi)").click()
        page.get_by_label("Jméno náhradníka").fill("Tomáš")
        page.get_by_label("Příjmení náhradníka").fill("Náhradník")
        page.get_by_label("E-mail náhradníka").fill("tomas@kbelnice.example")
        page.locator("#gdpr_consent").check()
        page.get_by_role("button", name="Předat místo").click()
        expect(page.locator(".status")).to_contain_text("místo předáno náhradníkovi")
        shot(page, "substituted")

        page.keyboard.press("Tab")  # the first link takes the keyboard focus
        focused = page.evaluate("document.activeElement.textContent")
        assert "Sdružení měst a obcí" in focused, focused
        browser.close()
    print(f"browser flow passed, {step} screenshots in {artifacts}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
