"""Publishing a batch of events with their publisher confirms in flight together.

One wait per batch instead of one per event: every message of the batch is sent on a channel in
confirm mode, then the broker's acknowledgements are read as they come, in any grouping
(``multiple``). Every message is published ``mandatory``: one that no queue would receive comes
back (``basic.return``) before its acknowledgement.

Guarantee: ``publish`` answers which messages the broker confirmed (each is in every queue bound
for it) and which it returned as unroutable; anything else (refused with a nack, or not
confirmed before the time-out or before the connection dropped) is in neither list, and the
caller keeps it to try again. A message can therefore be published twice (the broker confirmed
it but the acknowledgement was lost with the connection); consumers deduplicate by message id.
After any failure the connection is closed and the next batch opens a new one, on the first node
of ``AMQP_URI`` that answers. Every queue bound for these events is a quorum queue, so the
broker's acknowledgement comes once a majority of its replicas hold the message
(https://www.rabbitmq.com/docs/quorum-queues#data-safety); a confirmed event outlives the loss of
any one broker node.
"""
import time
from collections.abc import Hashable, Sequence
from typing import Any

from amqp import Message
from kombu import Connection, Exchange

PERSISTENT = 2

# (key, routing key, message id, JSON text)
Outgoing = tuple[Hashable, str, str, str]


class ConfirmedPublisher:
    def __init__(self, amqp_uri: str, exchange: Exchange, timeout: float = 10.0) -> None:
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.timeout = timeout
        self._connection: Connection | None = None
        self._channel: Any = None
        self._sent = 0  # delivery tags on the current channel: 1, 2, … in the order sent
        self._waiting: dict[int, Hashable] = {}  # delivery tag -> key
        self._confirmed: list[Hashable] = []
        self._returned: set[Hashable] = set()
        self._keys_by_message_id: dict[str, Hashable] = {}

    def publish(self, messages: Sequence[Outgoing]) -> tuple[list[Hashable], list[Hashable]]:
        """Publish ``messages``, each ``(key, routing_key, message_id, JSON text)``; returns
        ``(confirmed keys, unroutable keys)``, in the order given."""
        if not messages:
            return [], []
        try:
            return self._publish(messages)
        except BaseException:
            self.close()
            raise

    def _publish(self, messages: Sequence[Outgoing]) -> tuple[list[Hashable], list[Hashable]]:
        channel = self._open()
        self._waiting.clear()
        self._confirmed, self._returned = [], set()
        self._keys_by_message_id = {message_id: key for key, _routing_key, message_id, _text in messages}
        for key, routing_key, message_id, text in messages:
            channel._basic_publish(
                Message(text.encode("utf-8"), content_type="application/json", content_encoding="utf-8",
                        delivery_mode=PERSISTENT, message_id=message_id),
                exchange=self.exchange.name, routing_key=routing_key, mandatory=True,
            )
            self._sent += 1
            self._waiting[self._sent] = key
        deadline = time.monotonic() + self.timeout
        while self._waiting:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError()
                assert self._connection is not None  # opened above, closed only on leaving
                self._connection.drain_events(timeout=remaining)
            except TimeoutError:
                self.close()  # late acknowledgements would meet tags of a batch that is over
                break
        order = {key: n for n, (key, *_rest) in enumerate(messages)}
        confirmed = [key for key in self._confirmed if key not in self._returned]
        unroutable = [key for key in self._confirmed if key in self._returned]
        return sorted(confirmed, key=order.__getitem__), sorted(unroutable, key=order.__getitem__)

    def _open(self) -> Any:
        if self._channel is not None:
            return self._channel
        self._connection = Connection(self.amqp_uri)
        # AMQP_URI may name several nodes (``;``): each is tried once in turn before giving up
        self._connection.ensure_connection(max_retries=max(1, len(self._connection.alt)), interval_start=0,
                                           interval_step=0)
        channel = self._connection.channel()
        self.exchange(channel).declare()
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        channel.events["basic_return"].add(self._on_return)
        self._channel, self._sent = channel, 0
        return channel

    def _settle(self, delivery_tag: int, multiple: bool) -> list[Hashable]:
        tags = [tag for tag in self._waiting if tag <= delivery_tag] if multiple else [delivery_tag]
        return [self._waiting.pop(tag) for tag in tags if tag in self._waiting]

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._confirmed.extend(self._settle(delivery_tag, multiple))

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._settle(delivery_tag, multiple)  # neither confirmed nor unroutable: tried again later

    def _on_return(self, _error: object, _exchange: object, _routing_key: object, message: Any) -> None:
        key = self._keys_by_message_id.get(message.properties.get("message_id"))
        if key is not None:
            self._returned.add(key)

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # already gone
                pass
