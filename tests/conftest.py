"""Shared fixtures: real RabbitMQ vhosts, real databases, a real SMTP server.

``TEST_DATABASE=postgresql`` runs the same suite with every service on the
local PostgreSQL, in databases made for each test and dropped after it.
"""
import eventlet

eventlet.monkey_patch()  # first, as `nameko run` does: the services expect green sockets and threads

import os  # noqa: E402

if os.environ.get("PYTEST_XDIST_WORKER"):
    # In a pytest-xdist worker, execnet's thread (real: started before the patch above) puts the
    # tests to run in a queue that this thread waits on: its lock and event must be real ones too,
    # or the first wait never wakes (pytest-dev/pytest-xdist#71).
    from execnet.gateway_base import MainThreadOnlyExecModel

    _threading = eventlet.patcher.original("threading")
    MainThreadOnlyExecModel.Lock = MainThreadOnlyExecModel.RLock = lambda self: _threading.RLock()
    MainThreadOnlyExecModel.Event = lambda self: _threading.Event()

import email  # noqa: E402
import email.policy  # noqa: E402
import fcntl  # noqa: E402
import glob  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from urllib.parse import urljoin  # noqa: E402

import pytest  # noqa: E402
import requests  # noqa: E402
import yaml  # noqa: E402
from nameko.cli.main import setup_yaml_parser  # noqa: E402

