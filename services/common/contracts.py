"""Event contracts: what each event published between the services carries, in one place.

Guarantee: no event leaves a service's outbox, and no handler runs on an event,
unless its payload fits the contract of its type.

- At publish: ``Outbox.add``/``add_many`` checks every payload (with the
  envelope the outbox adds: ``message_id``, ``event_type``, ``occurred_at``)
  with ``check`` before it writes a row. A payload that does not fit, or an
  event type without a contract, raises ``ContractViolation`` inside the use
  case's transaction: a programming error, so the transaction rolls back and
  nothing is written or announced (an HTTP or RPC caller gets the service's
  usual answer to an unexpected error; no half-told change is committed).
- At consume: ``events.event_handler`` loads each delivered payload through
  its contract before the handler runs. A payload that does not fit is not
  handed to the handler and not retried (the same bytes would fail the same
  way): it is parked at once in the dead-letter queue with the contract's
  complaint as its last error, logged as an error, and acked. ``make
  dead-letters`` lists it and replays it after the publisher or the contract
  is fixed, as it does any event a handler gave up on (``deadletters.py``).
  A handler declared for an event type without a contract refuses to start.

A payload is checked by a predicate made from the contract's declarations
(about 13 µs for a registration's), and by marshmallow itself only when the
predicate refuses it: marshmallow then decides and names what does not fit.

What a contract checks: every field a consumer reads is present (``required``)
and has its type; fields a publisher sends that no consumer relies on are
declared, optional, with their type, so that their meaning is written down.
Fields that are not declared travel unchecked (a tolerant reader): adding a
field to a payload needs no change of any consumer, while renaming or dropping
a field a consumer reads, or changing its type, is refused at publish, in the
publisher's own tests. Payments re-tells the registration and event it was
told (its payment request keeps them), so they are checked as registrations
sends them, and older copies stored before a field was added still pass.

Payloads are JSON: times are ISO 8601 texts with an offset, days ISO dates,
money in whole CZK (``price``, ``amount``) or in haléře (``*_halere``).
Delivery is at least once through the outbox (``outbox.py``), each handler
retried and parked on failure (``events.py``); consumers deduplicate by
``message_id`` or by a key of their own (``docs/architecture.md``).
"""
from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from services.common.vocabulary import (
    CertificateState,
    EmailKind,
    EventFormat,
    EventKind,
    EventStatus,
    InvoiceKind,
    MessagePurpose,
    PaymentStatus,
    RegistrationStatus,
)

# --- Field types: strict, with English messages (a contract's complaint is read in logs) ---


class Int(fields.Integer):
    """A whole number; not a bool, not a numeric text."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Bool(fields.Boolean):
    """true or false; not 1, "yes" or "on"."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Str(fields.String):
    pass


class Moment(fields.String):
    """A point in time as an ISO 8601 text with its offset (as ``isoformat`` writes it)."""

    default_error_messages = {"moment": "Not an ISO 8601 date and time with an offset."}

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        text: str = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise self.make_error("moment") from None
        if moment.tzinfo is None:
            raise self.make_error("moment")
        return text


class Day(fields.String):
    """A calendar day as an ISO 8601 text, ``2026-12-08``."""

    default_error_messages = {"day": "Not an ISO 8601 date."}

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        text: str = super()._deserialize(value, attr, data, **kwargs)
        try:
            date.fromisoformat(text)
        except ValueError:
            raise self.make_error("day") from None
        return text


def _one_of(*words: StrEnum) -> validate.OneOf:
    """A word of a vocabulary (``vocabulary.py``): one of ``words``."""
    return validate.OneOf(words)


def _nested(shape: type[Schema], **kwargs: Any) -> fields.Nested:
    return fields.Nested(shape, **kwargs)


_F = TypeVar("_F", bound=fields.Field[Any])


def _optional(field: _F) -> _F:
    """``field`` that may be absent or null."""
    field.required = False
    field.allow_none = True
    return field


class Shape(Schema):
    """A part of a payload: declared fields checked, others passed through (tolerant reader)."""

    class Meta:
        unknown = INCLUDE


# --- Shapes reused by several events ---


class SessionShape(Shape):
    """One day or part of a multi-day event; ``venue`` null where it is the event's."""
    starts_at = Moment(required=True)
    ends_at = Moment(required=True)
    title = _optional(Str())
    venue = _optional(Str())


