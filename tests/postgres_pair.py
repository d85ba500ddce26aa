"""A PostgreSQL 15 primary and its synchronous streaming standby, each on a "host" of its own.

Each server runs in a network namespace (``ip netns``) joined to a bridge in this machine's
namespace by a veth pair, on an address of a private /24 no interface here uses yet (the
helpers of ``tests.rabbit_cluster``: the bridge takes .1, the primary .11, the standby .12),
port 5432 of its own namespace: the machine's own PostgreSQL (127.0.0.1:5432) is never touched.
The clusters are ``tests.throwaway_postgres`` ones: the primary made by initdb, the standby by
``pg_basebackup -R`` from it. The primary waits for the standby at every commit
(``synchronous_standby_names = '*'``, ``synchronous_commit = on``): a commit it acknowledged
is on both. The standby's own configuration names no synchronous standby, so once promoted it
goes on alone (as Patroni does with ``synchronous_mode`` and ``synchronous_mode_strict`` off)
instead of waiting for a standby that is not there.

``url(database)`` is what the services are given: both hosts and
``target_session_attrs=read-write``, so a connection goes to whichever is the primary.
``kill_primary()`` is a power cut of the primary's server (SIGKILL to every process of its
namespace); ``promote()`` is the operator's (or the failover manager's) ``pg_ctl promote``.
``close()`` removes everything (processes, namespaces, links, bridge, folders), also after a
failure; what a run killed before it cleaned up left behind is removed by the next (``sweep``).
"""
import os
import re
import secrets
import shutil
import time

from tests.rabbit_cluster import _free_subnet, _kill_namespace, _run
from tests.throwaway_postgres import ThrowawayCluster

PREFIX = "smopkpg"  # namespaces of these tests: smopkpg-<pid of the test>-<run id>-<host>
PORT = 5432
SYNCHRONOUS = "synchronous_standby_names = '*'\nsynchronous_commit = on\nwal_sender_timeout = 5s\n"
ALONE = "synchronous_standby_names = ''\nhot_standby = on\n"


def sweep():
    """Remove the namespaces and bridges of earlier runs whose test process is gone."""
    for line in _run("ip", "netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        parts = name.split("-")
        if parts[0] != PREFIX or len(parts) != 4 or _alive(parts[1]):
            continue
        folders = {_data_folder(pid) for pid in _run("ip", "netns", "pids", name, check=False).stdout.split()}
        _kill_namespace(name)
        _run("ip", "netns", "del", name, check=False)
        for link in ("b", "h1", "h2"):
            _run("ip", "link", "del", f"smpg{parts[2]}{link}", check=False)
        for folder in folders - {None}:
            shutil.rmtree(folder, ignore_errors=True)


def _data_folder(pid):
    """The throwaway cluster's folder of a server process (``postgres -D /tmp/smopk-pg-…/data``)."""
    try:
        with open(f"/proc/{pid}/cmdline") as cmdline:
            arguments = cmdline.read().split("\0")
    except OSError:
        return None
    for argument in arguments:
        if re.fullmatch(r"/tmp/smopk-pg-[^/]+/data", argument):
            return os.path.dirname(argument)
    return None


def _alive(pid):
    try:
        os.kill(int(pid), 0)
        return True
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True


class PostgresPair:
    HOSTS = {"primary": 1, "standby": 2}

    def __init__(self):
        self.run_id = secrets.token_hex(2)
        self.subnet = _free_subnet()
        self.bridge = f"smpg{self.run_id}b"  # at most 15 characters
        self.made_namespaces = []
        self.primary = self.standby = None
        self.databases = []

    def namespace(self, n):
        return f"{PREFIX}-{os.getpid()}-{self.run_id}-{n}"

    def address(self, n):
        return f"{self.subnet}.{10 + n}"

    def url(self, database):
        """Both hosts, the primary first; libpq takes the first that accepts writes."""
        hosts = "&".join(f"host={self.address(n)}:{PORT}" for n in (1, 2))
        return f"postgresql://postgres@/{database}?{hosts}&target_session_attrs=read-write&connect_timeout=3"

    def create(self, databases=()):
        try:
            _run("ip", "link", "add", self.bridge, "type", "bridge")
            _run("ip", "addr", "add", f"{self.subnet}.1/24", "dev", self.bridge)
            _run("ip", "link", "set", self.bridge, "up")
            for n in (1, 2):
                self._make_host(n)
            self.primary = ThrowawayCluster(host=self.address(1), port=PORT, namespace=self.namespace(1)).start()
            for name in databases:
                self.primary.execute("postgres", f'CREATE DATABASE "{name}"')
            self.databases = list(databases)
            self.standby = ThrowawayCluster.standby_of(self.primary, host=self.address(2), port=PORT,
                                                       namespace=self.namespace(2), extra_settings=ALONE).start()
            # Only now that a standby streams: a synchronous primary alone waits at every commit.
            with open(os.path.join(self.primary.data, "postgresql.conf"), "a") as conf:
                conf.write(SYNCHRONOUS)
            self.primary.execute("postgres", "SELECT pg_reload_conf()")
            self.wait_synchronous()
        except BaseException:
            self.close()
            raise
        return self

    def _make_host(self, n):
        namespace, host_end, inner_end = self.namespace(n), f"smpg{self.run_id}h{n}", f"smpg{self.run_id}n{n}"
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

    def replication(self):
        """(application name, state, sync_state) of each standby the primary streams to."""
        return self.primary.execute("postgres", "SELECT application_name, state, sync_state FROM pg_stat_replication")

    def wait_synchronous(self, timeout=60):
        deadline = time.monotonic() + timeout
        while not any(state == "streaming" and sync == "sync" for _, state, sync in self.replication()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the standby is not synchronous: {self.replication()}\n"
                                   f"{self.standby.server_log()}")
            time.sleep(0.2)

    def in_recovery(self, cluster):
        [(recovering,)] = cluster.execute("postgres", "SELECT pg_is_in_recovery()")
        return recovering

    def kill_primary(self):
        """A power cut of the primary's server: SIGKILL to every process of its namespace."""
        killed = _kill_namespace(self.namespace(1))
        deadline = time.monotonic() + 10
        while self.primary.postmaster_pid() is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        return killed

    def promote(self):
        """What the operator or the failover manager does: the standby becomes the primary."""
        self.standby.promote()

    def close(self):
        for namespace in self.made_namespaces:
            _kill_namespace(namespace)
        for cluster in (self.standby, self.primary):
            if cluster is not None:
                deadline = time.monotonic() + 10
                while cluster.postmaster_pid() is not None and time.monotonic() < deadline:
                    time.sleep(0.05)
                cluster.remove()
        for namespace in self.made_namespaces:
            _run("ip", "netns", "del", namespace, check=False)
        for n in (1, 2):
            _run("ip", "link", "del", f"smpg{self.run_id}h{n}", check=False)
        self.made_namespaces.clear()
        _run("ip", "link", "del", self.bridge, check=False)

