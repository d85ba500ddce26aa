"""Payment requests, statements matched, invoices and credit notes, refunds: the payments
service's rules, on its real database, with its outbox read back."""
import base64
from datetime import timedelta

import pytest

from services.common.errors import Conflict, NotFound, ServiceUnavailable, ValidationError
from services.payments import store, usecases
from tests import statements
from tests.helpers import spd_fields
from tests.unit.payments.conftest import EVENT, NOW, payload


def confirm(payments, registration_id, **options):
    payments.on_registration_confirmed(payload(registration_id, **options))


def b64(data):
    return base64.b64encode(data).decode()


def test_a_paid_for_registration_gets_one_request_with_a_qr_platba_and_an_invoice(payments):
    confirm(payments, 42)
    confirm(payments, 42)  # the event delivered twice
    [requested] = payments.recorded("payment_requested")
    payment = requested["payment"]
    assert requested["after"] == "registration_confirmed"
    assert requested["registration"]["payment"] == payment
    assert payment["variable_symbol"] == "1000000042" and payment["amount"] == 900
    assert payment["account"] == "19-2000145399/0800" and payment["iban"] == "CZ6508000000192000145399"
    assert payment["due_on"] == "2026-12-08"  # 14 days would be after the start: the start day
    assert spd_fields(payment["spd"]) == {
        "ACC": "CZ6508000000192000145399+GIBACZPX", "AM": "900.00", "CC": "CZK", "DT": "20261208",
        "MSG": "1000000042 Vera Pruchova", "X-VS": "1000000042"}
    [issued] = payments.recorded("invoice_issued")
    invoice = issued["invoice"]
    assert invoice["number"] == "FV-2026-0001" and invoice["variable_symbol"] == "1000000042"
    assert invoice["customer"] == {"name": "Obec Dolní Lhota", "address": "Náves 1, 330 01 Dolní Lhota",
                                   "ico": "00257001", "dic": "CZ00257001", "email": "ucetni@dolnilhota.example"}
    assert invoice["total_halere"] == 90000 and invoice["vat_note"] == "Dodavatel není plátcem DPH."
    assert issued["recipients"] == ["osoba42@obec.example", "ucetni@dolnilhota.example"]
    assert base64.b64decode(issued["isdoc"]).startswith(b"<?xml")
    assert spd_fields(invoice["spd"])["X-VS"] == "1000000042"


def test_nothing_is_asked_of_free_or_waitlisted_registrations_and_members_are_not_invoiced(payments):
    confirm(payments, 1, price=0)
    confirm(payments, 2, status="waitlisted")
    confirm(payments, 3, price=500, is_member=True)
    assert [p["registration"]["id"] for p in payments.recorded("payment_requested")] == [3]
    assert payments.recorded("invoice_issued") == []


def test_a_person_without_an_organisation_is_invoiced_by_name(payments):
    confirm(payments, 5, ico=None)
    [issued] = payments.recorded("invoice_issued")
    assert issued["invoice"]["customer"] == {"name": "Věra Průchová", "address": None, "ico": None, "dic": None,
                                             "email": "osoba5@obec.example"}


