"""An event that does not fit its contract is parked at once, never handed to its handler."""
import io
import time

from nameko.standalone.events import event_dispatcher

from services.common.events import event_handler
from tests.conftest import wait_for
from tests.integration.test_reliability import waiting
from tests.integration.test_topology import payload
from tools import dead_letters

HANDLED = []


class ListeningService:
    name = "listening"

    @event_handler("registrations", "registration_confirmed")
    def handle(self, payload):
        HANDLED.append(payload["message_id"])


def test_an_event_missing_a_field_its_consumer_reads_is_parked_untried_and_the_next_one_is_handled(
        runner_factory, service_config):
    HANDLED.clear()
    runner_factory(service_config, ListeningService).start()
    broken = payload(1)
    del broken["registration"]["email"]
    dispatch = event_dispatcher(service_config)
    dispatch("registrations", "registration_confirmed", broken)
    dispatch("registrations", "registration_confirmed", payload(2))

    wait_for(lambda: waiting(service_config["AMQP_URI"], "dead-letters") == 1, message="the broken event parked")
    wait_for(lambda: HANDLED == ["m2"], message="the fitting event handled")
    out = io.StringIO()
    [parked] = dead_letters.run(service_config["AMQP_URI"], out=out)
    assert parked["queue"] == "evt-registrations-registration_confirmed--listening.handle"
    assert parked["attempts"] == 1  # not retried: it would fail the same way
    assert parked["reason"].startswith("ContractViolation: registration_confirmed:") and "email" in parked["reason"]
    time.sleep(0.5)
    assert HANDLED == ["m2"]
