"""Faults of our own choosing: a database taken away, a broker restarted, an SMTP server hung.

Each one puts back what it took, also when the test fails inside it.
"""
import os
import signal
import sqlite3
import subprocess
import time
from contextlib import contextmanager

from sqlalchemy.engine import make_url

from tools.scratch_databases import admin as postgres_admin


@contextmanager
def database_away(url):
    """The database at ``url`` unusable inside the block. A SQLite file is held by another
    writer; a PostgreSQL database refuses new connections and its sessions are ended."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        holder = sqlite3.connect(parsed.database, timeout=0, isolation_level=None)
        deadline = time.monotonic() + 30
        while True:  # never SQLite's own busy wait: it would stop this process's green threads
            try:
                holder.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    with postgres_admin() as admin:
        admin.execute(f'ALTER DATABASE "{parsed.database}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                      (parsed.database,))
    try:
        yield
    finally:
        with postgres_admin() as admin:
            admin.execute(f'ALTER DATABASE "{parsed.database}" ALLOW_CONNECTIONS true')


def postgres_restart(down_seconds):
    """Stop the local PostgreSQL server, wait, start it again, and wait until it answers."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]
    try:
        subprocess.run(command + ["stop", "-m", "fast"], check=True, capture_output=True)
        time.sleep(down_seconds)
    finally:
        subprocess.run(command + ["start"], check=True, capture_output=True)
    _wait(lambda: subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0, "PostgreSQL")


def broker_restart():
    """Restart RabbitMQ's application (the node stays): every connection drops, durable queues stay."""
    try:
        subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
    finally:
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
    _wait(lambda: subprocess.run(["rabbitmq-diagnostics", "-q", "check_port_connectivity"],
                                 capture_output=True).returncode == 0, "RabbitMQ")


@contextmanager
def hung(process):
    """A process stopped (SIGSTOP) inside the block: its port accepts connections, nothing answers."""
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.pid, signal.SIGCONT)


def _wait(condition, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not come back in {timeout} s")
        time.sleep(0.5)
