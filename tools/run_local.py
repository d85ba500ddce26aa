"""`make run`: the whole system on one machine, on the embedded defaults.

Checks the broker, declares the bus, starts the SMTP sink and the four services
(``REPLICAS=2`` starts two processes of each: they share the queues, and the
registrations replicas share the HTTP port through SO_REUSEPORT;
``DATABASE=postgresql`` gives each service a PostgreSQL database of its own,
created when missing, at ``POSTGRES_URL``), loads the
sample data when the databases are empty, prints where to look, and on
Ctrl-C stops everything it started, leaving no process behind.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from datetime import date

from kombu import Connection

from tools import sample_data

SERVICES = {
    "members": "services.members.service:MembersService",
    "registrations": "services.registrations.service:RegistrationsService",
    "notifications": "services.notifications.service:NotificationsService",
    "documents": "services.documents.service:DocumentsService",
    "backoffice": "services.backoffice.service:BackofficeService",
    "payments": "services.payments.service:PaymentsService",
}
# How the services share the machine under load. A person registering waits for the answer;
# emails, PDFs and payment requests may come a moment later. Those services run only on CPU
# time nobody else wants (Linux's SCHED_IDLE, inherited by the render workers of documents; a
# nice of 10 where that policy is missing), and registrations takes more requests at once, so
# that more of a rush go together in one transaction (GroupCommit).
BACKGROUND = ("notifications", "documents", "payments")
MAX_WORKERS = {"registrations": "64"}
# nameko 2.14, setuptools and eventlet 0.41 announce deprecations on every start: noise.
QUIET = "ignore"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "deploy", "config.yaml")
READY_SECONDS = 90
STOP_SECONDS = 20
# A service that stops on its own is started again, unless restarts come faster than this.
RESTARTS_PER_MINUTE = 5


def setting(name, default):
    return os.environ.get(name) or default


def check_broker(amqp_uri):
    try:
        with Connection(amqp_uri, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=max(1, len(connection.alt)), interval_start=0,
                                         interval_step=0, timeout=3)
    except Exception as error:
        print(f"RabbitMQ does not answer at {amqp_uri} ({error}); start it with "
              "`rabbitmq-server -detached` (or `systemctl start rabbitmq-server`) and run `make run` again.",
              file=sys.stderr)
        sys.exit(1)


def use_postgresql(server_url):
    """Point each service at its own PostgreSQL database, creating the ones that are missing."""
    import psycopg2

    admin = psycopg2.connect(f"{server_url}/postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            for service in SERVICES:
                name = f"smopk_{service}"
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{name}"')
                    print(f"Created the PostgreSQL database {name}.")
                os.environ.setdefault(f"{service.upper()}_DATABASE_URL", f"{server_url}/{name}")
    finally:
        admin.close()


def prepare_bus(amqp_uri):
    """Declare the exchanges, event queues and dead-letter queue before any service starts."""
    from tools import topology

    try:
        topology.declare(amqp_uri)
    except topology.ClassicQueueInTheWay as error:
        print(error, file=sys.stderr)
        sys.exit(1)
    try:
        topology.set_dead_letter_policy(amqp_uri)
    except Exception as error:  # the management plugin is optional for running
        print(f"(dead-letter policy not set: {error})")


def in_background(pid):
    """Run process ``pid`` only on CPU time that nobody else wants."""
    try:
        os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux
        os.setpriority(os.PRIO_PROCESS, pid, 10)


class Processes:
    """The children, each in a process group of its own so a stop reaches their children too."""

    def __init__(self):
        self.children = {}
        self.commands = {}
        self.restarts = []

    def start(self, name, command, background=False, **env):
        self.commands[name] = (command, background, env)
        env = dict(os.environ, PYTHONWARNINGS=QUIET, PYTHONUNBUFFERED="1", **env)
        child = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, bufsize=1)
        if background:  # set from here, at once: its render workers, started later, inherit it
            in_background(child.pid)
        threading.Thread(target=self._relay, args=(name, child.stdout), daemon=True).start()
        self.children[name] = child

    @staticmethod
    def _relay(name, stream):
        for line in stream:
            sys.stdout.write(f"[{name}] {line}")
            sys.stdout.flush()

    def exited(self):
        return {name: child.returncode for name, child in self.children.items() if child.poll() is not None}

    def restart_exited(self):
        """Start again what stopped on its own, as a supervisor would; False when something keeps
        stopping (more than RESTARTS_PER_MINUTE a minute): then it needs a person."""
        now = time.monotonic()
        for name, code in self.exited().items():
            self.restarts = [t for t in self.restarts if t > now - 60] + [now]
            if len(self.restarts) > RESTARTS_PER_MINUTE:
                return False
            print(f"[{name}] stopped on its own (exit code {code}); starting it again", flush=True)
            command, background, env = self.commands[name]
            self.start(name, command, background, **env)
        return True

    def stop(self):
        # Each service shuts down its own helpers (the PDF render pool) on SIGTERM;
        # whatever is left of a group after the grace period is killed.
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for child in self.children.values():
            try:
                child.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pass
        for child in self.children.values():
            _signal_group(child, signal.SIGKILL)  # whatever is left of the group, grandchildren included
            child.wait()


def _signal_group(child, signum):
    try:
        os.killpg(child.pid, signum)
    except ProcessLookupError:
        pass


def wait_until_ready(base, processes):
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if processes.exited():
            return False
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def _when_it_answers(call):
    """``call()`` once its service consumes its queue: registrations can answer /health before
    members has started, on a busy machine."""
    from nameko.exceptions import UnknownService

    deadline = time.monotonic() + READY_SECONDS
    while True:
        try:
            return call()
        except UnknownService:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def load_sample_data(amqp_uri):
    """Fill empty databases with the sample register and two seminars; returns the first event's id."""
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=60) as cluster:
        if not _when_it_answers(lambda: cluster.members.membership_register()):
            imported = cluster.members.import_organisations_csv(sample_data.register_csv())
            for ico, contact in sample_data.contacts():
                cluster.members.add_contact(ico, contact)
            print(f"Loaded a sample register: {imported['created']} organisations, "
                  f"{len(cluster.members.list_members())} of them members.")
        events = cluster.registrations.list_events()
        if not events:
            for event in sample_data.events(date.today()):
                created = cluster.registrations.create_event(event)
                cluster.registrations.publish_event(created["id"])
            print("Loaded two sample seminars.")
            events = cluster.registrations.list_events()
    return events[0]["id"] if events else None


