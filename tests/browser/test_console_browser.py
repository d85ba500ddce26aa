"""The staff console in a real browser: each role's main path, screenshots, and axe-core on every page."""
import os
import shutil
import subprocess
import sys

import pytest

from bench.system import System
from services.backoffice import store, usecases
from services.common.db import Database, utcnow
from tests.conftest import ROOT

ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "console")
AXE = os.path.join(ROOT, ".cache", "npm", "node_modules", "axe-core", "axe.min.js")
PASSWORD = "Heslo pro konzoli 2026"


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed")
def test_each_role_walks_its_main_path_and_no_page_has_a_serious_accessibility_problem(database_urls):
    assert os.path.exists(AXE), "axe-core is installed by make test (npm)"
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    with System(database_urls=database_urls) as system:
        database = Database(database_urls["backoffice"], store.metadata)
        secret = usecases.new_totp_secret()
        with database.transaction() as tx:
            for role in ("admin", "staff", "door"):
                account, _ = usecases.create_account(tx, f"{role}@smopk.example", role.title(), role, utcnow(),
                                                     password=PASSWORD)
                store.update_account(tx, account["id"], {"must_change_password": False,
                                                         "totp_secret": secret if role == "admin" else None})
        database.dispose()
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
        flow = subprocess.run([sys.executable, "-m", "tests.browser.console_flow", system.console, system.base,
                               PASSWORD, secret, AXE, ARTIFACTS], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=300)
    assert flow.returncode == 0, flow.stdout[-3000:] + flow.stderr[-3000:]
    assert len([name for name in os.listdir(ARTIFACTS) if name.endswith(".png")]) >= 18
