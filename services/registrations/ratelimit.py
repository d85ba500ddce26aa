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
from nameko.extensions import DependencyProvider

from services.common.addresses import client_address
from services.common.ratelimit import TooManyRequests, Window
from services.common.settings import setting

__all__ = ["RateLimits", "TooManyRequests", "Window"]


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