from tools.ports import free_port  # noqa: E402
from tools.scratch_databases import scratch_databases  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICE_NAMES = ("members", "registrations", "notifications", "documents", "payments")
DATABASE_NAMES = SERVICE_NAMES + ("backoffice",)
DATABASE = os.environ.get("TEST_DATABASE", "sqlite")


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL pass runs the tests a database is part of. Those without one, and the
    browser's walks through the pages, run once, in the SQLite pass. The cluster tests (marked
    ``cluster``: they build their own RabbitMQ cluster) run only when asked for, by
    ``make test-cluster`` (``-m cluster``)."""
    if "cluster" not in (config.getoption("markexpr", "") or ""):
        clustered = [item for item in items if item.get_closest_marker("cluster") is not None]
        if clustered:
            config.hook.pytest_deselected(items=clustered)
            items[:] = [item for item in items if item.get_closest_marker("cluster") is None]
    if DATABASE != "postgresql":
        return
    kept, left = [], []
    for item in items:
        once = "database_urls" not in item.fixturenames or item.get_closest_marker("browser") is not None
        (left if once else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


# `make test` runs two tests at a time (pytest-xdist); each has its own vhost, databases, ports
# (tools.ports) and folders. A test marked `alone` restarts a server the others use (RabbitMQ,
# PostgreSQL), so it runs while no other test does: every test holds a shared lock on a file of
# the run while it is set up, runs and is torn down, an `alone` one holds it exclusively. A
# second file, the gate, lets the `alone` one in next: once it waits, no other test starts.
LOCKS = pytest.StashKey[str]()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """(xdist's controller, for each worker) The folder of this run's lock files."""
    if LOCKS not in node.config.stash:
        node.config.stash[LOCKS] = tempfile.mkdtemp(prefix="smopk-test-locks-")
    node.workerinput["test_locks"] = node.config.stash[LOCKS]


def pytest_unconfigure(config):
    if LOCKS in config.stash:
        shutil.rmtree(config.stash[LOCKS], ignore_errors=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    folder = getattr(item.config, "workerinput", {}).get("test_locks")
    if folder is None:  # not an xdist worker: one test at a time anyway
        return (yield)
    alone = item.get_closest_marker("alone") is not None
    with open(os.path.join(folder, "gate"), "a") as gate, open(os.path.join(folder, "tests"), "a") as tests:
        fcntl.flock(gate, fcntl.LOCK_EX)  # a real wait: the whole worker stops, its green threads too
        fcntl.flock(tests, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        if not alone:
            fcntl.flock(gate, fcntl.LOCK_UN)
        return (yield)  # closing the files lets go of the locks


@pytest.fixture
def web_config(empty_config):
    """nameko's fixture, with a port that no outgoing connection can take meanwhile."""
    return dict(empty_config, WEB_SERVER_ADDRESS=f"127.0.0.1:{free_port()}")


def wait_for(condition, timeout=20.0, interval=0.05, message="condition"):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


@pytest.fixture
def database_urls(tmp_path):
    """One database per service: SQLite files, or fresh PostgreSQL databases."""
    if DATABASE == "sqlite":
        yield {name: f"sqlite:///{tmp_path}/{name}.sqlite" for name in DATABASE_NAMES}
        return
    with scratch_databases("test") as urls:
        yield urls


class SmtpSink:
    """The project's own SMTP sink (aiosmtpd) in a process of its own."""

    def __init__(self, directory, port=None, reject=(), options=(), host="127.0.0.1"):
        self.directory = str(directory)
        self.host = host
        self.port = port or free_port()
        self.reject = reject
        self.options = list(options)
        self.process = None

    def start(self):
        command = [sys.executable, "-m", "tools.smtp_sink", "--host", self.host, "--port", str(self.port),
                   "--directory", self.directory]
        for address in self.reject:
            command += ["--reject", address]
        command += self.options
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
        wait_for(self._answers, message=f"the SMTP sink on port {self.port}")

    def _answers(self):
        try:
            socket.create_connection((self.host, self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def messages(self):
        found = []
        for path in sorted(glob.glob(os.path.join(self.directory, "*.eml"))):
            with open(path, "rb") as eml:
                found.append(email.message_from_bytes(eml.read(), policy=email.policy.default))
        return found

    def connections(self):
        """How many connections brought the messages kept (``connections.log``)."""
        try:
            with open(os.path.join(self.directory, "connections.log")) as log:
                return len({line.split()[0] for line in log if line.strip()})
        except FileNotFoundError:
            return 0

    def wait_for_messages(self, count, timeout=30.0):
        return wait_for(lambda: len(self.messages()) >= count and self.messages(), timeout=timeout,
                        message=f"{count} message(s) in the SMTP sink")


@pytest.fixture
def smtp_sink(tmp_path):
    sink = SmtpSink(tmp_path / "mail")
    sink.start()
    yield sink
    sink.stop()


def load_config():
    """deploy/config.yaml read as `nameko run` reads it."""
    setup_yaml_parser()
    with open(os.path.join(ROOT, "deploy", "config.yaml")) as config_file:
        return yaml.safe_load(config_file)


@pytest.fixture
def runner_factory(runner_factory, request):
    """nameko's runner factory, on a bus declared first as `make run` and the Kubernetes Job do
    (``tools.topology``): an event with several consumers (registration_confirmed goes to
    notifications and payments) reaches each, however the services' starts interleave."""
    def make(config, *services):
        if request.node.get_closest_marker("bare_bus") is None:
            from tools import topology

            topology.declare(config["AMQP_URI"])
        return runner_factory(config, *services)
    return make


@pytest.fixture
def service_config(rabbit_config, web_config, database_urls, smtp_sink, tmp_path):
    """The real configuration, pointed at this test's vhost, databases, port and SMTP sink."""
    config = load_config()
    config.pop("LOGGING")
    config.update(
        AMQP_URI=rabbit_config["AMQP_URI"],
        WEB_SERVER_ADDRESS=web_config["WEB_SERVER_ADDRESS"],
        DATABASES=dict(database_urls),  # every service runs: every database is made
        TICKET_SIGNING_KEY="test-signing-key",
        MAIL_RETRY_DELAYS=[1, 1, 2],
        PUBLIC_BASE_URL=f"http://{web_config['WEB_SERVER_ADDRESS']}",
        OUTBOX_POLL_SECONDS=0.2,
        RATE_LIMITS=False,  # many registrations from one address; the limits' own tests turn them on
        # Nothing listens there: no test asks the real ARES; those that need it start tests.ares_standin.
        ARES_URL="http://127.0.0.1:9/ekonomicke-subjekty-v-be/rest/",
    )
    config["SMTP"] = dict(config["SMTP"], PORT=smtp_sink.port)
    return config


@pytest.fixture
def web_session(web_config_port):
    """nameko's fixture, without ``werkzeug.urls.url_join`` (gone in Werkzeug 3)."""

    class WebSession(requests.Session):
        def request(self, method, url, *args, **kwargs):
            return super().request(method, urljoin(f"http://127.0.0.1:{web_config_port}/", url), *args, **kwargs)

    with WebSession() as session:
        yield session


@pytest.fixture
def make_database(database_urls):
    """A service's own database with its schema, for unit tests without a broker."""
    from services.common.db import Database

    made = []

    def make(service, metadata):
        database = Database(database_urls[service], metadata)
        database.create_schema()
        made.append(database)
        return database

    yield make
    for database in made:
        database.dispose()


class RecordingOutbox:
    """The real outbox writer, without the relay: what a use case recorded can be read back."""

    def __init__(self, table):
        from services.common.outbox import Outbox

        self.table = table
        self.writer = Outbox(table, wake=lambda: None)

    def add(self, session, event_type, payload):
        return self.writer.add(session, event_type, payload)

    def add_many(self, session, events):
        return self.writer.add_many(session, events)

    def events(self, database):
        from sqlalchemy import select

        with database.transaction() as session:
            rows = session.execute(select(self.table.c.event_type, self.table.c.payload).order_by(self.table.c.id))
            return [(row.event_type, row.payload) for row in rows]


class ServiceProcess:
    """One `nameko run` process of a service, configured like ``service_config``."""

    PATHS = {
        "members": "services.members.service:MembersService",
        "registrations": "services.registrations.service:RegistrationsService",
        "notifications": "services.notifications.service:NotificationsService",
        "documents": "services.documents.service:DocumentsService",
        "backoffice": "services.backoffice.service:BackofficeService",
        "payments": "services.payments.service:PaymentsService",
    }

    def __init__(self, service, config, **env):
        self.service = service
        self.port = free_port()
        self.env = dict(
            os.environ, AMQP_URI=config["AMQP_URI"], WEB_SERVER_ADDRESS=f"127.0.0.1:{self.port}",
            TICKET_SIGNING_KEY="test-signing-key", PUBLIC_BASE_URL="http://test.example", PYTHONWARNINGS="ignore",
            LOG_LEVEL="WARNING", OUTBOX_POLL_SECONDS="0.2", SMTP_PORT=str(config["SMTP"]["PORT"]), RATE_LIMITS="false",
            MAIL_RETRY_DELAYS=json.dumps(config["MAIL_RETRY_DELAYS"]),
            **{f"{name.upper()}_DATABASE_URL": url for name, url in config["DATABASES"].items()})
        self.env.update(env)  # the caller's settings win
        self.rpc_consumers = self._rpc_consumers() + 1  # this process's consumer makes one more
        self.log = tempfile.NamedTemporaryFile(prefix=f"{service}-", suffix=".log", delete=False)
        self._start()

    def _start(self):
        nameko = os.path.join(os.path.dirname(sys.executable), "nameko")
        self.process = subprocess.Popen([nameko, "run", "--config", "deploy/config.yaml", self.PATHS[self.service]],
                                        cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)

    def kill_and_restart(self):
        """SIGKILL, then start again on the same port, as a supervisor would."""
        self.process.kill()
        self.process.wait()
        self.restart()

    def restart(self):
        """Start the process again after it ended (same port, same log)."""
        self.process.wait()
        wait_for(lambda: self._rpc_consumers() == 0, timeout=30, message=f"the dead {self.service}'s consumer gone")
        self.rpc_consumers = 1
        self._start()

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def _rpc_consumers(self):
        from kombu import Connection

        with Connection(self.env["AMQP_URI"]) as connection:
            try:
                return connection.channel().queue_declare(f"rpc-{self.service}", passive=True).consumer_count
            except Exception:  # not declared yet
                return 0

    def wait_healthy(self):
        """Until it answers HTTP (registrations) and consumes its RPC queue."""
        def healthy():
            assert self.process.poll() is None, "the service process exited:\n" + self.output()[-3000:]
            if self.service == "registrations":
                try:
                    if requests.get(f"{self.base}/health", timeout=1).status_code != 200:
                        return False
                except requests.ConnectionError:
                    return False
            return self._rpc_consumers() >= self.rpc_consumers
        wait_for(healthy, timeout=60, interval=0.2, message=f"the {self.service} process")
        return self

    def output(self):
        with open(self.log.name, errors="replace") as log:
            return log.read()

    def stop(self, signum=15):
        self.log.close()
        if os.path.exists(self.log.name):
            os.unlink(self.log.name)
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def service_processes(service_config):
    """Start `nameko run` processes; all are killed after the test."""
    from services.common.db import Database
    from services.registrations import store
    from tools import topology

    Database(service_config["DATABASES"]["registrations"], store.metadata).create_schema("registrations")
    topology.declare(service_config["AMQP_URI"])  # as `make run` does before any service starts
    started = []

    def start(service, **env):
        process = ServiceProcess(service, service_config, **env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop(9)
