"""Logging: one line per entrypoint call with its id; readable or JSON (LOG_FORMAT).

Guarantee: no log line carries a secret link. The manage token of a
registration, the unsubscribe token of a contact and the personal links to an
event's materials and feedback questionnaire travel in URL paths, which
the web server's access log and our error logs print; ``MaskSecrets`` (a
filter on every handler, see ``deploy/config.yaml``) replaces them with ``***``
in the message and in any traceback before a line is written.
"""
import json
import logging
import re
import time
from typing import Any

from nameko.extensions import DependencyProvider

log = logging.getLogger("calls")


SECRET_PATHS = re.compile(r"(/r/|/api/registrations/|/announcements/unsubscribe/|/materials/|/feedback/)"
                          r"[A-Za-z0-9_\-]{6,}")


def mask(text: str) -> str:
    """``text`` with the tokens of secret links replaced by ``***``."""
    return SECRET_PATHS.sub(r"\1***", text)


class MaskSecrets(logging.Filter):
    """Masks secret links in a record's message and traceback; lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the call's fields when the record carries them."""

    FIELDS = ("service", "entrypoint", "call_id", "message_id", "duration_ms", "outcome")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage()}
        for field in self.FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class CallLog(DependencyProvider):
    """Logs every RPC, event and timer call of the service: what, its id, how long, how it ended."""

    def setup(self) -> None:
        self._started: dict[str, float] = {}

    def worker_setup(self, worker_ctx: Any) -> None:
        self._started[worker_ctx.call_id] = time.perf_counter()

    def worker_result(self, worker_ctx: Any, result: object = None, exc_info: Any = None) -> None:
        started = self._started.pop(worker_ctx.call_id, None)
        if worker_ctx.entrypoint.__class__.__name__ == "SiteRequestHandler":
            return  # the web server writes its own line per request
        duration = round(1000 * (time.perf_counter() - started), 1) if started else None
        payload = worker_ctx.args[0] if worker_ctx.args and isinstance(worker_ctx.args[0], dict) else {}
        outcome = "ok" if exc_info is None else exc_info[0].__name__
        fields = {"service": worker_ctx.service_name, "entrypoint": worker_ctx.entrypoint.method_name,
                  "call_id": worker_ctx.call_id, "message_id": payload.get("message_id"),
                  "duration_ms": duration, "outcome": outcome}
        log.info("%s.%s %s %s ms%s", fields["service"], fields["entrypoint"], outcome, duration,
                 f" message {fields['message_id']}" if fields["message_id"] else "", extra=fields)
