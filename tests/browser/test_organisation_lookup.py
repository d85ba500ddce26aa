"""The form's fill by IČO in a real browser, with ARES as a local stand-in, up and then away."""
import os
import shutil
import subprocess
import sys

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.members.service import MembersService
from services.registrations.service import RegistrationsService
from tests.ares_standin import PRAHA, AresStandIn
from tests.conftest import ROOT
from tests.integration.test_system import published_event

ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "lookup")


def flow(url, mode):
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    return subprocess.run([sys.executable, "-m", "tests.browser.lookup_flow", url, mode,
                           ARTIFACTS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed")
def test_a_typed_ico_fills_the_form_and_ares_away_does_not_stop_registering(runner_factory, service_config,
                                                                            web_config_port):
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    with AresStandIn(PRAHA) as ares:
        config = dict(service_config, ARES_URL=ares.url)
        runner_factory(config, RegistrationsService, MembersService).start()
        with ClusterRpcProxy(config, timeout=30) as cluster:
            cluster.members.upsert_organisation({"ico": "00075370", "name": "Statutární město Plzeň",
                                                 "district": "Plzeň-město", "member_since": "2005-01-01"})
            event = published_event(cluster, capacity=10)
            url = f"http://127.0.0.1:{web_config_port}/events/{event['id']}"
            up = flow(url, "up")
            assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
            assert len(ares.requests) == 1
            ares.slow = 10  # and then too slow: the form says so and registers all the same
            down = flow(url, "down")
            assert down.returncode == 0, down.stdout[-3000:] + down.stderr[-3000:]
            [registration] = cluster.registrations.list_registrations(event["id"])
            assert (registration["organisation_ico"], registration["status"]) == ("27074358", "confirmed")
