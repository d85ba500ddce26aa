"""An attendee's public path in headless Chromium by the keyboard alone (Tab, Shift+Tab, Enter, Space and
typed characters; nothing clicked): the list, an event, the form's error summary and back to the field,
the thank-you page, the manage page (opened from the email's link) and, from its footer, the
accessibility statement, also on a 390 px phone; then back to the list from the statement.

On every page: axe-core's serious and critical findings; every control Tab reaches shows where the
focus is (an outline or a shadow) and has a size; Tab goes through the whole page and out of it (no
keyboard trap); Shift+Tab goes back to the control before; the page does not scroll sideways.

    python -m tests.browser.keyboard_flow SETTINGS.json

SETTINGS: ``base``, ``artifacts``, ``axe`` (axe.min.js), ``title`` (a free event's title).
Runs outside the test process: Playwright's synchronous API needs a Python without eventlet.
"""
import json
import os
import re
import sys

from playwright.sync_api import expect, sync_playwright

from tests.browser.axe import serious_findings
from tests.browser.flow import CHROMIUM, FLAGS
from tests.browser.hands import Hands

MOST_STOPS = 300
# The focused element, told apart from the page itself, with what makes its focus seen.
FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body || element === document.documentElement) return null;
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
  const label = (element.innerText || element.value || element.getAttribute('aria-label') || element.name || '')
    .trim().replace(/\\s+/g, ' ').slice(0, 40);
  return {name: `${element.tagName.toLowerCase()}${element.id ? '#' + element.id : ''} "${label}"`,
          ring, sized: box.width > 0 && box.height > 0};
}"""


def tab_through(page):
    """Tab from the top of the page through every stop and out of the page: each stop's name, or
    problems (a stop with no visible focus, a trap, Shift+Tab not going back to the stop before)."""
    stops, handles, problems = [], [], []
    # Out of the page first (Chromium goes on from where the focus was, even after a blur), so that
    # the walk starts at the top.
    for _ in range(MOST_STOPS):
        if page.evaluate(FOCUSED) is None:
            break
        page.keyboard.press("Tab")
    else:
        return stops, [f"Tab never left the page after {MOST_STOPS} stops (a keyboard trap)"]
    for _ in range(MOST_STOPS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:  # past the last control: the focus left the page, nothing held it
            break
        handle = page.evaluate_handle("() => document.activeElement")
        if handles and page.evaluate("([a, b]) => a === b", [handle, handles[0]]):
            break  # round again to the first control
        if any(page.evaluate("([a, b]) => a === b", [handle, seen]) for seen in handles[-3:]):
            problems.append(f"Tab stays on {focused['name']} (a keyboard trap)")
            break
        if handles:  # Shift+Tab goes back to the stop before, Tab forward again
            page.keyboard.press("Shift+Tab")
            if not page.evaluate("([a, b]) => a === b", [page.evaluate_handle("() => document.activeElement"),
                                                         handles[-1]]):
                problems.append(f"Shift+Tab from {focused['name']} did not go back to {stops[-1]}")
            page.keyboard.press("Tab")
        if not focused["ring"]:
            problems.append(f"{focused['name']} shows no focus")
        if not focused["sized"]:
            problems.append(f"{focused['name']} takes the focus unseen (no size)")
        stops.append(focused["name"])
        handles.append(handle)
    else:
        problems.append(f"Tab never left the page after {MOST_STOPS} stops (a keyboard trap)")
    return stops, problems


def main(settings_path):
    with open(settings_path) as file:
        settings = json.load(file)
    base, artifacts = settings["base"], settings["artifacts"]
    step, problems = 0, []

    def check(page, name):
        """Screenshot, axe, the Tab walk and sideways scrolling of the page as it is now."""
        nonlocal step
        step += 1
        page.screenshot(path=os.path.join(artifacts, f"{step:02d}-{name}.png"), full_page=True)
        problems.extend(f"{name}: {finding}" for finding in serious_findings(page, settings["axe"]))
        stops, found = tab_through(page)
        problems.extend(f"{name}: {problem}" for problem in found)
        if not stops:
            problems.append(f"{name}: Tab reached nothing")
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            problems.append(f"{name}: the page scrolls sideways")
        print(f"{name}: {len(stops)} stops")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        # bypass_csp: axe is injected as a script the pages' own CSP would refuse
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="cs-CZ", bypass_csp=True)
        page.set_default_timeout(15000)
        hands = Hands(page, keyboard=True)

        page.goto(base + "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Semináře, školení a setkání dobré praxe")
        check(page, "list")
        hands.start()
        hands.click(page.get_by_role("link", name=settings["title"]))
        expect(page.get_by_role("heading", name="Přihláška")).to_be_visible()
        check(page, "event")

        hands.start()
        hands.fill(page.get_by_label("Jméno"), "Dagmar")
        hands.fill(page.get_by_label("Příjmení"), "Klávesnicová")
        hands.fill(page.get_by_label("E-mail"), "dagmar.klavesnicova@zdemyslice.example")
        hands.fill(page.get_by_label("Organizace (obec, město, svazek…)"), "Obec Zdemyslice")
        page.keyboard.press("Escape")  # the organisations' suggestions, if any, close
        hands.click(page.get_by_role("button", name="Odeslat přihlášku"))  # the consent left out
        summary = page.locator("#chyby")
        expect(summary).to_be_focused()  # the page gives the summary the focus on arrival
        page.keyboard.press("Tab")
        expect(summary.get_by_role("link").first).to_be_focused()
        page.keyboard.press("Enter")  # the summary's link leads to the consent
        consent = page.locator("#gdpr_consent")
        expect(consent).to_be_focused()
        page.keyboard.press("Space")
        expect(consent).to_be_checked()
        check(page, "errors")
        expect(page.get_by_label("Příjmení")).to_have_value("Klávesnicová")
        hands.start()
        hands.click(page.get_by_role("button", name="Odeslat přihlášku"))
        expect(page.get_by_role("heading", name="Děkujeme, jste přihlášeni")).to_be_visible()
        check(page, "thank-you")

        page.goto(page.url.split("?")[0])  # the manage link, as the confirmation email gives it
        expect(page.get_by_role("heading", name="Vaše přihláška")).to_be_visible()
        expect(page.locator(".status")).to_have_text("potvrzeno")
        check(page, "manage")

        hands.start()
        hands.click(page.get_by_role("contentinfo").get_by_role("link", name="Prohlášení o přístupnosti"))
        expect(page).to_have_url(re.compile(r"/pristupnost$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Prohlášení o přístupnosti")
        for section in ("Stav souladu", "Nepřístupný obsah", "Vypracování tohoto prohlášení",
                        "Zpětná vazba a kontaktní údaje", "Postup pro prosazování práva"):
            expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()
        check(page, "statement")

        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text("Prohlášení o přístupnosti")
        check(page, "statement-phone")
        hands.start()
        hands.click(page.get_by_role("link", name="Zpět na přehled akcí"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Semináře, školení a setkání dobré praxe")
        browser.close()
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"keyboard walk passed, {step} pages checked")


if __name__ == "__main__":
    main(sys.argv[1])
