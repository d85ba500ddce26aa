"""The event form and a draft in headless Chromium, on a desktop and on a 390×844 phone.

    python -m tests.browser.event_form_flow CONSOLE EMAIL PASSWORD ARTIFACTS

Questions are added and removed as rows (by event_form.js; and, with JavaScript off, by the same
buttons sending the form back with a row more), the draft is saved and shows every setting, its
public page is previewed through the signed link, it is published after the question, and a
second draft is deleted after the question. Screenshots of each step. Runs outside the test
process: Playwright's synchronous API needs a Python without eventlet's monkey-patching.
"""
import os
import sys

from playwright.sync_api import expect, sync_playwright

from tests.browser.flow import CHROMIUM, FLAGS

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def logged_in(browser, console, email, password, viewport, javascript=True):
    page = browser.new_context(viewport=viewport, locale="cs-CZ", java_script_enabled=javascript).new_page()
    page.set_default_timeout(15000)
    page.goto(f"{console}/akce/nova")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{console}/akce/nova")
    return page


def fill_event(page, title):
    page.fill("#title", title)
    page.select_option("#kind", "training")
    page.fill("#topic", "stavební právo")
    page.fill("#venue", "Plzeň, Škroupova 18")
    page.fill("#starts", "2026-12-30T09:00")
    page.fill("#ends", "2026-12-30T15:00")
    page.fill("#capacity", "20")
    page.fill("#price_member", "300")
    page.fill("#price_non_member", "900")
    page.fill("#description", "Novela stavebního zákona.\n\nPraktické příklady.")


def main(console, email, password, artifacts):
    os.makedirs(artifacts, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        for device, viewport in VIEWPORTS.items():
            def shot(page, name, device=device):
                page.screenshot(path=os.path.join(artifacts, f"{device}-{name}.png"), full_page=True)

            page = logged_in(browser, console, email, password, viewport)
            rows = page.locator("#question-rows fieldset.question")
            expect(rows).to_have_count(1)
            fill_event(page, f"Stavební zákon v praxi ({device})")
            page.fill("#q0_label", "Strava")
            page.select_option("#q0_type", "choice")
            page.fill("#q0_options", "běžná\nbezlepková")
            page.get_by_label("Povinná otázka").check()  # the label belongs to its box
            for label in ("Dotaz na lektora", "Smazat mě", "Parkování"):
                page.get_by_role("button", name="Přidat otázku").click()
                expect(page.locator("#question-rows input[name$='_label']").last).to_be_focused()
                page.locator("#question-rows input[name$='_label']").last.fill(label)
            expect(rows).to_have_count(4)
            page.locator("fieldset.question", has=page.locator("input[name='q2_label']")).get_by_role(
                "button", name="Odebrat otázku").click()
            expect(rows).to_have_count(3)
            expect(rows.locator("legend")).to_have_text(["Otázka č. 1", "Otázka č. 2", "Otázka č. 3"])
            shot(page, "01-form")
            page.get_by_role("button", name="Uložit jako koncept").click()
            expect(page.locator(".notice")).to_contain_text(f"Koncept akce „Stavební zákon v praxi ({device})“ "
                                                            "je uložený.")
            settings = page.locator("dl.settings")
            for shown in ("pro členy 300 Kč", "Strava (jedna z možností: běžná, bezlepková; povinná)",
                          "Dotaz na lektora (text)", "Parkování (text)", "ano, když se zaplní místa"):
                expect(settings).to_contain_text(shown)
            expect(settings).not_to_contain_text("Smazat mě")
            expect(page.locator(".danger-zone")).to_contain_text("Smazat koncept")
            shot(page, "02-draft")
            with page.context.expect_page() as opened:
                page.get_by_role("link", name="Náhled veřejné stránky").click()
            preview = opened.value
            preview.wait_for_load_state()
            expect(preview.locator(".preview-note")).to_contain_text("Náhled pro pracovníky sdružení.")
            expect(preview.get_by_role("group", name="Strava")).to_be_visible()
            expect(preview.get_by_role("button", name="Odeslat přihlášku")).to_be_disabled()
            preview.screenshot(path=os.path.join(artifacts, f"{device}-03-preview.png"), full_page=True)
            preview.close()
            page.get_by_role("button", name="Zveřejnit").click()
            expect(page.locator("h1")).to_have_text(f"Zveřejnit akci „Stavební zákon v praxi ({device})“?")
            expect(page.locator(".confirm")).to_contain_text("Objeví se na webu a půjde se na ni přihlásit")
            shot(page, "04-publish-ask")
            page.get_by_role("button", name="Ano, zveřejnit").click()
            expect(page.locator(".notice")).to_contain_text("je zveřejněná")
            expect(page.locator(".danger-zone")).to_contain_text("Zrušit akci")
            shot(page, "05-published")

            page.goto(f"{console}/akce/nova")
            fill_event(page, "Koncept ke smazání")
            page.get_by_role("button", name="Uložit jako koncept").click()
            page.get_by_role("button", name="Smazat koncept").click()
            expect(page.locator("h1")).to_have_text("Smazat koncept „Koncept ke smazání“?")
            shot(page, "06-delete-ask")
            page.get_by_role("button", name="Ano, smazat koncept").click()
            expect(page.locator(".notice")).to_contain_text("Koncept „Koncept ke smazání“ je smazaný.")
            page.context.close()

        # Without JavaScript the same buttons send the form, which comes back with the rows changed.
        page = logged_in(browser, console, email, password, VIEWPORTS["phone"], javascript=False)
        fill_event(page, "Bez JavaScriptu")
        page.fill("#q0_label", "Strava")
        page.get_by_role("button", name="Přidat otázku").click()
        expect(page.locator("#question-rows fieldset.question")).to_have_count(2)
        expect(page.locator("#title")).to_have_value("Bez JavaScriptu")  # what was typed stays
        page.fill("#q1_label", "Parkování")
        page.locator("fieldset.question", has=page.locator("input[name='q0_label']")).get_by_role(
            "button", name="Odebrat otázku").click()
        expect(page.locator("#question-rows fieldset.question")).to_have_count(1)
        expect(page.locator("#q0_label")).to_have_value("Parkování")
        page.screenshot(path=os.path.join(artifacts, "phone-07-without-javascript.png"), full_page=True)
        browser.close()
    print("event form: rows added and removed, draft shown, previewed, published and deleted")


if __name__ == "__main__":
    main(*sys.argv[1:])
