"""The sender: the emails of a service process go out in batches, from a green thread of its own.

Event handlers queue their emails (recorded first, in the database) and hand their ids to the
sender with ``hand``; so does ``deliver_due`` for what is due (retries, paced announcements,
claims that lapsed). The sender takes up to ``BATCH`` of them at a time and runs the service's
``@sends_batches`` method with their ids, as a worker of its own (one of the service's
``max_workers``), one batch after another; a burst that arrives while a batch runs makes the
next one. Handlers never wait for the sending: their event is acknowledged once their email is
recorded.

Guarantee: nothing here is the only copy of anything. An id handed over is already committed in
the messages table, in a state that ``deliver_due`` takes up by itself (queued, or due for a
retry); so the ids the sender holds in memory and loses (the process stopped or killed, a batch
that failed before it claimed its messages) are sent all the same, by the next ``deliver_due``
of this process or another one. An id is held once: handed again while it waits or while its
batch runs, it is not added twice. What a batch does to its messages (claimed, sent, recorded)
is the batch method's guarantee (``NotificationsService.send_batch``).

Stopping the service lets the batch that runs finish (its emails sent and recorded); the ids
still waiting stay queued in the database for the next start.
"""
import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

import eventlet
from eventlet.event import Event
from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider, Entrypoint

log = logging.getLogger(__name__)

BATCH = 50
# After a wake-up, wait this long so that the handlers of a burst hand their ids in as well: a
# few milliseconds of latency for one batch instead of several.
GATHER_SECONDS = 0.02
# Without a wake-up, look again this often (only to notice a stop).
IDLE_SECONDS = 1.0


class Sender(Entrypoint):
    """The entrypoint of the service's batch method, and the green thread that feeds it."""

    def __init__(self, batch: int = BATCH, gather: float = GATHER_SECONDS, **kwargs: Any) -> None:
        self.batch = batch
        self.gather = gather
        super().__init__(**kwargs)

    def setup(self) -> None:
        self._waiting: dict[int, None] = {}  # ids in the order handed (a dict as an ordered set)
        self._in_batch: set[int] = set()
        self._signals: LightQueue = LightQueue(maxsize=1)
        self._running = False
        self._thread: Any = None

    def start(self) -> None:
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run, identifier="notifications_sender")

    def stop(self) -> None:
        self._running = False
        self._wake()
        if self._thread is not None:
            self._thread.wait()

    def kill(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.kill()

    def hand(self, message_ids: Iterable[int]) -> None:
        """Take these (committed) messages for one of the next batches."""
        added = False
        for message_id in message_ids:
            if message_id not in self._waiting and message_id not in self._in_batch:
                self._waiting[message_id] = None
                added = True
        if added:
            self._wake()

    @property
    def backlog(self) -> int:
        """Ids waiting for a batch."""
        return len(self._waiting)

    def _wake(self) -> None:
        try:
            self._signals.put_nowait(True)
        except eventlet.queue.Full:
            pass

    def _run(self) -> None:
        while self._running:
            if not self._waiting:
                try:
                    self._signals.get(timeout=IDLE_SECONDS)
                except Empty:
                    continue
                if not self._running:
                    break
                eventlet.sleep(self.gather)
            taken = list(self._waiting)[:self.batch]
            for message_id in taken:
                del self._waiting[message_id]
            self._in_batch = set(taken)
            try:
                put_back = self._run_batch(taken)
            finally:
                self._in_batch = set()
            self.hand(put_back)

    def _run_batch(self, message_ids: list[int]) -> list[int]:
        """Run the batch method as a worker and wait for it; the ids it put back untried."""
        done = Event()
        # ContainerBeingKilled is left to end this thread, as nameko's timer does.
        self.container.spawn_worker(self, (message_ids,), {}, handle_result=partial(self._finished, done))
        result = done.wait()
        return list(result or ())

    def _finished(self, done: Event, worker_ctx: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
        # A failed batch (logged by the worker's own call log) puts nothing back: its messages are
        # in the table, and ``deliver_due`` hands them over again when they are due.
        done.send(result if exc_info is None else None)
        return result, exc_info


sends_batches = Sender.decorator


class SenderHandle(DependencyProvider):
    """Gives workers the service's ``Sender``: ``hand(ids)``, ``backlog``."""

    def setup(self) -> None:
        found = [entrypoint for entrypoint in self.container.entrypoints if isinstance(entrypoint, Sender)]
        if len(found) != 1:
            raise RuntimeError("SenderHandle needs one method decorated with @sends_batches in the same service")
        self.sender = found[0]

    def get_dependency(self, worker_ctx: Any) -> Sender:
        return self.sender
