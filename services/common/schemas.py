"""Marshmallow building blocks that speak Czech and raise our ValidationError."""
from marshmallow import RAISE, Schema, fields
from marshmallow import ValidationError as MarshmallowError

from .errors import ValidationError

REQUIRED = "Toto pole je povinné."
NULL = "Toto pole nesmí být prázdné."


class CzechSchema(Schema):
    """Refuses unknown fields; every message is Czech."""

    class Meta:
        unknown = RAISE

    error_messages = {
        "unknown": "Toto pole neznáme.",
        "type": "Očekáváme objekt JSON.",
    }

    def load_or_raise(self, data, **kwargs):
        """``load``, with marshmallow's error turned into our ``ValidationError``."""
        try:
            return self.load(data, **kwargs)
        except MarshmallowError as error:
            messages = error.messages
            if isinstance(messages, list):  # a whole-schema error, such as a non-object
                messages = {"_schema": messages}
            raise ValidationError(_flatten(messages)) from None


def _flatten(messages):
    """Field name -> first message, as the web form and the API show them."""
    flat = {}
    for name, value in messages.items():
        while isinstance(value, (list, tuple)) and value:
            value = value[0]
        if isinstance(value, dict):
            value = next(iter(_flatten(value).values()), NULL)
        flat[name] = str(value)
    return flat


class Text(fields.String):
    default_error_messages = {"required": REQUIRED, "null": NULL, "invalid": "Očekáváme text.",
                              "invalid_utf8": "Text není platný v kódování UTF-8."}


class Email(fields.Email):
    """An address, trimmed of the spaces that copying it from elsewhere brings."""

    default_error_messages = {"required": REQUIRED, "null": NULL, "invalid": "Zadejte platnou e-mailovou adresu."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        return super()._deserialize(value, attr, data, **kwargs)


class Integer(fields.Integer):
    default_error_messages = {"required": REQUIRED, "null": NULL, "invalid": "Očekáváme celé číslo.",
                              "too_large": "Číslo je příliš velké."}

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)


class Boolean(fields.Boolean):
    """true or false in JSON; not "yes", 1 or "on", which marshmallow would take."""

    default_error_messages = {"required": REQUIRED, "null": NULL, "invalid": "Očekáváme ano, nebo ne."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Date(fields.Date):
    default_error_messages = {"required": REQUIRED, "null": NULL, "invalid": "Zadejte datum ve tvaru RRRR-MM-DD.",
                              "format": "Datum nelze zapsat."}


class AwareDateTime(fields.AwareDateTime):
    default_error_messages = {"required": REQUIRED, "null": NULL,
                              "invalid": "Zadejte datum a čas ve tvaru ISO 8601 s časovým pásmem.",
                              "invalid_awareness": "Uveďte i časové pásmo (například +01:00).",
                              "format": "Datum a čas nelze zapsat."}
