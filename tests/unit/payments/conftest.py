"""The payments service as a worker, with its real database and outbox (no broker)."""
from datetime import UTC, datetime
from unittest import mock

import pytest
from nameko.testing.services import worker_factory

from services.common.errors import NotFound
from services.common.groups import Groups
from services.payments import settings, store
from services.payments.service import PaymentsService
from tests.conftest import RecordingOutbox, load_config

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
EVENT = {"id": 7, "title": "Veřejné zakázky malého rozsahu", "kind": "seminar", "version": 1,
         "starts_at": "2026-12-08T09:00:00+01:00", "ends_at": "2026-12-08T13:00:00+01:00",
         "venue": "Plzeň, Kopeckého sady 11", "lecturer": "Mgr. Jan Novák"}
TOWN = {"ico": "00257001", "name": "Obec Dolní Lhota", "address": "Náves 1, 330 01 Dolní Lhota",
        "dic": "CZ00257001", "billing_email": "ucetni@dolnilhota.example", "email": "obec@dolnilhota.example"}


def payload(registration_id, price=900, is_member=False, ico=TOWN["ico"], status="confirmed", email=None,
            first_name="Věra", last_name="Průchová", event=EVENT):
    return {"registration": {
        "id": registration_id, "token": f"tok{registration_id}", "status": status, "first_name": first_name,
        "last_name": last_name, "email": email or f"osoba{registration_id}@obec.example", "price": price,
        "is_member": is_member, "organisation_ico": ico, "organisation_name": "Obec Dolní Lhota" if ico else None,
        "manage_url": f"https://akce.example/r/tok{registration_id}", "ticket_code": f"T{registration_id}",
    }, "event": dict(event)}


class PaymentsWorker(PaymentsService):
    """The service whose settings are read from its ``config`` at each use, so that a test may
    change a setting between calls; the running service parses them once, at start
    (``SettingsProvider``), which tests/unit/common/test_settings.py checks."""

    @property
    def settings(self):
        return settings.load(self.config)


@pytest.fixture
def payments(make_database):
    database = make_database("payments", store.metadata)
    outbox = RecordingOutbox(store.outbox)
    clock = {"now": NOW}
    members = mock.Mock()
    members.get_organisation.side_effect = lambda ico: dict(TOWN) if ico == TOWN["ico"] else (_ for _ in ()).throw(
        NotFound("organisation_not_found", "Organizace nebyla nalezena."))
    documents = mock.Mock()
    config = load_config()
    worker = worker_factory(PaymentsWorker, db=database, outbox=outbox, members=members, documents=documents,
                            config=config, clock=lambda: clock["now"], groups=Groups(100, gather=0.01))
    worker.recorded = lambda kind=None: [p for t, p in outbox.events(database) if kind is None or t == kind]
    worker.database = database
    worker.clock_state = clock
    return worker
