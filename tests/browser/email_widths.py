"""The HTML emails of a folder opened as a phone's mail app shows them (headless Chromium, 390×844,
a touch screen that honours the viewport setting): prints each one's width as JSON and keeps a
screenshot of each.

    python tests/browser/email_widths.py FOLDER_WITH_HTML tests/artifacts/emails

Runs outside the test process because Playwright's synchronous API needs a
Python without eventlet's monkey-patching.
"""
import json
import os
import sys

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
# The innermost element that sticks out furthest, to say what to fix when an email is too wide.
WIDEST = """() => {
  let widest = null, right = 0;
  for (const element of document.body.querySelectorAll("*")) {
    const edge = element.getBoundingClientRect().right;
    if (edge >= right) { right = edge; widest = element; }
  }
  return widest ? `${widest.tagName.toLowerCase()} ${Math.round(right)} px: ${widest.textContent.slice(0, 60)}` : "";
}"""


def main(folder, artifacts):
    os.makedirs(artifacts, exist_ok=True)
    widths = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(locale="cs-CZ", **PHONE)
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".html"):
                continue
            page.goto("file://" + os.path.join(os.path.abspath(folder), name))
            widths[name[:-len(".html")]] = {
                "scroll_width": page.evaluate("document.documentElement.scrollWidth"),
                "widest": page.evaluate(WIDEST),
            }
            page.screenshot(path=os.path.join(artifacts, name[:-len(".html")] + ".png"), full_page=True)
        browser.close()
    print(json.dumps(widths, ensure_ascii=False))


if __name__ == "__main__":
    main(*sys.argv[1:3])
