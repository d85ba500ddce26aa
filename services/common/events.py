"""Event handlers that never drop an event.

Guarantee: every event is handled to the end at least once, or parked where
an operator sees it. nameko acks an event whether its handler returned or
raised; this handler acks only after one of three outcomes:

- the handler returned: done;
- the handler raised: the event is published, with publisher confirms, to a
  retry queue whose TTL is the next of ``EVENT_RETRY_DELAYS`` and which
  dead-letters it back into the handler's own queue (only that handler's: the
  other handlers of the event are not bothered), then acked;
- the handler raised after the last delay: the event is published to the
  dead-letter queue with where it came from, how often it was tried and the
  last error, then acked. ``make dead-letters`` lists and replays it.

A process killed at any point before the ack leaves the event unacked, and
RabbitMQ delivers it again; so does a retry that could not be published (the
broker away): the event is requeued. Either way an event can be handled
twice, so every handler makes a second run harmless (see
``docs/architecture.md``, handler by handler).

Each event is loaded through its contract (``contracts.py``) before its
handler runs. One that does not fit is never handed to the handler and not
retried (the same payload would fail the same way every time): it is parked
at once in the dead-letter queue, its last error the contract's complaint,
logged as an error, then acked; ``make dead-letters`` replays it once the
publisher or the contract is fixed. A handler of an event type without a
contract stops its service from starting.
"""
import logging
from typing import Any

import eventlet
from kombu import Exchange, Queue
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler

from . import contracts
from .settings import setting

log = logging.getLogger(__name__)

# Every durable queue of the bus is a quorum queue: replicated on a majority of the cluster's
# nodes (a single node is a cluster of one), so a lost node loses nothing a publisher was
# confirmed (the confirm comes once a majority has the message). A queue's type cannot change
# in place: ``tools.topology`` moves an old classic queue over (docs/operations.md).
QUORUM: dict[str, object] = {"x-queue-type": "quorum"}
# Dead-lettering out of a quorum queue is at most once unless asked: with ``at-least-once`` the
# message leaves the retry queue only once the queue it goes back to has confirmed it, which
# needs ``reject-publish`` as the overflow rule (RabbitMQ 3.10+, docs: quorum-queues.html).
AT_LEAST_ONCE_DEAD_LETTERING: dict[str, object] = {"x-dead-letter-strategy": "at-least-once",
                                                    "x-overflow": "reject-publish"}

DEAD_LETTER_EXCHANGE = "dead-letters"
DEAD_LETTER_QUEUE = "dead-letters"
# Headers this module adds to an event it sends round again or parks.
ATTEMPTS = "x-attempts"
LAST_ERROR = "x-last-error"
PARKED_FROM = "x-parked-from"


def retry_queue(delay_seconds: float) -> tuple[Exchange, Queue]:
    """The exchange and queue that hold an event for ``delay_seconds``, then hand it back to the
    queue named by its routing key (through the default exchange)."""
    milliseconds = max(1, int(round(delay_seconds * 1000)))
    name = f"retry-{milliseconds}ms"
    exchange = Exchange(name, type="fanout", durable=True, auto_delete=False)
    # One TTL for the whole queue: a quorum queue expires messages at its head only, which here
    # is always the oldest, so each waits its delay and no longer.
    return exchange, Queue(name, exchange=exchange, durable=True, auto_delete=False,
                           queue_arguments={**QUORUM, "x-message-ttl": milliseconds, "x-dead-letter-exchange": "",
                                            **AT_LEAST_ONCE_DEAD_LETTERING})


def dead_letter_queue() -> tuple[Exchange, Queue]:
    exchange = Exchange(DEAD_LETTER_EXCHANGE, type="fanout", durable=True, auto_delete=False)
    return exchange, Queue(DEAD_LETTER_QUEUE, exchange=exchange, durable=True, auto_delete=False,
                           queue_arguments=dict(QUORUM))


def event_queue(queue: Queue) -> Queue:
    """The queue nameko declares for an event handler, as a quorum queue (same name, exchange and
    binding)."""
    return Queue(queue.name, exchange=queue.exchange, routing_key=queue.routing_key, durable=True,
                 auto_delete=False, exclusive=False, queue_arguments=dict(QUORUM))


