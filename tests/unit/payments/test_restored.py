"""Issue 24 (2): a cancellation taken back by staff is a new registration, whose seat with a fee
is asked for as a confirmed one's (``registration_restored``); a released seat paid in time,
given back as the same registration, asks nothing again."""
import base64

from services.payments import store
from tests import statements
from tests.unit.payments.conftest import payload


def restored(registration_id, restored_from, **options):
    return dict(payload(registration_id, **options), restored_from=restored_from)


def requests(payments):
    with payments.database.transaction() as tx:
        return {row.registration_id: (row.variable_symbol, row.status)
                for row in tx.execute(store.payment_requests.select())}


def test_a_restored_seat_with_a_fee_is_asked_for_afresh_under_its_own_symbol(payments):
    payments.on_registration_confirmed(payload(42))
    payments.on_registration_cancelled(payload(42, status="cancelled"))
    payments.on_registration_restored(restored(43, 42))  # staff took the cancellation back: a new registration
    payments.on_registration_restored(restored(43, 42))  # delivered twice: asked once
    assert requests(payments) == {42: ("1000000042", "cancelled"), 43: ("1000000043", "open")}
    [first, again] = payments.recorded("payment_requested")
    assert first["registration"]["id"] == 42 and again["registration"]["id"] == 43
    assert again["after"] == "registration_restored"  # notifications sends "Přihláška obnovena" with it
    assert again["payment"]["variable_symbol"] == "1000000043" and again["payment"]["amount"] == 900
    invoices = [p["invoice"] for p in payments.recorded("invoice_issued")]
    assert [(i["kind"], i["variable_symbol"]) for i in invoices] == [
        ("invoice", "1000000042"), ("credit_note", "1000000042"), ("invoice", "1000000043")]


def test_restored_to_the_waitlist_or_free_nothing_is_asked(payments):
    payments.on_registration_restored(restored(44, 40, status="waitlisted"))
    payments.on_registration_restored(restored(45, 41, price=0))
    assert requests(payments) == {}
    assert payments.recorded() == []


def test_a_paid_registration_restored_is_asked_again_and_its_refund_stays(payments):
    payments.on_registration_confirmed(payload(46))
    payments.mark_paid(46)
    payments.on_registration_cancelled(payload(46, status="cancelled"))
    payments.on_registration_restored(restored(47, 46))
    assert requests(payments) == {46: ("1000000046", "cancelled"), 47: ("1000000047", "open")}
    [refund] = payments.refunds_due()
    assert refund["registration_id"] == 46 and refund["amount_halere"] == 90000  # as it was


def test_a_released_seat_paid_in_time_and_given_back_asks_nothing_again(payments):
    payments.on_registration_confirmed(payload(48))
    due_on = payments.payment_of(48)["due_on"]
    payments.on_registration_cancelled(dict(payload(48), released_unpaid=True))
    payments.import_statement(base64.b64encode(statements.gpc([
        {"bank_id": "9048", "amount_halere": 90000, "variable_symbol": "1000000048", "booked_on": due_on}])).decode())
    [told] = payments.recorded("payment_received_after_release")
    payments.members.get_organisation.reset_mock()
    # registrations gave the same registration back, with its payment (as its outbox tells it)
    given_back = payload(48)
    given_back["registration"].update(payment=told["payment"], paid_at=told["payment"]["paid_at"])
    payments.on_registration_restored(dict(given_back, restored_from=48, paid_in_time=True))
    assert requests(payments) == {48: ("1000000048", "paid")}
    assert len(payments.recorded("payment_requested")) == 1 and len(payments.recorded("invoice_issued")) == 2
    assert payments.members.get_organisation.call_count == 0  # not even asked about the organisation
    # the request is one per registration (a unique index): a second one is refused, not added
    with payments.database.transaction() as tx:
        again = {column: value for column, value in store.get_request(tx, registration_id=48).items() if column != "id"}
        assert store.add_request(tx, dict(again, variable_symbol="1000009999")) is None
    assert requests(payments) == {48: ("1000000048", "paid")}
