"""Delivery rules: what each kind of email carries, what makes messages the same, and when to
try again."""
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.common import calendar
from services.common.vocabulary import DataboxStatus, EmailKind, InvoiceKind, MessagePurpose

DEFAULT_RETRY_DELAYS = (10, 30, 120, 600, 3600)
# With the default delays, about two days of retrying at the last pace.
MAX_ATTEMPTS = 50


@dataclass(frozen=True)
class Email:
    """One kind of email: its text is the templates ``<kind>.txt`` and ``<kind>.html``, its
    subject a format of the payload's words (``{title}`` the event's, ``{date}`` its day,
    ``{subject}`` staff's, ``{number}`` and ``{document}`` the invoice's); the rest says what goes
    with it besides its text."""

    kind: EmailKind
    subject: str
    ticket: bool = False  # the ticket (a PDF from documents)
    certificate: bool = False  # the certificate (a PDF from documents, which numbers it)
    invoice: bool = False  # the invoice or credit note: its PDF and its ISDOC
    payment: bool = False  # how to pay, with the QR Platba picture, while the registration is unpaid
    calendar: int | None = None  # the calendar entry (``calendar.ENTRY``) or its withdrawal (``WITHDRAWN``)
    # The ticket and the calendar entry only when the registration has a seat (a restored one
    # may be back on the waitlist).
    seat_only: bool = False
    unsubscribe: bool = False  # the List-Unsubscribe headers (announcements to the members' contacts)

    @property
    def template(self) -> str:
        return self.kind.value


EMAILS = {email.kind: email for email in (
    Email(EmailKind.REGISTRATION_CONFIRMED, "Potvrzení přihlášky: {title}", ticket=True, payment=True,
          calendar=calendar.ENTRY),
    Email(EmailKind.REGISTRATION_WAITLISTED, "Jste na čekací listině: {title}"),
    Email(EmailKind.REGISTRATION_PROMOTED, "Uvolnilo se místo, jste přihlášeni: {title}", ticket=True, payment=True,
          calendar=calendar.ENTRY),
    Email(EmailKind.REGISTRATION_CANCELLED, "Přihláška zrušena: {title}", calendar=calendar.WITHDRAWN),
    Email(EmailKind.REGISTRATION_RESTORED, "Přihláška obnovena: {title}", ticket=True, payment=True,
          calendar=calendar.ENTRY, seat_only=True),
    Email(EmailKind.SUBSTITUTE_CONFIRMED, "Jste přihlášeni místo kolegy: {title}", ticket=True, payment=True,
          calendar=calendar.ENTRY),
    Email(EmailKind.REGISTRATION_SUBSTITUTED, "Místo předáno náhradníkovi: {title}", calendar=calendar.WITHDRAWN),
    Email(EmailKind.EVENT_UPDATED, "Změna akce: {title}", calendar=calendar.ENTRY),
    Email(EmailKind.EVENT_CANCELLED, "Akce se ruší: {title}", calendar=calendar.WITHDRAWN),
    Email(EmailKind.REMINDER_DUE, "Připomínka: {title} ({date})", ticket=True, payment=True),
    Email(EmailKind.ATTENDANCE_CONFIRMED, "Osvědčení o absolvování: {title}", certificate=True),
    Email(EmailKind.ANNOUNCEMENT, "{subject}", unsubscribe=True),
    Email(EmailKind.PAYMENT_RECEIVED, "Platba přijata: {title}"),
    Email(EmailKind.PAYMENT_OVERDUE, "Připomínka platby: {title}", payment=True),
    Email(EmailKind.PAYMENT_RELEASE_WARNING, "Zaplaťte prosím, jinak místo uvolníme: {title}", payment=True),
    Email(EmailKind.REFUND_DUE, "Vrácení platby: {title}"),
    Email(EmailKind.INVOICE_ISSUED, "{document} {number}: {title}", invoice=True),
    Email(EmailKind.COLLEAGUES_REGISTERED, "Přihlášení kolegové: {title}"),
    Email(EmailKind.ATTENDEE_MESSAGE, "{subject}"),
    Email(EmailKind.MATERIALS_AVAILABLE, "Podklady z akce: {title}"),
    Email(EmailKind.FEEDBACK_REQUEST, "Zpětná vazba: {title}"),
    Email(EmailKind.PORTAL_LINK, "Přihlášení na stránku obce"),
)}


