"""The registrations service: events, seats, waitlist and the public HTTP API."""
import logging
from datetime import datetime

from nameko.dependency_providers import Config
from nameko.events import event_handler
from nameko.rpc import RpcProxy, rpc
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.timer import timer

from services.common.clock import Clock
from services.common.db import DatabaseProvider
from services.common.errors import EXPECTED
from services.common.outbox import OutboxRelay
from services.common.signing import TicketSigner

from . import store, usecases
from .http import HttpApi
from .schemas import EventIn, EventOut, RegistrationIn, RegistrationOut

log = logging.getLogger(__name__)

MEMBERSHIP_SYNC_SECONDS = 600


class RegistrationsService(HttpApi):
    name = "registrations"

    db = DatabaseProvider(store.metadata)
    outbox = OutboxRelay(store.outbox)
    signing_key = TicketSigner()
    clock = Clock()
    config = Config()
    documents = RpcProxy("documents")

    @property
    def base_url(self):
        return self.config["PUBLIC_BASE_URL"].rstrip("/")

    def _register(self, event_id, request):
        now = self.clock()
        with self.db.transaction() as tx:
            registration = usecases.enrol(tx, self.outbox, self.signing_key, event_id, request, now, self.base_url)
        return RegistrationOut().dump(registration)

    # Events, for staff

    @rpc(expected_exceptions=EXPECTED)
    def create_event(self, data):
        values = EventIn().load_or_raise(data)
        with self.db.transaction() as tx:
            return EventOut().dump(usecases.create_event(tx, values, self.clock()))

    @rpc(expected_exceptions=EXPECTED)
    def publish_event(self, event_id):
        with self.db.transaction() as tx:
            return EventOut().dump(usecases.publish_event(tx, int(event_id), self.clock()))

    @rpc(expected_exceptions=EXPECTED)
    def list_events(self, include_past=False):
        now = self.clock()
        with self.db.transaction() as tx:
            events = usecases.all_events(tx, now) if include_past else usecases.upcoming_events(tx, now)
        return EventOut(many=True).dump(events)

    @rpc(expected_exceptions=EXPECTED)
    def get_event(self, event_id):
        now = self.clock()
        with self.db.transaction() as tx:
            return EventOut().dump(usecases.event_view(usecases.get_event(tx, int(event_id), public_only=False), now))

    # Registrations

    @rpc(expected_exceptions=EXPECTED)
    def register(self, event_id, data):
        return self._register(int(event_id), RegistrationIn().load_or_raise(data))

    @rpc(expected_exceptions=EXPECTED)
    def get_registration(self, registration_id):
        with self.db.transaction() as tx:
            registration = usecases.get_registration(tx, self.clock(), self.base_url,
                                                     registration_id=int(registration_id))
        return RegistrationOut().dump(registration)

    @rpc(expected_exceptions=EXPECTED)
    def list_registrations(self, event_id, status=None):
        with self.db.transaction() as tx:
            registrations = usecases.list_registrations(tx, int(event_id), self.clock(), self.base_url, status)
        return RegistrationOut(many=True).dump(registrations)

    # The copy of the member register

    @event_handler("members", "organisation_joined")
    def on_organisation_joined(self, payload):
        self._remember(payload)

    @event_handler("members", "organisation_left")
    def on_organisation_left(self, payload):
        self._remember(payload)

    @event_handler("members", "organisation_updated")
    def on_organisation_updated(self, payload):
        self._remember(payload)

    def _remember(self, payload):
        with self.db.transaction() as tx:
            usecases.remember_organisation(tx, payload["organisation"], datetime.fromisoformat(payload["occurred_at"]))

    @timer(interval=MEMBERSHIP_SYNC_SECONDS, eager=True)
    def sync_membership(self):
        """Copy the whole register now and then, in case an event was missed."""
        as_of = self.clock()
        try:
            with ClusterRpcProxy(self.config, timeout=30) as cluster:
                register = cluster.members.membership_register()
        except Exception as error:  # members away: the events and the next sync will catch up
            log.warning("membership sync skipped: %s", error)
            return
        with self.db.transaction() as tx:
            for organisation in register:
                usecases.remember_organisation(tx, organisation, as_of)
        log.info("membership copied: %d organisations", len(register))
