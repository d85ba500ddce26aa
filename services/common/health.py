"""The health check over RPC that every service answers."""
from nameko.rpc import rpc
from sqlalchemy import text


class HealthCheck:
    """Mixed into each service: ``health()`` answers when the broker delivered the call and
    the service's database answers a query."""

    @rpc
    def health(self):
        with self.db.transaction() as tx:
            tx.execute(text("SELECT 1"))
        return {"service": self.name, "broker": "ok", "database": "ok"}
