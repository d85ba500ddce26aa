"""Issue 25 (a review of the money): statement ids, reversals, the tax date, invoices asked for
on the manage page, payments that arrive after the seat was released."""
import base64

from tests import statements
from tests.unit.payments.conftest import payload


def confirm(payments, registration_id, **options):
    payments.on_registration_confirmed(payload(registration_id, **options))


def b64(data):
    return base64.b64encode(data).decode()


# 10. Statement line identity

def test_two_statements_each_with_entry_reference_1_for_different_money_both_count(payments):
    confirm(payments, 11)
    confirm(payments, 12)
    monday = statements.camt053([{"amount_halere": 90000, "variable_symbol": "1000000011", "bank_id": None,
                                  "entry_ref": "1"}], statement_id="2026-11-27/1")
    tuesday = statements.camt053([{"amount_halere": 90000, "variable_symbol": "1000000012", "bank_id": None,
                                   "entry_ref": "1", "booked_on": "2026-11-28"}], statement_id="2026-11-28/1")
    assert payments.import_statement(b64(monday))["matched"] == 1
    summary = payments.import_statement(b64(tuesday))
    assert (summary["matched"], summary["duplicates"]) == (1, 0)
    assert payments.import_statement(b64(tuesday))["duplicates"] == 1  # the same file again: nothing twice
    assert sorted(p["registration"]["id"] for p in payments.recorded("payment_received")) == [11, 12]


def test_the_same_fio_movement_by_the_api_and_by_a_statement_file_counts_once(payments):
    from tests.fio_standin import FioStandIn

    confirm(payments, 21)
    confirm(payments, 22)
    with FioStandIn(token="tajny") as bank:
        payments.config.update(FIO_API_TOKEN="tajny", FIO_API_URL=bank.url)
        first = bank.add({"amount_halere": 90000, "variable_symbol": "1000000021", "booked_on": "2026-11-26"})
        second = bank.add({"amount_halere": 90000, "variable_symbol": "1000000022", "booked_on": "2026-11-26"})
        assert payments.fetch_from_bank()["matched"] == 2
    # Fio's camt.053 gives the movement id (ID pohybu) as the transaction's AcctSvcrRef, its
    # entries numbered by NtryRef; its GPC gives it as the transaction id.
    camt = statements.camt053([{"amount_halere": 90000, "variable_symbol": "1000000021", "booked_on": "2026-11-26",
                                "bank_id": first["bank_id"], "tx_ref": True, "entry_ref": "1"}],
                              account_iban="CZ6508000000192000145399")
    gpc = statements.gpc([{"amount_halere": 90000, "variable_symbol": "1000000022", "booked_on": "2026-11-26",
                           "bank_id": second["bank_id"]}])
    assert payments.import_statement(b64(camt))["duplicates"] == 1
    assert payments.import_statement(b64(gpc))["duplicates"] == 1
    assert sorted(p["registration"]["id"] for p in payments.recorded("payment_received")) == [21, 22]
