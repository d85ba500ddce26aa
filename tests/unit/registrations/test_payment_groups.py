"""What payments tells is copied a group at a time: the events handled together are written in
one transaction (all together; should one fail on its own, again each in its savepoint); one
failing on its own fails alone, a database outage fails them all (each event comes back)."""
import sqlite3

import eventlet
import pytest
from eventlet.greenpool import GreenPool
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from services.common.errors import outage
from services.registrations import store
from tests.unit.registrations.test_service import person, published


def requested(registration_id, symbol=None, **extra):
    return {"registration": {"id": registration_id}, "payment": dict({
        "variable_symbol": symbol or f"1{registration_id:09d}", "amount": 900, "outstanding_halere": 90000,
        "due_on": "2026-12-05", "requested_on": "2026-11-27", "account": "19-2000145399/0800",
        "iban": "CZ6508000000192000145399", "spd": "SPD*1.0*ACC:CZ6508000000192000145399*AM:900.00*CC:CZK"},
        **extra)}


def registered(service, count):
    event_ = published(service, capacity=count + 5)
    return [service.register(event_["id"], person(n)) for n in range(count)]


def handled_together(service, payloads):
    """Each payload through ``on_payment_requested`` at once (as the broker's workers would);
    the outcome of each (None or the exception its handler raised) and the commits made."""
    commits = []

    def counted(_connection):
        commits.append(1)

    def handle(payload):
        try:
            service.on_payment_requested(payload)
        except Exception as error:
            return error
        return None

    event.listen(service.database.engine, "commit", counted)
    try:
        outcomes = list(GreenPool(len(payloads)).imap(handle, payloads))
    finally:
        event.remove(service.database.engine, "commit", counted)
    return outcomes, len(commits)


def test_payments_handled_together_are_recorded_in_one_or_two_commits_and_a_bad_one_fails_alone(service):
    people = registered(service, 21)
    good, bad = people[:20], people[20]
    payloads = [requested(r["id"]) for r in good]
    payloads.insert(7, requested(bad["id"], amount={1, 2}))  # a set: not JSON, refused when written

    outcomes, commits = handled_together(service, payloads)

    assert commits <= 2
    assert outcomes[:7] + outcomes[8:] == [None] * 20
    assert isinstance(outcomes[7], Exception) and outage(outcomes[7]) is None
    for r in good:
        assert service.get_registration(r["id"])["payment"]["variable_symbol"] == f"1{r['id']:09d}"
    assert service.get_registration(bad["id"])["payment"] is None  # rolled back to its savepoint
    service.on_payment_requested(requested(bad["id"]))  # the event comes back, fixed
    assert service.get_registration(bad["id"])["payment"]["variable_symbol"] == f"1{bad['id']:09d}"


def test_a_database_outage_fails_every_event_of_the_group_and_writes_nothing(service, monkeypatch):
    people = registered(service, 5)
    set_registration = store.set_registration

    def away(conn, registration_id, values, **conditions):
        if values.get("payment", {}).get("variable_symbol") == "away":
            raise OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))
        return set_registration(conn, registration_id, values, **conditions)

    monkeypatch.setattr(store, "set_registration", away)
    payloads = [requested(r["id"]) for r in people[:4]] + [requested(people[4]["id"], symbol="away")]

    outcomes, _ = handled_together(service, payloads)

    assert all(outage(outcome) is not None for outcome in outcomes)
    assert [service.get_registration(r["id"])["payment"] for r in people] == [None] * 5
    eventlet.sleep(0)
    outcomes, _ = handled_together(service, payloads[:4])  # the next group runs: nothing left busy
    assert outcomes == [None] * 4


def test_a_payment_received_and_its_invoice_go_through_the_same_groups(service):
    [one, two] = registered(service, 2)
    service.on_payment_requested(requested(one["id"]))
    service.on_invoice_issued({"registration_ids": [one["id"], two["id"]], "invoice": {
        "kind": "invoice", "number": "2026-0001", "variable_symbol": "1234567890", "spd": "SPD*1.0",
        "due_on": "2026-12-10", "total_halere": 180000, "supplier": {"account": "19-2000145399/0800",
                                                                   "iban": "CZ6508000000192000145399"}}})
    service.on_payment_received(requested(one["id"], paid_at="2026-11-28T10:00:00+00:00"))
    kept = service.get_registration(one["id"])
    assert kept["payment"]["invoice_number"] == "2026-0001"
    assert service.get_registration(two["id"])["payment"]["invoice_number"] == "2026-0001"
    with pytest.raises(KeyError):  # a payload without the payment: the handler raises, the event comes back
        service.on_payment_received({"registration": {"id": one["id"]}})
