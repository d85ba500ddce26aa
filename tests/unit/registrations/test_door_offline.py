"""The door without a signal: the rule that the first admission counts, and the batch of
check-ins a phone sends when its connection returns (idempotent, conflicts kept for staff)."""
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from services.common.errors import ValidationError
from services.common.signing import ticket_code
from services.common.vocabulary import DoorResult
from services.registrations import domain
from tests.unit.registrations.test_service import KEY, NOW, person, published

NINE = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 9:00 in Prague


def ticket(checked_in_at=None, status="confirmed", event_id=1):
    return {"id": 7, "event_id": event_id, "status": status, "checked_in_at": checked_in_at,
            "first_name": "Věra", "last_name": "Průchová"}


def test_the_first_admission_of_a_ticket_is_the_check_in():
    admission = domain.offline_admission(ticket(), 1, NINE)
    assert (admission.result, admission.checked_in_at, admission.other_at) == (DoorResult.ADMITTED, NINE, None)
    assert domain.door_message(admission, ticket()) == "Věra Průchová: vpuštěn(a)."


def test_an_earlier_admission_arriving_later_takes_the_place_of_the_recorded_one():
    admission = domain.offline_admission(ticket(checked_in_at=NINE + timedelta(minutes=5)), 1, NINE)
    assert (admission.result, admission.checked_in_at) == (DoorResult.ADMITTED, NINE)
    assert admission.other_at == NINE + timedelta(minutes=5)  # both phones let her in: a conflict
    assert "platí dřívější vstup" in domain.door_message(admission, ticket())


def test_a_later_admission_is_already_admitted_at_the_first_time_and_is_a_conflict():
    admission = domain.offline_admission(ticket(checked_in_at=NINE), 1, NINE + timedelta(minutes=5))
    assert (admission.result, admission.checked_in_at, admission.other_at) == (
        DoorResult.ALREADY_ADMITTED, NINE, NINE)
    assert domain.door_message(admission, ticket()) == "Věra Průchová: už vpuštěn(a) dříve, v 7. 12. 2026 9:00:00."


def test_the_same_admission_received_again_changes_nothing():
    later = NINE + timedelta(minutes=1)
    again = domain.offline_admission(ticket(checked_in_at=NINE), 1, NINE, received={"other_at": later})
    assert (again.result, again.checked_in_at, again.other_at) == (DoorResult.ADMITTED, NINE, later)
    displaced = domain.offline_admission(ticket(checked_in_at=NINE), 1, later, received={"other_at": None})
    assert (displaced.result, displaced.checked_in_at, displaced.other_at) == (
        DoorResult.ALREADY_ADMITTED, NINE, NINE)


@pytest.mark.parametrize("registration, result", [
    (None, DoorResult.UNKNOWN), (ticket(event_id=2), DoorResult.UNKNOWN),
    (ticket(status="cancelled"), DoorResult.CANCELLED), (ticket(status="substituted"), DoorResult.CANCELLED),
    (ticket(status="waitlisted"), DoorResult.CANCELLED)])
def test_a_ticket_that_admits_nobody_is_unknown_or_cancelled(registration, result):
    assert domain.offline_admission(registration, 1, NINE).result == result


def test_the_phones_hash_is_sha256_of_the_code_as_printed():
    assert domain.door_ticket_hash(" t42-abc ") == domain.door_ticket_hash("T42-ABC")
    # The phone's door.js computes the same with crypto.subtle: the two must agree.
    assert domain.door_ticket_hash("T42-ABC") == hashlib.sha256(b"T42-ABC").hexdigest()


def batch(device, *items, staff="U vstupu"):
    return {"device": device, "staff": staff,
            "items": [{"code": code, "scanned_at": at.isoformat()} for code, at in items]}


def test_two_phones_admitting_one_ticket_keep_the_first_time_and_report_both(service):
    event = published(service, capacity=5)
    vera, jana = service.register(event["id"], person(1)), service.register(event["id"], person(2))
    first, later = NOW + timedelta(minutes=1), NOW + timedelta(minutes=6)
    service.clock_state["now"] = NOW + timedelta(minutes=30)
    # The phone that admitted later gets its signal back first.
    [answer] = service.door_batch(event["id"], batch("b2", (vera["ticket_code"], later)))
    assert answer["result"] == "admitted" and not answer["conflict"]
    answers = service.door_batch(event["id"], batch("a1", (vera["ticket_code"], first),
                                                    (jana["ticket_code"], first)))
    assert [a["result"] for a in answers] == ["admitted", "admitted"]
    assert answers[0]["conflict"] and "platí dřívější vstup" in answers[0]["message"]
    assert datetime.fromisoformat(service.get_registration(vera["id"])["checked_in_at"]) == first
    [conflict] = service.door_conflicts(event["id"])
    assert conflict["name"] == "Jana Nováková 1" and conflict["registration_id"] == vera["id"]
    assert datetime.fromisoformat(conflict["first_at"]) == first
    assert datetime.fromisoformat(conflict["second_at"]) == later
    assert (conflict["first_by"], conflict["second_by"]) == ("U vstupu, telefon a1", "U vstupu, telefon b2")


