"""The door without a signal, in headless Chromium: two phones, the network switched off mid-way.

    python -m tests.browser.door_offline_flow CONSOLE EVENT_ID DOOR_EMAIL STAFF_EMAIL PASSWORD CODES ARTIFACTS

CODES is ``first|second|forged``: the tickets of Věra Průchová and Jana Nováková, and a forged
one. Phone 1 opens the door page online (it keeps the day's list and the page), loses the
network, opens the page again from what it kept, and admits both tickets (queued, the forged one
refused). Phone 2, offline too, admits Věra a little later. Phone 2 gets its signal first, then
phone 1: the queues go, the first admission counts and the door and the event's page name the
conflict. Prints the JSON of each phone's device id. Screenshots on a 390×844 phone. Runs outside
the test process: Playwright's synchronous API needs a Python without eventlet's monkey-patching.
"""
import json
import os
import sys

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

from tests.browser.door_flow import PHONE
from tests.browser.flow import CHROMIUM, FLAGS

NAMES = ("Věra Průchová", "Jana Nováková")


def check(condition, problem):
    if not condition:
        sys.exit(problem)


def logged_in(browser, console, path, email, password, viewport=PHONE):
    context = browser.new_context(viewport=viewport, locale="cs-CZ", timezone_id="Europe/Prague")
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(f"{console}{path}")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{console}{path}")
    return context, page


def door_ready(page, tickets):
    """The door page has the day's list and the service worker keeps the page."""
    expect(page.locator("#offline-state")).to_contain_text(f"seznam {tickets} platných vstupenek")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", polling=200)
    page.wait_for_function("async () => !!(await caches.match(location.pathname))", polling=200)


def enter(page, code):
    page.fill("#code", code)
    page.get_by_role("button", name="Odbavit").click()


def main(console, event_id, door_email, staff_email, password, codes, artifacts):
    os.makedirs(artifacts, exist_ok=True)
    first, second, forged = codes.split("|")
    door = f"/vstup/{event_id}"

    def shot(page, file):
        page.screenshot(path=os.path.join(artifacts, file), full_page=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        one, phone1 = logged_in(browser, console, door, door_email, password)
        door_ready(phone1, 3)
        shot(phone1, "01-online-with-list.png")

        one.set_offline(True)
        expect(phone1.locator("#offline-state")).to_contain_text("Bez připojení: o vstupu rozhoduje tento telefon")
        phone1.reload()  # the page itself comes from what the service worker kept
        expect(phone1.locator("h1")).to_be_visible()
        expect(phone1.locator("#offline-state")).to_contain_text("Bez připojení")
        expect(phone1.locator("#offline-waiting")).to_have_text("Nic nečeká na odeslání.")
        try:  # the network is really off for the service worker too: a door page never kept does not open
            phone1.context.new_page().goto(f"{console}/vstup/{int(event_id) + 1000}")
            sys.exit("a door page never opened before opened offline: the page above came from the network")
        except PlaywrightError:
            pass
        enter(phone1, first)
        admitted = phone1.locator(".door-answer.ok")
        expect(admitted).to_have_text(f"Vstup povolen: {NAMES[0]}bez signálu – čeká na odeslání")
        enter(phone1, second.lower())  # typed in small letters: the same ticket
        expect(phone1.locator(".door-answer.ok")).to_contain_text(f"Vstup povolen: {NAMES[1]}")
        enter(phone1, forged)
        expect(phone1.locator(".door-answer.refused")).to_contain_text("není na dnešním seznamu platných vstupenek")
        enter(phone1, first)
        expect(phone1.locator(".door-answer.refused")).to_contain_text("Nelze: vstupenka už byla odbavena")
        expect(phone1.locator("#offline-waiting")).to_have_text("Čeká na odeslání: 2 odbavení.")
        expect(phone1.locator("#offline-queue li")).to_have_count(2)
        expect(phone1.locator("#offline-queue li").first).to_contain_text(f"{NAMES[0]} – vpuštěn(a) v ")
        shot(phone1, "02-offline-queued.png")

        two, phone2 = logged_in(browser, console, door, door_email, password)
        door_ready(phone2, 3)
        two.set_offline(True)
        phone2.wait_for_timeout(1500)  # the second phone admits Věra a little later
        enter(phone2, first)
        expect(phone2.locator(".door-answer.ok")).to_contain_text(f"Vstup povolen: {NAMES[0]}")
        expect(phone2.locator("#offline-waiting")).to_have_text("Čeká na odeslání: 1 odbavení.")
        devices = {name: page.evaluate("() => localStorage.getItem('dvere:telefon')")
                   for name, page in (("phone1", phone1), ("phone2", phone2))}
        check(devices["phone1"] != devices["phone2"], f"two phones, one id: {devices}")

        two.set_offline(False)  # the later admission reaches the console first
        expect(phone2.locator("#offline-waiting")).to_have_text("Nic nečeká na odeslání.")
        expect(phone2.locator("#offline-sent")).to_contain_text(f"{NAMES[0]}: vpuštěn(a).")
        one.set_offline(False)
        expect(phone1.locator("#offline-waiting")).to_have_text("Nic nečeká na odeslání.")
        expect(phone1.locator("#offline-state")).to_contain_text("Připojeno.")
        sent = phone1.locator("#offline-sent")
        expect(sent).to_contain_text("Odesláno z telefonu: 2 odbavení.")
        expect(sent).to_contain_text(f"{NAMES[0]}: vpuštěn(a). Stejnou vstupenku vpustil i jiný telefon")
        expect(sent).to_contain_text(f"{NAMES[1]}: vpuštěn(a).")
        conflict = phone1.locator(".door-conflicts")
        expect(conflict).to_contain_text("Dvojí vstup na jednu vstupenku")
        expect(conflict).to_contain_text(f"{NAMES[0]} (Obec Chotěšov): poprvé ")
        expect(conflict).to_contain_text(f"telefon {devices['phone1']}")
        expect(conflict).to_contain_text(f"telefon {devices['phone2']}")
        shot(phone1, "03-sent-with-conflict.png")
        phone2.reload()  # online again: the door page as the console renders it names the conflict
        expect(phone2.locator(".door-conflicts")).to_contain_text(NAMES[0])
        expect(phone2.locator(".count")).to_have_text("Uvnitř 2 z 3")

        office, staff = logged_in(browser, console, f"/akce/{event_id}", staff_email, password,
                                  viewport={"width": 1280, "height": 900})
        conflicts = staff.locator(".door-conflicts")
        expect(conflicts).to_contain_text("Dvojí vstup na jednu vstupenku")
        expect(conflicts).to_contain_text(f"{NAMES[0]} (Obec Chotěšov):")
        expect(conflicts).to_contain_text("Jako čas příchodu platí")
        shot(staff, "04-event-page-conflict.png")
        browser.close()
    print(json.dumps(devices))


if __name__ == "__main__":
    main(*sys.argv[1:])
