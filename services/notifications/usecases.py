"""The notifications service's use cases around its message table."""
from datetime import timedelta

from services.common.errors import NotFound, ValidationError
from services.common.vocabulary import DataboxStatus, EmailStatus

from . import domain, store, texts

CLAIM_SECONDS = 120


def queue(uow, kind, payload, recipient, message_id_header, not_before=None, texts_read=None):
    """Record a message before sending it; None when it was recorded before."""
    return store.add_message(uow.conn, message_row(uow, kind, payload, recipient, message_id_header,
                                                   not_before=not_before, texts_read=texts_read))


def message_row(uow, kind, payload, recipient, message_id_header, not_before=None, texts_read=None):
    """The row that records a message before it is sent (``queue``, ``queue_rows``). ``texts_read``,
    a dict kept for one transaction, saves reading the active text of a kind more than once."""
    about = payload.get("registration") or {}
    if texts_read is None:
        text = store.active_text(uow.conn, kind)
    else:
        if kind not in texts_read:
            texts_read[kind] = store.active_text(uow.conn, kind)
        text = texts_read[kind]
    return dict(
        text_version=text["version"] if text is not None else None,
        dedup_key=domain.dedup_key(kind, payload), kind=kind, recipient=recipient, payload=payload,
        registration_id=about.get("id"), event_version=(payload.get("event") or {}).get("version"),
        message_id_header=message_id_header, status=EmailStatus.QUEUED, attempts=0, created_at=uow.now,
        next_attempt_at=not_before,
    )


def queue_rows(uow, rows):
    """Record ``rows`` (``message_row``) with one statement; the id of each, None for one recorded
    before (or earlier in ``rows``). A row the database refuses fails the statement, for all."""
    return store.add_messages(uow.conn, rows)


def claim_batch(uow, message_ids):
    """The messages of ``message_ids`` taken for sending by this worker, in one transaction, in
    the order of their ids: not those someone else has or that are done, and not those whose
    news was overtaken since they were queued (those are marked superseded, here). Each comes
    with the office's text it is made with (``text``)."""
    conn, now = uow.conn, uow.now
    rows = store.claim_many(conn, message_ids, now, now + timedelta(seconds=CLAIM_SECONDS))
    about = store.messages_about(conn, [row["registration_id"] for row in rows])
    texts_seen, claimed, superseded = {}, [], []
    for row in rows:
        reason = domain.overtaken_by(row["kind"], row["event_version"], domain.facts_since(row, about))
        if reason is not None:
            superseded.append((row["id"], {"status": EmailStatus.SUPERSEDED, "next_attempt_at": None,
                                           "last_error": f"not sent: overtaken by {reason}"}))
            continue
        version = (row["kind"], row["text_version"])
        if version not in texts_seen:
            texts_seen[version] = text_of(conn, row)
        claimed.append(dict(row, text=texts_seen[version]))
    store.record_outcomes(conn, superseded)
    return claimed


def text_of(conn, message):
    """The office's text a queued message is made with: the version active when it was queued
    (None: the default files), whatever was saved since."""
    if message["text_version"] is None:
        return None
    row = store.text_version(conn, message["kind"], message["text_version"])
    return row["body"] if row is not None else None


# The office's texts (``texts.py``)

def texts_overview(conn):
    """Every email's text: whether it is the office's own, which version, who saved it and when."""
    active = store.active_versions(conn)
    return [{"key": key, "subject": domain.EMAILS[key].subject, "own": bool(active.get(key) and active[key]["body"]),
             "version": active[key]["version"] if key in active else None,
             "saved_by": active[key]["created_by"] if key in active else None,
             "saved_at": active[key]["created_at"].isoformat() if key in active else None}
            for key in texts.keys()]


def text_detail(conn, key):
    """One email's text as new emails get it, its default, its variables and its history."""
    if key not in texts.keys():
        raise NotFound("text_not_found", "Takový e-mail neznáme.")
    active = store.active_text(conn, key)
    default = texts.default_body(key)
    return {"key": key, "subject": domain.EMAILS[key].subject,
            "body": active["body"] if active is not None and active["body"] is not None else default,
            "own": bool(active is not None and active["body"] is not None),
            "version": active["version"] if active is not None else None,
            "default": default, "variables": texts.labelled(key),
            "history": [{"version": row["version"], "default": row["body"] is None, "active": row["active"],
                         "body": row["body"], "created_by": row["created_by"],
                         "created_at": row["created_at"].isoformat()} for row in store.text_history(conn, key)]}


def checked(key, body):
    """``body`` as a text of ``key`` may be saved; otherwise a ValidationError with a Czech sentence."""
    if key not in texts.keys():
        raise NotFound("text_not_found", "Takový e-mail neznáme.")
    body = str(body or "").replace("\r\n", "\n")
    try:
        texts.check(key, body)
    except texts.TextRefused as refused:
        raise ValidationError({"body": refused.message}, refused.message) from None
    return body


def save_text(uow, key, body, by):
    """Save a new version of ``key``'s text (checked first); emails queued from now on use it,
    those queued before keep theirs. Returns the new version."""
    body = checked(key, body)
    return store.add_text_version(uow.conn, key, body, str(by), uow.now)


