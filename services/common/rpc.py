"""Calls to another service that give up in time.

Guarantee: no call waits longer than its timeout, so one service down cannot
hold every worker of another. nameko's ``RpcProxy`` waits for a reply for as
long as it takes; this one raises ``ServiceUnavailable`` after
``timeout_setting`` seconds (from the config), and the request carries the
same time as its TTL, so a request nobody took in time is dropped by the
broker rather than run by the service when it comes back.
"""
import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy

from .errors import ServiceUnavailable, outage

DEFAULT_TIMEOUT_SECONDS = 10.0


class RpcClient(RpcProxy):
    """An ``RpcProxy`` whose every call ends within the timeout named by ``timeout_setting``."""

    def __init__(self, target_service, timeout_setting="RPC_TIMEOUT_SECONDS"):
        super().__init__(target_service)
        self.timeout_setting = timeout_setting

    def setup(self):
        self.timeout = float(self.container.config.get(self.timeout_setting, DEFAULT_TIMEOUT_SECONDS))
        self.options["expiration"] = self.timeout

    def get_dependency(self, worker_ctx):
        return _TimedProxy(super().get_dependency(worker_ctx), self.target_service, self.timeout)


class _TimedProxy:
    def __init__(self, proxy, service, timeout):
        self._proxy, self._service, self._timeout = proxy, service, timeout

    def __getattr__(self, name):
        method = getattr(self._proxy, name)

        def call(*args, **kwargs):
            timeout = eventlet.Timeout(self._timeout)
            try:
                return method(*args, **kwargs)
            except eventlet.Timeout as error:
                if error is not timeout:
                    raise
                raise ServiceUnavailable(self._service) from None
            except UnknownService:
                raise ServiceUnavailable(self._service) from None
            except Exception as error:
                unavailable = outage(error)  # the broker away while publishing the call
                if unavailable is None:
                    raise
                raise unavailable from error
            finally:
                timeout.cancel()

        return call
