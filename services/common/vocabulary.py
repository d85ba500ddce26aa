"""The closed vocabularies that travel between services: statuses, kinds and the like.

Each word of a vocabulary is spelled once, here, as a member of a ``StrEnum``. A member is its
text: it equals the string (``RegistrationStatus.CONFIRMED == "confirmed"``), hashes like it, and
is written as it in JSON, SQL, templates and f-strings, so the rows, events and pages that carry
these words stay as they were. Code compares and assigns the members, never the texts (the
test ``tests/unit/test_status_literals.py`` keeps it so); a vocabulary that one service alone
uses lives in that service's ``domain.py``. The event contracts (``contracts.py``) check that a
payload's words are of their vocabulary.
"""
from enum import StrEnum


class RegistrationStatus(StrEnum):
    """Where one person's registration stands (``registrations.status``)."""

    CONFIRMED = "confirmed"  # has a seat
    WAITLISTED = "waitlisted"  # has a place in line (``waitlist_position``)
    CANCELLED = "cancelled"  # by the person, staff, or released unpaid; may be restored by staff
    SUBSTITUTED = "substituted"  # the seat went to a substitute, who has a registration of their own


# Registrations that hold a seat or a place in line, and the email for their event.
LIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
# Registrations that hold nothing: no seat, no place in line, no claim on the email for the event.
NOT_LIVE = (RegistrationStatus.CANCELLED, RegistrationStatus.SUBSTITUTED)


class EventStatus(StrEnum):
    """Where an event stands: a draft is seen by staff only and may be deleted; a published one
    takes registrations; a cancelled one is kept, its people told."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class EventKind(StrEnum):
    """What an event is (its Czech name: ``czech.event_kind``)."""

    SEMINAR = "seminar"
    TRAINING = "training"
    GOOD_PRACTICE = "good_practice"


class EventFormat(StrEnum):
    """How an event is attended; the webinar link goes with online and hybrid ones."""

    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class QuestionType(StrEnum):
    """The type of one of an event's own questions, and so of its answer: a text, one option
    (choice), a list of options (choices), or a bool (yes_no)."""

    TEXT = "text"
    CHOICE = "choice"
    CHOICES = "choices"
    YES_NO = "yes_no"


class CertificateState(StrEnum):
    """Where a registration's certificate stands (``RegistrationOut.certificate``; None: the
    person's attendance is not marked)."""

    ISSUED = "issued"
    WAITING_PAYMENT = "waiting_payment"  # attended; the fee is unpaid and staff did not release it
    DUE = "due"  # may be issued now


class MessagePurpose(StrEnum):
    """What staff send to the people of an event (``attendees_messaged``): a message of their own,
    the link to the materials, or the feedback questionnaire."""

    MESSAGE = "message"
    MATERIALS = "materials"
    FEEDBACK = "feedback"


class PaymentStatus(StrEnum):
    """Where a payment request stands: open -> paid | cancelled (paid may go back to open when
    the bank takes a payment back)."""

    OPEN = "open"
    PAID = "paid"
    CANCELLED = "cancelled"  # the registration was cancelled, or the fee taken back by a credit note


class InvoiceKind(StrEnum):
    """A document payments issues: an invoice, or a credit note that corrects one."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class EmailKind(StrEnum):
    """Each email notifications sends: its template and subject (``notifications.domain.EMAILS``).
    Most are named after the event that causes them."""

    REGISTRATION_CONFIRMED = "registration_confirmed"
    REGISTRATION_WAITLISTED = "registration_waitlisted"
    REGISTRATION_PROMOTED = "registration_promoted"
    REGISTRATION_CANCELLED = "registration_cancelled"
    REGISTRATION_RESTORED = "registration_restored"
    SUBSTITUTE_CONFIRMED = "substitute_confirmed"  # to the substitute, with their own ticket
    REGISTRATION_SUBSTITUTED = "registration_substituted"  # to whoever handed the seat on
    EVENT_UPDATED = "event_updated"
    EVENT_CANCELLED = "event_cancelled"
    REMINDER_DUE = "reminder_due"
    ATTENDANCE_CONFIRMED = "attendance_confirmed"  # with the certificate
    ANNOUNCEMENT = "announcement"  # to the members' contacts
    PAYMENT_RECEIVED = "payment_received"
    PAYMENT_OVERDUE = "payment_overdue"
    PAYMENT_RELEASE_WARNING = "payment_release_warning"
    REFUND_DUE = "refund_due"
    INVOICE_ISSUED = "invoice_issued"
    COLLEAGUES_REGISTERED = "colleagues_registered"  # the summary to whoever registered colleagues
    ATTENDEE_MESSAGE = "attendee_message"  # staff's own message to the people of an event
    MATERIALS_AVAILABLE = "materials_available"
    FEEDBACK_REQUEST = "feedback_request"
    PORTAL_LINK = "portal_link"  # the one-time link to the municipality's page


class EmailStatus(StrEnum):
    """Where one email stands in notifications' table (staff filter and count by it)."""

    QUEUED = "queued"  # to be sent, now or from ``next_attempt_at`` on (paced announcements)
    SENDING = "sending"  # claimed by a sender until ``claimed_until``
    SENT = "sent"
    AWAITING_RETRY = "awaiting_retry"  # a failure that may pass: tried again from ``next_attempt_at``
    FAILED = "failed"  # the recipient refused for good, or every attempt used
    SUPERSEDED = "superseded"  # not sent: what it says was overtaken before it went


class DeliveryChannel(StrEnum):
    """How an organisation wants its invoices, credit notes and certificates (members' register)."""

    EMAIL = "by_email"  # the default
    DATABOX = "databox"  # its data box in ISDS, found by its IČO


class DataboxStatus(StrEnum):
    """Where one delivery to a data box stands in notifications' table."""

    QUEUED = "queued"  # to be sent
    AWAITING_RETRY = "awaiting_retry"  # ISDS did not answer (a time-out, an outage): tried again
    SENT = "sent"  # ISDS took it (``dm_id``); its delivery note is asked for until delivered
    DELIVERED = "delivered"  # in the box (``delivered_at``); asked on until accepted
    ACCEPTED = "accepted"  # someone logged in to the box, or ten days passed (``accepted_at``)
    EMAIL_INSTEAD = "email_instead"  # no box, or the box refused it: sent by email, staff told
    FAILED = "failed"  # every attempt used


class LookupStatus(StrEnum):
    """The answer of members' lookup of an organisation by IČO."""

    FOUND = "found"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"  # ARES (or members) away or slow: the person fills the form in


class LookupSource(StrEnum):
    """Where a found organisation came from: the association's register, or ARES."""

    REGISTER = "register"
    ARES = "ares"


class StatementFormat(StrEnum):
    """Where a bank statement's lines came from: an uploaded camt.053 or GPC file, or the Fio API."""

    CAMT_053 = "camt.053"
    GPC = "gpc"
    FIO = "fio"


class DoorResult(StrEnum):
    """What became of one check-in a door phone made offline and sent later (registrations'
    ``door_batch``; the console shows it)."""

    ADMITTED = "admitted"  # this admission is the one that counts
    ALREADY_ADMITTED = "already_admitted"  # the ticket was let in earlier (the time is kept)
    UNKNOWN = "unknown"  # forged, garbled, or a ticket of another event
    CANCELLED = "cancelled"  # the registration was cancelled, handed on, or is not confirmed
