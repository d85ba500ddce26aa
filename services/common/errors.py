"""Errors that cross service boundaries with a stable code and a Czech message.

The same classes travel over RPC and become JSON over HTTP. They are registered
with nameko, so a caller gets the refusal itself (``NotFound``, ``Conflict``,
``ValidationError`` with its fields, ``ServiceUnavailable``) rather than a
``RemoteError``; each keeps in ``args`` what its constructor takes, so that
nameko can build it again on the caller's side.
"""
import sqlite3
from typing import Any

from kombu.exceptions import OperationalError as BrokerError
from nameko.exceptions import deserialize_to_instance
from sqlalchemy.exc import DBAPIError


class ServiceError(Exception):
    """A refusal the caller can act on: a stable ``code``, a Czech ``message``."""

    status = 400

    def __init__(self, code: str, message: str, fields: dict[str, Any] | None = None) -> None:
        super().__init__(code, message, fields or {})
        self.code = code
        self.message = message
        self.fields = fields or {}

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class ValidationError(ServiceError):
    status = 422

    def __init__(self, fields: dict[str, Any] | None, message: str = "Některé údaje nejsou vyplněny správně.",
                 code: str = "validation_error") -> None:
        super().__init__(code, message, fields)
        self.args = (fields, message, code)


EXPECTED = (NotFound, Conflict, ValidationError)

READ_ONLY_SQL_TRANSACTION = "25006"  # PostgreSQL: a write refused by a standby or a read-only server


class ServiceUnavailable(ServiceError):
    """A part the answer needs (a database, the broker, another service) is away for now."""

    status = 503
    retry_after = 5

    def __init__(self, part: str,
                 message: str = "Služba je na chvíli nedostupná. Zkuste to prosím za okamžik znovu.") -> None:
        super().__init__("service_unavailable", message)
        self.part = part
        self.args = (part, message)


for _refusal in (NotFound, Conflict, ValidationError, ServiceUnavailable):
    deserialize_to_instance(_refusal)


def outage(error: BaseException) -> ServiceUnavailable | None:
    """``error`` as a ``ServiceUnavailable`` when it says that a database or the broker is away
    (worth trying again shortly), or None when the request or the code is at fault."""
    if isinstance(error, ServiceUnavailable):
        return error
    original = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(original, sqlite3.OperationalError):  # another writer holds the file
        words = str(original)
        return ServiceUnavailable("database") if ("locked" in words or "busy" in words) else None
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return ServiceUnavailable("database")
        pgcode = getattr(original, "pgcode", None)
        if pgcode:  # connection exception, too many connections, shutting down or starting up,
            # or a server that no longer takes writes (a primary demoted: the new one is elsewhere)
            return ServiceUnavailable("database") if (pgcode.startswith(("08", "53", "57P"))
                                                      or pgcode == READ_ONLY_SQL_TRANSACTION) else None
        # psycopg2 says "cannot connect" with no code at all
        return ServiceUnavailable("database") if error.__class__.__name__ in ("OperationalError",
                                                                              "InterfaceError") else None
    if isinstance(error, (BrokerError, ConnectionError)):
        return ServiceUnavailable("broker")
    return None
