"""An attendee's public path by the keyboard alone in a real Chromium, on the whole system: the list,
an event's form and its errors, the thank-you and manage pages and, from the footer, the accessibility
statement (also on a 390 px phone), with axe, visible focus and no keyboard trap on every page. See
``tests.browser.keyboard_flow``."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from bench.system import System
from tests.conftest import ROOT

ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "keyboard")
AXE = os.path.join(ROOT, ".cache", "npm", "node_modules", "axe-core", "axe.min.js")
TITLE = "Přístupné webové stránky obce: co ukládá zákon"


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed")
def test_an_attendee_registers_and_reaches_the_accessibility_statement_by_keyboard_alone(database_urls):
    assert os.path.exists(AXE), "axe-core is installed by make test (npm)"
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    os.makedirs(ARTIFACTS)
    with System(database_urls=database_urls) as system:
        # free: the thank-you page waits for no payment details (and does not reload itself)
        system.new_event(title=TITLE, price_member=0, price_non_member=0)
        settings = {"base": system.base, "artifacts": ARTIFACTS, "axe": AXE, "title": TITLE}
        settings_file = os.path.join(ARTIFACTS, "settings.json")
        with open(settings_file, "w") as file:
            json.dump(settings, file)
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
        flow = subprocess.run([sys.executable, "-m", "tests.browser.keyboard_flow", settings_file], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=300)
    assert flow.returncode == 0, flow.stdout[-4000:] + flow.stderr[-6000:]
    print(flow.stdout.strip())
    shots = sorted(name for name in os.listdir(ARTIFACTS) if name.endswith(".png"))
    assert len(shots) == 7, shots
