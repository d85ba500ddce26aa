"""Two staff actions and a registration at the same moment, on PostgreSQL.

SQLite runs one write transaction at a time, so these interleavings cannot
happen there; on PostgreSQL each test holds one transaction open at the
moment that matters and lets the other run into it.
"""
from datetime import datetime, timedelta

import eventlet
import pytest
from eventlet.event import Event

from services.common.errors import Conflict
from services.common.unit_of_work import UnitOfWork
from services.registrations import store, usecases
from tests.conftest import DATABASE
from tests.unit.registrations.test_service import NOW, person, published

pytestmark = pytest.mark.skipif(DATABASE != "postgresql", reason="SQLite runs one write transaction at a time")
BASE = "https://akce.example"


def work(service, tx, now=NOW, key=None):
    """The unit of work of a use case run by hand in ``tx``, with the service's outbox."""
    return UnitOfWork(tx, now, service.outbox, BASE, service.signing_key if key is None else key)


def holding_open(service, use_case):
    """Run ``use_case(tx)`` in a transaction left open until the returned event is sent."""
    done, release = Event(), Event()

    def run():
        with service.database.transaction() as tx:
            use_case(tx)
            done.send()
            release.wait()
    thread = eventlet.spawn(run)
    done.wait()
    return release, thread


def test_a_registration_that_meets_the_events_cancellation_is_refused(service):
    event = published(service, capacity=5)
    release, cancelling = holding_open(
        service, lambda tx: usecases.cancel_event(work(service, tx), event["id"], "Lektor onemocněl."))
    registering = eventlet.spawn(service.register, event["id"], person(1))
    eventlet.sleep(0.5)  # it has read the event as published and waits for the event's row
    release.send()
    cancelling.wait()
    with pytest.raises(Conflict) as refused:
        registering.wait()
    assert refused.value.code == "event_cancelled"
    assert service.list_registrations(event["id"]) == []
    assert [kind for kind, _ in service.recorded()] == []  # nobody is told of a registration that is not


def test_a_registration_that_meets_a_change_of_time_carries_the_new_time(service):
    event = published(service, capacity=5)
    new_start = datetime.fromisoformat("2026-12-10T09:00:00+01:00")
    changes = {"starts_at": new_start, "ends_at": new_start + timedelta(hours=4), "registration_closes_at": new_start}
    release, updating = holding_open(service, lambda tx: usecases.update_event(
        work(service, tx), event["id"], changes))
    registering = eventlet.spawn(service.register, event["id"], person(1))
    eventlet.sleep(0.5)
    release.send()
    updating.wait()
    registration = registering.wait()
    assert registration["event"]["version"] == 2
    [(kind, payload)] = [(k, p) for k, p in service.recorded() if p["registration"]["id"] == registration["id"]]
    assert kind == "registration_confirmed"
    assert payload["event"]["version"] == 2 and payload["event"]["starts_at"] == new_start.isoformat()


def test_cancelling_a_registration_and_its_event_at_once_deadlocks_neither(service, monkeypatch):
    event = published(service, capacity=5)
    registration = service.register(event["id"], person(1))
    locked, go_on = Event(), Event()
    real = store.lock_registration

    def pausing(session, registration_id):
        row = real(session, registration_id)
        if not locked.ready():
            locked.send()
            go_on.wait()
        return row
    monkeypatch.setattr(store, "lock_registration", pausing)
    one = eventlet.spawn(service.cancel_registration, registration["id"])
    locked.wait()
    two = eventlet.spawn(service.cancel_event, event["id"], "Lektor onemocněl.")
    eventlet.sleep(0.5)  # the event's cancellation waits for a lock the first holds
    go_on.send()
    assert one.wait()["status"] == "cancelled"
    assert two.wait()["status"] == "cancelled"


