"""The office's whole seminar in the staff console, in a real browser: by mouse, then again by
keyboard alone; screenshots of every page and axe-core on each."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from bench.system import System
from services.backoffice import store, usecases
from services.common.db import Database, utcnow
from services.common.unit_of_work import UnitOfWork
from tests.conftest import ROOT

ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "console")
AXE = os.path.join(ROOT, ".cache", "npm", "node_modules", "axe-core", "axe.min.js")
PASSWORD = "Heslo pro konzoli 2026"


def accounts(database_url, keyboard):
    """The walk's own office account (a one-time password to change at the first login), an
    administrator with the phone code, and the door."""
    database = Database(database_url, store.metadata)
    name = "klavesnice" if keyboard else "mys"
    secret = usecases.new_totp_secret()
    with database.transaction() as tx:
        for role, email in (("staff", f"kancelar-{name}@smopk.example"), ("admin", f"spravce-{name}@smopk.example")):
            account, _ = usecases.create_account(UnitOfWork(tx, utcnow()), email, f"{role.title()} {name}", role,
                                                 password=PASSWORD)
            store.update_account(tx, account["id"], {"must_change_password": role == "staff",
                                                     "totp_secret": secret if role == "admin" else None})
    database.dispose()
    return {"office": f"kancelar-{name}@smopk.example", "admin": f"spravce-{name}@smopk.example",
            "admin_secret": secret, "password": PASSWORD}


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed")
def test_the_office_walks_a_whole_seminar_by_mouse_and_by_keyboard_and_each_action_asks_and_tells(database_urls):
    assert os.path.exists(AXE), "axe-core is installed by make test (npm)"
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    with System(database_urls=database_urls) as system:
        urls = system.database_urls
        for keyboard in (False, True):
            artifacts = os.path.join(ARTIFACTS, "klavesnice" if keyboard else "mys")
            os.makedirs(artifacts)
            settings = dict(accounts(urls["backoffice"], keyboard), keyboard=keyboard, axe=AXE, artifacts=artifacts,
                            registrations_database=urls["registrations"])
            settings_file = os.path.join(artifacts, "settings.json")
            with open(settings_file, "w") as file:
                json.dump(settings, file)
            env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
            flow = subprocess.run([sys.executable, "-m", "tests.browser.console_flow", system.console, system.base,
                                   settings_file], cwd=ROOT, env=env, capture_output=True, text=True, timeout=420)
            assert flow.returncode == 0, flow.stdout[-3000:] + flow.stderr[-5000:]
            assert len([name for name in os.listdir(artifacts) if name.endswith(".png")]) >= 25
