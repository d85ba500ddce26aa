"""The invoices a municipality's page shows: those addressed to its IČO, with their payment state
and, while something is owed, the QR Platba for what is owed now."""
import base64

import pytest

from services.common.errors import ValidationError
from tests import statements
from tests.helpers import spd_fields
from tests.unit.payments.conftest import TOWN, payload

OTHER = "00256129"


def test_an_organisation_sees_its_invoices_and_credit_notes_only_with_what_is_owed(payments):
    payments.config["INVOICE_MODE"] = "on_request"
    for registration_id in (31, 32):
        payments.on_registration_confirmed(payload(registration_id))
    payments.on_registration_confirmed(payload(33, ico=OTHER))
    payments.on_registration_confirmed(payload(34, ico=None))  # a person without an organisation
    first = payments.issue_invoice([31, 32])
    payments.issue_invoice([33])
    payments.issue_invoice([34])
    note = payments.cancel_invoice(first["number"], "Chybný odběratel")
    second = payments.issue_invoice([31, 32])

    shown = payments.organisation_invoices(TOWN["ico"])
    assert [(i["number"], i["kind"], i["payment"]["state"]) for i in shown] == [
        (second["number"], "invoice", "unpaid"), (note["number"], "credit_note", "credit_note"),
        (first["number"], "invoice", "cancelled")]
    unpaid = shown[0]
    assert unpaid["account"] and unpaid["iban"] and unpaid["due_on"] == second["due_on"]
    fields = spd_fields(unpaid["spd"])
    assert fields["AM"] == "1800.00" and fields["X-VS"] == second["variable_symbol"]
    assert shown[1]["spd"] is None and shown[2]["spd"] is None

    payments.import_statement(base64.b64encode(statements.gpc([{
        "bank_id": "2600000000009", "amount_halere": 90000, "variable_symbol": second["variable_symbol"]}])).decode())
    [partly, *_] = payments.organisation_invoices(TOWN["ico"])
    assert spd_fields(partly["spd"])["AM"] == "900.00"  # what is owed now, not the invoice's total

    assert [i["customer_name"] for i in payments.organisation_invoices(OTHER)] == ["Obec Dolní Lhota"]


def test_an_ico_that_is_not_one_is_refused(payments):
    with pytest.raises(ValidationError):
        payments.organisation_invoices("1234")