def test_a_batch_sent_twice_changes_nothing(service):
    event = published(service, capacity=5)
    vera = service.register(event["id"], person(1))
    service.clock_state["now"] = NOW + timedelta(minutes=30)
    sent = batch("a1", (vera["ticket_code"], NOW + timedelta(minutes=2)))
    once = service.door_batch(event["id"], sent)
    in_at = service.get_registration(vera["id"])["checked_in_at"]
    assert service.door_batch(event["id"], sent) == once
    assert service.get_registration(vera["id"])["checked_in_at"] == in_at
    assert service.door_conflicts(event["id"]) == []
    later = service.door_batch(event["id"], batch("b2", (vera["ticket_code"], NOW + timedelta(minutes=9))))
    assert later[0]["result"] == "already_admitted" and "11:02:00" in later[0]["message"]
    assert service.door_batch(event["id"], batch("b2", (vera["ticket_code"], NOW + timedelta(minutes=9)))) \
        == later
    assert len(service.door_conflicts(event["id"])) == 1


def test_a_forged_a_foreign_and_a_cancelled_ticket_admit_nobody(service):
    event, other = published(service, capacity=5), published(service, capacity=5)
    vera, elsewhere = service.register(event["id"], person(1)), service.register(other["id"], person(2))
    service.cancel_registration(vera["id"])
    service.clock_state["now"] = NOW + timedelta(minutes=30)
    answers = service.door_batch(event["id"], batch("a1", ("T1-AAAAAAAAAAAAAAAA", NOW),
                                                    (elsewhere["ticket_code"], NOW), (vera["ticket_code"], NOW)))
    assert [a["result"] for a in answers] == ["unknown", "unknown", "cancelled"]
    assert service.get_registration(elsewhere["id"])["checked_in_at"] is None
    assert answers[2]["message"].endswith("vstupenka neplatí.")


def test_a_phone_clock_ahead_never_makes_a_future_check_in(service):
    event = published(service, capacity=5)
    vera = service.register(event["id"], person(1))
    [answer] = service.door_batch(event["id"], batch("a1", (vera["ticket_code"], NOW + timedelta(hours=3))))
    assert datetime.fromisoformat(answer["checked_in_at"]) == NOW


def test_a_bad_batch_is_refused_in_czech_and_writes_nothing(service):
    event = published(service, capacity=5)
    vera = service.register(event["id"], person(1))
    with pytest.raises(ValidationError) as refused:
        service.door_batch(event["id"], {"device": "a1", "staff": "U vstupu",
                                         "items": [{"code": vera["ticket_code"], "scanned_at": "2026-12-07T09:00"}]})
    assert "časové pásmo" in str(refused.value.fields)
    assert service.get_registration(vera["id"])["checked_in_at"] is None


def test_the_door_list_has_hashes_and_names_but_no_codes(service):
    event = published(service, capacity=5)
    vera = service.register(event["id"], person(1))
    listed = service.door_list(event["id"])
    assert listed["tickets"] == [{"hash": domain.door_ticket_hash(vera["ticket_code"]), "registration_id": vera["id"],
                                  "name": "Jana Nováková 1", "organisation": "Obec Chotěšov", "checked_in_at": None}]
    assert vera["ticket_code"] not in str(listed) and ticket_code(KEY, vera["id"]) == vera["ticket_code"]


def test_a_batch_from_a_phone_ahead_sent_again_later_is_the_same_admission(service):
    """The console's answer was lost and the phone sends its queue again a few minutes later: the
    admission it made with its clock ahead is recognised, not reported as a second phone's."""
    event = published(service, capacity=5)
    vera = service.register(event["id"], person(1))
    ahead = batch("a1", (vera["ticket_code"], NOW + timedelta(minutes=3)))
    [first] = service.door_batch(event["id"], ahead)
    service.clock_state["now"] = NOW + timedelta(minutes=10)  # the phone's moment is now in the past
    [again] = service.door_batch(event["id"], ahead)
    assert again == first and not again["conflict"]
    assert service.door_conflicts(event["id"]) == []
