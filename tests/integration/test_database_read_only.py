"""A PostgreSQL server that stops taking writes while the services hold connections to it.

After a failover the old primary, if it comes back, comes back as a standby (Patroni demotes it)
or read-only; a connection a service pooled before still answers ``SELECT 1`` (the pool's
pre-ping) but refuses every write (SQLSTATE 25006). That refusal is an outage, not a bug: the
request answers 503 (never 500), the pool drops its connections to that server, and the next
connection goes to a server that takes writes (``target_session_attrs=read-write``). On a
cluster of the test's own (``tests.throwaway_postgres``), never the machine's shared server.
"""
import time

import psycopg2
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select
from sqlalchemy.exc import DBAPIError

from services.common.db import Database
from services.common.errors import ServiceUnavailable, outage
from tests.throwaway_postgres import ThrowawayCluster

metadata = MetaData()
numbers = Table("numbers", metadata, Column("n", Integer, primary_key=True))


@pytest.fixture
def cluster():
    made = ThrowawayCluster().start()
    try:
        made.execute("postgres", 'CREATE DATABASE "smopk_read_only"')
        yield made
    finally:
        made.remove()


def read_only(cluster, on):
    """The whole server takes writes or not (as a demoted primary), its open sessions too."""
    connection = psycopg2.connect(cluster.url("postgres"), options="-c default_transaction_read_only=off")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER SYSTEM SET default_transaction_read_only = {'on' if on else 'off'}")
        cursor.execute("SELECT pg_reload_conf()")
    connection.close()
    time.sleep(0.5)  # each backend applies the reload before its next statement


def write(database, n):
    with database.transaction() as connection:
        connection.execute(insert(numbers).values(n=n))


def test_a_server_that_stops_taking_writes_is_left_and_the_next_connection_finds_one_that_does(cluster):
    url = (f"postgresql://postgres@/smopk_read_only?host=127.0.0.1:{cluster.port}"
           "&target_session_attrs=read-write&connect_timeout=3")
    database = Database(url, metadata, pool_size=4)
    try:
        database.create_schema()
        write(database, 1)

        read_only(cluster, True)
        with pytest.raises(DBAPIError) as refused:
            write(database, 2)
        assert refused.value.orig.pgcode == "25006"
        assert refused.value.connection_invalidated  # dropped, not given to the next request
        assert isinstance(outage(refused.value), ServiceUnavailable)  # a 503 with Retry-After, not a 500

        with pytest.raises(DBAPIError) as no_primary:  # a new connection, refused as the server takes no writes
            write(database, 3)
        assert "session is read-only" in str(no_primary.value)
        assert isinstance(outage(no_primary.value), ServiceUnavailable)

        read_only(cluster, False)  # a primary again (in a failover: the other host of the URL)
        write(database, 4)
        with database.transaction() as connection:
            assert connection.execute(select(numbers.c.n).order_by(numbers.c.n)).scalars().all() == [1, 4]
    finally:
        database.dispose()
