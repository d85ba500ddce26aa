"""The members service's wire formats."""
from marshmallow import ValidationError, fields, validate, validates

from services.common.ico import ico_error
from services.common.schemas import Boolean, CzechSchema, Date, Email, Name, Text

from .domain import DELIVERY_CHANNELS, DISTRICTS, KINDS, MEMBERSHIPS


def _check_ico(value):
    error = ico_error(value)
    if error:
        raise ValidationError(error)


class OrganisationIn(CzechSchema):
    ico = Text(required=True, validate=_check_ico)
    name = Name(required=True, validate=validate.Length(min=1, max=200, error="Název má 1 až 200 znaků."))
    kind = Text(load_default="obec", validate=validate.OneOf(KINDS, error="Neznámý druh organizace."))
    district = Text(load_default=None, allow_none=True,
                    validate=validate.OneOf(DISTRICTS, error="Neznámý okres Plzeňského kraje."))
    address = Text(load_default=None, allow_none=True,
                   validate=validate.Length(max=300, error="Adresa má nejvýš 300 znaků."))
    email = Email(load_default=None, allow_none=True)
    phone = Text(load_default=None, allow_none=True,
                 validate=validate.Length(max=40, error="Telefon má nejvýš 40 znaků."))
    dic = Text(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^CZ[0-9]{8,10}$", error="DIČ má tvar CZ a 8 až 10 číslic."))
    billing_email = Email(load_default=None, allow_none=True)
    member_since = Date(load_default=None, allow_none=True)

    @validates("name")
    def _name_not_blank(self, value, **_kwargs):
        if not value.strip():
            raise ValidationError("Název nesmí být prázdný.")


class OrganisationEdit(OrganisationIn):
    """The organisation's form: its fields and the last membership's first and last day."""

    member_until = Date(load_default=None, allow_none=True)
    # How its invoices, credit notes and certificates go; absent: as they go now.
    delivery_channel = Text(validate=validate.OneOf(
        DELIVERY_CHANNELS, error="Zvolte doručování dokladů e-mailem, nebo do datové schránky."))


class ListQuery(CzechSchema):
    district = Text(load_default=None, allow_none=True,
                    validate=validate.OneOf(DISTRICTS, error="Neznámý okres Plzeňského kraje."))
    membership = Text(load_default=None, allow_none=True,
                      validate=validate.OneOf(MEMBERSHIPS, error="Neznámý druh členství."))
    query = Text(load_default=None, allow_none=True,
                 validate=validate.Length(max=100, error="Hledaný text má nejvýš 100 znaků."))
    page = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, strict=True, validate=validate.Range(min=1, max=200))


class OrganisationOut(CzechSchema):
    ico = fields.String()
    name = fields.String()
    kind = fields.String()
    district = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    dic = fields.String(allow_none=True)
    billing_email = fields.String(allow_none=True)
    delivery_channel = fields.String()
    periods = fields.Method("_periods")
    is_member = fields.Boolean()

    def _periods(self, organisation):
        return [{"from": p["from"].isoformat(), "to": p["to"].isoformat() if p["to"] else None}
                for p in organisation["periods"]]


class ContactIn(CzechSchema):
    first_name = Name(required=True, validate=validate.Length(min=1, max=100, error="Jméno má 1 až 100 znaků."))
    last_name = Name(required=True, validate=validate.Length(min=1, max=100, error="Příjmení má 1 až 100 znaků."))
    role = Text(load_default=None, allow_none=True,
                validate=validate.Length(max=100, error="Funkce má nejvýš 100 znaků."))
    email = Email(load_default=None, allow_none=True)
    phone = Text(load_default=None, allow_none=True,
                 validate=validate.Length(max=40, error="Telefon má nejvýš 40 znaků."))
    wants_announcements = Boolean(load_default=True)


class ContactOut(CzechSchema):
    id = fields.Integer()
    ico = fields.String()
    organisation_name = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    role = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    wants_announcements = fields.Boolean()
    unsubscribe_token = fields.String()
    portal_access = fields.Boolean()


organisation_in = OrganisationIn()
organisation_changes_in = OrganisationIn(partial=True, exclude=("ico",))
organisation_edit_in = OrganisationEdit(partial=True, exclude=("ico",))
list_query_in = ListQuery()
organisation_out = OrganisationOut()
organisations_out = OrganisationOut(many=True)
contact_in = ContactIn()
contact_out = ContactOut()
contacts_out = ContactOut(many=True)