class EventShape(Shape):
    """A seminar as registrations describes it (``EventOut``): what emails, tickets, calendar
    entries and payment requests say about it."""
    id = Int(required=True)  # the event's id in registrations
    title = Str(required=True)  # its name, Czech, as typed by staff
    venue = Str(required=True)  # where it is ("Online" for an online event)
    starts_at = Moment(required=True)  # the start (of the first session)
    ends_at = Moment(required=True)  # the end (of the last session)
    version = Int(required=True)  # grows when the time or venue changes: emails deduplicate by it
    kind = Str(validate=_one_of(*EventKind))
    topic = Str()
    description = Str()
    lecturer = Str()
    sessions = _optional(fields.List(_nested(SessionShape)))  # days of a multi-day event, else null
    capacity = Int()
    seats_left = Int()
    registration_open = Bool()
    registration_opens_at = _optional(Moment())
    registration_closes_at = _optional(Moment())
    price_member = Int()  # whole CZK
    price_non_member = Int()  # whole CZK
    waitlist_enabled = Bool()
    max_per_organisation = _optional(Int())
    accreditation_number = _optional(Str())  # null when not accredited (no certificate)
    hours = Int()  # the programme's length; a person's certificate states their attended_hours
    certificate_share = Int()  # per cent of the sessions needed for a certificate
    session_hours = fields.List(Int())  # the hours of each session, the event's hours split by their lengths
    collects_birth_date = Bool()
    release_unpaid_after_days = _optional(Int())  # payments' due date is no later than this
    format = Str(validate=_one_of(*EventFormat))
    questions = fields.List(fields.Dict())  # the event's own questions (id, label, type, options, required)
    status = Str(validate=_one_of(*EventStatus))


class PaymentShape(Shape):
    """What payments asked a registration to pay (``payments.domain.payment_block``), and where it
    stands; registrations keeps a copy on the registration."""
    variable_symbol = _optional(Str())
    amount = _optional(Int())  # whole CZK
    amount_halere = _optional(Int())
    outstanding_halere = _optional(Int())
    due_on = _optional(Day())
    requested_on = _optional(Day())
    account = _optional(Str())  # Czech account number, as the email shows it
    iban = _optional(Str())
    bic = _optional(Str())
    spd = _optional(Str())  # the QR Platba text; null once paid or on an invoice
    paid_halere = _optional(Int())
    status = _optional(Str(validate=_one_of(*PaymentStatus)))
    paid_at = _optional(Moment())
    invoice_number = _optional(Str())  # the invoice that covers it, when one does


class RequiredPaymentShape(PaymentShape):
    """A payment request as payments tells it: the symbol, the amount and the due date are there."""
    variable_symbol = Str(required=True)
    amount = Int(required=True)
    amount_halere = Int(required=True)
    outstanding_halere = Int(required=True)
    due_on = Day(required=True)


class PaidShape(RequiredPaymentShape):
    """A payment request paid: when (registrations records it as the registration's ``paid_at``)."""
    paid_at = Moment(required=True)
    paid_halere = Int(required=True)


class RegistrationShape(Shape):
    """One person's registration as registrations describes it (``RegistrationOut`` without its
    event): who to write to, what they pay, their ticket and manage link."""
    id = Int(required=True)  # the registration's id in registrations
    # read with a default (no status: nothing to pay)
    status = Str(validate=_one_of(*RegistrationStatus))
    first_name = Str(required=True)
    last_name = Str(required=True)
    email = Str(required=True)  # where notifications writes
    price = Int(required=True)  # whole CZK; above zero for a confirmed seat means a payment request
    is_member = Bool(required=True)  # the member price; payments invoices members differently
    token = Str()  # the secret of the manage link
    manage_url = Str()  # the person's manage page
    waitlist_position = _optional(Int())  # the place in line now, for a waitlisted one
    phone = _optional(Str())
    position = _optional(Str())
    note = _optional(Str())
    birth_date = _optional(Day())
    organisation_ico = _optional(Str())  # eight digits, as typed or as the register has it
    organisation_name = _optional(Str())
    ticket_code = _optional(Str())  # the signed code in the ticket's QR; null unless confirmed
    ticket_url = _optional(Str())
    created_at = _optional(Moment())
    cancelled_at = _optional(Moment())
    checked_in_at = _optional(Moment())  # the first check-in, at any session
    attended_at = _optional(Moment())  # when the session marks reached the event's certificate share
    sessions_checked_in = fields.List(Int())  # indices of the event's sessions
    sessions_attended = fields.List(Int())
    attended_hours = _optional(Int())  # the hours of the sessions attended: what the certificate states
    attendance_short = _optional(Str())  # why the marks do not reach the certificate share (Czech)
    payment = _optional(_nested(PaymentShape))  # as payments last told it, or null
    paid_at = _optional(Moment())
    webinar_url = _optional(Str())  # only while confirmed, for an online or hybrid event
    substitute_for = _optional(Int())  # the registration whose seat this one took
    substituted_by = _optional(Int())
    substituted_at = _optional(Moment())
    certificate = _optional(Str(validate=_one_of(*CertificateState)))  # null: attendance not marked
    certificate_sent_at = _optional(Moment())
    certificate_released_at = _optional(Moment())
    certificate_released_by = _optional(Str())
    answers = _optional(fields.Dict(keys=fields.String()))  # answers to the event's questions by question id


