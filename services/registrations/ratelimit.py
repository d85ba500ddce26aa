"""How often one client address or one email address may register and cancel.

Guarantee: nobody can make the system email an address, or fill an event's
seats, faster than the configured pace: at most ``RATE_LIMIT_PER_ADDRESS``
registrations and cancellations per client address in
``RATE_LIMIT_ADDRESS_SECONDS``, and at most ``RATE_LIMIT_PER_EMAIL``
registrations and cancellations of one email address in
``RATE_LIMIT_EMAIL_SECONDS``. Past that a registration answers 429
``too_many_requests`` with ``Retry-After``. A cancellation is refused only by
the address limit: a person can always cancel their own registration, but
it counts towards their email's limit. Looks at a certificate's verification page or API count
apart, by client address, with the same pace (``verifying``).

Counts are kept in each process's memory, in fixed windows: with several
replicas each counts its own share, so the pace allowed grows with the number
of replicas; that is within what the limits are for (abuse, not accounting),
and keeps the registration path free of a shared write.
"""
import time

from nameko.extensions import DependencyProvider

from services.common.addresses import client_address
from services.common.errors import ServiceError
from services.common.settings import setting

MAX_KEYS = 100_000


class TooManyRequests(ServiceError):
    status = 429

    def __init__(self, retry_after):
        super().__init__("too_many_requests",
                         "Příliš mnoho požadavků za krátkou dobu. Zkuste to prosím znovu později.")
        self.retry_after = max(1, int(retry_after + 0.999))


class Window:
    """At most ``limit`` hits per key in each ``seconds``-long window."""

    def __init__(self, limit, seconds, clock=time.monotonic):
        self.limit, self.seconds, self.clock = int(limit), float(seconds), clock
        self.counts = {}

    def hit(self, key, refuse=True):
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

    def _forget_ended(self, now):
        self.counts = {key: value for key, value in self.counts.items() if now - value[0] < self.seconds}
        if len(self.counts) >= MAX_KEYS:  # a flood of distinct keys: start afresh rather than grow
            self.counts.clear()


class RateLimits(DependencyProvider):
    """The limits of this process, from the config; ``RATE_LIMITS: false`` turns them off."""

    def setup(self):
        config = self.container.config
        self.on = str(setting(config, "RATE_LIMITS")).lower() not in ("false", "0", "no", "off")
        self.by_address = Window(setting(config, "RATE_LIMIT_PER_ADDRESS"),
                                 setting(config, "RATE_LIMIT_ADDRESS_SECONDS"))
        # Lookups by IČO count apart from registrations: a form may look up a few, and each may ask ARES.
        self.lookups_by_address = Window(setting(config, "RATE_LIMIT_PER_ADDRESS"),
                                         setting(config, "RATE_LIMIT_ADDRESS_SECONDS"))
        self.by_email = Window(setting(config, "RATE_LIMIT_PER_EMAIL"), setting(config, "RATE_LIMIT_EMAIL_SECONDS"))
        # Certificate checks count apart too: numbers run in sequence, and a name may be guessed.
        self.verifications_by_address = Window(setting(config, "RATE_LIMIT_PER_ADDRESS"),
                                               setting(config, "RATE_LIMIT_ADDRESS_SECONDS"))
        # Login links to the municipality's page count apart, at the registration's pace.
        self.portal_by_address = Window(setting(config, "RATE_LIMIT_PER_ADDRESS"),
                                        setting(config, "RATE_LIMIT_ADDRESS_SECONDS"))
        self.portal_by_email = Window(setting(config, "RATE_LIMIT_PER_EMAIL"),
                                      setting(config, "RATE_LIMIT_EMAIL_SECONDS"))
        self.client_header = config.get("CLIENT_ADDRESS_HEADER") or None

    def get_dependency(self, worker_ctx):
        return self

    def client(self, request):
        """The client's address: the connection's, or the last hop that our proxy added to the
        configured header (only the proxy's own addition can be trusted)."""
        return client_address(request, self.client_header)

    def registering(self, request, email):
        if self.on:
            self.by_address.hit(self.client(request))
            self.by_email.hit(email.strip().casefold())

    def looking_up(self, request):
        if self.on:
            self.lookups_by_address.hit(self.client(request))

    def verifying(self, request):
        """A look at a certificate's verification page or API, with or without a name."""
        if self.on:
            self.verifications_by_address.hit(self.client(request))

    def cancelling(self, request):
        if self.on:
            self.by_address.hit(self.client(request))

    def cancelled(self, email):
        if self.on:
            self.by_email.hit(email.strip().casefold(), refuse=False)

    def asking_for_portal_link(self, request, email):
        """A request for a login link to the municipality's page: by client address and by the
        address typed (so nobody can make the system email somebody faster than the pace)."""
        if self.on:
            self.portal_by_address.hit(self.client(request))
            self.portal_by_email.hit(email.strip().casefold())
