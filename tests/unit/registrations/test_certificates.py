"""Attendance from the start on, sending nothing; certificates after the end, to those who came
and paid (or were released by staff), once each."""
from datetime import timedelta

import pytest

from services.common.errors import Conflict
from tests.unit.registrations.test_service import NOW, person, published

STARTS = NOW + timedelta(days=10)
ENDS = STARTS + timedelta(hours=4)


def sent(service):
    return [payload["registration"]["id"] for kind, payload in service.recorded() if kind == "attendance_confirmed"]


def training(service, **overrides):
    """An accredited training: members pay 300 Kč, non-members 900 Kč (nobody here is a member)."""
    return published(service, capacity=5, accreditation_number="AK/PV-1/2026", hours=6, **overrides)


def pay(service, registration_id):
    paid_at = (ENDS + timedelta(days=1)).isoformat()
    service.on_payment_received({"registration": {"id": registration_id},
                                 "payment": {"variable_symbol": "1", "paid_at": paid_at}})


def test_attendance_is_refused_before_the_start_and_sends_nothing_after(service):
    event = training(service)
    people = [service.register(event["id"], person(n)) for n in range(1, 3)]
    with pytest.raises(Conflict) as early:
        service.mark_attendance(event["id"], [people[0]["id"]])
    assert early.value.code == "not_started" and "7. 12. 2026 11:00" in early.value.message
    assert service.get_registration(people[0]["id"])["attended_at"] is None
    service.clock_state["now"] = STARTS + timedelta(minutes=5)
    assert service.mark_attendance(event["id"], [people[0]["id"]])["registration_ids"] == [people[0]["id"]]
    assert sent(service) == []
    assert service.get_registration(people[0]["id"])["certificate"] == "waiting_payment"


def test_certificates_only_after_the_end_and_only_once(service):
    event = training(service, price_non_member=0)
    people = [service.register(event["id"], person(n)) for n in range(1, 4)]
    service.clock_state["now"] = STARTS + timedelta(hours=1)
    service.mark_attendance(event["id"], [people[0]["id"], people[1]["id"]])
    with pytest.raises(Conflict) as running:
        service.issue_certificates(event["id"])
    assert running.value.code == "not_ended"
    service.clock_state["now"] = ENDS + timedelta(minutes=1)
    plan = service.certificate_plan(event["id"])
    assert plan["due"] and [p["id"] for p in plan["issue"]] == [people[0]["id"], people[1]["id"]]
    done = service.issue_certificates(event["id"])
    assert (done["issued"], done["waiting_payment"], done["already_issued"]) == (2, 0, 0)
    assert sent(service) == [people[0]["id"], people[1]["id"]]  # not the one who did not come
    again = service.issue_certificates(event["id"])
    assert (again["issued"], again["already_issued"]) == (0, 2) and len(sent(service)) == 2
    assert service.get_registration(people[0]["id"])["certificate"] == "issued"


def test_an_unpaid_certificate_waits_for_the_payment_or_a_release(service):
    event = training(service)
    people = [service.register(event["id"], person(n)) for n in range(1, 4)]
    service.clock_state["now"] = STARTS
    service.mark_attendance(event["id"], [p["id"] for p in people])
    pay(service, people[0]["id"])
    service.clock_state["now"] = ENDS
    plan = service.certificate_plan(event["id"])
    assert [p["id"] for p in plan["issue"]] == [people[0]["id"]]
    assert [p["name"] for p in plan["waiting_payment"]] == ["Jana Nováková 2", "Jana Nováková 3"]
    done = service.issue_certificates(event["id"])
    assert (done["issued"], done["waiting_payment"]) == (1, 2)
    assert [p["name"] for p in done["waiting"]] == ["Jana Nováková 2", "Jana Nováková 3"]
    pay(service, people[1]["id"])  # paid later: the certificate follows at once
    assert sent(service) == [people[0]["id"], people[1]["id"]]
    pay(service, people[1]["id"])  # the payment told twice: still one certificate
    released = service.release_certificate(people[2]["id"], "eva@svazek.example")
    assert released["certificate_issued_now"] and released["certificate_released_by"] == "eva@svazek.example"
    assert released["certificate_released_at"] is not None
    assert sent(service) == [p["id"] for p in people]
    with pytest.raises(Conflict) as twice:
        service.release_certificate(people[2]["id"], "eva@svazek.example")
    assert twice.value.code == "certificate_issued"


def test_a_payment_before_the_certificates_are_issued_sends_nothing_yet(service):
    event = training(service)
    registration = service.register(event["id"], person(1))
    service.clock_state["now"] = STARTS
    service.mark_attendance(event["id"], [registration["id"]])
    pay(service, registration["id"])
    service.clock_state["now"] = ENDS
    pay(service, registration["id"])
    assert sent(service) == []  # staff have not issued the event's certificates
    with pytest.raises(Conflict) as paid:
        service.release_certificate(registration["id"], "eva")
    assert paid.value.code == "nothing_to_release"


def test_attendance_can_be_taken_back_until_the_certificate_is_issued(service):
    event = training(service, price_non_member=0)
    people = [service.register(event["id"], person(n)) for n in range(1, 3)]
    service.clock_state["now"] = STARTS
    service.mark_attendance(event["id"], [p["id"] for p in people])
    assert service.unmark_attendance(event["id"], [people[1]["id"]]) == {"unmarked": 1,
                                                                        "registration_ids": [people[1]["id"]]}
    assert service.get_registration(people[1]["id"])["attended_at"] is None
    service.clock_state["now"] = ENDS
    service.issue_certificates(event["id"])
    with pytest.raises(Conflict) as issued:
        service.unmark_attendance(event["id"], [people[0]["id"]])
    assert issued.value.code == "certificate_issued"
    assert service.get_registration(people[0]["id"])["attended_at"] is not None


def test_no_certificates_for_an_event_without_accreditation(service):
    event = published(service, capacity=5)
    registration = service.register(event["id"], person(1))
    service.clock_state["now"] = ENDS
    assert service.mark_attendance(event["id"], [registration["id"]])["marked"] == 1
    with pytest.raises(Conflict) as refused:
        service.issue_certificates(event["id"])
    assert refused.value.code == "not_accredited"
    assert service.certificate_plan(event["id"])["due"] is False
    assert service.get_registration(registration["id"])["certificate"] is None  # a record, no certificate
    assert sent(service) == []


def test_a_payment_after_the_issue_sends_the_held_certificate_even_when_nobody_had_one(service):
    event = training(service)
    registration = service.register(event["id"], person(1))
    service.clock_state["now"] = STARTS
    service.mark_attendance(event["id"], [registration["id"]])
    service.clock_state["now"] = ENDS
    assert service.issue_certificates(event["id"])["waiting_payment"] == 1
    assert service.certificate_plan(event["id"])["started"] is True
    pay(service, registration["id"])
    assert sent(service) == [registration["id"]]
