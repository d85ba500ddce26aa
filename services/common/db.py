"""Each service's own database: SQLite files by default, PostgreSQL by URL.

One ``transaction()`` per use case. On SQLite, SQLAlchemy's documented recipe
is applied (pysqlite's own BEGIN handling off, ``BEGIN IMMEDIATE`` emitted) so
that a transaction takes the write lock at its start, and the transactions of
one process are serialised by a lock that yields to other green threads
instead of blocking the whole process in SQLite's busy wait.
"""
import os
import sqlite3
import threading
import time
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime

from nameko.extensions import DependencyProvider
from sqlalchemy import DateTime, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC everywhere."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, pool_size: int = 10):
    """An engine for ``url``; SQLite files get their folder and the locking recipe."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        # SQLAlchemy 2.1 would pick psycopg 3, which eventlet cannot make cooperative.
        parsed = parsed.set(drivername="postgresql+psycopg2")
    if parsed.get_backend_name() != "sqlite":
        # No pre-ping: it costs a round trip per transaction; a dropped connection is
        # found on use, and the pool then discards it and its siblings.
        return create_engine(parsed, pool_size=pool_size, max_overflow=pool_size)

    if parsed.database and parsed.database != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _use_wal(cursor, attempts=100):
    """Switch the file to write-ahead logging (it stays so). The switch takes a lock that
    SQLite does not wait for, so processes starting together try again shortly."""
    for _ in range(attempts):
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            time.sleep(0.05)
    raise RuntimeError("could not switch the SQLite database to WAL mode")


_AFTER_COMMIT = "after_commit"


def after_commit(connection, hook):
    """Call ``hook()`` once the transaction of ``connection`` (from ``Database.transaction``) has
    committed; never when it rolls back."""
    hooks = connection.info[_AFTER_COMMIT]
    if hook not in hooks:
        hooks.append(hook)


class Database:
    """An engine and a way to run one transaction on it."""

    def __init__(self, url: str, metadata, pool_size: int = 10):
        self.engine = make_engine(url, pool_size)
        self.metadata = metadata
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._write_lock = threading.RLock() if self.is_sqlite else None

    def create_schema(self, service=None):
        """Apply the service's migrations; replicas starting together take turns (a lock per
        database). Without a service name, create the tables straight from the models."""
        from . import migrations

        with self.engine.begin() as connection:
            if not self.is_sqlite:  # SQLite's BEGIN IMMEDIATE already serialises this
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7431)")
            if service is None:
                self.metadata.create_all(connection)
            else:
                migrations.upgrade(connection, service)

    @contextmanager
    def transaction(self):
        """A connection inside one transaction: committed on success, rolled back on error.
        A Core connection, not an ORM session: the services run Core statements only, and the
        session's bookkeeping cost a tenth of the registration path's time."""
        with self._write_lock or nullcontext():
            with self.engine.begin() as connection:
                hooks = connection.info[_AFTER_COMMIT] = []
                try:
                    yield connection
                finally:
                    if not connection.invalidated:  # a dropped connection's info is gone with it
                        connection.info.pop(_AFTER_COMMIT, None)
        for hook in hooks:
            hook()

    def dispose(self):
        self.engine.dispose()


class DatabaseProvider(DependencyProvider):
    """The service's own database, from ``DATABASES[<service name>]`` in the config."""

    def __init__(self, metadata):
        self.metadata = metadata

    def setup(self):
        config = self.container.config
        url = config["DATABASES"][self.container.service_name]
        workers = int(config.get("max_workers", 10))
        self.database = Database(url, self.metadata, pool_size=workers + 2)
        self.database.create_schema(self.container.service_name)

    def get_dependency(self, worker_ctx):
        return self.database

    def stop(self):
        self.database.dispose()

    def kill(self):
        self.database.dispose()
