"""Issue 25: a payment made by the due date that came after the unpaid seat was released gives
the seat back when one is free, else payments refunds it (3, 12); a payment the bank took back
takes the paid flag back (3)."""
from datetime import timedelta

from tests.unit.registrations.test_release_unpaid import ask_to_pay, on
from tests.unit.registrations.test_service import NOW, person, published


def paid_in_time(service, registration):
    service.on_payment_received_after_release({"registration": {"id": registration["id"]}, "payment": {
        "variable_symbol": f"1{registration['id']:09d}", "status": "paid", "paid_halere": 90000,
        "paid_at": (NOW + timedelta(days=4)).isoformat()}})


def told(service, kind):
    return [payload for recorded, payload in service.recorded() if recorded == kind]


def test_a_seat_released_and_paid_in_time_comes_back_when_a_seat_is_free(service):
    event = published(service, capacity=2, release_unpaid_after_days=3)
    late = service.register(event["id"], person(1))
    ask_to_pay(service, late)
    assert on(service, 2)["warned"] == 1 and on(service, 3)["released"] == 1
    assert service.get_registration(late["id"])["status"] == "cancelled"
    service.clock_state["now"] = NOW + timedelta(days=4)  # the statement of the due date, a day late
    paid_in_time(service, late)
    paid_in_time(service, late)  # told twice: once
    again = service.get_registration(late["id"])
    assert again["status"] == "confirmed" and again["paid_at"] is not None and again["token"] == late["token"]
    [restored] = told(service, "registration_restored")
    assert restored["registration"]["id"] == late["id"] and restored["paid_in_time"] is True
    assert told(service, "late_payment_refused") == []
    assert service.get_event(event["id"])["seats_left"] == 1


def test_a_seat_released_and_taken_by_another_is_refunded(service):
    event = published(service, capacity=1, release_unpaid_after_days=3)
    late = service.register(event["id"], person(1))
    waiting = service.register(event["id"], person(2))  # on the waitlist, gets the released seat
    ask_to_pay(service, late)
    on(service, 2), on(service, 3)
    assert service.get_registration(waiting["id"])["status"] == "confirmed"
    service.clock_state["now"] = NOW + timedelta(days=4)
    paid_in_time(service, late)
    assert service.get_registration(late["id"])["status"] == "cancelled"
    [refused] = told(service, "late_payment_refused")
    assert refused["registration"]["id"] == late["id"]
    assert told(service, "registration_restored") == []
    service.cancel_registration(waiting["id"])  # a seat frees up after the refusal: the refund stands
    paid_in_time(service, late)  # the event delivered again
    assert service.get_registration(late["id"])["status"] == "cancelled"
    assert len(told(service, "late_payment_refused")) == 1 and told(service, "registration_restored") == []


def test_a_reversed_payment_takes_the_paid_flag_back(service):
    event = published(service, capacity=2)
    registration = service.register(event["id"], person(1))
    ask_to_pay(service, registration)
    service.on_payment_received({"registration": {"id": registration["id"]}, "payment": {
        "variable_symbol": "x", "status": "paid", "paid_at": (NOW + timedelta(hours=2)).isoformat()}})
    assert service.get_registration(registration["id"])["paid_at"] is not None
    service.on_payment_reversed({"registration": {"id": registration["id"]}, "payment": {
        "variable_symbol": "x", "status": "open", "paid_at": None}})
    again = service.get_registration(registration["id"])
    assert again["paid_at"] is None and again["payment"]["status"] == "open"
