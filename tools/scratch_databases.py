"""PostgreSQL databases made for one test or benchmark run, one per service, dropped afterwards."""
import contextlib
import os
import secrets

import psycopg2

ADMIN = os.environ.get("TEST_POSTGRES_ADMIN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
SERVICES = ("members", "registrations", "notifications", "documents", "backoffice", "payments")


@contextlib.contextmanager
def scratch_databases(prefix):
    """``{service: URL}`` of fresh databases named ``<prefix>_<random>_<service>``."""
    name = f"{prefix}_{secrets.token_hex(5)}"
    with admin() as cursor:
        for service in SERVICES:
            cursor.execute(f'CREATE DATABASE "{name}_{service}"')
    try:
        yield {service: f"postgresql://postgres@127.0.0.1:5432/{name}_{service}" for service in SERVICES}
    finally:
        with admin() as cursor:  # a connection of its own: the server may have restarted meanwhile
            for service in SERVICES:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}_{service}" WITH (FORCE)')


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
