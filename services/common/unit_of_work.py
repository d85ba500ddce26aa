"""A unit of work: one transaction, and what a use case needs along with it.

A use case takes ``(uow, ...)``: ``uow.conn`` is the Core connection of the
transaction, ``uow.now`` the moment of the call (one clock reading for the
whole call, so every row it writes says the same time), ``uow.announce`` adds
an event to the service's outbox in the same transaction, ``uow.base_url``
the public address that links are built on and ``uow.signing_key`` the ticket
signing key, for the services that have them.

Guarantee: everything written through ``conn`` and ``announce`` commits
together or not at all. ``unit_of_work`` commits when its block ends normally
and rolls back when it raises; an event is in the outbox only if the change
it describes committed (the relay publishes it afterwards, ``outbox.py``).
A process killed inside the block leaves nothing of it.

``retried_on_deadlock`` runs a whole unit of work again when PostgreSQL broke a
deadlock by rolling it back: the rolled-back run left nothing, so running it
again is safe, and the other transaction has gone on meanwhile.
"""
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import eventlet
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from .db import Database
from .outbox import Outbox


class NoOutbox(RuntimeError):
    """A use case announced an event in a unit of work opened without the service's outbox."""


@dataclass(frozen=True)
class UnitOfWork:
    conn: Connection
    now: datetime
    outbox: Outbox | None = None
    base_url: str = ""
    signing_key: bytes = b""

    def announce(self, event_type: str, payload: Mapping[str, Any]) -> str:
        """Record ``event_type`` in this transaction's outbox (checked against its contract); its message id."""
        if self.outbox is None:
            raise NoOutbox(f"{event_type}: this unit of work has no outbox")
        return self.outbox.add(self.conn, event_type, payload)

    def announce_many(self, events: list[tuple[str, Mapping[str, Any]]]) -> list[str]:
        if self.outbox is None:
            raise NoOutbox("this unit of work has no outbox")
        return self.outbox.add_many(self.conn, events)


@contextmanager
def unit_of_work(db: Database, clock: Callable[[], datetime], outbox: Outbox | None = None, base_url: str = "",
                 signing_key: bytes = b"") -> Iterator[UnitOfWork]:
    """One transaction of ``db`` with the moment read from ``clock`` once."""
    with db.transaction() as conn:
        yield UnitOfWork(conn, clock(), outbox, base_url, signing_key)


log = logging.getLogger(__name__)

DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE for a transaction it rolled back to break a deadlock
_T = TypeVar("_T")


def retried_on_deadlock(work: Callable[[], _T], attempts: int = 3) -> _T:
    """``work()`` (a whole unit of work), run again, ``attempts`` times in all, when PostgreSQL
    rolled it back to break a deadlock; any other error, or the last deadlock, is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as error:
            if attempt == attempts or getattr(error.orig, "pgcode", None) != DEADLOCK_DETECTED:
                raise
            log.warning("a transaction was rolled back to break a deadlock; running it again (%d of %d)",
                        attempt + 1, attempts)
            eventlet.sleep(0.05 * attempt)
    raise AssertionError("unreachable")
