"""The door's phone page in headless Chromium, its camera fed a video of a ticket.

    python tests/browser/door_flow.py CONSOLE EVENT_ID EMAIL PASSWORD GENUINE.y4m FORGED.y4m NAME ARTIFACTS

Chromium's fake camera plays each video file; the page's scanner (jsQR) must
read the QR code and check the person in (green, with the name), and refuse
the forged one (red). Runs outside the test process: Playwright's synchronous
API needs a Python without eventlet's monkey-patching.
"""
import os
import sys

from playwright.sync_api import expect, sync_playwright

from tests.browser.flow import CHROMIUM, FLAGS


def scan(playwright, console, event_id, email, password, video, shot):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS + [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = browser.new_context(viewport={"width": 412, "height": 900}, locale="cs-CZ")
        context.grant_permissions(["camera"], origin=console)
        page = context.new_page()
        page.goto(f"{console}/vstup/{event_id}")
        page.fill("#email", email)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{console}/vstup/{event_id}")
        page.click("#scan")
        answer = page.locator(".answer")
        expect(answer).to_be_visible(timeout=20000)
        shot(page)
        return answer.inner_text()
    finally:
        browser.close()


def main(console, event_id, email, password, genuine, forged, name, artifacts):
    os.makedirs(artifacts, exist_ok=True)
    with sync_playwright() as playwright:
        admitted = scan(playwright, console, event_id, email, password, genuine,
                        lambda page: page.screenshot(path=os.path.join(artifacts, "01-door-admitted.png")))
        if admitted.strip() != f"Vstup povolen: {name}":
            sys.exit(f"the genuine ticket was not admitted: {admitted!r}")
        refused = scan(playwright, console, event_id, email, password, forged,
                       lambda page: page.screenshot(path=os.path.join(artifacts, "02-door-forged.png")))
        if "Neplatná vstupenka" not in refused:
            sys.exit(f"the forged ticket was not refused: {refused!r}")
    print("door: admitted and refused as they should be")


if __name__ == "__main__":
    main(*sys.argv[1:])
