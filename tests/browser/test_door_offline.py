"""The door without a signal in Chromium: two phones offline admit tickets, one of them twice;
when the network returns the queues go, the first admission counts and staff see the conflict."""
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import requests

from bench.system import System
from services.backoffice import store, usecases
from services.common.db import Database, utcnow
from services.common.unit_of_work import UnitOfWork
from tests.conftest import ROOT

ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "door-offline")
PASSWORD = "Heslo u dveří 2026"
PEOPLE = (("Věra", "Průchová", "vera@chotesov.example"), ("Jana", "Nováková", "jana@chotesov.example"),
          ("Petr", "Dvořák", "petr@chotesov.example"))


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed")
def test_two_phones_without_a_signal_admit_and_the_first_admission_counts(database_urls):
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    with System(database_urls=database_urls) as system:
        # Today in Prague: it starts in a few minutes, so that people can still register.
        starts = datetime.now(UTC) + timedelta(minutes=5)
        event_id = system.new_event(capacity=10, starts_at=starts.isoformat(),
                                    ends_at=(starts + timedelta(hours=4)).isoformat(),
                                    registration_closes_at=starts.isoformat())
        for first, last, email in PEOPLE:
            requests.post(f"{system.base}/api/events/{event_id}/registrations", timeout=30, json={
                "first_name": first, "last_name": last, "email": email, "organisation_name": "Obec Chotěšov",
                "gdpr_consent": True}).raise_for_status()
        with system.rpc() as cluster:
            codes = {r["last_name"]: r["ticket_code"] for r in cluster.registrations.list_registrations(event_id)}

        database = Database(database_urls["backoffice"], store.metadata)
        with database.transaction() as tx:
            for email, name, role in (("vstup@smopk.example", "U vstupu", "door"),
                                      ("kancelar@smopk.example", "Kancelář", "staff")):
                account, _ = usecases.create_account(UnitOfWork(tx, utcnow()), email, name, role, password=PASSWORD)
                store.update_account(tx, account["id"], {"must_change_password": False})
        database.dispose()

        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
        flow = subprocess.run([sys.executable, "-m", "tests.browser.door_offline_flow", system.console,
                               str(event_id), "vstup@smopk.example", "kancelar@smopk.example", PASSWORD,
                               f"{codes['Průchová']}|{codes['Nováková']}|T1-AAAAAAAAAAAAAAAA", ARTIFACTS],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert flow.returncode == 0, flow.stdout[-3000:] + flow.stderr[-3000:]
        devices = json.loads(flow.stdout.strip().splitlines()[-1])

        with system.rpc() as cluster:
            register = {r["last_name"]: r for r in cluster.registrations.list_registrations(event_id)}
            [conflict] = cluster.registrations.door_conflicts(event_id)
            # The queues again, as a phone whose answer was lost would send them: nothing changes.
            again = cluster.registrations.door_batch(event_id, {"device": devices["phone2"], "staff": "U vstupu",
                                                                "items": [{"code": codes["Průchová"],
                                                                           "scanned_at": conflict["second_at"]}]})
            assert cluster.registrations.door_conflicts(event_id) == [conflict]
            assert cluster.registrations.list_registrations(event_id) == list(register.values())
    assert again[0]["result"] == "already_admitted"
    first_at, second_at = (datetime.fromisoformat(conflict[key]) for key in ("first_at", "second_at"))
    assert first_at < second_at  # phone 1 admitted Věra first, though phone 2 was heard first
    assert datetime.fromisoformat(register["Průchová"]["checked_in_at"]) == first_at
    assert (conflict["first_by"], conflict["second_by"]) == (f"U vstupu, telefon {devices['phone1']}",
                                                            f"U vstupu, telefon {devices['phone2']}")
    assert register["Nováková"]["checked_in_at"] is not None and register["Dvořák"]["checked_in_at"] is None
    assert sorted(os.listdir(ARTIFACTS)) == ["01-online-with-list.png", "02-offline-queued.png",
                                             "03-sent-with-conflict.png", "04-event-page-conflict.png"]
