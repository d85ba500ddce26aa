"""Errors that cross service boundaries with a stable code and a Czech message.

The same classes travel over RPC (nameko re-raises them by name on the caller
as ``RemoteError`` with ``exc_type`` set) and become JSON over HTTP.
"""


class ServiceError(Exception):
    """A refusal the caller can act on: a stable ``code``, a Czech ``message``."""

    status = 400

    def __init__(self, code, message, fields=None):
        super().__init__(code, message, fields or {})
        self.code = code
        self.message = message
        self.fields = fields or {}

    def as_dict(self):
        body = {"error": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body

    def __str__(self):
        return f"{self.code}: {self.message}"


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class ValidationError(ServiceError):
    status = 422

    def __init__(self, fields, message="Některé údaje nejsou vyplněny správně.", code="validation_error"):
        super().__init__(code, message, fields)


EXPECTED = (NotFound, Conflict, ValidationError)