def test_a_payment_request_and_its_invoice_heard_at_once_are_both_kept(service):
    event = published(service, capacity=5)
    registration = service.register(event["id"], person(1))
    payment = {"variable_symbol": f"1{registration['id']:09d}", "outstanding_halere": 90000, "due_on": "2026-12-10",
               "account": "19-2000145399/0800", "iban": "CZ6508000000192000145399", "spd": "SPD*1.0*AM:900.00"}
    invoice = {"number": "FV-2026-0001", "kind": "invoice", "variable_symbol": payment["variable_symbol"],
               "spd": payment["spd"], "due_on": "2026-12-10", "total_halere": 90000,
               "supplier": {"account": payment["account"], "iban": payment["iban"]}}
    release, invoicing = holding_open(service, lambda tx: usecases.record_invoice(tx, [registration["id"]], invoice))

    def record():
        with service.database.transaction() as tx:
            usecases.record_payment(work(service, tx), registration["id"], payment)
    paying = eventlet.spawn(record)
    eventlet.sleep(0.3)  # it waits for the registration's row
    release.send()
    invoicing.wait()
    paying.wait()
    kept = service.get_registration(registration["id"])["payment"]
    assert kept["invoice_number"] == "FV-2026-0001" and kept["variable_symbol"] == payment["variable_symbol"]


def test_two_groups_of_one_organisation_at_once_cannot_pass_its_limit(service):
    """Colleagues sent twice at the same moment (two replicas, each with its own group commit):
    the second group waits for the event's row, then sees the first group's registrations."""
    event = published(service, capacity=20, max_per_organisation=3)

    def group(*numbers, name="Obec Chotěšov"):
        return {"registrant": {"first_name": "Eva", "last_name": "Tajemnice", "email": "eva@obec.example"},
                "organisation_name": name, "gdpr_consent": True,
                "attendees": [{"first_name": "Petr", "last_name": f"Kolega {n}", "email": f"kolega{n}@obec.example"}
                              for n in numbers]}
    release, first = holding_open(service, lambda tx: usecases.enrol(work(service, tx), event["id"], [group(1, 2)]))
    # another replica: its own group commit, so it is not batched with the first
    second = eventlet.spawn(service.register_group, event["id"], group(3, 4, name="CHOTĚŠOV, obec"))
    eventlet.sleep(0.5)  # it has read nothing yet: it waits for the event's row
    assert not second.dead
    release.send()
    first.wait()
    with pytest.raises(Conflict) as refused:
        second.wait()
    assert refused.value.code == "organisation_limit_reached"
    assert sorted(r["email"] for r in service.list_registrations(event["id"])) == [
        "kolega1@obec.example", "kolega2@obec.example"]
    # the same two at once, the second choosing the rest on the waitlist: one seat, one waits
    release, first = holding_open(service, lambda tx: usecases.enrol(
        work(service, tx), event["id"], [group(5, name="Chotěšov")]))
    second = eventlet.spawn(service.register_group, event["id"], dict(group(6, 7), waitlist_rest=True))
    eventlet.sleep(0.5)
    release.send()
    first.wait()
    assert [r["status"] for r in second.wait()["registrations"]] == ["waitlisted", "waitlisted"]
    assert service.event_stats(event["id"])["confirmed"] == 3


def test_two_presses_of_send_materials_at_once_mail_each_attendee_once(service):
    import base64

    from services.registrations import materials
    event = published(service, capacity=5)
    people = [service.register(event["id"], person(n)) for n in (1, 2)]
    for registration in people:  # they came (attendance itself can be marked only once the event began)
        service.check_in(event["id"], registration["ticket_code"], any_day=True)
    service.add_material(event["id"], "slides.pdf", base64.b64encode(b"%PDF-1.7\n").decode())
    first = {}
    release, sending = holding_open(service, lambda tx: first.update(sent=materials.send(
        work(service, tx, key=b"k"), event["id"], usecases.event_view(store.get_event(tx, event["id"]), NOW))))
    second = eventlet.spawn(service.send_materials, event["id"])
    eventlet.sleep(0.5)  # it waits on the first one's follow-up rows
    release.send()
    sending.wait()
    assert (first["sent"], second.wait()["sent"]) == (2, 0)
    told = [payload for kind, payload in service.recorded() if kind == "attendees_messaged"]
    assert [[r["email"] for r in payload["recipients"]] for payload in told] == [
        ["jana1@obec.example", "jana2@obec.example"]]
