"""Each service's migrations build exactly the schema its models describe."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from services.backoffice import store as backoffice
from services.common import migrations
from services.common.db import Database
from services.documents import store as documents
from services.members import store as members
from services.notifications import store as notifications
from services.payments import store as payments
from services.registrations import store as registrations

MODELS = {"backoffice": backoffice.metadata, "members": members.metadata, "registrations": registrations.metadata,
          "notifications": notifications.metadata, "documents": documents.metadata, "payments": payments.metadata}


@pytest.mark.parametrize("service", sorted(MODELS))
def test_migrations_match_the_models_and_run_twice(database_urls, service):
    database = Database(database_urls[service], MODELS[service])
    try:
        database.create_schema(service)
        database.create_schema(service)  # a second start changes nothing
        with database.engine.connect() as connection:
            assert migrations.is_current(connection, service)
            differences = compare_metadata(MigrationContext.configure(connection), MODELS[service])
        assert differences == []
    finally:
        database.dispose()


def test_events_published_before_the_feeds_are_known_as_published(database_urls):
    """0015 fills ``published_at`` where it is certain an event was public: a published one, and a
    cancelled one that people had registered for (a draft takes no registrations)."""
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import select

    database = Database(database_urls["registrations"], registrations.metadata)
    events, people = registrations.events, registrations.registrations
    moment = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    try:
        with database.engine.begin() as connection:
            command.upgrade(migrations.alembic_config("registrations", connection), "0014")
            ids = {}
            for name, status in (("published", "published"), ("cancelled_public", "cancelled"),
                                 ("cancelled_draft", "cancelled"), ("draft", "draft")):
                ids[name] = connection.execute(events.insert().values(
                    title=name, kind="seminar", topic="t", venue="Plzeň", starts_at=moment, ends_at=moment,
                    capacity=1, registration_closes_at=moment, status=status, created_at=moment,
                    updated_at=moment)).inserted_primary_key[0]
            connection.execute(people.insert().values(
                event_id=ids["cancelled_public"], token="t", status="cancelled", first_name="A", last_name="B",
                email="a@b.cz", email_key="a@b.cz", is_member=False, price=0, created_at=moment))
            command.upgrade(migrations.alembic_config("registrations", connection), "head")
            published = dict(connection.execute(select(events.c.title, events.c.published_at)).all())
        assert published == {"published": moment, "cancelled_public": moment, "cancelled_draft": None, "draft": None}
    finally:
        database.dispose()
