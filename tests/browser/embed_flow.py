"""A town's website with the association's list of events in a frame, in Chromium as a 390 px
phone: the snippet of docs/staff-guide.md ("Akce na webu obce") on a page of another origin
(a local HTTP server on a port of its own, so another origin; a local one, since Chromium's
local network access checks keep a public site from framing the site's address 127.0.0.1 here,
which a real deployment's public address is not).

Checks that the list shows in the frame (frame-ancestors lets any site frame it) while the
site's other pages refuse to be framed; that neither the town's page nor the list scrolls
sideways; that the list has no script; and axe-core's serious and critical findings in the frame
(in a second browser context that bypasses CSP, which axe's injection needs: the first one
checks the real policy). A screenshot of each.

    python -m tests.browser.embed_flow BASE AXE_JS ARTIFACTS

Runs outside the test process: Playwright's synchronous API needs a Python without eventlet.
"""
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from playwright.sync_api import Error, expect, sync_playwright

from tests.browser.axe import serious_findings
from tests.browser.flow import CHROMIUM, FLAGS

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
GUIDE = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "staff-guide.md")
PUBLIC_BASE_IN_GUIDE = "https://seminare.smopk.example"
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def snippet(base):
    """The code the staff guide gives a town's webmaster, pointed at ``base``."""
    with open(GUIDE, encoding="utf-8") as guide:
        recipe = guide.read().split("## Akce na webu obce", 1)[1]
    code = re.search(r"```html\n(.*?)```", recipe, re.S).group(1)
    assert PUBLIC_BASE_IN_GUIDE in code, code
    return code.replace(PUBLIC_BASE_IN_GUIDE, base)


def town_page(base):
    return f"""<!DOCTYPE html>
<html lang="cs"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Obec Chudenice – vzdělávání</title></head>
<body><main><h1>Obec Chudenice</h1><p>Semináře pro zaměstnance obecních úřadů:</p>
{snippet(base)}
<h2>Jiná stránka sdružení v rámu</h2>
<iframe id="refused" src="{base}/" title="Stránka, kterou nelze vložit" width="300" height="200"></iframe>
</main></body></html>"""


class Town(BaseHTTPRequestHandler):
    """The town's website: its one page, with the snippet."""

    page = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, format, *args):
        pass


def open_town(context, town):
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(town)
    page.wait_for_load_state("load")
    return page


def main(base, axe_js, artifacts):
    os.makedirs(artifacts, exist_ok=True)
    problems = []
    Town.page = town_page(base).encode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Town)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    town = f"http://127.0.0.1:{server.server_address[1]}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)

        page = open_town(browser.new_context(**PHONE, locale="cs-CZ"), town)
        listing = page.frame_locator("iframe[src$='/vlozit/akce']")
        expect(listing.get_by_role("heading", level=1)).to_have_text("Nejbližší semináře a školení")
        expect(listing.get_by_role("listitem").first).to_be_visible()
        frame = next(frame for frame in page.frames if frame.url.endswith("/vlozit/akce"))
        if frame.locator("script").count():
            problems.append("the embeddable list has a script")
        link = listing.get_by_role("link").first
        if link.get_attribute("target") != "_blank":
            problems.append("a link of the list opens inside the frame")
        refused = page.locator("#refused").element_handle().content_frame()
        try:  # a refused frame holds the browser's error page, or nothing to read
            framed = refused.get_by_text("Semináře, školení a setkání dobré praxe").count()
        except Error:
            framed = 0
        if framed:
            problems.append("the site's list page shows in another site's frame")
        for where, target in (("the town's page", page), ("the frame", frame)):
            wider = target.evaluate(OVERFLOW)
            if wider > 0:
                problems.append(f"{where} scrolls sideways by {wider} px at 390 px")
        width = page.locator("iframe[src$='/vlozit/akce']").bounding_box()["width"]
        if width > 390:
            problems.append(f"the frame is {width} px wide on a 390 px screen")
        page.screenshot(path=os.path.join(artifacts, "01-town-page.png"), full_page=True)

        # axe: in a context that lets its script into the frame despite the page's CSP
        checked = open_town(browser.new_context(**PHONE, locale="cs-CZ", bypass_csp=True), town)
        frame = next(frame for frame in checked.frames if frame.url.endswith("/vlozit/akce"))
        frame.wait_for_selector("h1")
        problems += [f"the frame: {finding}" for finding in serious_findings(frame, axe_js)]
        embedded = checked.context.new_page()
        embedded.goto(base + "/vlozit/akce")
        embedded.screenshot(path=os.path.join(artifacts, "02-list-alone.png"), full_page=True)
        if embedded.evaluate(OVERFLOW) > 0:
            problems.append("the list alone scrolls sideways at 390 px")
        browser.close()
    server.shutdown()
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
