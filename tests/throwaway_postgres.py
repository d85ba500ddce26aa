"""A PostgreSQL 15 cluster of a test's own, for what the shared server at 127.0.0.1:5432 must not
be put through: a base backup with a WAL archive, its data directory destroyed and restored.

Made with the server's own programs (initdb, pg_ctl) in a folder under /tmp on a port of its own
with its socket in that folder; WAL is archived by ``archive_command`` into ``archive``. Run as
root, the server runs as the ``postgres`` user (PostgreSQL refuses root). ``remove()`` stops it
and deletes the folder.
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
    def __init__(self, host="127.0.0.1", clients=None, settings=None):
        """``host``: the address it listens on besides 127.0.0.1 (and that ``url`` names);
        ``clients``: a network (CIDR) whose clients it trusts besides this machine's own;
        ``settings``: more lines of postgresql.conf."""
        self.host, self.clients, self.settings = host, clients, dict(settings or {})
        self.root = tempfile.mkdtemp(prefix="smopk-pg-")
        self.data = os.path.join(self.root, "data")
        self.archive = os.path.join(self.root, "wal-archive")
        self.log = os.path.join(self.root, "server.log")
        self.port = free_port()
        os.makedirs(self.archive)
        if os.geteuid() == 0:
            server_user = pwd.getpwnam("postgres")
            for path in (self.root, self.archive):
                os.chown(path, server_user.pw_uid, server_user.pw_gid)
        self._as_server(f"{BIN}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync",
                        "-E", "UTF8", "--locale=C.UTF-8")
        self._configure()

    def _as_server(self, *command):
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
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

    def _configure(self):
        """Settings in postgresql.conf: they travel in the base backup to the restored cluster."""
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write(f"""
port = {self.port}
listen_addresses = '{",".join(dict.fromkeys(("127.0.0.1", self.host)))}'
unix_socket_directories = '{self.root}'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f {self.archive}/%f && cp %p {self.archive}/%f'
max_wal_senders = 4
max_connections = 120
fsync = off
""")
            conf.writelines(f"{name} = {value}\n" for name, value in self.settings.items())
        if self.clients:
            with open(os.path.join(self.data, "pg_hba.conf"), "a") as hba:
                hba.write(f"host all all {self.clients} trust\n")

    def start(self):
        self._as_server(f"{BIN}/pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start")
        return self

    def stop(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._as_server(f"{BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

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
