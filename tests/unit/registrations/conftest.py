import pytest
from nameko.testing.services import worker_factory

from services.common.groups import Groups
from services.registrations import store
from services.registrations.service import RegistrationsService
from tests.conftest import RecordingOutbox
from tests.unit.registrations.test_service import KEY, NOW

EVENT_LEVEL = {"event_published"}


@pytest.fixture
def service(make_database):
    database = make_database("registrations", store.metadata)
    outbox = RecordingOutbox(store.outbox)
    clock = {"now": NOW}
    worker = worker_factory(RegistrationsService, db=database, outbox=outbox, signing_key=KEY, groups=Groups(),
                            payment_groups=Groups(gather=0.01),
                            clock=lambda: clock["now"], config={"PUBLIC_BASE_URL": "https://akce.example"})
    # What was told about registrations; ``announced`` has everything, the event-level
    # ``event_published`` too (one per published event, which most tests publish first).
    worker.announced = lambda: outbox.events(database)
    worker.recorded = lambda: [(kind, payload) for kind, payload in outbox.events(database)
                               if kind not in EVENT_LEVEL]
    worker.database = database
    worker.clock_state = clock
    return worker


