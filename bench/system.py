"""The whole system started for a benchmark: its own vhost, databases, ports and mail folder.

Nothing it starts touches a running `make run`: the services consume queues in
a fresh RabbitMQ vhost, which is deleted at the end with everything in it.
"""
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from email.utils import parseaddr

import requests

from tools.ports import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RABBIT_API = os.environ.get("RABBIT_API", "http://127.0.0.1:15672/api")
RABBIT_AUTH = ("guest", "guest")


class System:
    """`with System() as system:` starts the launcher; ``system.base`` is its HTTP address."""

    def __init__(self, database_urls=None, extra_env=None):
        self.vhost = f"bench_{secrets.token_hex(4)}"
        self.folder = tempfile.mkdtemp(prefix="smopk-bench-")
        self.port, self.smtp_port, self.console_port = free_port(), free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.console = f"http://127.0.0.1:{self.console_port}"
        self.mail_dir = os.path.join(self.folder, "mail")
        self.database_urls = database_urls or {
            name: f"sqlite:///{self.folder}/{name}.sqlite"
            for name in ("members", "registrations", "notifications", "documents", "backoffice", "payments")}
        self.extra_env = extra_env or {}
        self.output = []
        self._recipients = {}  # .eml file name -> its To header

    def __enter__(self):
        requests.put(f"{RABBIT_API}/vhosts/{self.vhost}", auth=RABBIT_AUTH, timeout=10).raise_for_status()
        requests.put(f"{RABBIT_API}/permissions/{self.vhost}/guest", auth=RABBIT_AUTH, timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        env = dict(os.environ, AMQP_URI=f"pyamqp://guest:guest@127.0.0.1:5672/{self.vhost}",
                   WEB_SERVER_ADDRESS=f"127.0.0.1:{self.port}", PUBLIC_BASE_URL=self.base,
                   BACKOFFICE_ADDRESS=f"127.0.0.1:{self.console_port}", BACKOFFICE_BASE_URL=self.console,
                   SMTP_PORT=str(self.smtp_port), MAIL_DIR=self.mail_dir, LOG_LEVEL="WARNING", RATE_LIMITS="false",
                   TICKET_SIGNING_KEY_FILE=os.path.join(self.folder, "signing.key"),
                   **{f"{name.upper()}_DATABASE_URL": url for name, url in self.database_urls.items()})
        env.update(self.extra_env)
        self.launcher = subprocess.Popen([sys.executable, "-m", "tools.run_local"], cwd=ROOT, env=env,
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=lambda: self.output.extend(self.launcher.stdout), daemon=True).start()
        deadline = time.monotonic() + 120
        while not any("Ready." in line for line in self.output):
            if self.launcher.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError("the system did not start:\n" + "".join(self.output[-40:]))
            time.sleep(0.2)
        return self

    def __exit__(self, *_):
        self.launcher.send_signal(signal.SIGINT)
        try:
            self.launcher.wait(60)
        except subprocess.TimeoutExpired:
            self.launcher.kill()
        requests.delete(f"{RABBIT_API}/vhosts/{self.vhost}", auth=RABBIT_AUTH, timeout=10)
        subprocess.run(["rm", "-rf", self.folder], check=False)

    def mails_to(self, fragment):
        """How many emails in the sink are addressed to someone whose address contains
        ``fragment``: a scenario counts only its own people's emails, not what an earlier one is
        still sending. Each new file's headers are read once."""
        try:
            names = os.listdir(self.mail_dir)
        except FileNotFoundError:
            return 0
        for name in names:
            if name.endswith(".eml") and name not in self._recipients:
                with open(os.path.join(self.mail_dir, name), "rb") as message:
                    head = message.read(8192).split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
                to = re.search(rb"^To: *(.*)$", head, re.MULTILINE | re.IGNORECASE)
                self._recipients[name] = to.group(1).decode(errors="replace") if to else ""
        return sum(1 for to in self._recipients.values() if fragment in to)

    def mail_arrivals(self, fragment):
        """Recipient -> when (epoch seconds, the .eml file's time) the first email to them landed in
        the sink, for addresses containing ``fragment``."""
        self.mails_to(fragment)  # reads the headers of new files
        arrivals = {}
        for name, to in self._recipients.items():
            if fragment in to:
                landed = os.stat(os.path.join(self.mail_dir, name)).st_mtime
                address = parseaddr(to)[1].lower()
                arrivals[address] = min(landed, arrivals.get(address, landed))
        return arrivals

    def mail_count(self):
        try:
            return sum(1 for name in os.listdir(self.mail_dir) if name.endswith(".eml"))
        except FileNotFoundError:
            return 0

    def rpc(self):
        """A standalone RPC proxy to this system's services."""
        from nameko.standalone.rpc import ClusterRpcProxy
        return ClusterRpcProxy({"AMQP_URI": f"pyamqp://guest:guest@127.0.0.1:5672/{self.vhost}"}, timeout=60)

    def new_event(self, **overrides):
        """A published event made for the benchmark, by the staff's own RPC calls."""
        from datetime import date

        from tools.sample_data import events
        data = dict(events(date.today())[0], capacity=100000, max_per_organisation=None)
        data.update(overrides)
        with self.rpc() as cluster:
            event = cluster.registrations.create_event(data)
            return cluster.registrations.publish_event(event["id"])["id"]

    def service_pids(self):
        """Service name -> pids of its processes, read from the launcher's children."""
        pids = {}
        for task in os.listdir(f"/proc/{self.launcher.pid}/task"):
            with open(f"/proc/{self.launcher.pid}/task/{task}/children") as children:
                for pid in children.read().split():
                    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                        match = re.search(rb"services\.(\w+)\.service", cmdline.read())
                    if match:
                        pids.setdefault(match.group(1).decode(), []).append(int(pid))
        return pids
