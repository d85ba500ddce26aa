"""An attendee's walk on a phone: Chromium as a 390 px touch screen (``is_mobile``, ``has_touch``,
device scale 2), every control tapped. The list and its topic filter, an event, the form's errors,
registering as a member town's clerk (a fee: the payment box), as a non-member, three colleagues at
once, the waitlist of a full event; after the event (``after``) the materials, the feedback, the
manage page and the training record with the certificate's number.

On every page: no horizontal scrolling (the document no wider than the screen, and no visible
element past its right edge, named when one is), tap targets of WCAG 2.2's 2.5.8 (24 x 24 CSS px)
with 44 px for the main controls, axe-core's serious and critical findings, and a full-page
screenshot.

    python -m tests.browser.phone_flow before|after BASE SETTINGS.json

SETTINGS: ``artifacts``, ``axe`` (axe.min.js), ``full_event`` (a full event with a waitlist),
``people`` (the walk's email addresses); for ``after`` also ``clerk_manage``, ``materials``,
``feedback``, ``certificate_number``. Each phase writes the widths it measured to
``widths-<phase>.json`` in the artifacts folder.
Runs outside the test process: Playwright's synchronous API needs a Python without eventlet.
"""
import json
import os
import re
import sys

from playwright.sync_api import expect, sync_playwright

from tests.browser.axe import serious_findings
from tests.browser.flow import CHROMIUM, FLAGS

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
TARGET, MAIN_CONTROL = 24, 44
GDPR = "GDPR na obecním úřadě: co se změnilo"
TENDERS = "Veřejné zakázky malého rozsahu v praxi obcí"

# What runs on every page, in the page. Each finding names its element (tag, id, classes, text).
MEASURE = r"""
(width) => {
  // ``width``: the phone's screen. A page wider than it makes the mobile browser zoom out, which
  // widens window.innerWidth too, so the screen's width is what everything is measured against.
  const name = element => {
    let label = element.tagName.toLowerCase();
    if (element.id) label += '#' + element.id;
    if (typeof element.className === 'string' && element.className.trim())
      label += '.' + element.className.trim().split(/\s+/).join('.');
    const text = (element.innerText || element.value || element.getAttribute('aria-label') || '')
      .trim().replace(/\s+/g, ' ');
    return text ? `${label} "${text.slice(0, 40)}"` : label;
  };
  const shown = element => {
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    return style.visibility !== 'hidden' && style.display !== 'none' && box.width > 0 && box.height > 0;
  };
  // Clipped by a scroll container (or a clipping box) that itself fits: not past the screen.
  const clipped = element => {
    for (let parent = element.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
      if (getComputedStyle(parent).overflowX !== 'visible') return parent.getBoundingClientRect().right <= width + 0.5;
    }
    return false;
  };
  const past = [];
  for (const element of document.body.querySelectorAll('*')) {
    if (!shown(element) || clipped(element)) continue;
    const box = element.getBoundingClientRect();
    if (box.right > width + 0.5) past.push(`${name(element)} reaches ${Math.round(box.right)} px`);
    // text wider than its box (an unbroken address) spills out of a box that itself fits
    else if (getComputedStyle(element).overflowX === 'visible' && element.scrollWidth > element.clientWidth + 1
             && box.left + element.scrollWidth > width + 0.5)
      past.push(`${name(element)}: its text reaches ${Math.round(box.left + element.scrollWidth)} px`);
  }

  // Inline links (WCAG 2.5.8's exception "in a sentence"), exactly: an <a> laid out inline that
  // shares a line with a word (two letters or more) of its block's text outside any link. A link
  // alone on its lines (in a paragraph, list item, cell, header or footer), or beside other links
  // joined by dots or dashes, is a target and is measured.
  const overlaps = (a, b) => Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > Math.min(a.height, b.height) / 2;
  const block = element => {
    let parent = element.parentElement;
    while (parent && getComputedStyle(parent).display.startsWith('inline')) parent = parent.parentElement;
    return parent;
  };
  const inSentence = link => {
    if (getComputedStyle(link).display !== 'inline') return false;
    const walker = document.createTreeWalker(block(link), NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('a') || !/\p{L}{2}/u.test(node.textContent)) continue;
      const words = document.createRange();
      words.selectNodeContents(node);
      for (const line of words.getClientRects()) {
        for (const part of link.getClientRects()) if (overlaps(line, part)) return true;
      }
    }
    return false;
  };
  const choice = element => element.matches('input[type=checkbox], input[type=radio]');
  const small = [], low = [], exempt = [];
  const size = box => `${Math.round(box.width)}x${Math.round(box.height)}`;
  const controls = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=option]';
  for (const element of document.body.querySelectorAll(controls)) {
    if (!shown(element)) continue;
    const box = element.getBoundingClientRect();
    if (element.matches('a') && inSentence(element)) { exempt.push(name(element)); continue; }
    if (box.width < 24 || box.height < 24) small.push(`${name(element)} ${size(box)}`);
    // The main controls: buttons that send a form, links styled as buttons.
    if (element.matches('button:not([type=button]), input[type=submit], a.button') && box.height < 44)
      low.push(`${name(element)} ${size(box)}`);
  }
  // The label that toggles a checkbox or radio is part of its target; a radio's is a whole row.
  for (const label of document.body.querySelectorAll('label')) {
    const control = label.control;
    if (!control || !choice(control) || !shown(label)) continue;
    const box = label.getBoundingClientRect();
    if (box.width < 24 || box.height < 24) small.push(`${name(label)} ${size(box)}`);
    if (control.type === 'radio' && box.height < 44) low.push(`${name(label)} ${size(box)}`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, past, small, low,
          exempt};
}
"""


