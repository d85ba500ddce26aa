"""A seat handed to a substitute takes its payment request along."""
import base64

import pytest

from services.common.errors import NotFound
from services.payments.usecases import NotRequestedYet
from tests import statements
from tests.unit.payments.conftest import payload


def substituted(old_id, new_id, price=900):
    told = payload(new_id, price=price, first_name="Petr", last_name="Dvořák", email="petr@obec.example")
    told["replaced"] = dict(payload(old_id, price=price)["registration"], status="substituted")
    return told


def test_the_request_follows_the_seat_and_the_old_symbol_pays_it(payments):
    payments.on_registration_confirmed(payload(21))
    payments.on_registration_substituted(substituted(21, 22))
    payments.on_registration_substituted(substituted(21, 22))  # redelivered: nothing more
    moved = payments.payment_of(22)
    assert moved["variable_symbol"] == "1000000021" and moved["owed_halere"] == 90000
    with pytest.raises(NotFound):
        payments.payment_of(21)
    assert len(payments.recorded("payment_requested")) == 1  # nothing asked twice

    lines = [{"bank_id": "S1", "amount_halere": 90000, "variable_symbol": "1000000021"}]
    payments.import_statement(base64.b64encode(statements.camt053(lines)).decode())
    [received] = payments.recorded("payment_received")
    assert received["registration"]["id"] == 22 and received["registration"]["email"] == "petr@obec.example"


def test_a_handover_before_the_request_exists_is_tried_again_and_a_free_seat_needs_nothing(payments):
    with pytest.raises(NotRequestedYet):
        payments.on_registration_substituted(substituted(31, 32))
    payments.on_registration_confirmed(payload(31))  # the confirmation handled late
    payments.on_registration_substituted(substituted(31, 32))  # the retry
    assert payments.payment_of(32)["variable_symbol"] == "1000000031"

    payments.on_registration_substituted(substituted(41, 42, price=0))
    with pytest.raises(NotFound):
        payments.payment_of(42)