class PersonShape(Shape):
    """Whoever registered colleagues (not an attendee unless listed too)."""
    first_name = Str(required=True)
    last_name = Str(required=True)
    email = Str(required=True)


class RecipientShape(Shape):
    """One person an ``attendees_messaged`` email goes to."""
    id = Int(required=True)  # their registration's id: each is sent once per registration
    first_name = Str(required=True)
    last_name = Str(required=True)
    email = Str(required=True)
    link = _optional(Str())  # their own signed link (materials, feedback), or null


class PeriodShape(Shape):
    """A membership period: from a day, to a day or open (null)."""
    from_ = Day(required=True, data_key="from")
    to = _optional(Day())


class OrganisationShape(Shape):
    """An organisation of the member register as members tells it."""
    ico = Str(required=True, validate=validate.Regexp(r"^\d{8}\Z"))
    name = Str(required=True)
    kind = _optional(Str())
    district = _optional(Str())  # okres, for announcements by district
    periods = fields.List(_nested(PeriodShape), required=True)  # every membership period, in order


class InvoiceShape(Shape):
    """An invoice or credit note as payments issued it (the document documents renders)."""
    number = Str(required=True)
    kind = Str(required=True, validate=_one_of(*InvoiceKind))
    variable_symbol = _optional(Str())  # the invoice's own symbol; null on a credit note
    spd = _optional(Str())  # its QR Platba text, or null
    due_on = Day(required=True)
    total_halere = Int(required=True)
    supplier = fields.Dict(required=True)  # the association: name, address, account, iban, ...
    customer = fields.Dict(required=True)  # who pays: the organisation or the person
    items = fields.List(fields.Dict(), required=True)
    uuid = Str()
    issued_on = Day()
    taxable_on = Day()
    currency = Str()
    corrects = _optional(fields.Dict())  # the invoice a credit note corrects
    reason = _optional(Str())  # why a credit note was issued


# --- The envelope and the events ---


class Contract(Shape):
    """The envelope every event carries (added by the outbox)."""
    message_id = Str(required=True)  # a UUID, the same on a redelivery: consumers deduplicate by it
    # The outbox always adds these two; no handler but the register's copy (below) reads them.
    event_type = Str()
    occurred_at = Moment()  # when the use case recorded it (UTC)

    publisher: ClassVar[str] = ""
    consumers: ClassVar[tuple[str, ...]] = ()


class AboutRegistration(Contract):
    """The registration and its event as they are now."""
    registration = _nested(RegistrationShape, required=True)
    event = _nested(EventShape, required=True)


class RegistrationConfirmed(AboutRegistration):
    """A person has a seat (a 201 to their registration). Publisher: registrations (``enrol``).
    Consumers: notifications (the confirmation with the ticket, unless it is paid for: then on
    ``payment_requested``), payments (the payment request of a paid seat)."""
    publisher = "registrations"
    consumers = ("backoffice", "notifications", "payments")


class RegistrationWaitlisted(AboutRegistration):
    """A person is on the waitlist (``registration.waitlist_position``). Publisher: registrations
    (``enrol``). Consumers: notifications (the email with the place in line)."""
    publisher = "registrations"
    consumers = ("notifications",)


