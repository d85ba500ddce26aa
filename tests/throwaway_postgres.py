"""A PostgreSQL 15 cluster of a test's own, for what the shared server at 127.0.0.1:5432 must not
be put through: a base backup with a WAL archive, its data directory destroyed and restored.

Made with the server's own programs (initdb, pg_ctl) in a folder under /tmp on a port of its own
with its socket in that folder; WAL is archived by ``archive_command`` into ``archive``. Run as
root, the server runs as the ``postgres`` user (PostgreSQL refuses root). ``remove()`` stops it
and deletes the folder.

For a replicated pair (``tests.postgres_pair``) the cluster listens on an address of a network
namespace (``host``, ``namespace``: its server runs inside it), and ``standby_of`` makes a second
cluster from a primary's base backup (``pg_basebackup -R``: it starts as a streaming standby).
"""
import os
import pwd
import shutil
import subprocess
import tempfile
import time

import psycopg2

from tools.ports import free_port

BIN = "/usr/lib/postgresql/15/bin"


class ThrowawayCluster:
    def __init__(self, host="127.0.0.1", port=None, namespace=None, extra_settings="", primary=None, clients=None,
                 settings=None):
        """``host``: the address it listens on (besides 127.0.0.1 when it runs in this machine's own
        namespace) and that ``url`` names; ``clients``: a network (CIDR) whose clients it trusts
        besides this machine's own; ``settings``: more lines of postgresql.conf."""
        self.clients, self.settings = clients, dict(settings or {})
        self.root = tempfile.mkdtemp(prefix="smopk-pg-")
        self.data = os.path.join(self.root, "data")
        self.archive = os.path.join(self.root, "wal-archive")
        self.log = os.path.join(self.root, "server.log")
        self.host = host
        self.port = port or free_port()
        self.namespace = namespace
        os.makedirs(self.archive)
        if os.geteuid() == 0:
            server_user = pwd.getpwnam("postgres")
            for path in (self.root, self.archive):
                os.chown(path, server_user.pw_uid, server_user.pw_gid)
        if primary is None:
            self._as_server(f"{BIN}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync",
                            "-E", "UTF8", "--locale=C.UTF-8")
        else:  # a copy of the primary that follows it (standby.signal, primary_conninfo)
            self._as_server(f"{BIN}/pg_basebackup", "-h", primary.host, "-p", str(primary.port), "-U", "postgres",
                            "-D", self.data, "-R", "-X", "stream", "-c", "fast", "--no-sync")
        self._configure(extra_settings)

    @classmethod
    def standby_of(cls, primary, host, port=None, namespace=None, extra_settings=""):
        """A streaming standby of ``primary`` (running), from its base backup; not started."""
        return cls(host=host, port=port, namespace=namespace, extra_settings=extra_settings, primary=primary)

    def _as_server(self, *command):
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.namespace is not None:
            prefix = ["ip", "netns", "exec", self.namespace] + prefix
        done = subprocess.run(prefix + list(command), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stderr or done.stdout}\n{self.server_log()}")
        return done.stdout

    def server_log(self):
        try:
            with open(self.log) as log:
                return log.read()[-3000:]
        except OSError:
            return ""

    def _configure(self, extra_settings=""):
        """Settings in postgresql.conf: they travel in the base backup to the restored cluster (a
        standby's own, appended after its primary's, win)."""
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write(f"""
port = {self.port}
listen_addresses = '{self.host if self.namespace else ",".join(dict.fromkeys(("127.0.0.1", self.host)))}'
unix_socket_directories = '{self.root}'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f {self.archive}/%f && cp %p {self.archive}/%f'
max_wal_senders = 4
max_connections = 120
fsync = off
{extra_settings}
""")
            conf.writelines(f"{name} = {value}\n" for name, value in self.settings.items())
        with open(os.path.join(self.data, "pg_hba.conf"), "a") as hba:
            if self.host != "127.0.0.1":  # clients and the standby come over the namespaces' bridge
                subnet = self.host.rsplit(".", 1)[0] + ".0/24"
                hba.write(f"host all all {subnet} trust\nhost replication all {subnet} trust\n")
            if self.clients:
                hba.write(f"host all all {self.clients} trust\n")

    def start(self):
        self._as_server(f"{BIN}/pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start")
        return self

    def postmaster_pid(self):
        """The running postmaster's process id, or None."""
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as pid_file:
                pid = int(pid_file.readline())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def stop(self):
        if self.postmaster_pid() is not None:
            self._as_server(f"{BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def promote(self):
        """The standby becomes a primary (``pg_ctl promote``, waited for)."""
        self._as_server(f"{BIN}/pg_ctl", "-D", self.data, "-w", "-t", "60", "promote")

    def destroy_data(self):
        """The machine is lost: the server stops, its data directory is gone."""
        self.stop()
        shutil.rmtree(self.data)

    def remove(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database="postgres"):
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    def execute(self, database, statement, parameters=()):
        connection = psycopg2.connect(self.url(database))
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement, parameters)
                return cursor.fetchall() if cursor.description else None
        finally:
            connection.close()

    def create_databases(self, names):
        for name in names:
            self.execute("postgres", f'CREATE DATABASE "{name}"')
        return {name: self.url(name) for name in names}

    def archived(self, timeout=30):
        """Switch to a new WAL segment and wait until the one before it is in the archive."""
        [(segment,)] = self.execute("postgres", "SELECT pg_walfile_name(pg_switch_wal())")
        deadline = time.monotonic() + timeout
        while not os.path.exists(os.path.join(self.archive, segment)):
            if time.monotonic() > deadline:
                raise AssertionError(f"WAL segment {segment} not archived:\n{self.server_log()}")
            time.sleep(0.1)
        return segment
