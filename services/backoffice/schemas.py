"""The console's forms, read with the same Czech building blocks as the API."""
from marshmallow import fields, validate

from services.common.schemas import REQUIRED, CzechSchema, Email, Name, Text
from services.common.vocabulary import EventFormat, EventKind

from .domain import ROLES


class LocalDateTime(fields.NaiveDateTime):
    """What a ``datetime-local`` input sends: a time in Prague, without its offset."""

    default_error_messages = {"required": REQUIRED, "invalid": "Zadejte datum a čas.",
                              "format": "Datum a čas nelze zapsat."}

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class EventForm(CzechSchema):
    title = Text(required=True, validate=validate.Length(min=1, max=200, error="Název má 1 až 200 znaků."))
    kind = Text(required=True, validate=validate.OneOf(tuple(EventKind), error="Vyberte druh akce."))
    topic = Text(required=True, validate=validate.Length(min=1, max=100, error="Téma má 1 až 100 znaků."))
    lecturer = Text(validate=validate.Length(max=200))
    # An online event needs no venue: the registrations service decides (and says so in Czech).
    venue = Text(validate=validate.Length(min=1, max=300, error="Místo má 1 až 300 znaků."))
    starts = LocalDateTime()  # required unless sessions are given (the registrations service says so)
    ends = LocalDateTime()
    sessions = Text(multiline=True, validate=validate.Length(max=10000))  # domain.parse_sessions reads it
    capacity = fields.Integer(required=True, error_messages={"invalid": "Zadejte počet míst číslem."})
    price_member = fields.Integer(error_messages={"invalid": "Zadejte cenu v celých korunách."})
    price_non_member = fields.Integer(error_messages={"invalid": "Zadejte cenu v celých korunách."})
    description = Text(multiline=True, validate=validate.Length(max=20000))
    max_per_organisation = fields.Integer(error_messages={"invalid": "Zadejte počet osob číslem."})
    accreditation_number = Text(validate=validate.Length(max=60))
    hours = fields.Integer(error_messages={"invalid": "Zadejte počet hodin číslem."})
    certificate_share = fields.Integer(
        error_messages={"invalid": "Zadejte podíl termínů v procentech celým číslem."},
        validate=validate.Range(min=1, max=100, error="Podíl termínů pro osvědčení je 1 až 100 %."))
    release_unpaid_after_days = fields.Integer(error_messages={"invalid": "Zadejte počet dní číslem."})
    waitlist_enabled = fields.Boolean(truthy={"ano"}, falsy={"ne"})
    collects_birth_date = fields.Boolean(truthy={"ano"}, falsy={"ne"})
    format = Text(validate=validate.OneOf(tuple(EventFormat), error="Vyberte formu akce."))
    webinar_url = Text(validate=validate.Length(max=500, error="Odkaz má nejvýše 500 znaků."))


class AccountForm(CzechSchema):
    email = Email(required=True)
    name = Name(required=True, validate=validate.Length(min=1, max=200, error="Jméno má 1 až 200 znaků."))
    role = Text(required=True, validate=validate.OneOf(ROLES, error="Role je admin, staff, nebo door."))


event_form_in = EventForm()
account_in = AccountForm()
