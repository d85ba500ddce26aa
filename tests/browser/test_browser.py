"""The site in a real browser (Debian's Chromium driven by Playwright), on the whole system."""
import os
import shutil
import subprocess
import sys

import pytest

from bench.system import System
from tests.conftest import ROOT

ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "browser")


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed")
def test_list_event_errors_confirmation_manage_ticket_cancel(database_urls):
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    with System(database_urls=database_urls) as system:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
        flow = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "browser", "flow.py"), system.base,
                               ARTIFACTS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert flow.returncode == 0, flow.stdout[-3000:] + flow.stderr[-3000:]
    shots = sorted(name for name in os.listdir(ARTIFACTS) if name.endswith(".png"))
    assert len(shots) == 10, shots
