"""The registrations service's wire formats (HTTP, RPC and event payloads)."""
from marshmallow import ValidationError, fields, post_load, validate, validates, validates_schema

from services.common import errors
from services.common.errors import ValidationError as FieldsError
from services.common.ico import ico_error
from services.common.schemas import REQUIRED, AwareDateTime, Boolean, CzechSchema, Date, Email, Integer, Name, Text
from services.common.vocabulary import EventFormat, EventKind, QuestionType

KINDS = tuple(EventKind)
MAX_SESSIONS = 60
FORMATS = tuple(EventFormat)
# Where an online event takes place when staff give no venue.
ONLINE_VENUE = "Online"
QUESTION_TYPES = tuple(QuestionType)
MAX_QUESTIONS = 30
MAX_OPTIONS = 50


def _length(maximum, minimum=0):
    if minimum:
        return validate.Length(min=minimum, max=maximum, error=f"Délka musí být {minimum} až {maximum} znaků.")
    return validate.Length(max=maximum, error=f"Nejvýše {maximum} znaků.")


def _not_negative(value):
    if value < 0:
        raise ValidationError("Hodnota nesmí být záporná.")


class SessionIn(CzechSchema):
    """One day or part of a multi-day event or a series; the venue defaults to the event's."""
    starts_at = AwareDateTime(required=True)
    ends_at = AwareDateTime(required=True)
    title = Text(load_default=None, allow_none=True, validate=_length(200))
    venue = Text(load_default=None, allow_none=True, validate=_length(300))


class QuestionIn(CzechSchema):
    """One of an event's own questions on the registration form."""

    id = Text(required=True, validate=validate.Regexp(
        r"^[a-z0-9][a-z0-9_]{0,39}\Z",
        error="Klíč otázky tvoří malá písmena bez diakritiky, číslice a podtržítka (nejvýše 40 znaků)."))
    label = Text(required=True, validate=_length(300, 1))
    type = Text(required=True, validate=validate.OneOf(
        QUESTION_TYPES, error="Typ otázky je text, choice, choices, nebo yes_no."))
    options = fields.List(Text(validate=_length(200, 1)), load_default=list,
                          error_messages={"invalid": "Možnosti zadejte jako seznam textů."})
    required = Boolean(load_default=False)

    @validates_schema
    def _options_fit_type(self, data, **_kwargs):
        options = data.get("options") or []
        if data["type"] not in (QuestionType.CHOICE, QuestionType.CHOICES):
            if options:
                raise ValidationError("Možnosti patří jen k otázkám typu choice a choices.", "options")
            return
        if len(options) < 2:
            raise ValidationError("Otázka s výběrem potřebuje aspoň dvě možnosti.", "options")
        if len(options) > MAX_OPTIONS:
            raise ValidationError(f"Nejvýše {MAX_OPTIONS} možností.", "options")
        if len({option.casefold() for option in options}) != len(options):
            raise ValidationError("Možnosti se nesmějí opakovat.", "options")


question_in = QuestionIn()
QUESTION_PARTS = {"id": "klíč", "label": "text otázky", "type": "typ", "options": "možnosti",
                  "required": "povinná", "_schema": "zadání"}


class Questions(fields.Field):
    """An event's questions, each loaded whole also when the event is changed in part (a
    partial load would pass a question without its type); a message names the question."""

    default_error_messages = {"invalid": "Otázky zadejte jako seznam.", "null": "Toto pole nesmí být prázdné.",
                              "too_many": f"Akce může mít nejvýše {MAX_QUESTIONS} otázek.",
                              "duplicate": "Klíč otázky „{id}“ se opakuje."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise self.make_error("invalid")
        if len(value) > MAX_QUESTIONS:
            raise self.make_error("too_many")
        loaded = []
        for number, item in enumerate(value, 1):
            try:
                loaded.append(question_in.load_or_raise(item))
            except errors.ValidationError as error:
                part, message = next(iter(error.fields.items()))
                raise ValidationError(f"Otázka č. {number}, {QUESTION_PARTS.get(part, part)}: {message}") from None
        seen = set()
        for question in loaded:
            if question["id"] in seen:
                raise self.make_error("duplicate", id=question["id"])
            seen.add(question["id"])
        return loaded


class QuestionOut(CzechSchema):
    id = fields.String(required=True, metadata={"description": "stable key; answers are given by it"})
    label = fields.String(required=True, metadata={"description": "the question as the form shows it (Czech)"})
    type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES), metadata={
        "description": "text: a string; choice: one of options; choices: a list of options; yes_no: a boolean"})
    options = fields.List(fields.String(), required=True, metadata={"description": "for choice and choices"})
    required = fields.Boolean(required=True)


