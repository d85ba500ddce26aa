"""The render pool's processes end with the service that started them."""
import os
import signal
import subprocess
import sys

from tests.conftest import ROOT, wait_for

STARTS_A_POOL = """
import time
from services.documents.pool import make_executor
pool = make_executor(2)
for done in [pool.submit(time.sleep, 0.5) for _ in range(2)]:
    done.result()
print(" ".join(str(process.pid) for process in pool._processes.values()), flush=True)
time.sleep(60)
"""


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_service_killed_outright_leaves_no_render_workers():
    service = subprocess.Popen([sys.executable, "-c", STARTS_A_POOL], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                               env=dict(os.environ, PYTHONPATH=ROOT))
    workers = [int(pid) for pid in service.stdout.readline().split()]
    assert len(workers) == 2 and all(alive(pid) for pid in workers)
    service.send_signal(signal.SIGKILL)
    service.wait()
    wait_for(lambda: not any(alive(pid) for pid in workers), timeout=10, message="the workers to end")