class RegistrationPromoted(AboutRegistration):
    """A waitlisted person got a freed seat (or one staff added). Publisher: registrations.
    Consumers: notifications (the ticket, unless paid for), payments (the payment request)."""
    publisher = "registrations"
    consumers = ("backoffice", "notifications", "payments")


class RegistrationCancelled(AboutRegistration):
    """A registration was cancelled by the person or staff, or released unpaid. Publisher:
    registrations. Consumers: notifications (the notice, withdrawing the calendar entry),
    payments (cancel the request; a refund or a credit note when paid or invoiced)."""
    publisher = "registrations"
    consumers = ("backoffice", "notifications", "payments")
    released_unpaid = Bool()  # true: cancelled because its seat was not paid in time


class RegistrationRestored(AboutRegistration):
    """A cancellation taken back by staff (a new registration), or a released seat paid in time
    given back (the same one). Publisher: registrations. Consumers: notifications (a seat again
    with the ticket, or a place in line; a seat with a fee not yet asked for: on
    ``payment_requested``), payments (the payment request of a seat with a fee, as for
    ``registration_confirmed``: ``registration.id``, ``status``, ``price``, ``is_member``, the
    person and the event; one per registration, so a seat given back asks nothing again)."""
    publisher = "registrations"
    consumers = ("notifications", "payments")
    restored_from = Int(required=True)  # the cancelled registration (its own id when given back)
    paid_in_time = Bool()  # true: given back because it was paid by its due date


class LatePaymentRefused(AboutRegistration):
    """A released seat was paid in time but could not be given back (no seat, or it began).
    Publisher: registrations. Consumers: payments (cancel the request again and refund)."""
    publisher = "registrations"
    consumers = ("payments",)


class EventUpdated(AboutRegistration):
    """The time or venue of an event changed; one per live registration. Publisher:
    registrations. Consumers: notifications (the new time or place, with the calendar entry),
    payments (keeps the newest copy for its documents)."""
    publisher = "registrations"
    consumers = ("backoffice", "notifications", "payments")
    # field -> [before, after], times as ISO texts in Prague, sessions as lists
    changes = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw(allow_none=True)), required=True)


class EventCancelled(AboutRegistration):
    """An event was cancelled; one per registration that was live. Publisher: registrations.
    Consumers: notifications (the notice with the reason), payments (cancel or refund)."""
    publisher = "registrations"
    consumers = ("backoffice", "notifications", "payments")
    reason = Str(required=True)  # staff's reason, Czech


class PublicEventShape(Shape):
    """A published event's public facts (``usecases.public_facts``): what its page shows anyone."""
    id = Int(required=True)  # the event's id in registrations
    title = Str(required=True)
    starts_at = Moment(required=True)  # the start (of the first session), in Prague
    ends_at = Moment(required=True)  # the end (of the last session)
    venue = Str(required=True)  # where it is ("Online" for an online event)
    topic = Str(required=True)
    kind = Str(required=True, validate=_one_of(*EventKind))
    format = Str(validate=_one_of(*EventFormat))
    price_member = Int(required=True)  # whole CZK
    price_non_member = Int(required=True)  # whole CZK
    capacity = Int(required=True)
    url = Str(required=True)  # its public page


class EventPublished(Contract):
    """A draft event was published (once per event; not per registration, it has none yet).
    Publisher: registrations (``publish_event``). Consumers: backoffice (the webhooks)."""
    publisher = "registrations"
    consumers = ("backoffice",)
    event = _nested(PublicEventShape, required=True)


class ReminderDue(AboutRegistration):
    """A confirmed person's reminder, ``days_before`` the start. Publisher: registrations.
    Consumers: notifications."""
    publisher = "registrations"
    consumers = ("notifications",)
    days_before = Int(required=True)


class PaymentReleaseWarning(AboutRegistration):
    """An unpaid seat is released on ``release_on`` unless paid. Publisher: registrations.
    Consumers: notifications."""
    publisher = "registrations"
    consumers = ("notifications",)
    release_on = Day(required=True)


class AttendanceConfirmed(AboutRegistration):
    """A certificate is due: the person attended an accredited event that has ended, and paid.
    Publisher: registrations. Consumers: notifications (mails the certificate, which documents
    numbers)."""
    publisher = "registrations"
    consumers = ("notifications",)


