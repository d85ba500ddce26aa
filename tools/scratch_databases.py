"""PostgreSQL databases made for one test or benchmark run, one per service, dropped afterwards."""
import contextlib
import os
import secrets
from collections.abc import Mapping

import psycopg2

ADMIN = os.environ.get("TEST_POSTGRES_ADMIN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
SERVICES = ("members", "registrations", "notifications", "documents", "backoffice", "payments")


class ScratchDatabases(Mapping):
    """``{service: URL}`` of databases named ``<prefix>_<random>_<service>``, each made when its
    URL is first asked for: a test of one service makes one database, not six (a CREATE
    DATABASE takes a good part of a second, which was most of the PostgreSQL test run)."""

    def __init__(self, prefix):
        self.name = f"{prefix}_{secrets.token_hex(5)}"
        self.made = []

    def __getitem__(self, service):
        if service not in SERVICES:
            raise KeyError(service)
        if service not in self.made:
            with admin() as cursor:
                cursor.execute(f'CREATE DATABASE "{self.name}_{service}"')
            self.made.append(service)
        return f"postgresql://postgres@127.0.0.1:5432/{self.name}_{service}"

    def __iter__(self):
        return iter(SERVICES)

    def __len__(self):
        return len(SERVICES)

    def drop(self):
        with admin() as cursor:  # a connection of its own: the server may have restarted meanwhile
            for service in self.made:
                cursor.execute(f'DROP DATABASE IF EXISTS "{self.name}_{service}" WITH (FORCE)')


@contextlib.contextmanager
def scratch_databases(prefix):
    """The databases of one test or benchmark run (``ScratchDatabases``), dropped afterwards."""
    databases = ScratchDatabases(prefix)
    try:
        yield databases
    finally:
        databases.drop()


@contextlib.contextmanager
def admin():
    """A cursor on the server's own database, in autocommit, for CREATE and DROP."""
    connection = psycopg2.connect(ADMIN)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()
