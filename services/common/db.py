"""Each service's own database: SQLite files by default, PostgreSQL by URL.

One ``transaction()`` per use case. On SQLite, SQLAlchemy's documented recipe
is applied (pysqlite's own BEGIN handling off, ``BEGIN IMMEDIATE`` emitted) so
that a transaction takes the write lock at its start, and the transactions of
one process are serialised by a lock that yields to other green threads
instead of blocking the whole process in SQLite's busy wait.

When the database is away, a transaction fails soon and says so; it never
hangs a worker: on SQLite a file held by another writer is waited for at most
``lock_wait`` seconds (in short green sleeps, so the rest of the process runs
on), then ``OperationalError: database is locked``; on PostgreSQL each pooled
connection is pinged when taken from the pool, so after a server restart no
statement meets a dead connection, and a server that is down fails the connect.
With a primary and a standby, the URL names both hosts and
``target_session_attrs=read-write`` (``postgresql://u@/db?host=h1:5432&host=h2:5432&
target_session_attrs=read-write``): a connection goes to whichever takes writes, and one to a
server that stopped taking them is dropped at its first refused write.
``errors.outage`` turns both into ``ServiceUnavailable``: a 503 for HTTP, a
later try for an event handler.
"""
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from nameko.extensions import DependencyProvider
from sqlalchemy import Connection, DateTime, Dialect, Engine, MetaData, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.types import TypeDecorator

from services.common.errors import READ_ONLY_SQL_TRANSACTION
from services.common.settings import setting


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC everywhere."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


# SQLite's own busy wait blocks the whole process (the eventlet hub with it), so it is kept
# short and the wait for another writer is done in green sleeps around BEGIN IMMEDIATE.
SQLITE_BUSY_SECONDS = 0.05
SQLITE_LOCK_WAIT_SECONDS = 5.0
MAX_POOL = 20


def make_engine(url: str, pool_size: int = 10, lock_wait: float = SQLITE_LOCK_WAIT_SECONDS) -> Engine:
    """An engine for ``url``; SQLite files get their folder and the locking recipe."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        # SQLAlchemy 2.1 would pick psycopg 3, which eventlet cannot make cooperative.
        parsed = parsed.set(drivername="postgresql+psycopg2")
    if parsed.get_backend_name() != "sqlite":
        # Pre-ping: one round trip per transaction (about 0.1 ms here) buys that the first
        # statement after a server restart never meets a dead connection.
        engine = create_engine(parsed, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        event.listen(engine, "handle_error", _read_only_server_is_lost)
        return engine

    if parsed.database and parsed.database != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        _begin_immediate(connection.connection.driver_connection, lock_wait)

    return engine


def _read_only_server_is_lost(context: ExceptionContext) -> None:
    """A server that refuses writes (a primary demoted to a standby, or set read-only while our
    connections to it stay open) is no longer the primary: its connections are dropped like
    those of a server that went away, the whole pool with them, so that the next connection
    goes where ``target_session_attrs=read-write`` in a multi-host URL finds the primary now.
    A pre-ping cannot tell (``SELECT 1`` works on a standby); the first write does."""
    if getattr(context.original_exception, "pgcode", None) == READ_ONLY_SQL_TRANSACTION:
        context.is_disconnect = True


def _begin_immediate(dbapi_connection: Any, lock_wait: float) -> None:
    """Take SQLite's write lock, waiting for another writer at most ``lock_wait`` seconds."""
    deadline = time.monotonic() + lock_wait
    pause = 0.01
    while True:
        try:
            dbapi_connection.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)  # green under eventlet: the process goes on meanwhile
        pause = min(pause * 2, 0.2)


def _use_wal(cursor: sqlite3.Cursor, attempts: int = 100) -> None:
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


def after_commit(connection: Connection, hook: Callable[[], None]) -> None:
    """Call ``hook()`` once the transaction of ``connection`` (from ``Database.transaction``) has
    committed; never when it rolls back."""
    hooks = connection.info[_AFTER_COMMIT]
    if hook not in hooks:
        hooks.append(hook)


class Database:
    """An engine and a way to run one transaction on it."""

    def __init__(self, url: str, metadata: MetaData, pool_size: int = 10,
                 lock_wait: float = SQLITE_LOCK_WAIT_SECONDS) -> None:
        self.engine = make_engine(url, pool_size, lock_wait)
        self.metadata = metadata
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.statements = 0  # statements run, for /metrics and the benchmark's profile
        event.listen(self.engine, "before_cursor_execute", self._count)
        self.lock_wait = lock_wait
        self._write_lock = threading.RLock() if self.is_sqlite else None

    def _count(self, *_args: object) -> None:
        self.statements += 1

    def create_schema(self, service: str | None = None) -> None:
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
    def transaction(self) -> Iterator[Connection]:
        """A connection inside one transaction: committed on success, rolled back on error.
        A Core connection, not an ORM session: the services run Core statements only, and the
        session's bookkeeping cost a tenth of the registration path's time."""
        with self._turn():
            with self.engine.begin() as connection:
                hooks: list[Callable[[], None]] = []
                connection.info[_AFTER_COMMIT] = hooks
                try:
                    yield connection
                finally:
                    if not connection.invalidated:  # a dropped connection's info is gone with it
                        connection.info.pop(_AFTER_COMMIT, None)
        for hook in hooks:
            hook()

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """This process's turn at the SQLite file, waited for no longer than the file's lock."""
        if self._write_lock is None:
            yield
            return
        if not self._write_lock.acquire(timeout=self.lock_wait):
            raise sqlite3.OperationalError("database is locked (waited for this process's earlier transactions)")
        try:
            yield
        finally:
            self._write_lock.release()

    def dispose(self) -> None:
        self.engine.dispose()


class DatabaseProvider(DependencyProvider):
    """The service's own database, from ``DATABASES[<service name>]`` in the config."""

    def __init__(self, metadata: MetaData) -> None:
        self.metadata = metadata

    def setup(self) -> None:
        config = self.container.config
        url = config["DATABASES"][self.container.service_name]
        workers = int(setting(config, "max_workers"))
        lock_wait = float(setting(config, "SQLITE_LOCK_WAIT_SECONDS"))
        # A connection per worker, up to a point: many workers (registrations under a rush) mostly
        # wait for their group, not for a connection, and PostgreSQL's connections are few.
        self.database = Database(url, self.metadata, pool_size=min(workers + 2, MAX_POOL), lock_wait=lock_wait)
        self.database.create_schema(self.container.service_name)

    def get_dependency(self, worker_ctx: object) -> Database:
        return self.database

    def stop(self) -> None:
        self.database.dispose()

    def kill(self) -> None:
        self.database.dispose()
