"""PostgreSQL databases for a benchmark's system, created and dropped around it."""
import contextlib
import os
import secrets

import psycopg2

ADMIN = os.environ.get("BENCH_POSTGRES_ADMIN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
SERVICES = ("members", "registrations", "notifications", "documents")


@contextlib.contextmanager
def databases():
    prefix = f"bench_{secrets.token_hex(4)}"
    admin = psycopg2.connect(ADMIN)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            for name in SERVICES:
                cursor.execute(f'CREATE DATABASE "{prefix}_{name}"')
        yield {name: f"postgresql://postgres@127.0.0.1:5432/{prefix}_{name}" for name in SERVICES}
    finally:
        with admin.cursor() as cursor:
            for name in SERVICES:
                cursor.execute(f'DROP DATABASE IF EXISTS "{prefix}_{name}" WITH (FORCE)')
        admin.close()
