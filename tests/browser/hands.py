"""How a person works a page: with the mouse, or with the keyboard alone.

The same walk runs both ways. With ``keyboard=True`` nothing is clicked or filled directly:
the walk presses Tab until the wanted control has the focus (so a control that Tab never
reaches fails the walk), then Enter, Space, arrows or typed characters, as a person would.
"""
from playwright.sync_api import Error, expect

MOST_TABS = 400
# Enter on these loads another page: a link, or a form's submit button.
NAVIGATES = ("element => element.matches('a[href]') || (!!element.form && element.matches("
             "'button:not([type]), button[type=submit], input[type=submit]'))")


class Hands:
    def __init__(self, page, keyboard=False):
        self.page, self.keyboard = page, keyboard
        self.choosers = []
        if keyboard:
            # Playwright asks Chromium to hand it file choosers without waiting for the answer, so
            # a chooser listened for only around the key press can open unseen on a slow machine:
            # listen for the whole walk, and make one round trip so that the request has landed.
            page.on("filechooser", lambda chooser: self.choosers.append(chooser))
            page.evaluate("() => true")

    def focus(self, locator):
        """Tab from where the focus is until ``locator`` has it (a failure names the control)."""
        locator = locator.first
        expect(locator).to_be_visible()
        handle = locator.element_handle()
        for _ in range(MOST_TABS):
            if self.page.evaluate("element => document.activeElement === element", handle):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"Tab never reached {locator}")

    def start(self):
        """Begin at the top of the page (after a reload the focus is wherever the browser left it)."""
        if not self.keyboard:
            return
        for _ in range(20):  # a page the last Enter is still loading
            try:
                self.page.wait_for_load_state()
                self.page.evaluate("() => { document.activeElement && document.activeElement.blur(); "
                                   "window.getSelection().removeAllRanges(); }")
                return
            except Error:
                self.page.wait_for_timeout(100)
        raise AssertionError("the page never settled")

    def click(self, locator):
        if not self.keyboard:
            locator.first.click()
            return
        self.focus(locator)
        if locator.first.evaluate(NAVIGATES):  # wait for the next page, as a click does
            with self.page.expect_navigation(wait_until="load"):
                self.page.keyboard.press("Enter")
        else:
            self.page.keyboard.press("Enter")

    def check(self, locator):
        if not self.keyboard:
            locator.first.check()
            return
        if locator.first.get_attribute("type") == "radio":  # Tab stops once in a group; arrows choose
            self.focus(self.page.locator(f"input[type=radio][name='{locator.first.get_attribute('name')}']"
                                         ":not([disabled])").first)
            for _ in range(20):
                if locator.first.is_checked():
                    return
                self.page.keyboard.press("ArrowDown")
            raise AssertionError(f"the arrows never chose {locator}")
        self.focus(locator)
        if not locator.first.is_checked():
            self.page.keyboard.press("Space")
        expect(locator.first).to_be_checked()

    def fill(self, locator, text):
        if not self.keyboard:
            locator.first.fill(text)
            return
        self.focus(locator)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        for line_number, line in enumerate(text.split("\n")):
            if line_number:
                self.page.keyboard.press("Enter")
            self.page.keyboard.type(line)
        expect(locator.first).to_have_value(text)

    def moment(self, locator, value):
        """A ``datetime-local`` field (``2026-12-30T09:00``), typed segment by segment as this
        Chromium shows it whatever the page's language (its own, en-US: month, day, year, then
        hours, minutes and AM/PM); the year takes six digits, so an arrow moves on from it."""
        if not self.keyboard:
            locator.first.fill(value)
            return
        day, clock = value.split("T")
        year, month, date = day.split("-")
        hours, minutes = (int(part) for part in clock.split(":"))
        self.focus(locator)
        self.page.keyboard.type(month + date + year)
        self.page.keyboard.press("ArrowRight")
        self.page.keyboard.type(f"{(hours - 1) % 12 + 1:02d}{minutes:02d}" + ("P" if hours >= 12 else "A"))
        expect(locator.first).to_have_value(value)

    def select(self, locator, value):
        if not self.keyboard:
            locator.first.select_option(value)
            return
        self.focus(locator)
        values = locator.first.evaluate("select => Array.from(select.options).map(option => option.value)")
        self.page.keyboard.press("Home")
        for _ in range(values.index(value)):
            self.page.keyboard.press("ArrowDown")
        expect(locator.first).to_have_value(value)

    def upload(self, locator, path):
        """A file input: with the keyboard, Space on it opens the chooser, which takes the file."""
        if not self.keyboard:
            locator.first.set_input_files(path)
            return
        self.focus(locator)
        self.choosers.clear()
        self.page.keyboard.press("Space")
        for _ in range(300):
            if self.choosers:
                self.choosers.pop().set_files(path)
                return
            self.page.wait_for_timeout(100)
        raise AssertionError(f"Space on {locator} opened no file chooser")
