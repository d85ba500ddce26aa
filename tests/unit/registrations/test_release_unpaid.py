"""An event that releases unpaid seats: the person is warned once the day before, then the seat
goes to the first in line; a paid seat, or an event without the setting, is never touched."""
from datetime import timedelta

import pytest

from services.common.errors import ValidationError
from tests.unit.registrations.test_service import NOW, person, published


def ask_to_pay(service, registration, requested_on="2026-11-27"):
    service.on_payment_requested({"registration": {"id": registration["id"]}, "payment": {
        "variable_symbol": f"1{registration['id']:09d}", "amount": 900, "outstanding_halere": 90000,
        "due_on": "2026-12-05", "requested_on": requested_on, "account": "19-2000145399/0800",
        "iban": "CZ6508000000192000145399", "spd": "SPD*1.0*ACC:CZ6508000000192000145399*AM:900.00*CC:CZK"}})


def on(service, days):
    service.clock_state["now"] = NOW + timedelta(days=days)
    return service.release_unpaid_seats()


def kinds(service):
    return [(kind, payload["registration"]["id"]) for kind, payload in service.recorded()
            if kind in ("payment_release_warning", "registration_cancelled", "registration_promoted")]


def test_an_unpaid_seat_is_warned_once_then_released_to_the_first_in_line(service):
    event = published(service, capacity=2, release_unpaid_after_days=3)
    unpaid, paid = service.register(event["id"], person(1)), service.register(event["id"], person(2))
    waiting = service.register(event["id"], person(3))
    ask_to_pay(service, unpaid)
    ask_to_pay(service, paid)
    service.on_payment_received({"registration": {"id": paid["id"]}, "payment": {
        "variable_symbol": "x", "paid_at": (NOW + timedelta(hours=2)).isoformat()}})

    assert on(service, 1) == {"warned": 0, "released": 0}
    assert on(service, 2) == {"warned": 1, "released": 0}  # 29 November: the day before
    assert on(service, 2) == {"warned": 0, "released": 0}  # once
    [warning] = [p for kind, p in service.recorded() if kind == "payment_release_warning"]
    assert warning["release_on"] == "2026-11-30" and warning["registration"]["payment"]["variable_symbol"]
    assert on(service, 3) == {"warned": 0, "released": 1}
    assert kinds(service) == [("payment_release_warning", unpaid["id"]), ("registration_cancelled", unpaid["id"]),
                              ("registration_promoted", waiting["id"])]
    [cancelled] = [p for kind, p in service.recorded() if kind == "registration_cancelled"]
    assert cancelled["released_unpaid"] is True
    assert on(service, 4) == {"warned": 0, "released": 0}
    statuses = {r["id"]: r["status"] for r in service.list_registrations(event["id"])}
    assert statuses == {unpaid["id"]: "cancelled", paid["id"]: "confirmed", waiting["id"]: "confirmed"}


def test_a_late_warning_still_gives_a_day_and_events_without_the_setting_keep_unpaid_seats(service):
    releasing = published(service, capacity=5, release_unpaid_after_days=3)
    keeping = published(service, capacity=5)
    late, kept = service.register(releasing["id"], person(1)), service.register(keeping["id"], person(2))
    ask_to_pay(service, late)
    ask_to_pay(service, kept)
    assert on(service, 6) == {"warned": 1, "released": 0}  # the timer was away: warned now, not released
    assert on(service, 6) == {"warned": 0, "released": 0}
    assert on(service, 7) == {"warned": 0, "released": 1}
    assert service.get_registration(kept["id"])["status"] == "confirmed"


def test_the_setting_is_checked(service):
    with pytest.raises(ValidationError) as refused:
        published(service, release_unpaid_after_days=1)
    assert "2 dny" in refused.value.fields["release_unpaid_after_days"]


def test_the_payment_copy_keeps_what_came_in_any_order(service):
    event = published(service, capacity=5)
    registration = service.register(event["id"], person(1))
    invoice = {"number": "FV-2026-0001", "kind": "invoice", "variable_symbol": f"1{registration['id']:09d}",
               "spd": "SPD*1.0*", "due_on": "2026-12-05", "total_halere": 90000,
               "supplier": {"account": "19-2000145399/0800", "iban": "CZ6508000000192000145399"}}
    service.on_invoice_issued({"invoice": invoice, "registration_ids": [registration["id"]]})  # before its request
    ask_to_pay(service, registration)
    payment = service.get_registration(registration["id"])["payment"]
    assert payment["invoice_number"] == "FV-2026-0001" and payment["variable_symbol"] == invoice["variable_symbol"]
    group = dict(invoice, number="FV-2026-0002", variable_symbol="2000000001", total_halere=270000)
    service.on_invoice_issued({"invoice": group, "registration_ids": [registration["id"]]})
    payment = service.get_registration(registration["id"])["payment"]  # the town pays the one invoice
    assert (payment["variable_symbol"], payment["outstanding_halere"]) == ("2000000001", 270000)
    own = {"variable_symbol": f"1{registration['id']:09d}", "outstanding_halere": 90000, "spd": "SPD*1.0*own"}
    credit_note = dict(group, number="OD-2026-0001", kind="credit_note", variable_symbol=None, spd=None)
    service.on_invoice_issued({"invoice": credit_note, "registration_ids": [registration["id"]],
                               "restored": {str(registration["id"]): own}})  # the group invoice cancelled
    payment = service.get_registration(registration["id"])["payment"]  # its own request again, not a dead symbol
    assert payment["invoice_number"] is None
    assert (payment["variable_symbol"], payment["outstanding_halere"], payment["spd"]) == (
        own["variable_symbol"], 90000, "SPD*1.0*own")
