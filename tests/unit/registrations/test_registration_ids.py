"""Registration ids after a restore: a registration's id is its ticket number (T<id>) and its
variable symbol, so tools/backup.py makes the ids jump past a gap (``store.skip_ids``) and a
ticket of a registration lost with the restore never passes as a new one. On SQLite that needs
AUTOINCREMENT (migration 0016), which makes the table again with every row and reference kept."""
import pytest
from alembic import command
from nameko.testing.services import worker_factory
from sqlalchemy import select, text

from services.common import migrations
from services.common.db import Database
from services.common.groups import Groups
from services.common.signing import verify_ticket_code
from services.registrations import store
from services.registrations.service import RegistrationsService
from tests.conftest import RecordingOutbox
from tests.unit.registrations.test_service import KEY, NOW, person, published


@pytest.fixture
def database(database_urls):
    """The registrations database as the service makes it: by its migrations."""
    made = Database(database_urls["registrations"], store.metadata)
    made.create_schema("registrations")
    yield made
    made.dispose()


def worker(database):
    return worker_factory(RegistrationsService, db=database, outbox=RecordingOutbox(store.outbox),
                          signing_key=KEY, groups=Groups(), payment_groups=Groups(), clock=lambda: NOW,
                          config={"PUBLIC_BASE_URL": "https://akce.example"})


def everything(database):
    with database.transaction() as conn:
        return ([tuple(row) for row in conn.execute(select(store.registrations).order_by(store.registrations.c.id))],
                [tuple(row) for row in conn.execute(select(store.session_attendance))])


def table_sql(database):
    with database.transaction() as conn:
        return conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'registrations'")).scalar_one()


def test_the_migration_keeps_every_registration_and_what_refers_to_it(database):
    service = worker(database)
    event = published(service, capacity=5)
    people = [service.register(event["id"], person(n)) for n in (1, 2, 3)]
    service.check_in(event["id"], people[0]["ticket_code"], any_day=True)
    service.cancel_registration(people[2]["id"])
    before = everything(database)
    assert before[1]  # the check-in refers to a registration
    with database.engine.begin() as conn:
        command.downgrade(migrations.alembic_config("registrations", conn), "0015")
    if database.is_sqlite:
        assert "AUTOINCREMENT" not in table_sql(database)
    database.create_schema("registrations")  # 0016 again, with the rows in
    assert everything(database) == before
    if database.is_sqlite:
        assert "AUTOINCREMENT" in table_sql(database)
        with database.transaction() as conn:
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            assert conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = 'registrations'")).scalar_one() \
                == people[-1]["id"]
    assert service.register(event["id"], person(4))["id"] == people[-1]["id"] + 1


def test_after_a_restore_registration_ids_and_tickets_go_on_past_the_gap(database):
    service = worker(database)
    event = published(service, capacity=5)
    last = service.register(event["id"], person(1))
    with database.transaction() as conn:
        following = store.skip_ids(conn, 1000)
    assert following == last["id"] + 1001
    taken = service.register(event["id"], person(2))
    assert taken["id"] == following
    assert verify_ticket_code(KEY, taken["ticket_code"]) == following
    with database.transaction() as conn:  # a second restore: past the last id given, once more
        assert store.skip_ids(conn, 10) == following + 11


def test_ids_jump_on_a_table_that_never_had_a_registration(database):
    with database.transaction() as conn:
        assert store.skip_ids(conn, 1000) == 1001
    service = worker(database)
    assert service.register(published(service)["id"], person(1))["id"] == 1001