class RegistrationSubstituted(AboutRegistration):
    """A confirmed seat went to a substitute: ``registration`` is the substitute's new one,
    ``replaced`` the old holder's (now substituted). Publisher: registrations. Consumers:
    notifications (both persons' emails), payments (moves the payment request to the new one)."""
    publisher = "registrations"
    consumers = ("backoffice", "notifications", "payments")
    replaced = _nested(RegistrationShape, required=True)


class ColleaguesRegistered(Contract):
    """Several colleagues registered together (each has their own ``registration_confirmed`` or
    ``registration_waitlisted`` too). Publisher: registrations (``enrol``). Consumers:
    notifications (one summary to ``registrant``, with each manage link)."""
    publisher = "registrations"
    consumers = ("notifications",)
    event = _nested(EventShape, required=True)
    registrant = _nested(PersonShape, required=True)
    registrations = fields.List(_nested(RegistrationShape), required=True, validate=validate.Length(min=1))


class AttendeesMessaged(Contract):
    """Staff wrote to the people of an event, or sent materials or the feedback questionnaire.
    Publisher: registrations (``messaging.tell``). Consumers: notifications (one email per
    recipient, paced)."""
    publisher = "registrations"
    consumers = ("notifications",)
    batch_id = Str(required=True)  # one per button press
    purpose = Str(required=True, validate=_one_of(*MessagePurpose))
    event = _nested(EventShape, required=True)
    recipients = fields.List(_nested(RecipientShape), required=True)
    registration_ids = fields.List(Int(), required=True)  # for a person's erasure of the row
    subject = Str()  # a staff message's subject and text (purpose "message")
    text = Str()


class AboutPayment(AboutRegistration):
    """A payment request: the registration and event as payments was last told (the registration's
    ``payment`` is ``payment``), and the request itself."""
    payment = _nested(RequiredPaymentShape, required=True)


class PaymentRequested(AboutPayment):
    """A paid seat's payment request is made. Publisher: payments. Consumers: notifications (the
    held confirmation, promotion or restoration, with the symbol and QR Platba: ``after`` says
    which), registrations (keeps a copy for the manage page)."""
    publisher = "payments"
    consumers = ("notifications", "registrations")
    # the email that waited for the payment details
    after = Str(required=True, validate=_one_of(EmailKind.REGISTRATION_CONFIRMED, EmailKind.REGISTRATION_PROMOTED,
                                                EmailKind.REGISTRATION_RESTORED))


class PaymentReceived(AboutPayment):
    """A request is paid in full. Publisher: payments. Consumers: notifications (the receipt),
    registrations (the paid flag; a held certificate goes out)."""
    publisher = "payments"
    consumers: ClassVar[tuple[str, ...]] = ("backoffice", "notifications", "registrations")
    payment = _nested(PaidShape, required=True)
    paid_now_halere = Int(required=True)  # what this payment added


class PaymentReceivedAfterRelease(PaymentReceived):
    """A seat released as unpaid was paid by its due date. Publisher: payments. Consumers:
    registrations (gives the seat back, or answers ``late_payment_refused``)."""
    publisher = "payments"
    consumers = ("registrations",)


class PaymentReversed(AboutPayment):
    """The bank took a payment back; the request is open again. Publisher: payments. Consumers:
    registrations (the paid flag goes back)."""
    publisher = "payments"
    consumers = ("registrations",)
    reversed_halere = Int(required=True)


class PaymentOverdue(AboutPayment):
    """A request is past its due date, unpaid. Publisher: payments. Consumers: notifications
    (the reminder)."""
    publisher = "payments"
    consumers = ("notifications",)


class RefundDue(AboutPayment):
    """A paid registration was cancelled: its money goes back. Publisher: payments. Consumers:
    notifications (tells the person)."""
    publisher = "payments"
    consumers = ("notifications",)
    refund_halere = Int(required=True)
    reason = _optional(Str())  # why, when it is not a plain cancellation (Czech)


class InvoiceIssued(Contract):
    """An invoice or a credit note was issued. Publisher: payments. Consumers: notifications (to
    each of ``recipients``, with the PDF and ISDOC), registrations (the covered registrations pay
    the invoice's symbol; a credit note gives back their own, ``restored``)."""
    publisher = "payments"
    consumers = ("backoffice", "notifications", "registrations")
    invoice = _nested(InvoiceShape, required=True)
    isdoc = Str(required=True)  # the ISDOC XML, base64
    recipients = fields.List(Str(), required=True)  # email addresses
    registration_ids = fields.List(Int(), required=True)
    event = _nested(EventShape, required=True)
    # registration id (as text) -> the payment block it pays again, after a credit note
    restored = fields.Dict(keys=fields.String(), values=_nested(PaymentShape), required=True)