def test_a_statement_pays_underpays_overpays_and_lists_what_it_cannot_match(payments):
    for registration_id in (11, 12, 13, 14):
        confirm(payments, registration_id)
    lines = [
        {"bank_id": "A1", "amount_halere": 90000, "variable_symbol": "1000000011"},             # paid
        {"bank_id": "A2", "amount_halere": 50000, "variable_symbol": "1000000012"},             # underpaid
        {"bank_id": "A3", "amount_halere": 100000, "variable_symbol": "1000000013"},            # overpaid
        {"bank_id": "A4", "amount_halere": 90000, "variable_symbol": "9999"},                   # unknown
        {"bank_id": "A5", "amount_halere": -12000, "variable_symbol": "1000000014"},            # money out
    ]
    statement = statements.camt053(lines)
    summary = payments.import_statement(b64(statement))
    assert {key: value for key, value in summary.items() if key != "paid"} == {
        "lines": 5, "duplicates": 0, "matched": 1, "to_check": 3, "ignored": 1, "format": "camt.053",
        "statement_id": "0192000145399-2026-11-27"}
    assert [(line["variable_symbol"], line["reason"]) for line in summary["paid"]] == [
        ("1000000011", None), ("1000000012", "Nedoplatek 400,00\u00a0Kč"), ("1000000013", "Přeplatek 100,00\u00a0Kč")]
    assert payments.import_statement(b64(statement))["duplicates"] == 5  # the same statement again
    received = payments.recorded("payment_received")
    assert [p["registration"]["id"] for p in received] == [11, 13]
    assert received[0]["payment"]["paid_halere"] == 90000 and received[0]["payment"]["status"] == "paid"
    listed = {row["variable_symbol"]: (row["outcome"], row["reason"]) for row in payments.to_check()}
    assert listed == {"1000000012": ("underpaid", "Nedoplatek 400,00\u00a0Kč"),
                      "1000000013": ("overpaid", "Přeplatek 100,00\u00a0Kč"),
                      "9999": ("unknown", "Neznámý variabilní symbol")}
    assert payments.payment_of(12)["owed_halere"] == 40000
    # the rest of the underpayment comes in a GPC statement; the unknown line is matched by hand
    payments.import_statement(b64(statements.gpc([{"bank_id": "2600000000099", "amount_halere": 40000,
                                                    "variable_symbol": "1000000012"}])))
    unknown = next(row for row in payments.to_check() if row["outcome"] == "unknown")
    payments.match_by_hand(unknown["id"], "1000000014")
    assert [p["registration"]["id"] for p in payments.recorded("payment_received")] == [11, 13, 12, 14]
    assert {row["variable_symbol"] for row in payments.to_check()} == {"1000000012", "1000000013"}
    for row in payments.to_check():
        payments.resolve(row["id"], "Vyřízeno telefonicky")
    assert payments.to_check() == []
    assert payments.unpaid(7) == []


def test_bad_statements_and_bad_staff_input_are_refused_in_czech_and_write_nothing(payments):
    with pytest.raises(ValidationError) as refused:
        payments.import_statement(b64(b"<?xml version='1.0'?><Document><nic/>"))
    assert refused.value.code == "statement_unreadable" and "Výpis" in refused.value.message
    with pytest.raises(ValidationError):
        payments.import_statement("tohle není base64!")
    with pytest.raises(ValidationError):
        payments.match_by_hand(1, "12a")
    with pytest.raises(NotFound):
        payments.mark_paid(999)
    with pytest.raises(ValidationError):
        payments.issue_invoice([])
    with payments.database.transaction() as tx:
        assert tx.execute(store.transactions.select()).first() is None


def test_cash_at_the_door_and_a_cancellation_after_paying_owe_a_refund_and_a_credit_note(payments):
    confirm(payments, 21)
    confirm(payments, 22)
    assert payments.mark_paid(21)["status"] == "paid"
    assert payments.mark_paid(21)["status"] == "paid"  # twice: once
    assert len(payments.recorded("payment_received")) == 1
    payments.on_registration_cancelled(payload(21, status="cancelled"))
    payments.on_registration_cancelled(payload(21, status="cancelled"))
    payments.on_event_cancelled(payload(22, status="cancelled"))
    [refund] = payments.recorded("refund_due")
    assert refund["registration"]["id"] == 21 and refund["refund_halere"] == 90000
    [due] = payments.refunds_due()
    assert due["registration_id"] == 21 and due["amount"] == "900,00\u00a0Kč"
    payments.settle_refund(due["id"], "Vráceno na účet 123/0100")
    assert payments.refunds_due() == []
    notes = [p["invoice"] for p in payments.recorded("invoice_issued") if p["invoice"]["kind"] == "credit_note"]
    assert [(n["number"], n["corrects"]["number"], n["total_halere"]) for n in notes] == [
        ("OD-2026-0001", "FV-2026-0001", -90000), ("OD-2026-0002", "FV-2026-0002", -90000)]
    assert all(n["reason"] == "Zrušení přihlášky" and n["spd"] is None for n in notes)
    assert payments.payment_of(22)["status"] == "cancelled"
    with pytest.raises(Conflict):
        payments.mark_paid(22)


def test_one_invoice_for_three_people_of_a_town_is_paid_by_one_transfer(payments):
    payments.config["INVOICE_MODE"] = "on_request"
    for registration_id in (31, 32, 33):
        confirm(payments, registration_id)
    assert payments.recorded("invoice_issued") == []
    invoice = payments.issue_invoice([31, 32, 33])  # staff, who check whom it covers
    assert invoice["variable_symbol"] == "2000000001" and invoice["total_halere"] == 270000
    assert [item["description"].rsplit(" – ", 1)[0] for item in invoice["items"]] == [
        "Účastnický poplatek: Veřejné zakázky malého rozsahu (8. 12. 2026)"] * 3
    assert payments.request_invoice(31)["number"] == invoice["number"]  # asked again: the same one
    with pytest.raises(Conflict):
        payments.issue_invoice([31])
    payments.import_statement(b64(statements.gpc([{"bank_id": "2600000000001", "amount_halere": 270000,
                                                   "variable_symbol": "2000000001"}])))
    assert sorted(p["registration"]["id"] for p in payments.recorded("payment_received")) == [31, 32, 33]
    assert payments.to_check() == []


