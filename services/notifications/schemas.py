"""The notifications service's wire formats: what staff send to the association's contacts."""
from marshmallow import validate

from services.common.schemas import CzechSchema, Text


class AnnouncementIn(CzechSchema):
    # One line: a line break in a subject would end the header and break every email.
    subject = Text(required=True, validate=validate.Length(min=1, max=200, error="Předmět má 1 až 200 znaků."))
    text = Text(multiline=True, required=True,
                validate=validate.Length(min=1, max=20000, error="Text má 1 až 20 000 znaků."))


announcement_in = AnnouncementIn()