def use_sample_seal():
    """Without the association's seal configured, certificates are sealed with a sample one (marked
    VZOREK) made once under var/, so that a fresh machine shows the whole path."""
    if os.environ.get("CERTIFICATE_SEAL_FILE"):
        return
    from services.common.settings import file_defaults
    from tools import sample_seal

    organiser = os.environ.get("ORGANISER_NAME") or file_defaults()["ORGANISER_NAME"]
    os.environ["CERTIFICATE_SEAL_FILE"], os.environ["CERTIFICATE_SEAL_PASSWORD"] = sample_seal.ensure(ROOT, organiser)
    print(f"Certificates are sealed with a sample seal ({sample_seal.SEAL_FILE}); set CERTIFICATE_SEAL_FILE "
          "and CERTIFICATE_SEAL_PASSWORD for the association's own.")


def first_administrator():
    """The console's first account on a fresh machine: its address and one-time password, or None."""
    from tools import staff_user

    made = staff_user.bootstrap(setting("BACKOFFICE_ADMIN_EMAIL", "spravce@smopk.example"))
    return None if made is None else (made[0]["email"], made[1])


def banner(base, event_id, mail_dir, console, administrator):
    body = json.dumps({
        "first_name": "Jana", "last_name": "Nováková", "email": "jana.novakova+EMAIL@example.cz",
        "organisation_ico": "00075370", "position": "referentka", "gdpr_consent": True,
    }, ensure_ascii=False).replace("EMAIL", "'$(date +%s)'")
    return (
        "\n"
        f"  Ready. The web: {base}/   The API: {base}/api/events\n"
        f"  Emails land in {mail_dir}/ as .eml files.\n\n"
        "  Register someone:\n"
        f"    curl -s -X POST {base}/api/events/{event_id}/registrations \\\n"
        f"         -H 'Content-Type: application/json' -d '{body}'\n\n"
        f"  The staff console: {console}/\n"
        + (f"    first login: {administrator[0]}, one-time password {administrator[1]}\n"
           "    (change it at the first login; then set up the code from your phone)\n" if administrator else "")
        + "  Staff shell: make shell     Stop: Ctrl-C\n"
    )


def main():
    warnings.simplefilter("ignore")  # the deprecation banners of nameko 2.14 and eventlet 0.41
    amqp_uri = setting("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/")
    address = setting("WEB_SERVER_ADDRESS", "127.0.0.1:8000")
    mail_dir = setting("MAIL_DIR", "var/mail")
    base = f"http://{address}"
    os.makedirs(os.path.join(ROOT, "var"), exist_ok=True)
    check_broker(amqp_uri)
    if setting("DATABASE", "sqlite") == "postgresql":
        use_postgresql(setting("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"))
    prepare_bus(amqp_uri)
    use_sample_seal()
    administrator = first_administrator()
    console = f"http://{setting('BACKOFFICE_ADDRESS', '127.0.0.1:8001')}"

    processes = Processes()
    stopping = threading.Event()

    def request_stop(*_):
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        if setting("SMTP_SINK", "on") != "off":
            processes.start("smtp", [sys.executable, "-m", "tools.smtp_sink", "--port", setting("SMTP_PORT", "8025"),
                                     "--directory", mail_dir])
        nameko = os.path.join(os.path.dirname(sys.executable), "nameko")
        replicas = int(setting("REPLICAS", "1"))
        for service, path in SERVICES.items():
            for replica in range(1, replicas + 1):
                name = service if replicas == 1 else f"{service}-{replica}"
                workers = {"MAX_WORKERS": MAX_WORKERS[service]} if service in MAX_WORKERS and \
                    not os.environ.get("MAX_WORKERS") else {}
                processes.start(name, [nameko, "run", "--config", CONFIG, path], service in BACKGROUND, **workers)
        if not wait_until_ready(base, processes):
            print(f"The services did not start (exited: {processes.exited()}); see the log above.", file=sys.stderr)
            return 1
        event_id = load_sample_data(amqp_uri)
        print(banner(base, event_id, mail_dir, console, administrator), flush=True)
        while not stopping.wait(0.5):
            if not processes.restart_exited():
                print(f"Processes keep stopping on their own: {processes.exited()}; stopping the rest.",
                      file=sys.stderr)
                return 1
        return 0
    finally:
        print("Stopping…", flush=True)
        processes.stop()
        print("Stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
