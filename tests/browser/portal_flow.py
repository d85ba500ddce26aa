"""A municipality's contact on its page /obec in headless Chromium, by keyboard alone: asks for the
link, opens it from the email in the mail folder, logs in, sees the organisation's registrations
and invoices, on a desktop screen and on a 390x844 phone, with axe's check and a screenshot of each
step.

    python -m tests.browser.portal_flow settings.json

Runs outside the test process (Playwright's synchronous API needs a Python without eventlet).
"""
import email
import email.policy
import json
import os
import re
import sys
import time

from playwright.sync_api import expect, sync_playwright

from tests.browser.axe import serious_findings
from tests.browser.flow import CHROMIUM, FLAGS

LINK_SENT = "Pokud je adresa vedená jako kontakt obce nebo organizace, poslali jsme na ni odkaz pro přihlášení."


def login_link(mail_dir, to, timeout=60):
    """The link in the newest login email to ``to`` in the system's mail folder."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name in sorted(os.listdir(mail_dir), reverse=True) if os.path.isdir(mail_dir) else ():
            with open(os.path.join(mail_dir, name), "rb") as file:
                message = email.message_from_binary_file(file, policy=email.policy.default)
            if message["To"] == to and message["Subject"] == "Přihlášení na stránku obce":
                return re.search(r"(http://\S+/obec/prihlaseni/\S+)", message.get_body(("plain",)).get_content())[1]
        time.sleep(0.2)
    raise AssertionError(f"no login email to {to}")


def tab_to(page, locator, most=40):
    """Press Tab until ``locator`` has the focus, as a keyboard user reaches it."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {locator}")


def main(settings_path):
    with open(settings_path) as file:
        settings = json.load(file)
    base, artifacts, contact = settings["base"], settings["artifacts"], settings["contact"]
    step, problems = 0, []

    def shot(page, name):
        nonlocal step
        step += 1
        page.screenshot(path=os.path.join(artifacts, f"{step:02d}-{name}.png"), full_page=True)
        problems.extend(f"{name}: {finding}" for finding in serious_findings(page, settings["axe"]))
        wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        if wide:
            problems.append(f"{name}: the page scrolls sideways")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        # bypass_csp: axe is injected as a script the pages' own CSP would refuse
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="cs-CZ", bypass_csp=True)
        page.set_default_timeout(15000)

        page.goto(base + "/obec")
        expect(page.get_by_role("heading", level=1)).to_have_text("Stránka obce")
        shot(page, "login-form")
        field = page.get_by_label("E-mail kontaktní osoby organizace")
        tab_to(page, field)
        page.keyboard.type(contact)
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text(LINK_SENT)
        shot(page, "link-sent")

        page.goto(login_link(settings["mail_dir"], contact))
        button = page.get_by_role("button", name="Přihlásit se")
        expect(button).to_be_visible()
        shot(page, "link-button")
        tab_to(page, button)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(settings["organisation"])
        for seen in settings["shown"]:
            expect(page.get_by_text(seen, exact=False).first).to_be_visible()
        for unseen in settings["hidden"]:
            expect(page.get_by_text(unseen, exact=False)).to_have_count(0)
        expect(page.get_by_role("img", name=re.compile("^QR Platba"))).to_be_visible()
        shot(page, "overview-desktop")

        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(page.get_by_role("heading", name="Faktury a platby")).to_be_visible()
        shot(page, "overview-phone")
        period = page.get_by_label("Tříleté období")
        tab_to(page, period)
        page.keyboard.press("ArrowDown")  # an earlier period
        show = page.get_by_role("button", name="Zobrazit")
        tab_to(page, show)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Vzdělávání úředníků")).to_be_visible()
        expect(page).to_have_url(re.compile(r"/obec\?od=\d{4}"))
        shot(page, "period-phone")

        logout = page.get_by_role("button", name="Odhlásit se")
        page.keyboard.press("Home")
        tab_to(page, logout)
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_have_text("Jste odhlášeni.")
        shot(page, "logged-out-phone")
        page.goto(base + "/obec")
        expect(page.get_by_label("E-mail kontaktní osoby organizace")).to_be_visible()
        browser.close()
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"{step} steps")


if __name__ == "__main__":
    main(sys.argv[1])
