"""A municipality's contact on /obec in a real Chromium, keyboard only, on the whole system: the
link read from the email the SMTP sink kept, the organisation's registrations and invoices, on a
desktop and a 390x844 phone, with axe. See ``tests.browser.portal_flow``."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from bench.system import System
from tests.conftest import ROOT, wait_for

ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "portal")
AXE = os.path.join(ROOT, ".cache", "npm", "node_modules", "axe-core", "axe.min.js")
NYRANY, TLUCNA = "00258962", "00258440"


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed")
def test_a_contact_logs_in_from_the_email_and_sees_the_organisation_by_keyboard_on_a_phone(database_urls):
    assert os.path.exists(AXE), "axe-core is installed by make test (npm)"
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    os.makedirs(ARTIFACTS)
    with System(database_urls=database_urls) as system:
        event = system.new_event(title="Stavební zákon pro obce", price_member=400, price_non_member=900)
        with system.rpc() as cluster:
            for ico, name in ((NYRANY, "Město Nýřany"), (TLUCNA, "Obec Tlučná")):
                cluster.members.upsert_organisation({"ico": ico, "name": name, "kind": "obec",
                                                     "district": "Plzeň-sever"})
            cluster.members.add_contact(NYRANY, {"first_name": "Věra", "last_name": "Průchová",
                                                 "email": "vera.pruchova@nyrany.example"})
            for first, last, address, ico in (("Ondřej", "Šimůnek", "ondrej.simunek", NYRANY),
                                              ("Hana", "Němcová", "hana.nemcova", TLUCNA)):
                cluster.registrations.register(event, {
                    "first_name": first, "last_name": last, "email": f"{address}@obec.example",
                    "organisation_ico": ico, "gdpr_consent": True})
            invoices = wait_for(lambda: cluster.payments.organisation_invoices(NYRANY), timeout=60,
                                message="Nýřany's invoice")
            foreign = wait_for(lambda: cluster.payments.organisation_invoices(TLUCNA), timeout=60,
                               message="Tlučná's invoice")
        settings = {"base": system.base, "artifacts": ARTIFACTS, "axe": AXE, "mail_dir": system.mail_dir,
                    "contact": "vera.pruchova@nyrany.example", "organisation": "Město Nýřany",
                    "shown": ["Ondřej Šimůnek", "Stavební zákon pro obce", invoices[0]["number"], "Variabilní symbol"],
                    "hidden": ["Hana Němcová", foreign[0]["number"], "Obec Tlučná"]}
        settings_file = os.path.join(ARTIFACTS, "settings.json")
        with open(settings_file, "w") as file:
            json.dump(settings, file)
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
        flow = subprocess.run([sys.executable, "-m", "tests.browser.portal_flow", settings_file], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=240)
    assert flow.returncode == 0, flow.stdout[-3000:] + flow.stderr[-6000:]
    shots = sorted(name for name in os.listdir(ARTIFACTS) if name.endswith(".png"))
    assert len(shots) == 7, shots
