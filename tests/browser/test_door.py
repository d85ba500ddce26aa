"""The door's scanner for real: Chromium's fake camera plays a video made from a ticket's PDF page."""
import os
import shutil
import subprocess
import sys

import pytest
import requests
import segno

from bench.system import System
from services.backoffice import store, usecases
from services.common.db import Database, utcnow
from services.common.unit_of_work import UnitOfWork
from tests.conftest import ROOT
from tests.helpers import download

ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "door")
PASSWORD = "Heslo u dveří 2026"


def video_of(png, y4m):
    """A few seconds of video of one picture, as Chromium's fake camera reads it."""
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-loop", "1", "-i", png, "-vf",
                    "scale=720:-2,format=yuv420p", "-t", "3", "-r", "10", y4m], check=True)


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed")
def test_the_door_scans_a_real_ticket_in_and_refuses_a_forged_one(database_urls, tmp_path):
    """A ticket days ahead warned about and admitted on a second tap, a forged one refused, and a
    person without a ticket found by name and admitted after the door asks."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    with System(database_urls=database_urls) as system:
        event_id = system.new_event(capacity=10)
        answer = requests.post(f"{system.base}/api/events/{event_id}/registrations", timeout=30, json={
            "first_name": "Věra", "last_name": "Průchová", "email": "vera@obec.example",
            "organisation_name": "Obec Chotěšov", "gdpr_consent": True}).json()
        requests.post(f"{system.base}/api/events/{event_id}/registrations", timeout=30, json={
            "first_name": "Jana", "last_name": "Nováková", "email": "jana@kbelnice.example",
            "organisation_name": "Obec Kbelnice", "gdpr_consent": True}).raise_for_status()  # forgets the ticket
        ticket = download(requests, answer["ticket_url"], timeout=30)
        (tmp_path / "ticket.pdf").write_bytes(ticket.content)
        subprocess.run(["pdftoppm", "-r", "110", "-png", "-singlefile", str(tmp_path / "ticket.pdf"),
                        str(tmp_path / "ticket")], check=True)
        video_of(str(tmp_path / "ticket.png"), str(tmp_path / "ticket.y4m"))
        segno.make("T1-AAAAAAAAAAAAAAAA", error="m").save(str(tmp_path / "forged.png"), scale=8, border=4)
        video_of(str(tmp_path / "forged.png"), str(tmp_path / "forged.y4m"))

        database = Database(database_urls["backoffice"], store.metadata)
        with database.transaction() as tx:
            account, _ = usecases.create_account(UnitOfWork(tx, utcnow()), "vstup@smopk.example", "U vstupu", "door",
                                                 password=PASSWORD)
            store.update_account(tx, account["id"], {"must_change_password": False})
        database.dispose()

        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
        flow = subprocess.run([sys.executable, "-m", "tests.browser.door_flow", system.console, str(event_id),
                               "vstup@smopk.example", PASSWORD, str(tmp_path / "ticket.y4m"),
                               str(tmp_path / "forged.y4m"), "Věra Průchová", "Jana Nováková|Obec Kbelnice",
                               ARTIFACTS],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
        assert flow.returncode == 0, flow.stdout[-3000:] + flow.stderr[-3000:]
    assert sorted(os.listdir(ARTIFACTS)) == [
        "01-door-not-today.png", "02-door-admitted.png", "03-door-forged.png", "04-door-search.png",
        "05-door-ask-without-ticket.png", "06-door-admitted-without-ticket.png", "07-door-desktop.png"]
