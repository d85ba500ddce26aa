"""The list of events that a town's website frames, in a real Chromium on a 390 px phone: shown
in the frame of another site, no sideways scrolling, axe clean; see ``tests.browser.embed_flow``."""
import os
import shutil
import subprocess
import sys

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.registrations.service import RegistrationsService
from tests.conftest import ROOT
from tests.integration.test_system import published_event

ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "embed")
AXE = os.path.join(ROOT, ".cache", "npm", "node_modules", "axe-core", "axe.min.js")


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed")
def test_a_town_frames_the_list_of_events_readable_on_a_phone_and_axe_clean(runner_factory, service_config,
                                                                             web_config_port):
    assert os.path.exists(AXE), "axe-core is installed by make test (npm)"
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    runner_factory(service_config, RegistrationsService).start()
    with ClusterRpcProxy(service_config, timeout=30) as cluster:
        published_event(cluster, title="Zákon o odpadech a obecní vyhlášky: co musí obec upravit do konce roku "
                                       "a jak to udělat bez zbytečných nákladů", topic="životní prostředí",
                        venue="Krajský úřad Plzeňského kraje, Škroupova 1760/18, Plzeň-Jižní Předměstí")
        published_event(cluster, title="GDPR na obecním úřadě", topic="GDPR", kind="training", days=20,
                        format="online", venue="online")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    flow = subprocess.run([sys.executable, "-m", "tests.browser.embed_flow", f"http://127.0.0.1:{web_config_port}",
                           AXE, ARTIFACTS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert flow.returncode == 0, flow.stdout[-3000:] + flow.stderr[-3000:]
