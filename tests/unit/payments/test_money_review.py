"""Issue 25 (a review of the money): statement ids, reversals, the tax date, invoices asked for
on the manage page, payments that arrive after the seat was released."""
import base64
from datetime import timedelta

from tests import statements
from tests.unit.payments.conftest import EVENT, payload


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


# 8. The tax date

def test_a_vat_payers_invoice_is_taxable_on_the_seminars_day_not_on_its_issue(payments):
    payments.config.update(VAT_PAYER=True, VAT_RATE=21, ORGANISER_DIC="CZ12345678")
    confirm(payments, 31)  # invoiced at registration, on 27. 11., for a seminar on 8. 12.
    [issued] = payments.recorded("invoice_issued")
    invoice = issued["invoice"]
    assert (invoice["issued_on"], invoice["taxable_on"]) == ("2026-11-27", "2026-12-08")
    assert b"<TaxPointDate>2026-12-08</TaxPointDate>" in base64.b64decode(issued["isdoc"])
    note = payments.cancel_invoice(invoice["number"], "Chybný odběratel")
    assert note["taxable_on"] == note["issued_on"] == "2026-11-27"  # a correction: the day it is made


def test_the_tax_date_is_the_day_of_payment_when_paid_before_the_seminar():
    from datetime import date

    from services.payments import domain
    seminar, issued = date(2026, 12, 8), date(2026, 11, 27)
    assert domain.taxable_on(True, issued, seminar, [date(2026, 11, 20)]) == date(2026, 11, 20)
    assert domain.taxable_on(True, issued, seminar, [date(2026, 11, 20), date(2026, 11, 25)]) == date(2026, 11, 25)
    assert domain.taxable_on(True, issued, seminar, [date(2026, 12, 9)]) == seminar
    assert domain.taxable_on(True, issued, seminar, []) == seminar
    assert domain.taxable_on(False, issued, seminar, []) == issued


def test_a_supplier_that_is_no_vat_payer_keeps_no_tax_date_on_the_invoice(payments):
    confirm(payments, 32)
    [issued] = payments.recorded("invoice_issued")
    assert issued["invoice"]["vat_note"] == "Dodavatel není plátcem DPH."
    assert b"TaxPointDate" not in base64.b64decode(issued["isdoc"])


# 4. An invoice asked for on the manage page

def test_a_second_person_of_the_same_ico_is_not_on_the_invoice_another_asked_for(payments):
    payments.config["INVOICE_MODE"] = "on_request"
    later = dict(EVENT, starts_at="2027-01-20T09:00:00+01:00", ends_at="2027-01-20T13:00:00+01:00")
    confirm(payments, 41, email="vera@dolnilhota.example", event=later)
    confirm(payments, 42, email="karel@dolnilhota.example", event=later)  # the same IČO, registered separately
    invoice = payments.request_invoice(41)
    assert invoice["variable_symbol"] == "1000000041" and invoice["total_halere"] == 90000
    assert len(invoice["items"]) == 1 and "Průchová" in invoice["items"][0]["description"]
    assert invoice["customer"]["name"] == "Obec Dolní Lhota"  # named by the register, not as typed
    [issued] = payments.recorded("invoice_issued")
    assert issued["registration_ids"] == [41]
    assert issued["recipients"] == ["ucetni@dolnilhota.example", "vera@dolnilhota.example"]
    assert payments.payment_of(42)["invoices"] == []
    payments.clock_state["now"] += timedelta(days=16)  # after the due date, before the seminar
    assert payments.remind_overdue() == 2
    assert sorted(p["registration"]["id"] for p in payments.recorded("payment_overdue")) == [41, 42]


# 3. A reversed payment

def test_a_gpc_credit_and_its_reversal_leave_the_request_unpaid_and_on_the_staff_list(payments):
    confirm(payments, 51)
    statement = statements.gpc([
        {"bank_id": "7001", "amount_halere": 90000, "variable_symbol": "1000000051"},
        {"bank_id": "7002", "amount_halere": -90000, "variable_symbol": "1000000051", "code": 5},
    ])
    summary = payments.import_statement(b64(statement))
    assert (summary["matched"], summary["to_check"], summary["ignored"]) == (1, 1, 0)
    request = payments.payment_of(51)
    assert (request["status"], request["paid_halere"], request["paid_at"]) == ("open", 0, None)
    [line] = payments.to_check()
    assert line["amount_halere"] == -90000 and line["outcome"] == "reversed"
    assert line["reason"].startswith("Banka platbu vrátila (storno)") and line["reversal_of"] is not None
    [received] = payments.recorded("payment_received")
    [reversed_] = payments.recorded("payment_reversed")
    assert reversed_["registration"]["id"] == 51 and reversed_["payment"]["status"] == "open"
    assert reversed_["payment"]["paid_at"] is None and reversed_["reversed_halere"] == 90000
    assert received["registration"]["id"] == 51
    # Paid again later: paid again, and the reversal is not paired twice.
    payments.import_statement(b64(statements.gpc([{"bank_id": "7003", "amount_halere": 90000,
                                                    "variable_symbol": "1000000051"}])))
    assert payments.payment_of(51)["status"] == "paid"