# What an answer is, as the OpenAPI document tells it: text or an option, options, yes or no.
ANSWER = {"oneOf": [{"type": "string"}, {"type": "boolean"}, {"type": "array", "items": {"type": "string"}}]}


class EventIn(CzechSchema):
    title = Text(required=True, validate=_length(200, 1))
    kind = Text(required=True,
                validate=validate.OneOf(KINDS, error="Druh akce je seminar, training, nebo good_practice."))
    topic = Text(required=True, validate=_length(100, 1))
    description = Text(multiline=True, load_default="", validate=_length(20000))
    lecturer = Text(load_default="", validate=_length(200))
    venue = Text(validate=_length(300, 1))  # required unless the event is online (see _venue)
    # Required unless ``sessions`` are given; with sessions they are derived (domain.with_sessions).
    starts_at = AwareDateTime(load_default=None)
    ends_at = AwareDateTime(load_default=None)
    sessions = fields.List(fields.Nested(SessionIn), load_default=None, allow_none=True,
                           validate=validate.Length(max=MAX_SESSIONS, error=f"Nejvýše {MAX_SESSIONS} termínů."),
                           error_messages={"invalid": "Termíny jsou seznam objektů."})
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
    # The share of the sessions (per cent) a person must attend for the certificate (domain.reaches_share).
    certificate_share = Integer(load_default=100, validate=validate.Range(
        min=1, max=100, error="Podíl termínů pro osvědčení je 1 až 100 %."))
    collects_birth_date = Boolean(load_default=False)
    release_unpaid_after_days = Integer(load_default=None, allow_none=True, validate=validate.Range(
        min=2, max=365, error="Nezaplacená místa lze uvolnit nejdříve 2 dny po výzvě k platbě."))
    questions = Questions(load_default=list)
    format = Text(load_default=EventFormat.IN_PERSON, validate=validate.OneOf(
        FORMATS, error="Forma akce je in_person (prezenčně), online, nebo hybrid."))
    webinar_url = Text(load_default=None, allow_none=True, validate=[_length(500), validate.URL(
        schemes={"http", "https"}, error="Odkaz na webinář musí být úplná adresa http:// nebo https://.")])

    @post_load
    def _venue(self, data, **kwargs):
        """An online event needs no venue; any other does (a partial change keeps the one it has)."""
        if self.partial or kwargs.get("partial") or data.get("venue"):
            return data
        if data.get("format") == EventFormat.ONLINE:
            return dict(data, venue=ONLINE_VENUE)
        raise ValidationError(REQUIRED, "venue")

    @validates_schema
    def _times_given(self, data, partial=False, **_kwargs):
        if partial or data.get("sessions"):
            return
        errors = {field: REQUIRED for field in ("starts_at", "ends_at") if data.get(field) is None}
        if errors:
            raise ValidationError(errors)


class SessionOut(CzechSchema):
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    title = fields.String(allow_none=True)
    venue = fields.String(allow_none=True)


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
    sessions = fields.List(fields.Nested(SessionOut), allow_none=True, metadata={"description": (
        "the days or parts of a multi-day event or a series, in order (starts_at and ends_at are then the "
        "first one's start and the last one's end); null for an event in one block; a session's venue is "
        "null where it is the event's")})
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
    certificate_share = fields.Integer(metadata={"description": (
        "the share of the sessions (per cent) a person must attend for the certificate; 100: all")})
    session_hours = fields.List(fields.Integer(), metadata={"description": (
        "the hours of each session (one for an event without sessions): the event's hours split by "
        "the sessions' lengths")})
    collects_birth_date = fields.Boolean()
    release_unpaid_after_days = fields.Integer(allow_none=True)
    format = fields.String()
    questions = fields.List(fields.Nested(QuestionOut))
    status = fields.String()
    version = fields.Integer()


