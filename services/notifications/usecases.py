"""The notifications service's use cases around its message table."""
from datetime import timedelta

from services.common.vocabulary import EmailStatus

from . import domain, store

CLAIM_SECONDS = 120


def queue(uow, kind, payload, recipient, message_id_header, not_before=None):
    """Record a message before sending it; None when it was recorded before."""
    about = payload.get("registration") or {}
    return store.add_message(uow.conn, dict(
        dedup_key=domain.dedup_key(kind, payload), kind=kind, recipient=recipient, payload=payload,
        registration_id=about.get("id"), event_version=(payload.get("event") or {}).get("version"),
        message_id_header=message_id_header, status=EmailStatus.QUEUED, attempts=0, created_at=uow.now,
        next_attempt_at=not_before,
    ))


def claim(uow, message_id):
    """The message, taken for sending by this worker; None when someone else has it, it is done,
    or what it says was overtaken since it was queued (then it is marked superseded)."""
    conn, now = uow.conn, uow.now
    if not store.claim(conn, message_id, now, now + timedelta(seconds=CLAIM_SECONDS)):
        return None
    message = store.get_message(conn, message_id)
    reason = domain.overtaken_by(message["kind"], message["event_version"], store.facts_since(conn, message))
    if reason is not None:
        store.record_outcome(conn, message_id, {"status": EmailStatus.SUPERSEDED, "next_attempt_at": None,
                                                "last_error": f"not sent: overtaken by {reason}"})
        return None
    return message


def record_sent(uow, message):
    store.record_outcome(uow.conn, message["id"], {
        "status": EmailStatus.SENT, "attempts": message["attempts"] + 1, "sent_at": uow.now, "last_error": None,
        "next_attempt_at": None,
    })


def record_failure(uow, message, error, permanent, delays):
    attempts = message["attempts"] + 1
    if permanent or domain.gives_up(attempts):
        values = {"status": EmailStatus.FAILED, "next_attempt_at": None}
    else:
        values = {"status": EmailStatus.AWAITING_RETRY,
                  "next_attempt_at": domain.next_attempt_at(attempts, uow.now, delays)}
    store.record_outcome(uow.conn, message["id"], dict(values, attempts=attempts, last_error=str(error)[:2000]))
