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