class StaffEventOut(EventOut):
    """An event as staff see it: with the webinar link, which the public never gets."""
    webinar_url = fields.String(allow_none=True)


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
    answers = fields.Dict(
        keys=Text(), values=fields.Raw(allow_none=True, metadata=ANSWER), load_default=dict, metadata={
            "description": "answers to the event's questions by question id: a string (text, choice), "
                           "a list of strings (choices) or a boolean (yes_no); checked against the event's "
                           "questions, each refusal under fields as answers.<id>"},
        error_messages={"invalid": "Odpovědi zadejte jako objekt: klíč otázky a odpověď.",
                        "null": "Toto pole nesmí být prázdné."})

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


MAX_COLLEAGUES = 30


class AttendeeIn(CzechSchema):
    """One colleague of a group registration: the person, without the organisation."""
    first_name = Name(required=True, validate=_length(100, 1))
    last_name = Name(required=True, validate=_length(100, 1))
    email = Email(required=True, validate=_length(254))
    phone = Text(load_default=None, allow_none=True, validate=_length(40))
    position = Text(load_default=None, allow_none=True, validate=_length(200))
    note = Text(multiline=True, load_default=None, allow_none=True, validate=_length(2000))
    birth_date = Date(load_default=None, allow_none=True)
    answers = RegistrationIn._declared_fields["answers"]  # each colleague answers the event's questions

    @validates("first_name", "last_name")
    def _not_blank(self, value, data_key, **_kwargs):
        if not value.strip():
            raise ValidationError("Toto pole je povinné.")


class RegistrantIn(CzechSchema):
    """Who registers the colleagues (and gets the summary); not an attendee unless listed too."""
    first_name = Name(required=True, validate=_length(100, 1))
    last_name = Name(required=True, validate=_length(100, 1))
    email = Email(required=True, validate=_length(254))


class ColleaguesIn(CzechSchema):
    """Several colleagues of one organisation, registered all or none (``domain._plan_colleagues``);
    ``waitlist_rest``: those past the organisation's limit go on the waitlist instead."""
    organisation_ico = RegistrationIn._declared_fields["organisation_ico"]
    organisation_name = RegistrationIn._declared_fields["organisation_name"]
    gdpr_consent = RegistrationIn._declared_fields["gdpr_consent"]
    _valid_ico = RegistrationIn._valid_ico
    _organisation_given = RegistrationIn._organisation_given
    registrant = fields.Nested(RegistrantIn, required=True, error_messages={"required": "Toto pole je povinné."})
    attendees = fields.List(fields.Nested(AttendeeIn), required=True, validate=validate.Length(
        min=1, max=MAX_COLLEAGUES, error=f"Přihlaste 1 až {MAX_COLLEAGUES} osob."),
        error_messages={"required": "Toto pole je povinné.", "invalid": "Očekáváme seznam osob."})
    waitlist_rest = Boolean(load_default=False)

    @validates_schema
    def _each_once(self, data, **_kwargs):
        seen = set()
        for index, attendee in enumerate(data.get("attendees") or []):
            key = attendee["email"].strip().casefold()
            if key in seen:
                raise ValidationError({"attendees": {index: {"email": ["Tento e-mail je ve skupině dvakrát."]}}})
            seen.add(key)

    def load_or_raise(self, data, **kwargs):
        """Errors of an attendee as ``attendees.<index>.<field>``, the web form's and the API's."""
        try:
            return self.load(data, **kwargs)
        except ValidationError as error:
            messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
            raise FieldsError(_dotted(messages)) from None