def dedup_key(kind: EmailKind, payload: Mapping[str, Any]) -> str:
    """One message per kind, registration and event version; one per announcement and contact."""
    if kind == EmailKind.ANNOUNCEMENT:
        return f"{kind}:{payload['announcement_id']}:{payload['contact']['id']}"
    if kind == EmailKind.ATTENDEE_MESSAGE:  # one per staff message and registration
        return f"{kind}:{payload['batch_id']}:{payload['registration']['id']}"
    if kind in ATTENDEE_FOLLOW_UPS.values():  # once per registration, whatever the batch
        return f"{kind}:{payload['registration']['id']}"
    if kind == EmailKind.INVOICE_ISSUED:
        return f"{kind}:{payload['invoice']['number']}:{payload['recipient']}"
    if kind == EmailKind.PORTAL_LINK:  # one per link asked for
        return f"{kind}:{payload['link_id']}"
    if kind == EmailKind.COLLEAGUES_REGISTERED:  # one summary per group: its first registration names it
        return f"{kind}:{payload['registrations'][0]['id']}"
    return f"{kind}:{payload['registration']['id']}:{payload['event']['version']}"


# What registrations' ``attendees_messaged`` asks for: the kind of email for each ``purpose``.
ATTENDEE_FOLLOW_UPS = {MessagePurpose.MESSAGE: EmailKind.ATTENDEE_MESSAGE,
                       MessagePurpose.MATERIALS: EmailKind.MATERIALS_AVAILABLE,
                       MessagePurpose.FEEDBACK: EmailKind.FEEDBACK_REQUEST}

# What ends a registration's life as it was: a message about it that comes earlier is not sent.
_ENDED = frozenset({EmailKind.REGISTRATION_CANCELLED, EmailKind.EVENT_CANCELLED, EmailKind.REGISTRATION_SUBSTITUTED})
# A message about a registration is out of date, and is not sent, once one of these is known
# about the same registration (each of them comes later in a registration's life).
OVERTAKEN_BY: dict[str, frozenset[EmailKind]] = {
    EmailKind.REGISTRATION_CONFIRMED: _ENDED,
    EmailKind.REGISTRATION_PROMOTED: _ENDED,
    EmailKind.REGISTRATION_WAITLISTED: frozenset({EmailKind.REGISTRATION_PROMOTED, EmailKind.REGISTRATION_CANCELLED,
                                                  EmailKind.EVENT_CANCELLED}),
    EmailKind.REGISTRATION_RESTORED: _ENDED | {EmailKind.REGISTRATION_PROMOTED},
    EmailKind.REMINDER_DUE: _ENDED,
    EmailKind.EVENT_UPDATED: _ENDED,
    EmailKind.PAYMENT_OVERDUE: _ENDED | {EmailKind.PAYMENT_RECEIVED},
    EmailKind.PAYMENT_RELEASE_WARNING: _ENDED | {EmailKind.PAYMENT_RECEIVED},
    EmailKind.SUBSTITUTE_CONFIRMED: _ENDED,
}
# These tell the event's time and place, so a later version of the event makes them out of date.
TELLS_THE_SCHEDULE = {EmailKind.EVENT_UPDATED, EmailKind.REMINDER_DUE}


def overtaken_by(kind: str, event_version: int | None,
                 facts: Iterable[tuple[str, int | None]]) -> str | None:
    """What makes a ``kind`` message about an event at ``event_version`` out of date, given the
    ``(kind, event_version)`` of the other messages about the same registration; None if nothing."""
    for other_kind, other_version in facts:
        if other_kind in OVERTAKEN_BY.get(kind, frozenset()):
            return other_kind
        if (kind in TELLS_THE_SCHEDULE and other_kind == EmailKind.EVENT_UPDATED and other_version is not None
                and event_version is not None and other_version > event_version):
            return f"event_updated to version {other_version}"
    return None


