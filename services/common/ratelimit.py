"""Fixed-window counters in a process's memory, and the 429 refusal they raise: the public site's
limits (``services.registrations.ratelimit``) and the staff API's per token (``services.backoffice.staffapi``)."""
import time
from collections.abc import Callable, Hashable

from services.common.errors import ServiceError

MAX_KEYS = 100_000


class TooManyRequests(ServiceError):
    status = 429

    def __init__(self, retry_after: float) -> None:
        super().__init__("too_many_requests",
                         "Příliš mnoho požadavků za krátkou dobu. Zkuste to prosím znovu později.")
        self.retry_after = max(1, int(retry_after + 0.999))


class Window:
    """At most ``limit`` hits per key in each ``seconds``-long window."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.seconds, self.clock = int(limit), float(seconds), clock
        self.counts: dict[Hashable, tuple[float, int]] = {}

    def hit(self, key: Hashable, refuse: bool = True) -> None:
        """Count one hit of ``key``; raises ``TooManyRequests`` past the limit when ``refuse``."""
        now = self.clock()
        started, count = self.counts.get(key, (now, 0))
        if now - started >= self.seconds:
            started, count = now, 0
        if refuse and count >= self.limit:
            raise TooManyRequests(started + self.seconds - now)
        if len(self.counts) >= MAX_KEYS and key not in self.counts:
            self._forget_ended(now)
        self.counts[key] = (started, count + 1)

    def _forget_ended(self, now: float) -> None:
        self.counts = {key: value for key, value in self.counts.items() if now - value[0] < self.seconds}
        if len(self.counts) >= MAX_KEYS:  # a flood of distinct keys: start afresh rather than grow
            self.counts.clear()
