"""Group commit: requests about one thing (one event) that arrive while a transaction about it
runs wait, and then go together in the next transaction.

Why: every registration for an event queues on the event's row lock; taken once per group
instead of once per person, the lock is held for a few statements per group, not per person,
and the order of the queue (seats, places in line) is still the order of the commits.

How: the first request for a key finds nobody busy and runs its group (of itself) at once, in
its own green thread; requests arriving meanwhile wait. When a group ends, its leader hands
each member its own outcome and passes the lead to the first of those who waited, who runs
them all (up to ``limit``) as the next group. No extra thread, nothing to start or stop.
With ``gather`` (seconds), a leader first waits that long, so that requests arriving just after
it (events that a broker delivers one by one) make its group rather than the next.

Guarantee: every submitted item gets exactly one outcome: the value ``run`` gave for it, or
the exception given for it alone (raised in its caller), or, when ``run`` itself fails
(the database is away, the worker is killed), that failure, raised in the caller of every
item of the group. A group is one transaction: it commits for all of its items or for none.
A failure never leaves the key busy: the lead passes on in a ``finally``.
"""
import logging
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider

from services.common.errors import outage
from services.common.settings import setting

log = logging.getLogger(__name__)

LIMIT = 100

_LEAD = object()

# run(key, items) -> one outcome per item, in order (an exception instance for an item refused alone)
Run = Callable[[Hashable, list[Any]], Sequence[Any]]


class _Waiting:
    __slots__ = ("item", "signal")

    def __init__(self, item: Any) -> None:
        self.item = item
        self.signal = Event()


class Groups:
    """``submit(key, item, run)``: ``run(key, items)`` returns one outcome per item, in order
    (an exception instance for an item refused alone)."""

    def __init__(self, limit: int = LIMIT, gather: float | None = None) -> None:
        self.limit = limit
        self.gather = gather
        self._waiting: dict[Hashable, list[_Waiting]] = {}  # key -> items waiting for the next group
        self._busy: set[Hashable] = set()  # keys whose group is running
        self.runs = 0  # groups run, and the items in them: their ratio is the mean group size
        self.items = 0

    def submit(self, key: Hashable, item: Any, run: Run) -> Any:
        mine = _Waiting(item)
        self._waiting.setdefault(key, []).append(mine)
        if key in self._busy:
            try:
                told = mine.signal.wait()
            except BaseException:  # this caller was stopped while it waited: it leaves the line
                self._leave(key, mine)
                raise
            if told is not _LEAD:
                return _unwrap(told)
        else:
            self._busy.add(key)
        return _unwrap(self._lead(key, run))

    def _lead(self, key: Hashable, run: Run) -> Any:
        """Run the next group for ``key`` (it starts with the caller's own item); returns the
        caller's outcome, after handing every other member theirs and the lead to whoever waits."""
        if self.gather is not None:
            try:
                eventlet.sleep(self.gather)
            except BaseException:  # stopped while gathering: nothing ran, the lead passes on
                self._leave_as_leader(key)
                raise
        queue = self._waiting[key]
        group, queue[:] = queue[:self.limit], queue[self.limit:]
        outcomes: Sequence[Any] = ()
        try:
            outcomes = run(key, [member.item for member in group])
            if len(outcomes) != len(group):
                raise RuntimeError(f"a group of {len(group)} got {len(outcomes)} outcomes")
        except BaseException as failure:  # also GreenletExit: nobody is left waiting
            told = failure if isinstance(failure, Exception) else RuntimeError("the group's leader was stopped")
            outcomes = [_Failed(failure)] + [_Failed(told)] * (len(group) - 1)
            raise
        finally:
            for member, outcome in zip(group[1:], outcomes[1:], strict=True):
                member.signal.send(outcome)
            self._pass_lead(key)
            self.runs += 1
            self.items += len(group)
        return outcomes[0]

    def _leave_as_leader(self, key: Hashable) -> None:
        """A leader stopped before it ran its group: every member but itself waits on; the first
        of them leads. (The leader's own item is the first of the line.)"""
        queue = self._waiting.get(key, [])
        if queue:
            queue.pop(0)
        self._pass_lead(key)

    def _leave(self, key: Hashable, mine: _Waiting) -> None:
        """Take a stopped caller out of the line; if the lead had just been passed to it, pass it on."""
        queue = self._waiting.get(key, [])
        if mine in queue:
            queue.remove(mine)
        if mine.signal.ready() and mine.signal.wait() is _LEAD:
            self._pass_lead(key)

    def _pass_lead(self, key: Hashable) -> None:
        queue = self._waiting.get(key)
        if queue:
            queue[0].signal.send(_LEAD)
        else:
            self._waiting.pop(key, None)
            self._busy.discard(key)


def each_alone_if_one_fails(begin: Callable[[], Any], items: list[Any], do: Callable[[Any, Any], Any]) -> list[Any]:
    """The outcomes of ``do(uow, item)`` for ``items``, in one transaction (``begin()``, a unit of
    work): each what ``do`` returned, or the exception of an item that failed on its own (its
    data, a bug), as a ``run`` of ``Groups`` answers.

    All together first, with no savepoint (each costs two trips to the database). Should an item
    fail on its own, the transaction is rolled back whole and the items run again, each in its
    savepoint: the failing item's outcome is its error, and the others commit. An outage (the
    database away) fails the group: raised, for every item."""
    try:
        with begin() as uow:
            return [do(uow, item) for item in items]
    except Exception as error:
        if outage(error) is not None:
            raise
        if len(items) == 1:
            return [error]  # rolled back: nothing of it written
        log.warning("one of %d items failed on its own (%s); running them again each in its savepoint",
                    len(items), error)
    outcomes: list[Any] = []
    with begin() as uow:
        for item in items:
            try:
                with uow.conn.begin_nested():
                    outcomes.append(do(uow, item))
            except Exception as error:
                if outage(error) is not None:
                    raise
                outcomes.append(error)
    return outcomes


class _Failed:
    """The group's own failure, raised in each member's caller."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _unwrap(outcome: Any) -> Any:
    if isinstance(outcome, _Failed):
        raise outcome.error
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


class GroupCommit(DependencyProvider):
    """One ``Groups`` per service process, shared by its workers: at most ``limit_setting`` items
    a group (``LIMIT`` without one), each leader gathering ``gather`` seconds first."""

    def __init__(self, limit_setting: str | None = "REGISTRATION_GROUP_LIMIT", gather: float | None = None) -> None:
        self.limit_setting = limit_setting
        self.gather = gather

    def setup(self) -> None:
        limit = LIMIT if self.limit_setting is None else int(setting(self.container.config, self.limit_setting))
        self.groups = Groups(limit, self.gather)

    def get_dependency(self, worker_ctx: Any) -> Groups:
        return self.groups