def test_cancelling_an_invoice_issues_a_credit_note_and_the_registrations_can_be_invoiced_again(payments):
    payments.config["INVOICE_MODE"] = "on_request"
    confirm(payments, 41)
    confirm(payments, 42)
    first = payments.issue_invoice([41, 42])
    with pytest.raises(ValidationError):
        payments.cancel_invoice(first["number"], "")
    note = payments.cancel_invoice(first["number"], "Chybný odběratel")
    assert note["corrects"]["number"] == first["number"] and note["total_halere"] == -180000
    told = payments.recorded("invoice_issued")[-1]  # each person pays their own request again
    assert told["invoice"]["number"] == note["number"] and set(told["restored"]) == {"41", "42"}
    assert [told["restored"][r]["variable_symbol"] for r in ("41", "42")] == ["1000000041", "1000000042"]
    assert spd_fields(told["restored"]["41"]["spd"])["X-VS"] == "1000000041"
    with pytest.raises(Conflict):
        payments.cancel_invoice(first["number"], "Znovu")
    second = payments.issue_invoice([41, 42])
    assert (first["number"], note["number"], second["number"]) == ("FV-2026-0001", "OD-2026-0001", "FV-2026-0002")
    assert [row["cancelled"] for row in payments.list_invoices()] == [False, False, True]
    assert payments.get_invoice(first["number"]) == first  # never changed


def test_one_reminder_after_the_due_date_then_the_staff_list(payments):
    later = dict(EVENT, id=8, starts_at="2026-12-20T09:00:00+01:00", ends_at="2026-12-20T12:00:00+01:00")
    confirm(payments, 51, event=later)  # due 11 December
    confirm(payments, 52, event=later)
    confirm(payments, 53)  # due 8 December, the day of its event
    payments.mark_paid(52)
    assert payments.remind_overdue() == 0
    payments.clock_state["now"] = NOW + timedelta(days=15)  # 12 December
    assert payments.remind_overdue() == 1  # 53's event is over: no "cancel if you will not come"
    assert payments.remind_overdue() == 0
    [overdue] = payments.recorded("payment_overdue")
    assert overdue["registration"]["id"] == 51 and overdue["payment"]["spd"]
    assert "DT:" not in overdue["payment"]["spd"]  # the due date has passed: a bank would refuse it
    assert [row["registration_id"] for row in payments.overdue()] == [53, 51]


def test_the_due_date_may_run_past_the_start_when_configured(payments):
    payments.config["PAYMENT_DUE_AFTER_START"] = "true"
    confirm(payments, 61)
    assert payments.payment_of(61)["due_on"] == "2026-12-11"


def test_a_wrong_iban_stops_the_service_rather_than_asking_for_money_to_nowhere(payments):
    payments.config["BANK_IBAN"] = "CZ6508000000192000145398"
    with pytest.raises(ValueError, match="not a valid IBAN"):
        confirm(payments, 71)


def test_the_bank_api_is_fetched_with_its_window_and_an_outage_is_a_later_try(payments):
    from tests.fio_standin import FioStandIn

    confirm(payments, 81)
    with pytest.raises(ValidationError):
        payments.fetch_from_bank()  # no token configured
    with FioStandIn(token="tajny") as bank:
        payments.config.update(FIO_API_TOKEN="tajny", FIO_API_URL=bank.url)
        bank.add({"amount_halere": 90000, "variable_symbol": "1000000081", "booked_on": "2026-11-26"})
        assert payments.fetch_from_bank()["matched"] == 1
        assert payments.fetch_from_bank()["duplicates"] == 1  # the window again: nothing twice
        bank.fail_next(500)
        with pytest.raises(Conflict) as refused:
            payments.fetch_from_bank()
        assert refused.value.code == "bank_unavailable" and "Fio banka" in refused.value.message
    assert [p["registration"]["id"] for p in payments.recorded("payment_received")] == [81]


