"""RPC that neither hangs nor dies with the broker.

Guarantee, for the caller: no call waits longer than its timeout, so one
service down cannot hold every worker of another. nameko's ``RpcProxy``
waits for a reply for as long as it takes; this one raises
``ServiceUnavailable`` after ``timeout_setting`` seconds (from the config),
and the request carries the same time as its TTL, so a request nobody took in
time is dropped by the broker rather than run by the service when it comes
back. A service that has never started (no queue) is unavailable at once.

For the service called: a reply that cannot be sent because the broker went
away is logged, and the request, never acked, is delivered again; nameko
would instead let the error end the whole process.
"""
import logging
from collections.abc import Callable
from typing import Any

import eventlet
from kombu import Queue
from nameko.exceptions import UnknownService
from nameko.rpc import ReplyListener, Rpc, RpcConsumer, RpcProxy

from services.common.settings import setting

from .errors import ServiceUnavailable, outage
from .events import QUORUM

log = logging.getLogger(__name__)


class QuorumRpcConsumer(RpcConsumer):
    """nameko's consumer of a service's ``rpc-<service>`` queue, which it declares as a quorum queue:
    a call published (and confirmed) before a broker node is lost is still there after."""

    queue: Any

    def setup(self) -> None:
        first = self.queue is None  # shared by the service's entrypoints: set up once
        super().setup()
        if first:
            queue = self.queue
            self.queue = Queue(queue.name, exchange=queue.exchange, routing_key=queue.routing_key, durable=True,
                               queue_arguments=dict(QUORUM))


class TransientReplyListener(ReplyListener):
    """nameko's reply queue of a calling service, not durable. nameko declares it durable (classic):
    on a cluster, a durable classic queue whose node is lost cannot be declared again on another
    node until that node returns, so the caller could not reconnect. A transient one is dropped
    with its node and made again where the caller reconnects; a reply lost with it ends in the
    caller's timeout (``ServiceUnavailable``), as any lost call does."""

    queue: Any

    def setup(self) -> None:
        super().setup()
        queue = self.queue
        self.queue = Queue(queue.name, exchange=queue.exchange, routing_key=queue.routing_key, durable=False,
                           queue_arguments=queue.queue_arguments)


class SurvivingRpc(Rpc):
    """nameko's ``rpc`` entrypoint, whose process outlives a reply lost to a broker outage."""

    rpc_consumer = QuorumRpcConsumer()

    def handle_result(self, message: Any, worker_ctx: Any, result: object, exc_info: Any) -> tuple[object, Any]:
        try:
            handled: tuple[object, Any] = super().handle_result(message, worker_ctx, result, exc_info)
            return handled
        except Exception as error:
            if outage(error) is None:
                raise
            log.warning("%s: the reply was not sent, the broker is away (%s)", worker_ctx.call_id, error)
            return result, exc_info


rpc = SurvivingRpc.decorator


class RpcClient(RpcProxy):
    """An ``RpcProxy`` whose every call ends within the timeout named by ``timeout_setting``."""

    rpc_reply_listener = TransientReplyListener()

    def __init__(self, target_service: str, timeout_setting: str = "RPC_TIMEOUT_SECONDS") -> None:
        super().__init__(target_service)
        self.timeout_setting = timeout_setting

    def setup(self) -> None:
        self.timeout = float(setting(self.container.config, self.timeout_setting))
        self.options["expiration"] = self.timeout

    def get_dependency(self, worker_ctx: Any) -> "_TimedProxy":
        return _TimedProxy(super().get_dependency(worker_ctx), self.target_service, self.timeout)


class _TimedProxy:
    def __init__(self, proxy: Any, service: str, timeout: float) -> None:
        self._proxy, self._service, self._timeout = proxy, service, timeout

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._proxy, name)

        def call(*args: Any, **kwargs: Any) -> Any:
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
