"""Alembic migrations, one history per service, applied when the service starts.

Each service keeps its history in ``services/<service>/migrations/versions``.
A new revision: ``make migration SERVICE=registrations MESSAGE="what changed"``.
"""
import os
import threading

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData

SERVICES = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def alembic_config(service: str, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", os.path.join(SERVICES, service, "migrations"))
    config.set_main_option("service", service)
    config.attributes["connection"] = connection
    return config


# Alembic keeps the running migration in module globals: services starting in one
# process (the tests run several) take turns.
_one_at_a_time = threading.Lock()


def upgrade(connection: Connection, service: str) -> None:
    """Bring the service's database to the newest revision, on ``connection`` (in its transaction)."""
    with _one_at_a_time:
        command.upgrade(alembic_config(service, connection), "head")


def is_current(connection: Connection, service: str) -> bool:
    heads = ScriptDirectory.from_config(alembic_config(service)).get_heads()
    return set(MigrationContext.configure(connection).get_current_heads()) == set(heads)


def run_env(metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py``."""
    from alembic import context

    connection = context.config.attributes.get("connection")
    if connection is None:  # the command line: make migration
        from sqlalchemy import create_engine
        connection = create_engine(os.environ["DATABASE_URL"]).connect()
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
