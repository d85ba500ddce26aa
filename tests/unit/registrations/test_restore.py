"""Issue 24 (2): staff take back a cancellation made by mistake, also of a registration with a
fee: the person comes back as a new registration (its own id, token and ticket) with the same
price and no payment, so that payments asks for the fee afresh under a new variable symbol."""
from datetime import timedelta

import pytest

from services.common.errors import Conflict
from tests.unit.registrations.test_release_unpaid import ask_to_pay
from tests.unit.registrations.test_service import NOW, person, published


def told(service, kind):
    return [payload for recorded, payload in service.recorded() if recorded == kind]


def test_a_cancelled_registration_with_a_fee_comes_back_as_a_new_one_with_its_price_and_no_payment(service):
    event = published(service, capacity=2)
    vera = service.register(event["id"], person(1))
    assert vera["price"] == 900
    ask_to_pay(service, vera)
    service.cancel_registration(vera["id"])

    back = service.restore_registration(vera["id"])
    assert back["status"] == "confirmed" and back["price"] == 900
    assert back["id"] != vera["id"] and back["token"] != vera["token"]
    assert back["ticket_code"] and back["ticket_code"] != vera["ticket_code"]
    assert back["payment"] is None and back["paid_at"] is None  # asked for afresh, under its own symbol
    assert service.get_registration(vera["id"])["status"] == "cancelled"
    [restored] = told(service, "registration_restored")
    assert restored["registration"]["id"] == back["id"] and restored["restored_from"] == vera["id"]
    assert restored["registration"]["price"] == 900 and restored["registration"]["status"] == "confirmed"
    assert restored["registration"]["payment"] is None  # what payments reads to ask for the fee
    assert service.get_event(event["id"])["seats_left"] == 1
    with pytest.raises(Conflict) as again:  # the email holds the new one now
        service.restore_registration(vera["id"])
    assert again.value.code == "already_registered"


def test_a_paid_cancelled_registration_may_be_restored_and_its_payment_stays_behind(service):
    event = published(service, capacity=2)
    vera = service.register(event["id"], person(1))
    ask_to_pay(service, vera)
    service.on_payment_received({"registration": {"id": vera["id"]}, "payment": {
        "variable_symbol": f"1{vera['id']:09d}", "status": "paid", "paid_halere": 90000,
        "paid_at": (NOW + timedelta(hours=1)).isoformat()}})
    service.cancel_registration(vera["id"])  # payments refunds it (refund_due), staff see it listed

    back = service.restore_registration(vera["id"])
    assert back["status"] == "confirmed" and back["paid_at"] is None and back["payment"] is None
    assert service.get_registration(vera["id"])["paid_at"] is not None  # the old one keeps its payment


def test_restored_to_the_waitlist_a_fee_waits_for_a_seat(service):
    event = published(service, capacity=1)
    vera = service.register(event["id"], person(1))
    service.cancel_registration(vera["id"])
    service.register(event["id"], person(2))  # the seat is taken meanwhile
    back = service.restore_registration(vera["id"])
    assert back["status"] == "waitlisted" and back["waitlist_position"] == 1 and back["price"] == 900
    [restored] = told(service, "registration_restored")
    assert restored["registration"]["status"] == "waitlisted"  # payments asks nothing of it
