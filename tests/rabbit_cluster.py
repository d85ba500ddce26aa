"""A three-node RabbitMQ cluster of the test's own, each node a "host": a network namespace.

Each node runs ``rabbitmq-server`` in a namespace of its own (``ip netns``), joined to a bridge
in this machine's namespace by a veth pair, with an address of a private /24 that no interface
here uses yet (10.231.N.0/24; the bridge takes .1, the nodes .11, .12, .13). A node has its own
name (``rabbit@10.231.N.11``, long names), its own data and log folders under a temporary
folder, and the cluster's shared Erlang cookie; it reads none of the machine's RabbitMQ
configuration, so the machine's own node (127.0.0.1:5672) is never touched. Nodes 2 and 3
join node 1 (``rabbitmqctl join_cluster``).

``kill(n)`` is a power cut: SIGKILL to every process of that namespace (the Erlang VM, its
epmd); ``start(n)`` brings the node back with its data, and it rejoins by itself.
``close()`` removes everything (processes, namespaces, links, bridge, folders), also after a
failure; a run that died without it is cleaned by the next (``sweep``).
"""
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time

# The scripts themselves: the Debian wrappers in /usr/sbin switch to the rabbitmq user through
# su, which drops this test's environment (and cannot write its root-owned folders).
BIN = "/usr/lib/rabbitmq/bin"
PREFIX = "smopkrq"  # namespaces, links and bridge of these tests are named so


def _run(*command, check=True, **kwargs):
    return subprocess.run(list(command), check=check, capture_output=True, text=True, **kwargs)