class Walk:
    def __init__(self, browser, settings, phase):
        self.browser, self.settings, self.phase = browser, settings, phase
        self.artifacts, self.axe_js = settings["artifacts"], settings["axe"]
        self.problems, self.widths, self.exempt = [], {}, {}

    def phone(self):
        # bypass_csp: axe is injected as a script the pages' own CSP would refuse
        context = self.browser.new_context(**PHONE, locale="cs-CZ", bypass_csp=True, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(30000)
        return page

    def check(self, page, name):
        """The page as it is: its width, its tap targets, axe-core, and a screenshot."""
        name = f"{self.phase}-{len(self.widths) + 1:02d}-{name}"
        page.wait_for_load_state()
        screen = PHONE["viewport"]["width"]
        found = page.evaluate(MEASURE, screen)
        self.widths[name] = found["scrollWidth"]
        if max(found["scrollWidth"], found["innerWidth"]) > screen:
            self.problems.append(f"{name}: the page scrolls sideways, {found['scrollWidth']} px wide on a "
                                 f"{screen} px screen (the browser zoomed out to {found['innerWidth']} px)")
        self.problems += [f"{name}: past the screen's right edge: {line}" for line in found["past"][:5]]
        self.problems += [f"{name}: tap target under {TARGET}x{TARGET} px: {line}" for line in found["small"]]
        self.problems += [f"{name}: main control under {MAIN_CONTROL} px tall: {line}" for line in found["low"]]
        if found["exempt"]:
            self.exempt[name] = found["exempt"]
        page.screenshot(path=os.path.join(self.artifacts, f"{name}.png"), full_page=True, timeout=90000)
        self.problems += [f"{name}: {finding}" for finding in serious_findings(page, self.axe_js)]


def shown_soon(page, selector, text=None):
    """Reload until ``selector`` is on the page (with ``text``): a payment request comes a moment
    after the registration, from another service."""
    for _ in range(80):
        found = page.locator(selector)
        if found.count() and (text is None or text in found.first.inner_text()):
            return
        page.wait_for_timeout(250)
        page.reload()
    raise AssertionError(f"{selector} {text or ''} never showed on {page.url}")


def organisation(page, typed, name):
    """The organisation picked from the register's suggestions with a tap; its IČO fills itself."""
    field = page.locator("#organisation_name")
    field.tap()
    field.press_sequentially(typed, delay=40)
    suggestion = page.get_by_role("option", name=name)
    expect(suggestion).to_be_visible()
    suggestion.tap()
    expect(field).to_have_value(name)
    expect(page.locator("#organisation_ico")).to_have_value(re.compile(r"^\d{8}$"))


def fill(page, values):
    for selector, value in values.items():
        page.locator(selector).tap()
        page.locator(selector).fill(value)


def submit(page):
    """The form's own submit button (its words depend on the event: a full one joins the waitlist)."""
    page.locator("main form button[type=submit]").last.tap()


def before(walk, base):
    people = walk.settings["people"]
    page = walk.phone()
    page.goto(base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Semináře, školení a setkání dobré praxe")
    walk.check(page, "list")
    page.locator("#tema").select_option("GDPR")
    page.locator("form.filter button[type=submit]").tap()
    page.wait_for_url(re.compile(r"tema=GDPR"))
    expect(page.locator("li.event")).to_have_count(1)
    walk.check(page, "list-gdpr")

    # a member town's clerk: the accredited training with a fee, the form's errors first
    page.get_by_role("link", name=GDPR).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(GDPR)
    walk.check(page, "event")
    fill(page, {"#first_name": "Věra", "#email": "vera.nyrany"})
    submit(page)
    expect(page.locator("#email-error")).to_have_text("Zadejte platnou e-mailovou adresu.")
    expect(page.locator("#gdpr_consent-error")).to_be_visible()
    expect(page.locator("#first_name")).to_have_value("Věra")
    walk.check(page, "errors")
    fill(page, {"#last_name": "Průchová", "#email": people["clerk"], "#position": "referentka správního odboru",
                "#birth_date": "1978-03-14"})
    organisation(page, "nýř", "Město Nýřany")
    page.locator("label[for=gdpr_consent]").tap(position={"x": 30, "y": 10})
    expect(page.locator("#gdpr_consent")).to_be_checked()
    submit(page)
    expect(page.get_by_role("heading", name="Děkujeme, jste přihlášeni")).to_be_visible()
    walk.check(page, "registered")
    page.goto(page.url.split("?")[0])
    shown_soon(page, "section.payment", "IBAN")
    expect(page.locator("section.payment")).to_contain_text("500")
    walk.check(page, "manage-payment")

    # a non-member town's clerk on the other seminar
    page.goto(base + "/")
    page.get_by_role("link", name=TENDERS).tap()
    fill(page, {"#first_name": "Ondřej", "#last_name": "Šimůnek", "#email": people["non_member"]})
    organisation(page, "zdemys", "Obec Zdemyslice")
    page.locator("#gdpr_consent").tap()
    submit(page)
    expect(page.get_by_role("heading", name="Děkujeme, jste přihlášeni")).to_be_visible()
    page.goto(page.url.split("?")[0])
    shown_soon(page, "section.payment", "IBAN")
    expect(page.locator("section.payment")).to_contain_text("900")
    walk.check(page, "non-member-payment")

    # three colleagues of a non-member town at once
    page.goto(base + "/")
    page.get_by_role("link", name=TENDERS).tap()
    page.get_by_role("link", name="Přihlásit několik kolegů najednou").tap()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Přihlásit několik kolegů")
    walk.check(page, "colleagues-form")
    fill(page, {"#first_name": "Jaroslava", "#last_name": "Kohoutová", "#email": people["registrant"]})
    organisation(page, "chuden", "Městys Chudenice")
    for row, (first, last) in enumerate((("Radek", "Bělohlávek"), ("Kateřina", "Žďárská"), ("Miloš", "Řepa"))):
        fill(page, {f"#a{row}_first_name": first, f"#a{row}_last_name": last,
                    f"#a{row}_email": people["colleagues"][row]})
    page.locator("#gdpr_consent").tap()
    submit(page)
    expect(page.get_by_role("heading", name="Děkujeme, kolegové jsou přihlášeni")).to_be_visible()
    expect(page.locator("ul.colleagues li")).to_have_count(3)
    walk.check(page, "colleagues-done")
    page.locator("ul.colleagues a").first.tap()
    shown_soon(page, "section.payment", "IBAN")
    walk.check(page, "colleague-manage")

    # a full event: the form puts the person on the waitlist
    page.goto(f"{base}/events/{walk.settings['full_event']}")
    expect(page.locator("main")).to_contain_text("plno, lze se zapsat na čekací listinu")
    fill(page, {"#first_name": "Libuše", "#last_name": "Čechová", "#email": people["waitlisted"]})
    organisation(page, "nýř", "Město Nýřany")
    page.locator("#gdpr_consent").tap()
    walk.check(page, "full-event")
    submit(page)
    expect(page.get_by_role("heading", name="Jste na čekací listině")).to_be_visible()
    walk.check(page, "waitlisted")


def after(walk, base):
    settings = walk.settings
    page = walk.phone()
    page.goto(settings["materials"])
    expect(page.locator("ul.materials li")).to_have_count(1)
    walk.check(page, "materials")

    page.goto(settings["feedback"])
    expect(page.locator("fieldset.rating")).to_have_count(3)
    walk.check(page, "feedback")
    ratings = page.locator("fieldset.rating")
    ratings.nth(0).locator("label", has_text="5").tap()
    submit(page)  # two ratings missing: the form comes back with what was chosen
    expect(page.locator("p.error")).to_have_count(2)
    expect(ratings.nth(0).locator("input[value='5']")).to_be_checked()
    walk.check(page, "feedback-errors")
    ratings.nth(1).locator("label", has_text="4").tap()
    ratings.nth(2).locator("label", has_text="5").tap()
    expect(ratings.nth(1).locator("input[value='4']")).to_be_checked()
    fill(page, {"#comment": "Konečně srozumitelně vysvětlené pověřence, děkuji."})
    submit(page)
    expect(page.locator(".notice")).to_contain_text("Děkujeme za vaši odpověď")
    walk.check(page, "feedback-thanks")

    page.goto(settings["clerk_manage"])
    expect(page.locator(".status")).to_contain_text("potvrzeno")
    expect(page.locator("section.payment .paid")).to_be_visible()
    walk.check(page, "manage-after")
    page.get_by_role("link", name="Moje evidence vzdělávání").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evidence vzdělávání")
    expect(page.locator("section.record")).to_contain_text(settings["certificate_number"])
    expect(page.locator("section.record")).to_contain_text("AK/PV-412/2026")
    walk.check(page, "training-record")
    aligned = page.evaluate("""() => {
        const box = cell => { const b = cell.getBoundingClientRect(), words = document.createRange();
            words.selectNodeContents(cell.lastChild); const text = words.getBoundingClientRect();
            return {cell: [b.left, b.right], text: [text.left, text.right], align: getComputedStyle(cell).textAlign}; };
        return {hours: [...document.querySelectorAll('section.record tbody td.hours')].map(box),
                total: box(document.querySelector('section.record tfoot td.hours'))};
    }""")
    for hours in aligned["hours"]:  # the total in the hours' own column, its number where theirs are
        total = aligned["total"]
        assert hours["align"] == total["align"], aligned
        assert all(abs(a - b) < 1 for a, b in zip(hours["cell"], total["cell"], strict=True)), aligned
        edge = 1 if total["align"] in ("right", "end") else 0
        assert abs(hours["text"][edge] - total["text"][edge]) < 1, aligned


def main(phase, base, settings_file):
    with open(settings_file) as file:
        settings = json.load(file)
    os.makedirs(settings["artifacts"], exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        walk = Walk(browser, settings, phase)
        {"before": before, "after": after}[phase](walk, base)
        browser.close()
    with open(os.path.join(settings["artifacts"], f"widths-{phase}.json"), "w") as file:
        json.dump({"widths": walk.widths, "inline_links_exempt": walk.exempt}, file, ensure_ascii=False, indent=1)
    if walk.problems:
        sys.exit(f"phone walk ({phase}):\n" + "\n".join(walk.problems))
    print(f"phone walk ({phase}): {len(walk.widths)} pages, widest {max(walk.widths.values())} px, "
          "every target large enough, no serious or critical accessibility finding")


if __name__ == "__main__":
    main(*sys.argv[1:])
