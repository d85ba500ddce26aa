"""The health check that every service answers: over RPC, and over HTTP where it serves HTTP."""
import logging
from enum import StrEnum
from typing import Any

from kombu import Connection
from sqlalchemy import text

from .rpc import rpc

log = logging.getLogger(__name__)

BROKER_CHECK_SECONDS = 2


class Health(StrEnum):
    """How one part of a service (its database, the broker) answers, and so the service."""

    OK = "ok"
    UNAVAILABLE = "unavailable"


class HealthCheck:
    """Mixed into each service: which of its parts answer now."""

    # What the service it is mixed into has (annotations only: nothing is set here).
    name: str
    db: Any  # db.DatabaseProvider's dependency
    config: dict[str, Any]

    @rpc
    def health(self) -> dict[str, str]:
        """Answered over RPC, so the broker delivered the call; says how the database is."""
        return {**self.parts_health(), "service": self.name}

    def parts_health(self) -> dict[str, Health]:
        """``{"database": "ok" | "unavailable", "broker": ...}``: a query, and a fresh connection."""
        parts: dict[str, Health] = {}
        try:
            with self.db.transaction() as tx:
                tx.execute(text("SELECT 1"))
            parts["database"] = Health.OK
        except Exception as error:
            log.warning("health: the database does not answer: %s", error)
            parts["database"] = Health.UNAVAILABLE
        try:
            with Connection(self.config["AMQP_URI"], connect_timeout=BROKER_CHECK_SECONDS) as connection:
                # every node of AMQP_URI (``;``-separated) gets its try
                connection.ensure_connection(max_retries=max(1, len(connection.alt)), interval_start=0,
                                             interval_step=0, timeout=BROKER_CHECK_SECONDS)
            parts["broker"] = Health.OK
        except Exception as error:
            log.warning("health: the broker does not answer: %s", error)
            parts["broker"] = Health.UNAVAILABLE
        return parts