def sweep():
    """Remove what an earlier run left behind (killed before it cleaned up)."""
    for line in _run("ip", "netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(PREFIX):
            _kill_namespace(name)
            _run("ip", "netns", "del", name, check=False)
    for line in _run("ip", "-o", "link", "show", check=False).stdout.splitlines():
        link = line.split(":")[1].strip().split("@")[0]
        if re.fullmatch(r"smop[0-9a-f]{4}(b|h\d)", link):
            _run("ip", "link", "del", link, check=False)


def _kill_namespace(namespace):
    pids = _run("ip", "netns", "pids", namespace, check=False).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    return len(pids)


def _free_subnet():
    used = _run("ip", "-4", "-o", "addr", "show").stdout + _run("ip", "-4", "route", "show").stdout
    for third in list(range(28, 250)) + list(range(2, 28)):
        if f"10.231.{third}." not in used:
            return f"10.231.{third}"
    raise RuntimeError("no free 10.231.N.0/24 on this machine")


class RabbitCluster:
    def __init__(self, size=3):
        self.size = size
        self.run_id = secrets.token_hex(2)
        self.root = tempfile.mkdtemp(prefix="smopk-rabbit-cluster-")
        self.subnet = _free_subnet()
        self.bridge = f"smop{self.run_id}b"  # at most 15 characters
        self.cookie = secrets.token_hex(16).upper()
        self.processes = {}
        self.made_namespaces = []
        self.other_hosts = []

    # names and addresses
    def namespace(self, n):
        return f"{PREFIX}{self.run_id}{n}"

    def address(self, n):
        return f"{self.subnet}.{10 + n}"

    def node_name(self, n):
        return f"rabbit@{self.address(n)}"

    def amqp_uri(self, order=None):
        """Every node, ``;``-separated, as the services are given it."""
        return ";".join(f"pyamqp://guest:guest@{self.address(n)}:5672/" for n in (order or range(1, self.size + 1)))

    # lifecycle
    def create(self):
        try:
            _run("ip", "link", "add", self.bridge, "type", "bridge")
            _run("ip", "addr", "add", f"{self.subnet}.1/24", "dev", self.bridge)
            _run("ip", "link", "set", self.bridge, "up")
            for n in range(1, self.size + 1):
                self._make_host(n)
                self._write_config(n)
            for n in range(1, self.size + 1):
                self.start(n, wait=False)
            for n in range(1, self.size + 1):
                self.wait_running(n)
            for n in range(2, self.size + 1):
                self.ctl(n, "stop_app")
                self.ctl(n, "join_cluster", self.node_name(1))
                self.ctl(n, "start_app")
            self.wait_running(1, members=self.size)
        except BaseException:
            self.close()
            raise
        return self

    def _make_host(self, n):
        namespace, host_end, inner_end = self.namespace(n), f"smop{self.run_id}h{n}", f"smop{self.run_id}n{n}"
        _run("ip", "netns", "add", namespace)
        self.made_namespaces.append(namespace)
        _run("ip", "link", "add", host_end, "type", "veth", "peer", "name", inner_end)
        _run("ip", "link", "set", host_end, "master", self.bridge)
        _run("ip", "link", "set", host_end, "up")
        _run("ip", "link", "set", inner_end, "netns", namespace)
        inside = ["ip", "netns", "exec", namespace]
        _run(*inside, "ip", "link", "set", "lo", "up")
        _run(*inside, "ip", "addr", "add", f"{self.address(n)}/24", "dev", inner_end)
        _run(*inside, "ip", "link", "set", inner_end, "up")

    def add_host(self, n):
        """One more namespace on the bridge, ``address(n)``, for what is not a broker node (an
        application host); ``n`` after the nodes'. Its processes go with the rest in ``close``."""
        self._make_host(n)
        self.other_hosts.append(n)
        return self.namespace(n)

    def link(self, n):
        """The name of host ``n``'s network interface inside its namespace."""
        return f"smop{self.run_id}n{n}"

    def folder(self, n):
        return os.path.join(self.root, f"node{n}")

    def _write_config(self, n):
        folder = self.folder(n)
        os.makedirs(os.path.join(folder, "mnesia"))
        os.makedirs(os.path.join(folder, "log"))
        with open(os.path.join(folder, ".erlang.cookie"), "w") as cookie:
            cookie.write(self.cookie)
        os.chmod(os.path.join(folder, ".erlang.cookie"), 0o400)
        with open(os.path.join(folder, "rabbitmq.conf"), "w") as conf:
            conf.write("listeners.tcp.default = 5672\n"
                       "loopback_users = none\n"  # guest from the bridge: only inside this test
                       "cluster_partition_handling = pause_minority\n")
        with open(os.path.join(folder, "enabled_plugins"), "w") as plugins:
            plugins.write("[].\n")
        open(os.path.join(folder, "rabbitmq-env.conf"), "w").close()  # not the machine's own

    def env(self, n):
        folder = self.folder(n)
        keep = {key: value for key, value in os.environ.items() if not key.startswith(("RABBITMQ_", "ERL_"))}
        return dict(keep, HOME=folder, RABBITMQ_NODENAME=self.node_name(n), RABBITMQ_USE_LONGNAME="true",
                    RABBITMQ_CONF_ENV_FILE=os.path.join(folder, "rabbitmq-env.conf"),
                    RABBITMQ_CONFIG_FILE=os.path.join(folder, "rabbitmq.conf"),
                    RABBITMQ_ADVANCED_CONFIG_FILE=os.path.join(folder, "advanced.config"),
                    RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(folder, "enabled_plugins"),
                    RABBITMQ_MNESIA_BASE=os.path.join(folder, "mnesia"),
                    RABBITMQ_LOG_BASE=os.path.join(folder, "log"),
                    RABBITMQ_PID_FILE=os.path.join(folder, "rabbit.pid"))

    def start(self, n, wait=True):
        log = open(os.path.join(self.folder(n), "server.out"), "ab")
        self.processes[n] = subprocess.Popen(["ip", "netns", "exec", self.namespace(n), f"{BIN}/rabbitmq-server"],
                                             env=self.env(n), cwd=self.folder(n), stdout=log,
                                             stderr=subprocess.STDOUT)
        log.close()
        if wait:
            self.wait_running(n)

    def ctl(self, n, *args, timeout=120):
        command = ["ip", "netns", "exec", self.namespace(n), f"{BIN}/rabbitmqctl", "-n", self.node_name(n), *args]
        answer = subprocess.run(command, env=self.env(n), cwd=self.folder(n), capture_output=True, text=True,
                                timeout=timeout)
        if answer.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} on node {n}: {answer.stdout}{answer.stderr}")
        return answer.stdout

    def wait_running(self, n, members=None, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            process = self.processes.get(n)
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"node {n} exited:\n{self.server_output(n)[-3000:]}")
            try:
                self.ctl(n, "await_startup", "--timeout", "5", timeout=30)
                if members is None or self.running_nodes(n) >= members:
                    return
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"node {n} did not start in {timeout} s:\n{self.server_output(n)[-3000:]}")
            time.sleep(1)

    def running_nodes(self, n):
        import json

        status = json.loads(self.ctl(n, "cluster_status", "--formatter", "json"))
        return len(status.get("running_nodes", []))

    def server_output(self, n):
        try:
            with open(os.path.join(self.folder(n), "server.out"), errors="replace") as out:
                return out.read()
        except OSError:
            return ""

    def kill(self, n):
        """A power cut of node ``n``: SIGKILL to every process in its namespace."""
        killed = _kill_namespace(self.namespace(n))
        process = self.processes.pop(n, None)
        if process is not None:
            process.wait(30)
        return killed

    def close(self):
        deadline = time.monotonic() + 15
        while any(_kill_namespace(namespace) for namespace in self.made_namespaces):  # a node still starting
            if time.monotonic() > deadline:  # forks more (epmd): kill until none is left
                break
            time.sleep(0.2)
        for process in self.processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
        for namespace in self.made_namespaces:
            _run("ip", "netns", "del", namespace, check=False)  # its veth end goes, and with it the pair
        for n in [*range(1, self.size + 1), *self.other_hosts]:
            _run("ip", "link", "del", f"smop{self.run_id}h{n}", check=False)  # had it not gone yet
        self.made_namespaces.clear()
        _run("ip", "link", "del", self.bridge, check=False)
        shutil.rmtree(self.root, ignore_errors=True)
