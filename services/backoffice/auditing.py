"""The console's audit of what staff do through other services, written before it is done.

Guarantee: no action without its audit row. The console cannot share a
transaction with another service's database, so it does not try: the row is
written first, as an intent (``started``), in the console's own database and
its own committed transaction; only then is the other service called. If the
intent cannot be written, the action is not performed and staff see the outage
page (503). When the call returns, the row is marked ``done`` (with what the
answer adds to its details); when it raises a refusal (``NotFound``,
``Conflict``, ``ValidationError``...), ``refused`` with the refusal's code; when
it fails otherwise (the service away, a timeout), ``failed`` with the error's
code, which does not prove that nothing was done: a call that timed out may
have been carried out after all. A row left ``started`` (the console stopped,
or its database went away, between the call and the mark) is shown as
unfinished: the action may have happened, and the row says who started it and
when. So every action that happened has its row; a row may exist for an
action that did not.

Reads of personal data (exports, PDFs, an email's contents) are recorded the
same way, before the data is fetched.

Actions of the console on its own tables (accounts, passwords) keep writing
their row in the same transaction as the change (``usecases.audit``).

    with self._audited(request, "event_published", {"event_id": event_id}) as entry:
        event = self.registrations.publish_event(event_id)
        entry.details["title"] = event["title"]
"""
import logging
from contextlib import contextmanager

from services.common.errors import ServiceError, ServiceUnavailable, outage

from . import store
from .domain import REFUSAL, AuditOutcome

log = logging.getLogger(__name__)

# How each outcome reads on the audit page and in its CSV.
OUTCOMES = {AuditOutcome.DONE: "provedeno", AuditOutcome.REFUSED: "odmítnuto", AuditOutcome.FAILED: "nezdařilo se",
            AuditOutcome.STARTED: "nedokončeno (výsledek nejistý)"}


class Entry:
    """The audit row of an action under way: its ``id``, and ``details`` the action may add to."""

    def __init__(self, entry_id, details):
        self.id = entry_id
        self.details = details


# Why an action failed, as staff read it; the error column keeps the code for filtering.
FAILURES = {"service_unavailable": "služba byla nedostupná"}


def outcome_text(row) -> str:
    """``provedeno``, ``odmítnuto: Akce je plná.``, ``nezdařilo se (služba byla nedostupná)``; a
    row from before outcomes were kept was done, and one from before refusals were kept in Czech
    shows its code."""
    text = OUTCOMES.get(row.get("outcome") or "done", row.get("outcome"))
    refusal = (row.get("details") or {}).get(REFUSAL)
    if refusal:
        return f"{text}: {refusal}"
    if row.get("outcome") == AuditOutcome.FAILED:
        return f"{text} ({FAILURES.get(row.get('error'), 'chyba v systému')})"
    return f"{text} ({row['error']})" if row.get("error") else text


@contextmanager
def audited(database, clock, account, action, details):
    """Write the intent row of ``action`` (committed), run the block, then mark how it ended."""
    details = dict(details or {})
    try:
        with database.transaction() as tx:
            entry = Entry(store.add_audit(tx, clock(), account["email"], action, details, outcome=AuditOutcome.STARTED),
                          details)
    except Exception as error:  # no row, no action: the block does not run
        log.warning("audit row of %s not written, the action is not performed: %s", action, error)
        raise (outage(error) or ServiceUnavailable("audit")) from error
    try:
        yield entry
    except BaseException as error:
        if isinstance(error, ServiceError) and not isinstance(error, ServiceUnavailable):
            entry.details[REFUSAL] = error.message
            _finish(database, clock, entry, "refused", error.code)
        else:
            unavailable = outage(error) if isinstance(error, Exception) else None
            _finish(database, clock, entry, AuditOutcome.FAILED,
                    unavailable.code if unavailable else type(error).__name__)
        raise
    _finish(database, clock, entry, AuditOutcome.DONE)


def _finish(database, clock, entry, outcome, error=None):
    """Mark the row; when that fails the row stays ``started`` (unfinished), which it truly is
    as far as the log can tell, and the page still answers with what the action did."""
    try:
        with database.transaction() as tx:
            store.finish_audit(tx, entry.id, outcome, entry.details, clock(), error=str(error)[:60] if error else None)
    except Exception:
        log.exception("audit row %s not marked %s; it stays unfinished", entry.id, outcome)