class AboutOrganisation(Contract):
    """An organisation of the member register, as it is now."""
    publisher = "members"
    consumers = ("registrations",)
    organisation = _nested(OrganisationShape, required=True)
    occurred_at = Moment(required=True)  # the copy of the register is as of this moment


class OrganisationJoined(AboutOrganisation):
    """An organisation's membership began. Publisher: members. Consumers: registrations (its copy
    of the register: member prices)."""


class OrganisationLeft(AboutOrganisation):
    """An organisation's membership ended. Publisher: members. Consumers: registrations."""


class OrganisationUpdated(AboutOrganisation):
    """An organisation's details or a period were corrected. Publisher: members. Consumers:
    registrations."""


class PortalLinkRequested(Contract):
    """A contact of an organisation asked for a link to log in to the municipality's page
    (``/obec``). Publisher: registrations (``portal.ask_for_link``). Consumers: notifications (the
    email with the link; one per ``link_id``). The link is valid once, until ``expires_at``."""
    publisher = "registrations"
    consumers = ("notifications",)
    link_id = Int(required=True)
    email = Str(required=True)
    url = Str(required=True)
    expires_at = Moment(required=True)
    organisation_name = Str(required=True)
    first_name = Str(required=True)
    last_name = Str(required=True)


CONTRACTS: dict[str, type[Contract]] = {
    "registration_confirmed": RegistrationConfirmed,
    "registration_waitlisted": RegistrationWaitlisted,
    "registration_promoted": RegistrationPromoted,
    "registration_cancelled": RegistrationCancelled,
    "registration_restored": RegistrationRestored,
    "registration_substituted": RegistrationSubstituted,
    "late_payment_refused": LatePaymentRefused,
    "event_published": EventPublished,
    "event_updated": EventUpdated,
    "event_cancelled": EventCancelled,
    "reminder_due": ReminderDue,
    "payment_release_warning": PaymentReleaseWarning,
    "attendance_confirmed": AttendanceConfirmed,
    "colleagues_registered": ColleaguesRegistered,
    "attendees_messaged": AttendeesMessaged,
    "payment_requested": PaymentRequested,
    "payment_received": PaymentReceived,
    "payment_received_after_release": PaymentReceivedAfterRelease,
    "payment_reversed": PaymentReversed,
    "payment_overdue": PaymentOverdue,
    "refund_due": RefundDue,
    "invoice_issued": InvoiceIssued,
    "organisation_joined": OrganisationJoined,
    "organisation_left": OrganisationLeft,
    "organisation_updated": OrganisationUpdated,
    "portal_link_requested": PortalLinkRequested,
}

# What the contracts table of docs/architecture.md says of every event (checked by a test).
GUARANTEE = "at least once via the outbox; checked at publish and at consume; idempotent handlers"

_schemas = {event_type: contract() for event_type, contract in CONTRACTS.items()}


# --- The same contracts as plain predicates, for the payloads that fit ---
#
# marshmallow's load costs about 0.15 ms for a registration's payload, paid at publish and again by
# every consumer: a tenth of the registrations service's CPU per registration and a fifth of the
# console's. The predicates below are made from the same declarations (no second copy of a rule)
# and answer only "fits": a payload they accept is one marshmallow accepts (tests/unit/
# test_contracts.py compares the two on every real payload and thousands of broken ones), and one
# they refuse goes through marshmallow, which decides and names the complaint.

Fits = Callable[[Any], bool]


class _NotCompiled(Exception):
    """A field type or validator the predicates do not know: its contract is checked by
    marshmallow alone."""