def test_a_camt_reversal_in_a_later_statement_undoes_the_credit(payments):
    confirm(payments, 52)
    payments.import_statement(b64(statements.camt053([{"bank_id": "K1", "amount_halere": 90000,
                                                       "variable_symbol": "1000000052"}])))
    assert payments.payment_of(52)["status"] == "paid"
    payments.import_statement(b64(statements.camt053(
        [{"bank_id": "K2", "amount_halere": -90000, "variable_symbol": "1000000052", "reversal": True,
          "booked_on": "2026-11-28"}], statement_id="0192000145399-2026-11-28")))
    assert payments.payment_of(52)["status"] == "open"
    [line] = payments.to_check()
    assert line["reason"] == "Banka platbu vrátila (storno): platba 900,00\u00a0Kč z 27. 11. 2026"


def test_a_reversal_that_matches_nothing_goes_to_the_staff_list(payments):
    summary = payments.import_statement(b64(statements.gpc([
        {"bank_id": "7101", "amount_halere": -50000, "variable_symbol": "1000000099", "code": 5}])))
    assert summary["to_check"] == 1
    [line] = payments.to_check()
    assert line["reason"] == "Banka platbu vrátila (storno); původní platbu jsme nenašli"
    assert payments.recorded("payment_reversed") == []


# 12. A payment made by the due date whose statement came after the seat was released

def release(payments, registration_id):
    payments.on_registration_cancelled(dict(payload(registration_id), released_unpaid=True))


def test_a_released_seat_paid_by_the_due_date_is_paid_and_told_to_registrations(payments):
    confirm(payments, 61)
    due_on = payments.payment_of(61)["due_on"]
    release(payments, 61)
    assert payments.payment_of(61)["status"] == "cancelled"
    summary = payments.import_statement(b64(statements.gpc([
        {"bank_id": "8001", "amount_halere": 90000, "variable_symbol": "1000000061", "booked_on": due_on}])))
    assert (summary["matched"], summary["to_check"]) == (1, 0)
    assert payments.payment_of(61)["status"] == "paid"
    [told] = payments.recorded("payment_received_after_release")
    assert told["registration"]["id"] == 61 and told["payment"]["paid_at"]
    assert payments.recorded("payment_received") == []
    # registrations had no seat left: the money goes back, with the reason for staff
    payments.on_late_payment_refused(payload(61))
    payments.on_late_payment_refused(payload(61))  # told twice: one refund
    [refund] = payments.refunds_due()
    assert refund["registration_id"] == 61 and refund["amount_halere"] == 90000
    assert refund["reason"] == "Platba došla včas, ale místo už bylo obsazené"
    [due] = payments.recorded("refund_due")
    assert due["reason"] == refund["reason"] and due["refund_halere"] == 90000
    assert payments.payment_of(61)["status"] == "cancelled"


def test_a_released_seat_paid_after_the_due_date_stays_on_the_staff_list(payments):
    confirm(payments, 62)
    release(payments, 62)
    payments.import_statement(b64(statements.gpc([
        {"bank_id": "8002", "amount_halere": 90000, "variable_symbol": "1000000062", "booked_on": "2026-12-09"}])))
    assert payments.recorded("payment_received_after_release") == []
    [line] = payments.to_check()
    assert line["reason"] == "Přihláška je zrušená"


def test_a_camt_reversal_with_the_credits_own_reference_is_not_a_duplicate_and_pairs_by_it(payments):
    confirm(payments, 53)
    confirm(payments, 54)
    payments.import_statement(b64(statements.camt053([
        {"bank_id": "REF-53", "amount_halere": 90000, "variable_symbol": "1000000053"},
        {"bank_id": "REF-54", "amount_halere": 90000, "variable_symbol": "1000000054"}])))
    # The bank repeats the credit's reference on its reversal, and drops the symbol.
    summary = payments.import_statement(b64(statements.camt053(
        [{"bank_id": "REF-53", "amount_halere": -90000, "reversal": True, "booked_on": "2026-11-28"}],
        statement_id="0192000145399-2026-11-28")))
    assert (summary["duplicates"], summary["to_check"]) == (0, 1)
    # the same account paid both: the reference, not the latest payment from it, says which
    assert payments.payment_of(53)["status"] == "open" and payments.payment_of(54)["status"] == "paid"
    [reversed_] = payments.recorded("payment_reversed")
    assert reversed_["registration"]["id"] == 53