class ReliableEventHandler(EventHandler):
    """nameko's ``event_handler`` that retries a failed event with growing delays, then parks it."""

    queue: Any

    def setup(self) -> None:
        contracts.schema(self.event_type)  # no contract, no start: ContractViolation
        super().setup()
        self.queue = event_queue(self.queue)  # before the consumer declares it (started later)
        config = self.container.config
        self.delays = [float(delay) for delay in setting(config, "EVENT_RETRY_DELAYS", blank_is_default=True)]
        self.publisher = Publisher(config["AMQP_URI"], use_confirms=True, mandatory=True)

    def handle_message(self, body: object, message: Any) -> None:
        """Run the handler on an event that fits its contract; park one that does not."""
        try:
            self.load(body)
        except contracts.ContractViolation as violation:
            self._refuse(message, violation)
            return
        super().handle_message(body, message)

    def load(self, body: object) -> dict[str, Any]:
        """The payload as the handler gets it, when it fits the contract of this handler's event
        type (``contracts.check``); ``ContractViolation`` otherwise."""
        return contracts.check(self.event_type, body)

    def _refuse(self, message: Any, violation: contracts.ContractViolation) -> None:
        attempts = int((message.headers or {}).get(ATTEMPTS, 0)) + 1
        error = f"ContractViolation: {violation}"[:500]
        exchange, queue = dead_letter_queue()
        try:
            self._publish(message, exchange, {ATTEMPTS: attempts, LAST_ERROR: error, PARKED_FROM: self.queue.name},
                          declare=[exchange, queue])
        except Exception:
            log.exception("event from %s breaks its contract and could not be parked; requeued", self.queue.name)
            eventlet.sleep(1)  # no tight loop while the broker is away
            self.queue_consumer.requeue_message(message)
            return
        log.error("event from %s breaks its contract (%s); parked in the dead-letter queue, not handled",
                  self.queue.name, error)
        self.queue_consumer.ack_message(message)

    def handle_message_processed(self, message: Any, result: object = None, exc_info: Any = None) -> None:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        attempts = int((message.headers or {}).get(ATTEMPTS, 0)) + 1
        error = f"{exc_info[0].__name__}: {exc_info[1]}"[:500]
        try:
            if attempts <= len(self.delays):
                self._send_round(message, attempts, error)
            else:
                self._park(message, attempts, error)
        except Exception:
            log.exception("event from %s could not be set aside for a retry; requeued", self.queue.name)
            eventlet.sleep(1)  # no tight loop while the broker is away
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)

    def _send_round(self, message: Any, attempts: int, error: str) -> None:
        delay = self.delays[attempts - 1]
        exchange, queue = retry_queue(delay)
        self._publish(message, exchange, {ATTEMPTS: attempts, LAST_ERROR: error}, declare=[exchange, queue])
        log.warning("event from %s failed (try %d, %s); trying again in %s s", self.queue.name, attempts, error,
                    delay)

    def _park(self, message: Any, attempts: int, error: str) -> None:
        exchange, queue = dead_letter_queue()
        self._publish(message, exchange, {ATTEMPTS: attempts, LAST_ERROR: error, PARKED_FROM: self.queue.name},
                      declare=[exchange, queue])
        log.error("event from %s failed %d times (%s); parked in the dead-letter queue", self.queue.name,
                  attempts, error)

    def _publish(self, message: Any, exchange: Exchange, headers: dict[str, object],
                 declare: list[Exchange | Queue]) -> None:
        properties = message.properties
        # RabbitMQ's own record of the retry queue's dead-lettering is not carried on: ATTEMPTS counts
        kept = {name: value for name, value in (message.headers or {}).items() if not name.startswith("x-")}
        self.publisher.publish(
            message.body, exchange=exchange, routing_key=self.queue.name, declare=declare,
            headers=dict(kept, **headers),
            content_type=properties.get("content_type"), content_encoding=properties.get("content_encoding"),
            message_id=properties.get("message_id"),
        )


event_handler = ReliableEventHandler.decorator
