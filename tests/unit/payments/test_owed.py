"""What is owed after a cancellation (issue 31): an invoice's amount less its credit notes, on
every surface payments tells (the payment block, the staff's lists, the invoice list) and in
the matching of a bank payment."""
import base64
from datetime import date

from services.payments import domain, store, usecases
from tests import statements
from tests.helpers import spd_fields
from tests.unit.payments.conftest import NOW, payload

ACCOUNT = domain.bank_account("CZ6508000000192000145399", "GIBACZPX")


def request(id, amount=50000, paid=0, status="open", vs=None, invoice_id=None):
    return {"id": id, "registration_id": 100 + id, "amount_halere": amount, "paid_halere": paid, "status": status,
            "variable_symbol": vs or f"10000001{id:02d}", "invoice_id": invoice_id, "payer_name": "Věra Průchová",
            "due_on": date(2026, 12, 8), "created_at": NOW}


def test_what_is_owed_leaves_out_cancelled_requests_and_what_was_paid():
    three = [request(1), request(2), request(3)]
    assert domain.owed(three) == 150000
    three[1]["status"] = "cancelled"  # taken back by a credit note
    assert domain.owed(three) == 100000
    three[0]["paid_halere"] = 20000
    assert domain.owed(three) == 80000
    three[0]["paid_halere"] = 70000  # paid too much on one: it does not lower what another owes
    assert domain.owed(three) == 50000
    assert domain.owed([request(4, status="cancelled", paid=50000)]) == 0


def test_the_payment_block_of_a_group_invoice_asks_for_what_is_left_on_it():
    together = [request(1, invoice_id=9), request(2, invoice_id=9, status="cancelled"), request(3, invoice_id=9)]
    invoice = {"number": "FV-2026-0001", "variable_symbol": "2000000001", "document": {"due_on": "2026-12-05"}}
    block = domain.payment_block(ACCOUNT, together[0], NOW, invoice, together)
    assert (block["variable_symbol"], block["outstanding_halere"], block["amount_halere"], block["group_invoice"]) == (
        "2000000001", 100000, 50000, "FV-2026-0001")
    fields = spd_fields(block["spd"])
    assert (fields["AM"], fields["X-VS"], fields["DT"]) == ("1000.00", "2000000001", "20261205")
    own = domain.payment_block(ACCOUNT, together[0], NOW)
    assert (own["variable_symbol"], own["outstanding_halere"], own["group_invoice"]) == ("1000000101", 50000, None)
    for request_ in together:
        request_["paid_halere"] = 50000 if request_["status"] == "open" else 0
    assert domain.payment_block(ACCOUNT, together[0], NOW, invoice, together)["spd"] is None  # nothing to pay


def test_matching_counts_the_reduced_amount_as_paid_in_full_and_the_whole_as_an_overpayment():
    together = [request(1), request(2, status="cancelled"), request(3)]
    assert domain.outcome(100000, together) == (domain.LineOutcome.MATCHED, None)
    assert domain.outcome(150000, together) == (domain.LineOutcome.OVERPAID, "Přeplatek 500,00\xa0Kč")
    assert domain.outcome(50000, together) == (domain.LineOutcome.UNDERPAID, "Nedoplatek 500,00\xa0Kč")


def b64(data):
    return base64.b64encode(data).decode()


def three_on_one_invoice(payments):
    payments.config["INVOICE_MODE"] = "on_request"
    for registration_id in (71, 72, 73):
        payments.on_registration_confirmed(payload(registration_id, price=500))
    return payments.issue_invoice([71, 72, 73])


def test_a_cancelled_colleague_lowers_what_every_surface_asks_for_the_invoice(payments):
    invoice = three_on_one_invoice(payments)
    issued = payments.recorded("invoice_issued")[-1]
    assert issued["owed_on"]["number"] == invoice["number"] and issued["owed_on"]["registration_ids"] == [71, 72, 73]
    assert {r: b["outstanding_halere"] for r, b in issued["owed_on"]["payment"].items()} == {
        "71": 150000, "72": 150000, "73": 150000}

    payments.on_registration_cancelled(payload(72, price=500, status="cancelled"))
    payments.on_registration_cancelled(payload(72, price=500, status="cancelled"))  # told twice
    [told] = [p for p in payments.recorded("invoice_issued") if p["invoice"]["kind"] == "credit_note"]
    assert told["invoice"]["total_halere"] == -50000 and told["registration_ids"] == [72]
    assert told["owed_on"]["number"] == invoice["number"] and told["owed_on"]["registration_ids"] == [71, 73]
    for block in told["owed_on"]["payment"].values():
        assert (block["variable_symbol"], block["outstanding_halere"], block["amount_halere"]) == (
            invoice["variable_symbol"], 100000, 50000)
        assert spd_fields(block["spd"])["AM"] == "1000.00"

    view = payments.payment_of(71)  # the console's and the API's view
    assert view["payment"]["outstanding_halere"] == 100000 and spd_fields(view["spd"])["AM"] == "1000.00"
    assert [(row["registration_id"], row["owed_halere"]) for row in payments.unpaid()] == [(71, 50000), (73, 50000)]
    [row] = [i for i in payments.list_invoices() if i["number"] == invoice["number"]]
    assert row["payment"]["owed_halere"] == 100000
    assert row["payment"]["label"] == "nezaplaceno, zbývá 1\xa0000,00\xa0Kč"

    summary = payments.import_statement(b64(statements.gpc([{"bank_id": "3100000000001", "amount_halere": 100000,
                                                             "variable_symbol": invoice["variable_symbol"]}])))
    assert (summary["matched"], summary["to_check"]) == (1, 0) and payments.to_check() == []
    received = payments.recorded("payment_received")
    assert sorted(p["registration"]["id"] for p in received) == [71, 73]
    assert all(p["payment"]["variable_symbol"] == invoice["variable_symbol"] and p["payment"]["spd"] is None
               for p in received)
    [row] = [i for i in payments.list_invoices() if i["number"] == invoice["number"]]
    assert row["payment"]["state"] == "paid" and row["payment"]["owed_halere"] == 0


def test_the_whole_original_amount_paid_after_a_cancellation_is_an_overpayment(payments):
    invoice = three_on_one_invoice(payments)
    payments.on_registration_cancelled(payload(73, price=500, status="cancelled"))
    summary = payments.import_statement(b64(statements.gpc([{"bank_id": "3100000000002", "amount_halere": 150000,
                                                             "variable_symbol": invoice["variable_symbol"]}])))
    assert summary["to_check"] == 1
    [line] = payments.to_check()
    assert (line["outcome"], line["reason"]) == ("overpaid", "Přeplatek 500,00\xa0Kč")
    assert sorted(p["registration"]["id"] for p in payments.recorded("payment_received")) == [71, 72]


def test_what_an_issued_invoice_tells_is_owed_is_what_the_database_says_afterwards(payments):
    """``issue_invoice`` tells ``owed_on`` from what it has just written, without reading it back:
    for a non-member's own invoice and for one of several people, the same as read back."""
    payments.on_registration_confirmed(payload(70, price=500))  # a non-member: invoiced at once
    three_on_one_invoice(payments)
    told = payments.recorded("invoice_issued")
    assert [p["owed_on"]["registration_ids"] for p in told] == [[70], [71, 72, 73]]
    for issued in told:
        with payments._uow() as uow:
            invoice = store.get_invoice(uow.conn, number=issued["invoice"]["number"])
            assert issued["owed_on"] == usecases._owed_on(uow, payments.settings, invoice["id"])