def revert_text(uow, key, by):
    """Back to the default files: a version without a text, so the history says who and when.
    None when the default is what new emails get already."""
    if key not in texts.keys():
        raise NotFound("text_not_found", "Takový e-mail neznáme.")
    active = store.active_text(uow.conn, key)
    if active is None or active["body"] is None:
        return None
    return store.add_text_version(uow.conn, key, None, str(by), uow.now)


def record_sent(uow, message):
    store.record_outcome(uow.conn, message["id"], {
        "status": EmailStatus.SENT, "attempts": message["attempts"] + 1, "sent_at": uow.now, "last_error": None,
        "next_attempt_at": None,
    })


def record_all_sent(uow, messages):
    """``record_sent`` for ``messages``: one statement for those with the same attempts so far."""
    by_attempts = {}
    for message in messages:
        by_attempts.setdefault(message["attempts"], []).append(message["id"])
    for attempts, message_ids in by_attempts.items():
        store.record_same_outcome(uow.conn, message_ids, {
            "status": EmailStatus.SENT, "attempts": attempts + 1, "sent_at": uow.now, "last_error": None,
            "next_attempt_at": None,
        })


def put_back(uow, message):
    """A claimed message that was not tried (its batch ran out of time before it): due again at
    once, no attempt counted."""
    store.record_outcome(uow.conn, message["id"], {
        "status": EmailStatus.AWAITING_RETRY if message["attempts"] else EmailStatus.QUEUED,
        "next_attempt_at": uow.now})


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


def claim_databox(uow, row_id, claim_seconds):
    """The row, taken for its next step for ``claim_seconds`` (longer than that step can take:
    ``domain.databox_claim_seconds``); None when done, not due, or taken by someone else.

    A send is counted as started here, in the claim's own transaction (``attempts`` + 1), before
    anything reaches ISDS: whatever becomes of this worker afterwards (killed, its record failing),
    the next attempt sees ``attempts`` > 1 and searches the sent messages before sending."""
    if not store.claim_databox_message(uow.conn, row_id, uow.now, uow.now + timedelta(seconds=claim_seconds)):
        return None
    row = store.get_databox_message(uow.conn, row_id)
    if row["status"] in (DataboxStatus.QUEUED, DataboxStatus.AWAITING_RETRY):
        store.count_databox_attempt(uow.conn, row_id)
        row = store.get_databox_message(uow.conn, row_id)
    return row


def databox_send_started_before(row):
    """Whether an earlier attempt may have reached ISDS (``row`` as ``claim_databox`` returns it)."""
    return row["attempts"] > 1


def record_databox_sent(uow, row, box_id, dm_id, poll_seconds):
    store.update_databox_message(uow.conn, row["id"], {
        "status": DataboxStatus.SENT, "box_id": box_id, "dm_id": dm_id,
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
    """ISDS did not answer: try again later (asking first whether the message arrived after all).

    Every attempt used (``DATABOX_MAX_ATTEMPTS``): nothing is written, and the Czech reason is
    returned, for the caller to send the document by email instead in this same transaction
    (``record_email_instead``); None otherwise."""
    attempts = row["attempts"]  # this attempt counted when claimed
    if row["status"] in (DataboxStatus.SENT, DataboxStatus.DELIVERED):  # a question about its note
        store.update_databox_message(uow.conn, row["id"], {
            "last_error": str(error)[:2000], "next_attempt_at": domain.next_attempt_at(1, uow.now, delays)})
        return None
    if attempts >= domain.DATABOX_MAX_ATTEMPTS:
        return f"datová schránka nebyla k zastižení ani po {attempts} pokusech (naposledy: {error})"
    store.update_databox_message(uow.conn, row["id"], {
        "status": DataboxStatus.AWAITING_RETRY, "next_attempt_at": domain.next_attempt_at(attempts, uow.now, delays),
        "last_error": str(error)[:2000]})
    return None


def record_email_instead(uow, row, reason, box_id=None):
    store.update_databox_message(uow.conn, row["id"], {
        "status": DataboxStatus.EMAIL_INSTEAD, "box_id": box_id,
        "last_error": reason[:2000], "next_attempt_at": None})


def forget_databox_payloads(uow, before):
    """Retention: what a finished delivery to a data box carried (names, addresses, birth dates,
    links) is dropped once it finished before ``before``; the record (number, dmID, times) stays."""
    return _purge_databox_payloads(uow, store.finished_databox_messages(uow.conn, before))


def erase_from_databox_messages(uow, email):
    """A person's erasure: every finished delivery whose payload names ``email`` loses its payload.
    One still under way keeps it until it finishes (it is the organisation's document, owed to it,
    and its email fallback needs the addresses); the retention drops it after that."""
    named = store.databox_messages_naming(uow.conn, email)
    return _purge_databox_payloads(uow, [row for row in named
                                         if domain.databox_finished(row["status"], row["next_attempt_at"])])


def _purge_databox_payloads(uow, rows):
    """Keep only what the record shows (which document it was): ``domain.databox_document``."""
    for row in rows:
        store.update_databox_message(uow.conn, row["id"], {
            "payload": dict(store.PURGED, document=domain.databox_document(row["kind"], row["payload"]))})
    return len(rows)
