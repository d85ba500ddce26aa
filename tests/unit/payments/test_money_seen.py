"""Where staff see money: who a statement paid, whether an invoice is paid, every payment received
and whom it paid or why it waits."""
import base64
from datetime import timedelta

from services.payments import domain
from tests import statements
from tests.unit.payments.conftest import payload


def b64(data):
    return base64.b64encode(data).decode()


def confirm(payments, registration_id, **options):
    payments.on_registration_confirmed(payload(registration_id, **options))


def test_the_import_summary_names_who_was_paid(payments):
    confirm(payments, 12, first_name="Jana", last_name="Nováková")
    confirm(payments, 13, first_name="Eva", last_name="Malá")
    summary = payments.import_statement(b64(statements.gpc([
        {"bank_id": "2600000000001", "amount_halere": 90000, "variable_symbol": "1000000012",
         "counter_name": "Jana N."},
        {"bank_id": "2600000000002", "amount_halere": 50000, "variable_symbol": "1000000013"},
        {"bank_id": "2600000000003", "amount_halere": 90000, "variable_symbol": "77"}])))
    assert (summary["matched"], summary["to_check"]) == (1, 2)
    jana, eva = summary["paid"]
    assert jana["names"] == ["Jana Nováková"] and jana["amount"] == "900,00\xa0Kč" and jana["reason"] is None
    assert jana["variable_symbol"] == "1000000012" and jana["event_title"] == "Veřejné zakázky malého rozsahu"
    assert eva["names"] == ["Eva Malá"] and eva["reason"] == "Nedoplatek 400,00\xa0Kč"


def test_every_invoice_says_whether_it_is_paid(payments):
    payments.config["INVOICE_MODE"] = "on_request"
    for registration_id in (21, 22, 23):
        confirm(payments, registration_id)
    paid = payments.issue_invoice([21, 22])
    unpaid = payments.issue_invoice([23])
    payments.import_statement(b64(statements.gpc([{"bank_id": "2600000000011", "amount_halere": 180000,
                                                   "variable_symbol": paid["variable_symbol"]}])))
    states = {row["number"]: row["payment"]["label"] for row in payments.list_invoices()}
    assert states == {paid["number"]: "zaplaceno 27. 11. 2026", unpaid["number"]: "nezaplaceno"}
    payments.clock_state["now"] += timedelta(days=30)  # after the due date
    note = payments.cancel_invoice(paid["number"], "Chybný odběratel")
    states = {row["number"]: row["payment"]["label"] for row in payments.list_invoices()}
    assert states == {paid["number"]: "stornována", unpaid["number"]: "po splatnosti", note["number"]: "dobropis"}


def test_received_payments_say_whom_they_paid_or_why_they_wait(payments):
    payments.config["INVOICE_MODE"] = "on_request"
    confirm(payments, 31, first_name="Jana", last_name="Nováková")
    confirm(payments, 32, first_name="Petr", last_name="Malý")
    confirm(payments, 33, first_name="Eva", last_name="Nová")
    invoice = payments.issue_invoice([32, 33])
    payments.import_statement(b64(statements.gpc([
        {"bank_id": "2600000000021", "amount_halere": 90000, "variable_symbol": "1000000031",
         "counter_name": "Jana N.", "counter_account": "19-123/0100"},
        {"bank_id": "2600000000022", "amount_halere": 180000, "variable_symbol": invoice["variable_symbol"]},
        {"bank_id": "2600000000023", "amount_halere": 50000, "variable_symbol": "5"},
        {"bank_id": "2600000000024", "amount_halere": -5000, "variable_symbol": "6"}])))
    listed = payments.received_payments()
    assert listed["total"] == 3 and listed["page"] == 1  # money out is not money received
    by_symbol = {row["variable_symbol"]: row for row in listed["payments"]}
    jana = by_symbol["1000000031"]
    assert [(p["payer_name"], p["registration_id"], p["amount"]) for p in jana["paid"]] == [
        ("Jana Nováková", 31, "900,00\xa0Kč")]
    assert jana["counter_account"] == "19-123/0100" and jana["waiting"] is None
    town = by_symbol[invoice["variable_symbol"]]
    assert town["invoice_number"] == invoice["number"] and [p["payer_name"] for p in town["paid"]] == [
        "Petr Malý", "Eva Nová"]
    assert by_symbol["5"]["paid"] == [] and by_symbol["5"]["waiting"] == domain.REASONS["unknown"]
    assert payments.received_payments(per_page=2, page=2)["payments"][0]["id"] == listed["payments"][2]["id"]
    assert payments.received_payments(since="2030-01-01")["total"] == 0


def test_a_staged_statement_says_whom_it_would_pay_and_pays_only_once_confirmed(payments):
    import pytest

    from services.common.errors import Conflict
    confirm(payments, 41, first_name="Jana", last_name="Nováková")
    statement = b64(statements.gpc([{"bank_id": "2600000000031", "amount_halere": 90000,
                                     "variable_symbol": "1000000041"}]))
    staged = payments.stage_statement(statement)
    assert [line["names"] for line in staged["paid"]] == [["Jana Nováková"]] and staged["matched"] == 1
    assert payments.payment_of(41)["paid_at"] is None and payments.received_payments()["total"] == 0
    assert payments.recorded("payment_received") == []  # nothing told: the try was rolled back
    done = payments.import_staged(staged["token"])
    assert done["matched"] == 1 and done["format"] == staged["format"] and payments.payment_of(41)["paid_at"]
    with pytest.raises(Conflict):  # once
        payments.import_staged(staged["token"])
    later = payments.stage_statement(statement)
    assert later["duplicates"] == 1 and later["paid"] == []
    payments.clock_state["now"] += timedelta(hours=2)
    with pytest.raises(Conflict):  # too late: read it again
        payments.import_staged(later["token"])


def test_the_bank_s_new_lines_are_staged_like_a_statement(payments):
    from tests.fio_standin import FioStandIn

    confirm(payments, 51, first_name="Jana", last_name="Nováková")
    with FioStandIn(token="tajny") as bank:
        payments.config.update(FIO_API_TOKEN="tajny", FIO_API_URL=bank.url)
        bank.add({"amount_halere": 90000, "variable_symbol": "1000000051", "booked_on": "2026-11-26"})
        staged = payments.stage_from_bank()
        assert [line["names"] for line in staged["paid"]] == [["Jana Nováková"]] and staged["format"] == "fio"
        assert payments.payment_of(51)["paid_at"] is None
        assert payments.import_staged(staged["token"])["matched"] == 1 and payments.payment_of(51)["paid_at"]
