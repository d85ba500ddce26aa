"""The registrations service's wire formats (HTTP, RPC and event payloads)."""
from marshmallow import ValidationError, fields, validate, validates, validates_schema

from services.common.ico import ico_error
from services.common.schemas import AwareDateTime, Boolean, CzechSchema, Date, Email, Integer, Name, Text

KINDS = ("seminar", "training", "good_practice")


def _length(maximum, minimum=0):
    if minimum:
        return validate.Length(min=minimum, max=maximum, error=f"Délka musí být {minimum} až {maximum} znaků.")
    return validate.Length(max=maximum, error=f"Nejvýše {maximum} znaků.")


def _not_negative(value):
    if value < 0:
        raise ValidationError("Hodnota nesmí být záporná.")


class EventIn(CzechSchema):
    title = Text(required=True, validate=_length(200, 1))
    kind = Text(required=True,
                validate=validate.OneOf(KINDS, error="Druh akce je seminar, training, nebo good_practice."))
    topic = Text(required=True, validate=_length(100, 1))
    description = Text(multiline=True, load_default="", validate=_length(20000))
    lecturer = Text(load_default="", validate=_length(200))
    venue = Text(required=True, validate=_length(300, 1))
    starts_at = AwareDateTime(required=True)
    ends_at = AwareDateTime(required=True)
    capacity = Integer(required=True,
                       validate=validate.Range(min=1, max=100000, error="Kapacita je 1 až 100 000 míst."))
    registration_opens_at = AwareDateTime(load_default=None, allow_none=True)
    registration_closes_at = AwareDateTime(load_default=None, allow_none=True)
    price_member = Integer(load_default=0, validate=_not_negative)
    price_non_member = Integer(load_default=0, validate=_not_negative)
    waitlist_enabled = Boolean(load_default=True)
    max_per_organisation = Integer(load_default=None, allow_none=True,
                                   validate=validate.Range(min=1, error="Limit je alespoň 1 osoba."))
    accreditation_number = Text(load_default=None, allow_none=True, validate=_length(60))
    hours = Integer(load_default=0, validate=_not_negative)
    collects_birth_date = Boolean(load_default=False)
    release_unpaid_after_days = Integer(load_default=None, allow_none=True, validate=validate.Range(
        min=2, max=365, error="Nezaplacená místa lze uvolnit nejdříve 2 dny po výzvě k platbě."))


class EventOut(CzechSchema):
    id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    topic = fields.String()
    description = fields.String()
    lecturer = fields.String()
    venue = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    capacity = fields.Integer()
    seats_left = fields.Integer()
    registration_open = fields.Boolean()
    registration_opens_at = fields.AwareDateTime(allow_none=True)
    registration_closes_at = fields.AwareDateTime()
    price_member = fields.Integer()
    price_non_member = fields.Integer()
    waitlist_enabled = fields.Boolean()
    max_per_organisation = fields.Integer(allow_none=True)
    accreditation_number = fields.String(allow_none=True)
    hours = fields.Integer()
    collects_birth_date = fields.Boolean()
    release_unpaid_after_days = fields.Integer(allow_none=True)
    status = fields.String()
    version = fields.Integer()


class RegistrationIn(CzechSchema):
    first_name = Name(required=True, validate=_length(100, 1))
    last_name = Name(required=True, validate=_length(100, 1))
    email = Email(required=True, validate=_length(254))
    phone = Text(load_default=None, allow_none=True, validate=_length(40))
    position = Text(load_default=None, allow_none=True, validate=_length(200))
    note = Text(multiline=True, load_default=None, allow_none=True, validate=_length(2000))
    birth_date = Date(load_default=None, allow_none=True)
    organisation_ico = Text(load_default=None, allow_none=True)
    organisation_name = Name(load_default=None, allow_none=True, validate=_length(200))
    gdpr_consent = Boolean(required=True, validate=validate.OneOf(
        [True], error="Bez souhlasu se zpracováním osobních údajů vás nemůžeme přihlásit."))

    @validates("first_name", "last_name")
    def _not_blank(self, value, data_key, **_kwargs):
        if not value.strip():
            raise ValidationError("Toto pole je povinné.")

    @validates("organisation_ico")
    def _valid_ico(self, value, **_kwargs):
        if value is not None and value.strip():
            error = ico_error(value.strip())
            if error:
                raise ValidationError(error)

    @validates_schema
    def _organisation_given(self, data, **_kwargs):
        if not (data.get("organisation_ico") or "").strip() and not (data.get("organisation_name") or "").strip():
            raise ValidationError("Uveďte IČO nebo název organizace.", "organisation_name")


class RegistrationOut(CzechSchema):
    id = fields.Integer()
    token = fields.String()
    status = fields.String()
    waitlist_position = fields.Integer(allow_none=True)
    first_name = fields.String()
    last_name = fields.String()
    email = fields.String()
    phone = fields.String(allow_none=True)
    position = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    birth_date = fields.Date(allow_none=True)
    organisation_ico = fields.String(allow_none=True)
    organisation_name = fields.String(allow_none=True)
    is_member = fields.Boolean()
    price = fields.Integer()
    ticket_code = fields.String(allow_none=True)
    ticket_url = fields.String(allow_none=True)
    manage_url = fields.String()
    created_at = fields.AwareDateTime()
    cancelled_at = fields.AwareDateTime(allow_none=True)
    checked_in_at = fields.AwareDateTime(allow_none=True)
    attended_at = fields.AwareDateTime(allow_none=True)
    # Set once payments asked for a fee: variable_symbol, amount, due_on, account, iban, spd.
    payment = fields.Dict(allow_none=True)
    paid_at = fields.AwareDateTime(allow_none=True)
    event = fields.Nested(EventOut)


class AttendeeMessageIn(CzechSchema):
    # One line: a line break in a subject would end the header and break every email.
    subject = Text(required=True, validate=_length(200, 1))
    text = Text(multiline=True, required=True, validate=_length(20000, 1))


def _rating():
    return Integer(required=True, validate=validate.Range(min=1, max=5, error="Vyberte hodnocení 1 až 5."))


class FeedbackIn(CzechSchema):
    content_rating = _rating()
    lecturer_rating = _rating()
    organisation_rating = _rating()
    comment = Text(multiline=True, load_default="", validate=_length(5000))


# Schemas are built once: building one deep-copies its fields, which costs more
# than using it. Instances are safe to share; they keep no state between calls.
event_in = EventIn()
event_changes_in = EventIn(partial=True)
event_out = EventOut()
events_out = EventOut(many=True)
registration_in = RegistrationIn()
registration_out = RegistrationOut()
registration_only_out = RegistrationOut(exclude=("event",))
registrations_out = RegistrationOut(many=True)
attendee_message_in = AttendeeMessageIn()
feedback_in = FeedbackIn()