def test_a_handler_that_fails_halfway_writes_nothing_and_its_retry_does_it_once(payments):
    members = payments.members.get_organisation
    payments.members.get_organisation = lambda ico: (_ for _ in ()).throw(ServiceUnavailable("members"))
    with pytest.raises(ServiceUnavailable):  # the event goes round the retry queue
        confirm(payments, 91)
    assert payments.recorded() == []
    payments.members.get_organisation = members

    original = usecases.issue_invoice

    def dies_after_numbering(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("killed after the invoice was numbered, before the commit")
    usecases.issue_invoice = dies_after_numbering
    try:
        with pytest.raises(RuntimeError):
            confirm(payments, 91)
    finally:
        usecases.issue_invoice = original
    assert payments.recorded() == []  # the request, the number and the events rolled back together
    confirm(payments, 91)
    confirm(payments, 91)
    assert [kind for kind in ("payment_requested", "invoice_issued") for _ in payments.recorded(kind)] == [
        "payment_requested", "invoice_issued"]
    assert payments.recorded("invoice_issued")[0]["invoice"]["number"] == "FV-2026-0001"


def test_money_without_a_symbol_waits_for_staff_and_a_symbol_in_the_message_is_read(payments):
    confirm(payments, 101)
    confirm(payments, 102)
    payments.import_statement(b64(statements.gpc([
        {"bank_id": "2600000000101", "amount_halere": 90000, "counter_name": "Obec Zapomněla"},
        {"bank_id": "2600000000102", "amount_halere": 90000, "message": "Seminář VS 1000000102"},
        {"bank_id": "2600000000103", "amount_halere": 90000, "currency": "EUR", "variable_symbol": "1000000101"}])))
    listed = {row["reason"]: row for row in payments.to_check()}
    assert set(listed) == {"Chybí variabilní symbol", "Platba v jiné měně"}
    assert [p["registration"]["id"] for p in payments.recorded("payment_received")] == [102]
    payments.match_by_hand(listed["Chybí variabilní symbol"]["id"], "1000000101")
    with pytest.raises(Conflict) as refused:  # crowns are what a request is paid in
        payments.match_by_hand(listed["Platba v jiné měně"]["id"], "1000000101")
    assert refused.value.code == "foreign_currency" and "cizí měně" in refused.value.message


def test_a_statement_of_another_account_is_refused(payments):
    with pytest.raises(ValidationError) as refused:
        payments.import_statement(b64(statements.camt053([{"amount_halere": 100}],
                                                         account_iban="CZ5508000000001234567899")))
    assert refused.value.code == "statement_of_another_account"
    assert "19-2000145399/0800" in refused.value.message
    with pytest.raises(ValidationError):
        payments.import_statement(b64(statements.gpc([{"amount_halere": 100}], account="19-2000145398")))


def test_a_cancellation_handled_before_the_confirmation_asks_for_nothing(payments):
    payments.on_registration_cancelled(payload(111, status="cancelled"))
    confirm(payments, 111)  # the confirmation's handler, retried, comes last
    assert payments.recorded() == [] and payments.unpaid() == []


def test_a_credit_note_takes_back_the_items_as_the_invoice_had_them(payments):
    confirm(payments, 121)
    payments.config.update(VAT_PAYER="true")  # changed after the invoice was issued
    note = payments.cancel_invoice("FV-2026-0001", "Chybný odběratel")
    [original] = payments.recorded("invoice_issued")[0]["invoice"]["items"]
    assert note["items"] == [dict(original, unit_price_halere=-90000, total_halere=-90000, base_halere=-90000)]
    assert note["vat_note"] == "Dodavatel není plátcem DPH." and note["vat_lines"] == []


def test_erasing_a_person_settles_their_seats_to_come_quietly(payments):
    confirm(payments, 131, email="vera@obec.example")  # invoiced (a non-member), paid
    payments.mark_paid(131)
    confirm(payments, 132, email="vera@obec.example")  # invoiced, unpaid
    erased = payments.erase_person("Vera@obec.example")
    assert erased["requests_anonymised"] == 2
    assert [r["registration_id"] for r in payments.refunds_due()] == [131]
    notes = [p for p in payments.recorded("invoice_issued") if p["invoice"]["kind"] == "credit_note"]
    assert [n["recipients"] for n in notes] == [["ucetni@dolnilhota.example"]] * 2  # not the erased address
    assert payments.unpaid() == [] and payments.export_person("vera@obec.example")["payments"] == []