def facts_since(message: Mapping[str, Any], about: Iterable[Mapping[str, Any]]) -> list[tuple[str, int | None]]:
    """What ``overtaken_by`` weighs for ``message``: ``(kind, event_version)`` of the other messages
    about the same registration, from ``about`` (rows with ``id``, ``registration_id``, ``kind``,
    ``event_version``; others are ignored). A restored registration (``registration_restored``:
    staff took a cancellation back, or a payment in time brought a released seat back) begins
    anew: what was said before its latest restoration, such as the cancellation, never overtakes
    what is said after it."""
    registration = message["registration_id"]
    if registration is None:
        return []
    same = [row for row in about if row["registration_id"] == registration]
    restorations = [row["id"] for row in same
                    if row["kind"] == EmailKind.REGISTRATION_RESTORED and row["id"] <= message["id"]]
    since = max(restorations, default=None)
    return [(row["kind"], row["event_version"]) for row in same
            if row["id"] != message["id"] and (since is None or row["id"] > since)]


def announcement_schedule(count: int, now: datetime, per_second: float | str) -> list[datetime]:
    """When each of ``count`` announcement emails may go: a steady pace, so they never crowd out
    the emails people are waiting for."""
    per_second = max(float(per_second), 0.01)
    return [now + timedelta(seconds=index / per_second) for index in range(count)]


def next_attempt_at(attempts: int, now: datetime, delays: Sequence[int] = DEFAULT_RETRY_DELAYS) -> datetime:
    """When to try again after ``attempts`` failed tries: growing delays, then the last one."""
    delays = list(delays) or list(DEFAULT_RETRY_DELAYS)
    return now + timedelta(seconds=delays[min(attempts, len(delays)) - 1])


def gives_up(attempts: int) -> bool:
    return attempts >= MAX_ATTEMPTS


# --- Data boxes (ISDS) ---

DATABOX_MAX_ATTEMPTS = 20
# How long a sent message's delivery note is asked for: acceptance comes at the latest ten days
# after delivery (the fiction of delivery), so a month is more than enough.
DATABOX_POLL_DAYS = 30


def databox_reference(kind: str, payload: Mapping[str, Any]) -> tuple[str, str]:
    """The document's unique reference (its ``dmSenderRefNumber``) and its number as shown."""
    if kind == EmailKind.INVOICE_ISSUED:
        number = payload["invoice"]["number"]
        return f"faktura {number}", number
    number = str(payload["registration"]["id"])
    return f"osvedceni {number}", number


def databox_document(kind: str, payload: Mapping[str, Any]) -> str:
    """What was sent to the box: "invoice", "credit_note" or "certificate" (kept in a purged payload)."""
    if "document" in payload:
        return str(payload["document"])
    if kind == EmailKind.INVOICE_ISSUED:
        return "credit_note" if payload["invoice"].get("kind") == InvoiceKind.CREDIT_NOTE else "invoice"
    return "certificate"


def databox_finished(status: str, next_attempt_at: datetime | None) -> bool:
    """Nothing more will be done with a delivery: accepted, sent by email instead, given up, or its
    delivery note no longer asked for (``DATABOX_POLL_DAYS``)."""
    if status in (DataboxStatus.ACCEPTED, DataboxStatus.EMAIL_INSTEAD, DataboxStatus.FAILED):
        return True
    return status in (DataboxStatus.SENT, DataboxStatus.DELIVERED) and next_attempt_at is None


def databox_claim_seconds(isds_timeout: float) -> float:
    """How long a worker holds a delivery: longer than its longest step can take, so that no timer
    takes it up while the worker may still be sending. The worst case is four waits of
    ``ISDS_TIMEOUT`` one after another (GetListOfSentMessages, FindDataBox, rendering the documents,
    CreateMessage), plus a margin for the two transactions around them."""
    return DATABOX_STEP_CALLS * isds_timeout + DATABOX_CLAIM_MARGIN_SECONDS


DATABOX_STEP_CALLS = 4
DATABOX_CLAIM_MARGIN_SECONDS = 120


def databox_refusal(box: Any, sender_is_public_body: bool) -> str | None:
    """Why the box ``box`` (an ``isds.Box``) will not take our message, in Czech for staff; None if it will.

    dbTypes.xsd: only ``dbState`` 1 is a box accessible for delivery; a public body (OVM) may send
    to any accessible box; a sender that is not one sends commercial messages (PDZ), which a box
    that is not a public body's takes only when it has open addressing (``dbOpenAddressing``)."""
    if box.state is not None and box.state != 1:
        return f"datová schránka {box.box_id} není přístupná (stav {box.state})"
    if not sender_is_public_body and not box.is_public_body and not box.open_addressing:
        return f"datová schránka {box.box_id} nepřijímá poštovní datové zprávy (nemá otevřené adresování)"
    return None
