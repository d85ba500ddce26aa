"""Marshmallow building blocks that speak Czech and raise our ValidationError."""
import unicodedata
from collections.abc import Mapping
from typing import Any

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

    def load_or_raise(self, data: Any, **kwargs: Any) -> Any:
        """``load``, with marshmallow's error turned into our ``ValidationError``."""
        try:
            return self.load(data, **kwargs)
        except MarshmallowError as error:
            messages = error.messages
            if isinstance(messages, list):  # a whole-schema error, such as a non-object
                messages = {"_schema": messages}
            raise ValidationError(_flatten(messages)) from None


def _flatten(messages: Mapping[str, Any]) -> dict[str, str]:
    """Field name -> first message, as the web form and the API show them."""
    flat: dict[str, str] = {}
    for name, value in messages.items():
        while isinstance(value, (list, tuple)) and value:
            value = value[0]
        if isinstance(value, dict):
            value = next(iter(_flatten(value).values()), NULL)
        flat[name] = str(value)
    return flat


# Characters that reorder the text around them (bidi overrides and isolates): in a name they
# can make "Nováková" print as something else on a certificate or in a list.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


class Text(fields.String):
    """Text as a person types it, in NFC. Refused: lone surrogates, control characters other than
    tab and line breaks, and line breaks unless ``multiline``. Single-line text has its white
    space (tabs pasted from a spreadsheet too) collapsed to single spaces; multiline text has its
    line breaks as ``\n``."""

    default_error_messages = {"required": REQUIRED, "null": NULL, "invalid": "Očekáváme text.",
                              "invalid_utf8": "Text není platný v kódování UTF-8.",
                              "control": "Text obsahuje nepovolené řídicí znaky.",
                              "line_break": "Text musí být na jednom řádku."}

    def __init__(self, multiline: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiline = multiline

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        value = super()._deserialize(value, attr, data, **kwargs)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: valid JSON, not text
            raise self.make_error("invalid_utf8") from None
        value = unicodedata.normalize("NFC", value)
        for character in value:
            if character in "\r\n\u2028\u2029" and not self.multiline:
                raise self.make_error("line_break")
            if unicodedata.category(character) == "Cc" and character not in "\t\r\n":
                raise self.make_error("control")
        if not self.multiline:
            value = " ".join(value.split())
        else:  # a browser sends CRLF from a textarea: paragraphs are split on "\n\n" everywhere
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return value


class Name(Text):
    """A person's or an organisation's name: one line, something visible, no reordering characters."""

    default_error_messages = {"bidi": "Jméno obsahuje znaky, které mění pořadí písmen.",
                              "invisible": "Jméno musí obsahovat viditelné znaky."}

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        value = super()._deserialize(value, attr, data, **kwargs)
        if any(character in BIDI_CONTROLS for character in value):
            raise self.make_error("bidi")
        if value and not any(unicodedata.category(character)[0] in "LN" for character in value):
            raise self.make_error("invisible")
        return value


def without_diacritics(text: str) -> str:
    """``dvořák`` as ``dvorak``: letters stripped of their accents (others left as they are)."""
    return "".join(character for character in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(character))


class Email(fields.Email):
    """An address, trimmed of the spaces that copying it from elsewhere brings, and in ASCII.

    ``dvořák@nyrany.example`` is refused: an address with letters outside ASCII can only be
    delivered by servers that speak SMTPUTF8 (RFC 6531), which most municipal mail servers do
    not, so the confirmation and the ticket would never arrive. A domain with accents
    (IDN) is refused likewise: nothing here turns it into its ``xn--`` form, and .cz domains
    have no accents. The message says why and suggests the address without them."""

    default_error_messages = {
        "required": REQUIRED, "null": NULL, "invalid": "Zadejte platnou e-mailovou adresu.",
        "local_not_ascii": "Adresa nesmí mít před zavináčem písmena s diakritikou: poštovní servery mnoha úřadů "
                           "takovou adresu nepřijmou a e-mail by nedošel. Zadejte ji bez háčků a čárek{example}.",
        "domain_not_ascii": "Název domény za zavináčem nesmí obsahovat písmena s diakritikou (domény .cz je "
                            "nemají) a e-mail by nedošel. Zkontrolujte adresu{example}.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            local, at, domain = value.rpartition("@")
            if at and local and domain and not value.isascii():
                suggestion = without_diacritics(value)
                example = f", například {suggestion}" if suggestion.isascii() else ""
                raise self.make_error("local_not_ascii" if not local.isascii() else "domain_not_ascii",
                                      example=example)
        return super()._deserialize(value, attr, data, **kwargs)


class Integer(fields.Integer):
    default_error_messages = {"required": REQUIRED, "null": NULL, "invalid": "Očekáváme celé číslo.",
                              "too_large": "Číslo je příliš velké."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)


class Boolean(fields.Boolean):
    """true or false in JSON; not "yes", 1 or "on", which marshmallow would take."""

    default_error_messages = {"required": REQUIRED, "null": NULL, "invalid": "Očekáváme ano, nebo ne."}

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
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