def _fits_type(field: fields.Field[Any]) -> Fits:
    """Whether a value other than None deserializes with ``field`` (before its validators)."""
    kind = type(field)
    if kind is Int:
        return lambda value: isinstance(value, int) and value is not True and value is not False
    if kind is Bool:
        return lambda value: value is True or value is False
    if kind in (Str, fields.String):
        return lambda value: isinstance(value, str)
    if kind is Moment:
        return _is_moment
    if kind is Day:
        return _is_day
    if kind is fields.Raw:
        return lambda value: True
    if kind is fields.Nested:
        if field.unknown not in (None, INCLUDE):  # type: ignore[attr-defined]
            raise _NotCompiled("Nested with its own unknown")
        return _fits_shape(field.schema)  # type: ignore[attr-defined]
    if kind is fields.List:
        item = _fits_value(field.inner)  # type: ignore[attr-defined]
        return lambda value: isinstance(value, list) and all(item(each) for each in value)
    if kind is fields.Dict:
        key_field, value_field = field.key_field, field.value_field  # type: ignore[attr-defined]
        keys = _fits_value(key_field) if key_field is not None else None
        values = _fits_value(value_field) if value_field is not None else None
        return lambda value: (isinstance(value, dict) and (keys is None or all(keys(each) for each in value))
                              and (values is None or all(values(each) for each in value.values())))
    raise _NotCompiled(kind.__name__)


def _is_moment(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _is_day(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _passes(validator: Any) -> Fits:
    if type(validator) is validate.OneOf:
        choices = frozenset(validator.choices)
        return lambda value: value in choices
    if type(validator) is validate.Regexp:
        pattern = validator.regex
        return lambda value: pattern.match(value) is not None
    if type(validator) is validate.Length and validator.equal is None:
        low, high = validator.min, validator.max
        return lambda value: (low is None or len(value) >= low) and (high is None or len(value) <= high)
    raise _NotCompiled(type(validator).__name__)


def _fits_value(field: fields.Field[Any]) -> Fits:
    """Whether a present value passes ``field``: None only where allowed, then type and validators."""
    if field.pre_load or field.post_load:  # processors change the value before it is checked
        raise _NotCompiled("a field with pre_load or post_load")
    fits = _fits_type(field)
    allow_none = field.allow_none
    validators = [_passes(validator) for validator in field.validators]
    if not validators:
        return lambda value: allow_none if value is None else fits(value)
    return lambda value: (allow_none if value is None
                          else fits(value) and all(passes(value) for passes in validators))


def _fits_shape(shape: Schema) -> Fits:
    """Whether a value loads with ``shape`` (unknown keys included unchecked, as ``Shape`` does)."""
    if shape.unknown != INCLUDE or any(shape._hooks.values()):
        raise _NotCompiled(type(shape).__name__)
    required = tuple(field.data_key or name for name, field in shape.load_fields.items() if field.required)
    checks = tuple((field.data_key or name, _fits_value(field)) for name, field in shape.load_fields.items())

    def fits(value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        for key in required:
            if key not in value:
                return False
        for key, passes in checks:
            if key in value and not passes(value[key]):
                return False
        return True
    return fits


def _compiled(contract: Schema) -> Fits | None:
    try:
        return _fits_shape(contract)
    except _NotCompiled:
        return None


_fits = {event_type: _compiled(contract) for event_type, contract in _schemas.items()}


class ContractViolation(Exception):
    """A payload does not fit its event's contract, or the event type has none: a programming
    error in the publisher (or a stale consumer), never a person's mistake."""

    def __init__(self, event_type: str, problems: str | dict[str, Any] | list[Any]) -> None:
        self.event_type = event_type
        self.problems = problems
        super().__init__(f"{event_type}: {problems}")


def schema(event_type: str) -> Contract:
    """The contract of ``event_type``; ``ContractViolation`` when it has none."""
    try:
        return _schemas[event_type]
    except KeyError:
        raise ContractViolation(event_type, "no contract declared in services/common/contracts.py") from None


def check(event_type: str, payload: object) -> dict[str, Any]:
    """``payload`` (with its envelope) as it is, when it fits the contract of ``event_type``;
    otherwise ``ContractViolation`` naming each field that does not fit and why."""
    contract = schema(event_type)
    if not isinstance(payload, dict):
        raise ContractViolation(event_type, "the payload is not an object")
    fits = _fits[event_type]
    if fits is None or not fits(payload):
        try:
            contract.load(payload)
        except ValidationError as error:
            raise ContractViolation(event_type, error.messages) from None
    if payload.get("event_type", event_type) != event_type:
        raise ContractViolation(event_type, f"carries event_type {payload.get('event_type')!r}")
    return payload


def required_fields(event_type: str) -> list[str]:
    """The top-level fields of ``event_type`` that a consumer relies on."""
    return sorted(name for name, field in schema(event_type).fields.items() if field.required)
