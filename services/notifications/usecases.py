"""The notifications service's use cases around its message table."""
from datetime import timedelta

from services.common.vocabulary import DataboxStatus, EmailStatus

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


# --- Data boxes ---

def queue_databox(uow, kind, payload, ico):
    """Record a delivery to the organisation's data box; None when it was recorded before."""
    reference, number = domain.databox_reference(kind, payload)
    return store.add_databox_message(uow.conn, dict(
        reference=reference, kind=kind, ico=ico, document_number=number, payload=payload,
        status=DataboxStatus.QUEUED, attempts=0, created_at=uow.now))


def claim_databox(uow, row_id):
    if not store.claim_databox_message(uow.conn, row_id, uow.now, uow.now + timedelta(seconds=CLAIM_SECONDS)):
        return None
    return store.get_databox_message(uow.conn, row_id)


def record_databox_sent(uow, row, box_id, dm_id, poll_seconds):
    store.update_databox_message(uow.conn, row["id"], {
        "status": DataboxStatus.SENT, "box_id": box_id, "dm_id": dm_id, "attempts": row["attempts"] + 1,
        "sent_at": uow.now, "last_error": None, "next_attempt_at": uow.now + timedelta(seconds=poll_seconds)})


def record_databox_delivery(uow, row, delivery, poll_seconds):
    """The delivery note as far as it goes: asked again until accepted (or for DATABOX_POLL_DAYS)."""
    values = {"delivered_at": delivery.delivery_time, "accepted_at": delivery.acceptance_time}
    if delivery.acceptance_time is not None:
        values.update(status=DataboxStatus.ACCEPTED, next_attempt_at=None)
    elif row["sent_at"] is not None and uow.now - row["sent_at"] > timedelta(days=domain.DATABOX_POLL_DAYS):
        values.update(status=DataboxStatus.DELIVERED if delivery.delivery_time else DataboxStatus.SENT,
                      next_attempt_at=None, last_error="the delivery note was not complete in time")
    else:
        values.update(status=DataboxStatus.DELIVERED if delivery.delivery_time else DataboxStatus.SENT,
                      next_attempt_at=uow.now + timedelta(seconds=poll_seconds))
    store.update_databox_message(uow.conn, row["id"], values)


def record_databox_failure(uow, row, error, delays):
    """ISDS did not answer: try again later (asking first whether the message arrived after all)."""
    attempts = row["attempts"] + 1
    if row["status"] in (DataboxStatus.SENT, DataboxStatus.DELIVERED):  # a question about its note
        store.update_databox_message(uow.conn, row["id"], {
            "last_error": str(error)[:2000], "next_attempt_at": domain.next_attempt_at(1, uow.now, delays)})
        return
    if attempts >= domain.DATABOX_MAX_ATTEMPTS:
        values = {"status": DataboxStatus.FAILED, "next_attempt_at": None}
    else:
        values = {"status": DataboxStatus.AWAITING_RETRY,
                  "next_attempt_at": domain.next_attempt_at(attempts, uow.now, delays)}
    store.update_databox_message(uow.conn, row["id"], dict(values, attempts=attempts, last_error=str(error)[:2000]))


def record_email_instead(uow, row, reason, box_id=None):
    store.update_databox_message(uow.conn, row["id"], {
        "status": DataboxStatus.EMAIL_INSTEAD, "box_id": box_id, "attempts": row["attempts"] + 1,
        "last_error": reason[:2000], "next_attempt_at": None})
