"""An attendee's whole way on a 390 px touch phone in a real Chromium, on the whole system: before
the event (registering as a member, as a non-member, colleagues, the waitlist), then, once the
event is over and the office has done its part, the materials, the feedback, the manage page and
the training record with the certificate that came by email. See ``tests.browser.phone_flow``."""
import base64
import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from bench.system import System
from tests.conftest import ROOT, wait_for
from tests.helpers import pdf_attachment, pdf_text
from tests.integration.timetravel import begun, ended

ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "phone")
AXE = os.path.join(ROOT, ".cache", "npm", "node_modules", "axe-core", "axe.min.js")
GDPR = "GDPR na obecním úřadě: co se změnilo"
PEOPLE = {"clerk": "vera.pruchova@nyrany.example", "non_member": "ondrej.simunek@zdemyslice.example",
          "registrant": "jaroslava.kohoutova@chudenice.example", "waitlisted": "libuse.cechova@nyrany.example",
          "colleagues": ["radek.belohlavek@chudenice.example", "katerina.zdarska@chudenice.example",
                         "milos.repa@chudenice.example"]}
SLIDES = b"%PDF-1.4\n% the lecturer's slides\n"


def mails(system, to, subject):
    """The messages in the system's mail folder to ``to`` whose subject starts with ``subject``."""
    found = []
    for name in sorted(os.listdir(system.mail_dir)) if os.path.isdir(system.mail_dir) else ():
        if name.endswith(".eml"):
            with open(os.path.join(system.mail_dir, name), "rb") as file:
                message = email.message_from_binary_file(file, policy=email.policy.default)
            if message["To"] == to and str(message["Subject"]).startswith(subject):
                found.append(message)
    return found


def link_in(message, path):
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"(http://\S+/{path}/[0-9]+-[a-z2-7]+)", text).group(1)


def walk(phase, system, settings):
    settings_file = os.path.join(ARTIFACTS, f"settings-{phase}.json")
    with open(settings_file, "w") as file:
        json.dump(settings, file)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    started = time.monotonic()
    flow = subprocess.run([sys.executable, "-m", "tests.browser.phone_flow", phase, system.base, settings_file],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert flow.returncode == 0, flow.stdout[-3000:] + flow.stderr[-6000:]
    print(flow.stdout.strip(), f"({time.monotonic() - started:.1f} s)")


def paid_in_cash(cluster, registration_id):
    """The office takes the fee in cash once payments has the request; then registrations knows."""
    if cluster.registrations.get_registration(registration_id)["paid_at"]:
        return True
    try:
        cluster.payments.mark_paid(registration_id, "cash")
    except Exception:  # the payment request is not there yet
        pass
    return False


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed")
def test_an_attendee_on_a_phone_registers_pays_waits_and_gets_all_after_the_event_without_sideways_scrolling(
        database_urls):
    assert os.path.exists(AXE), "axe-core is installed by make test (npm)"
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    os.makedirs(ARTIFACTS)
    with System(database_urls=database_urls) as system:
        config = {"DATABASES": system.database_urls}
        full_event = system.new_event(title="Setkání dobré praxe: odpady a třídění v malých obcích",
                                      kind="good_practice", topic="životní prostředí", capacity=1,
                                      price_member=0, price_non_member=0, waitlist_enabled=True)
        with system.rpc() as cluster:
            cluster.registrations.register(full_event, {
                "first_name": "Hana", "last_name": "Němcová", "email": "hana.nemcova@tlucna.example",
                "organisation_name": "Obec Tlučná", "gdpr_consent": True})
        settings = {"artifacts": ARTIFACTS, "axe": AXE, "full_event": full_event, "people": PEOPLE}
        walk("before", system, settings)

        # The office's part: the clerk pays in cash and comes; slides, the questionnaire, certificates.
        with system.rpc() as cluster:
            [gdpr] = [event for event in cluster.registrations.list_events() if event["title"] == GDPR]
            [clerk] = [r for r in cluster.registrations.list_registrations(gdpr["id"]) if r["email"] == PEOPLE["clerk"]]
            wait_for(lambda: paid_in_cash(cluster, clerk["id"]), timeout=60, message="the clerk's payment recorded")
            begun(config, gdpr["id"])
            cluster.registrations.mark_attendance(gdpr["id"], [clerk["id"]])
            cluster.registrations.add_material(gdpr["id"], "Prezentace – GDPR na obecním úřadě.pdf",
                                               base64.b64encode(SLIDES).decode())
            assert cluster.registrations.send_materials(gdpr["id"]) == {"sent": 1}
            ended(config, gdpr["id"])
            assert cluster.registrations.send_feedback_requests(gdpr["id"]) == {"sent": 1}
            assert cluster.registrations.issue_certificates(gdpr["id"])["issued"] == 1
        materials, feedback, certificate = (
            wait_for(lambda subject=subject: mails(system, PEOPLE["clerk"], subject), timeout=60, message=subject)[0]
            for subject in (f"Podklady z akce: {GDPR}", f"Zpětná vazba: {GDPR}", f"Osvědčení o absolvování: {GDPR}"))
        filename, pdf = pdf_attachment(certificate)
        number = "/".join(re.fullmatch(r"osvedceni-(\d+)-(\d+)\.pdf", filename).groups())
        text = " ".join(pdf_text(pdf).split())
        assert "Věra Průchová" in text and number in text, text
        settings.update(clerk_manage=clerk["manage_url"], materials=link_in(materials, "materials"),
                        feedback=link_in(feedback, "feedback"), certificate_number=number)
        walk("after", system, settings)
    shots = [name for name in os.listdir(ARTIFACTS) if name.endswith(".png")]
    assert len(shots) >= 18, sorted(shots)
