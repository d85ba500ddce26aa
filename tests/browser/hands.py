"""How a person works a page: with the mouse, or with the keyboard alone.

The same walk runs both ways. With ``keyboard=True`` nothing is clicked or filled directly:
the walk presses Tab until the wanted control has the focus (so a control that Tab never
reaches fails the walk), then Enter, Space, arrows or typed characters, as a person would.
"""
from playwright.sync_api import expect

MOST_TABS = 400


class Hands:
    def __init__(self, page, keyboard=False):
        self.page, self.keyboard = page, keyboard

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
        if self.keyboard:
            self.page.evaluate("() => { document.activeElement && document.activeElement.blur(); "
                               "window.getSelection().removeAllRanges(); }")

    def click(self, locator):
        if not self.keyboard:
            locator.first.click()
            return
        self.focus(locator)
        self.page.keyboard.press("Enter")

    def check(self, locator):
        if not self.keyboard:
            locator.first.check()
            return
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
        """A ``datetime-local`` field (``2026-12-30T09:00``), typed segment by segment as Czech
        Chromium shows it: day, month, year, hours, minutes."""
        if not self.keyboard:
            locator.first.fill(value)
            return
        day, clock = value.split("T")
        year, month, date = day.split("-")
        self.focus(locator)
        self.page.keyboard.type(date + month + year + clock.replace(":", ""))
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
