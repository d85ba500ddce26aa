"""The event form's question rows (with and without JavaScript), a draft's page and its public
preview, publishing and deleting, in a real browser on a desktop and a phone."""
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

ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "event-form")
PASSWORD = "Heslo kanceláře 2026"


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed")
def test_questions_come_and_go_and_a_draft_is_previewed_published_and_deleted(database_urls):
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    with System(database_urls=database_urls) as system:
        database = Database(database_urls["backoffice"], store.metadata)
        with database.transaction() as tx:
            account, _ = usecases.create_account(UnitOfWork(tx, utcnow()), "kancelar@smopk.example", "Kancelář",
                                                 "staff",
                                                 password=PASSWORD)
            store.update_account(tx, account["id"], {"must_change_password": False})
        database.dispose()
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
        flow = subprocess.run([sys.executable, "-m", "tests.browser.event_form_flow", system.console,
                               "kancelar@smopk.example", PASSWORD, ARTIFACTS],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert flow.returncode == 0, flow.stdout[-3000:] + flow.stderr[-3000:]
    assert len([name for name in os.listdir(ARTIFACTS) if name.endswith(".png")]) == 13