def _dotted(messages, prefix=""):
    flat = {}
    for name, value in messages.items():
        if isinstance(value, dict):
            flat.update(_dotted(value, f"{prefix}{name}."))
            continue
        while isinstance(value, (list, tuple)) and value:
            value = value[0]
        flat[f"{prefix}{name}"] = str(value)
    return flat


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
    # Attendance per session (indices into the event's sessions; an event without sessions is 0).
    sessions_checked_in = fields.List(fields.Integer(), metadata={"description": "sessions the person was let in to"})
    sessions_attended = fields.List(fields.Integer(), metadata={"description": "sessions staff marked as attended"})
    attended_hours = fields.Integer(allow_none=True, metadata={"description": (
        "the hours of the sessions attended: what the certificate states")})
    attendance_short = fields.String(allow_none=True, metadata={"description": (
        "why the sessions attended do not reach the event's certificate share (Czech), or null")})
    # Set once payments asked for a fee: variable_symbol, amount, due_on, account, iban, spd.
    payment = fields.Dict(allow_none=True, metadata={"description": (
        "How to pay, once payments asked for the fee (null before that, and for free registrations): "
        "variable_symbol, account, iban, due_on; amount / amount_halere: this person's own fee; "
        "outstanding_halere: what is still owed under variable_symbol, which on an invoice for several "
        "people (group_invoice: its number) is the invoice's amount less its credit notes less what was "
        "paid; spd: the QR Platba text asking for outstanding_halere (null when nothing is owed); "
        "invoice_number: the invoice covering this registration, if any")})
    paid_at = fields.AwareDateTime(allow_none=True)
    # The event's webinar link, only while the registration is confirmed (None otherwise).
    webinar_url = fields.String(allow_none=True)
    substitute_for = fields.Integer(allow_none=True)
    substituted_by = fields.Integer(allow_none=True)
    substituted_at = fields.AwareDateTime(allow_none=True)
    # The certificate of an accredited event: issued (sent), waiting_payment, due, or None.
    certificate = fields.String(allow_none=True)
    certificate_sent_at = fields.AwareDateTime(allow_none=True)
    certificate_released_at = fields.AwareDateTime(allow_none=True)
    certificate_released_by = fields.String(allow_none=True)
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(metadata=ANSWER), metadata={
        "description": "answers to the event's questions by question id"})
    event = fields.Nested(EventOut)


class SubstituteIn(CzechSchema):
    """The colleague who takes over a seat: the organisation stays the registrant's."""
    first_name = Name(required=True, validate=_length(100, 1))
    last_name = Name(required=True, validate=_length(100, 1))
    email = Email(required=True, validate=_length(254))
    phone = Text(load_default=None, allow_none=True, validate=_length(40))
    position = Text(load_default=None, allow_none=True, validate=_length(200))
    note = Text(multiline=True, load_default=None, allow_none=True, validate=_length(2000))
    birth_date = Date(load_default=None, allow_none=True)
    gdpr_consent = Boolean(required=True, validate=validate.OneOf(
        [True], error="Bez souhlasu se zpracováním osobních údajů náhradníka nemůžeme přihlásit."))

    @validates("first_name", "last_name")
    def _not_blank(self, value, data_key, **_kwargs):
        if not value.strip():
            raise ValidationError("Toto pole je povinné.")


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
staff_event_out = StaffEventOut()
staff_events_out = StaffEventOut(many=True)
substitute_in = SubstituteIn()
registration_in = RegistrationIn()
colleagues_in = ColleaguesIn()
registration_out = RegistrationOut()
registration_only_out = RegistrationOut(exclude=("event",))
registrations_out = RegistrationOut(many=True)
attendee_message_in = AttendeeMessageIn()
feedback_in = FeedbackIn()


# The door without a signal: a batch of check-ins a phone made offline (``door_batch``).
DOOR_BATCH_MAX = 500


class DoorCheckInIn(CzechSchema):
    code = Text(required=True, validate=validate.Length(min=1, max=60, error="Kód vstupenky je příliš dlouhý."))
    scanned_at = AwareDateTime(required=True)


class DoorBatchIn(CzechSchema):
    device = Text(required=True, validate=validate.Length(min=1, max=40, error="Označení telefonu má 1 až 40 znaků."))
    staff = Text(required=True, validate=validate.Length(min=1, max=200))
    items = fields.List(fields.Nested(DoorCheckInIn), required=True, validate=validate.Length(
        max=DOOR_BATCH_MAX, error=f"Najednou lze poslat nejvýše {DOOR_BATCH_MAX} odbavení."),
        error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": "Očekáváme seznam odbavení."})


door_batch_in = DoorBatchIn()
