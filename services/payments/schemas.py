"""The payments service's wire formats: what staff send, checked before anything is written."""
from marshmallow import ValidationError, fields, validate

from services.common.czech import MONTH_FORMAT, month_of
from services.common.packed import STATEMENT_MAX_BYTES, STATEMENT_TOO_LARGE, Refused, unpack
from services.common.schemas import CzechSchema, Integer, Text

# A statement of 10,000 lines is about 20 MB of camt.053 (under 1 MB as sent, gzipped: common.packed);
# the limit (``STATEMENT_MAX_BYTES``) is the console's, stated in common.packed.


class PackedFile(fields.String):
    """A file from ``services.common.packed.pack`` (or plain base64), as bytes."""

    default_error_messages = {"required": "Vyberte soubor s výpisem.", "invalid": "Soubor se nepodařilo přenést.",
                              "too_large": STATEMENT_TOO_LARGE, "empty": "Soubor je prázdný."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            decoded = unpack(text, STATEMENT_MAX_BYTES)
        except Refused as refused:
            raise self.make_error(refused.reason) from None
        if not decoded:
            raise self.make_error("empty")
        return decoded


def _variable_symbol(value):
    if not value.isdigit() or len(value) > 10:
        raise ValidationError("Variabilní symbol má 1 až 10 číslic.")


class StatementIn(CzechSchema):
    data = PackedFile(required=True)


class MatchIn(CzechSchema):
    transaction_id = Integer(required=True)
    variable_symbol = Text(required=True, validate=_variable_symbol)


class ResolveIn(CzechSchema):
    transaction_id = Integer(required=True)
    note = Text(required=True, validate=validate.Length(min=1, max=300, error="Napište, jak byla platba vyřízena."))


class MarkPaidIn(CzechSchema):
    registration_id = Integer(required=True)
    how = Text(load_default="cash", validate=validate.OneOf(("cash", "hand"), error="Neznámý způsob platby."))
    note = Text(load_default=None, allow_none=True, validate=validate.Length(max=300))


class InvoiceIn(CzechSchema):
    registration_ids = fields.List(Integer(), required=True, validate=validate.Length(
        min=1, max=200, error="Vyberte 1 až 200 přihlášek."), error_messages={"required": "Vyberte přihlášky."})


class CancelInvoiceIn(CzechSchema):
    number = Text(required=True, validate=validate.Length(min=1, max=20))
    reason = Text(required=True, validate=validate.Length(min=1, max=200, error="Napište důvod storna."))


class ReceivedIn(CzechSchema):
    since = fields.Date(load_default=None, allow_none=True, error_messages={"invalid": "Datum od není platné."})
    until = fields.Date(load_default=None, allow_none=True, error_messages={"invalid": "Datum do není platné."})
    page = Integer(load_default=1, validate=validate.Range(min=1, error="Stránka je 1 nebo víc."))
    per_page = Integer(load_default=50, validate=validate.Range(min=1, max=500, error="Nejvýše 500 plateb na stránku."))


# The accountant's export's files: POHODA XML, the XLSX workbook, the ISDOCs zipped.
ACCOUNTING_FORMATS = ("pohoda", "xlsx", "isdoc")


class Month(fields.String):
    """A month as ``(year, month)``, typed ``2028-04`` (``czech.month_of``)."""

    default_error_messages = {"invalid": MONTH_FORMAT, "required": MONTH_FORMAT, "null": MONTH_FORMAT}

    def _deserialize(self, value, attr, data, **kwargs):
        found = month_of(super()._deserialize(value, attr, data, **kwargs))
        if found is None:
            raise self.make_error("invalid")
        return found


class AccountingIn(CzechSchema):
    month = Month(required=True)
    format = Text(load_default="pohoda", validate=validate.OneOf(
        ACCOUNTING_FORMATS, error="Formát je pohoda (XML pro Pohodu), xlsx (tabulka) nebo isdoc (ZIP s ISDOC)."))


statement_in = StatementIn()
accounting_in = AccountingIn()
received_in = ReceivedIn()
match_in = MatchIn()
resolve_in = ResolveIn()
mark_paid_in = MarkPaidIn()
invoice_in = InvoiceIn()
cancel_invoice_in = CancelInvoiceIn()
