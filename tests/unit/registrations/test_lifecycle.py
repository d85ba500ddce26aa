"""Cancelling, the waitlist, edits, check-in, attendance, reminders and export."""
import csv
import io
import json
from datetime import timedelta

import pytest

from services.common.errors import Conflict, NotFound
from services.common.signing import ticket_code
from tests.unit.registrations.test_service import KEY, NOW, call, event_data, person, published


def statuses(service, event_id):
    return [(r["last_name"], r["status"], r["waitlist_position"]) for r in service.list_registrations(event_id)]


def test_a_freed_seat_goes_to_the_first_in_line(service):
    event = published(service, capacity=1)
    first = service.register(event["id"], person(1))
    second = service.register(event["id"], person(2))
    third = service.register(event["id"], person(3))
    assert (second["waitlist_position"], third["waitlist_position"]) == (1, 2)

    cancelled = service.cancel_registration(first["id"])
    assert cancelled["status"] == "cancelled"
    assert statuses(service, event["id"]) == [
        ("Nováková 1", "cancelled", None), ("Nováková 2", "confirmed", None), ("Nováková 3", "waitlisted", 1)]
    promoted = service.get_registration(second["id"])
    assert promoted["ticket_code"] == ticket_code(KEY, second["id"])
    events = [(kind, payload["registration"]["id"]) for kind, payload in service.recorded()]
    assert events[-2:] == [("registration_cancelled", first["id"]), ("registration_promoted", second["id"])]

    # twice is not an error, and changes nothing
    assert service.cancel_registration(first["id"])["status"] == "cancelled"
    assert len(service.recorded()) == len(events)
    assert service.get_event(event["id"])["seats_left"] == 0


def test_cancelling_a_waitlisted_registration_moves_the_line_up(service):
    event = published(service, capacity=1)
    service.register(event["id"], person(1))
    second, third = service.register(event["id"], person(2)), service.register(event["id"], person(3))
    service.cancel_registration(second["id"])
    assert service.get_registration(third["id"])["waitlist_position"] == 1
    assert service.get_event(event["id"])["seats_left"] == 0


def test_after_the_start_it_is_too_late_to_cancel(service):
    event = published(service)
    registration = service.register(event["id"], person(1))
    service.clock_state["now"] = NOW + timedelta(days=10, minutes=1)
    with pytest.raises(Conflict) as refused:
        service.cancel_registration(registration["id"])
    assert refused.value.code == "too_late"


def test_cancelling_over_http_with_the_token(service):
    event = published(service)
    registration = service.register(event["id"], person(1))
    status, body = call(service, "http_cancel", token=registration["token"])
    assert (status, body["status"]) == (200, "cancelled")
    assert call(service, "http_cancel", token=registration["token"])[0] == 200
    status, body = call(service, "http_cancel", token="wrong")
    assert (status, body["error"]) == (404, "registration_not_found")


def test_raising_capacity_promotes_and_lowering_below_confirmed_is_refused(service):
    event = published(service, capacity=1)
    for n in range(1, 5):
        service.register(event["id"], person(n))
    service.update_event(event["id"], {"capacity": 3})
    assert [s for _, s, _ in statuses(service, event["id"])] == ["confirmed"] * 3 + ["waitlisted"]
    with pytest.raises(Conflict) as refused:
        service.update_event(event["id"], {"capacity": 2})
    assert refused.value.code == "capacity_below_confirmed"
    assert service.get_event(event["id"])["capacity"] == 3


def test_a_new_time_or_venue_is_told_to_everyone_registered(service):
    event = published(service, capacity=1)
    service.register(event["id"], person(1))
    service.register(event["id"], person(2))
    before = len(service.recorded())
    service.update_event(event["id"], {"description": "Nový popis"})
    assert len(service.recorded()) == before  # nothing attendees need to know
    updated = service.update_event(event["id"], {"venue": "Rokycany, sál"})
    assert updated["version"] == 2
    told = service.recorded()[before:]
    assert [kind for kind, _ in told] == ["event_updated", "event_updated"]
    assert told[0][1]["changes"] == {"venue": ["Plzeň", "Rokycany, sál"]}
    assert told[0][1]["event"]["version"] == 2


def test_cancelling_an_event_cancels_everyone_and_tells_each_once(service):
    event = published(service, capacity=1)
    service.register(event["id"], person(1))
    service.register(event["id"], person(2))
    before = len(service.recorded())
    service.cancel_event(event["id"], "Lektor onemocněl.")
    service.cancel_event(event["id"], "Lektor onemocněl.")
    told = service.recorded()[before:]
    assert [(kind, payload["reason"]) for kind, payload in told] == [("event_cancelled", "Lektor onemocněl.")] * 2
    assert {s for _, s, _ in statuses(service, event["id"])} == {"cancelled"}
    assert service.list_events() == []


def test_check_in(service):
    event = published(service, capacity=1)
    confirmed = service.register(event["id"], person(1))
    waitlisted = service.register(event["id"], person(2))
    other = published(service, title="Odpady v obci: příští měsíc")
    next_month = service.register(other["id"], person(3))
    with pytest.raises(Conflict) as wrong:  # next month's ticket does not let anyone in today
        service.check_in(event["id"], next_month["ticket_code"])
    assert wrong.value.code == "wrong_event"
    assert "Vstupenka je na jinou akci: Odpady v obci: příští měsíc" in wrong.value.message
    assert service.get_registration(next_month["id"])["checked_in_at"] is None
    service.clock_state["now"] = NOW + timedelta(days=10, hours=-1)  # the event's day, an hour before it starts
    checked = service.check_in(event["id"], confirmed["ticket_code"])
    assert checked["checked_in_at"] is not None
    with pytest.raises(Conflict) as twice:
        service.check_in(event["id"], confirmed["ticket_code"].lower())
    assert twice.value.code == "already_checked_in"
    assert service.get_registration(confirmed["id"])["checked_in_at"] == checked["checked_in_at"]
    with pytest.raises(NotFound) as forged:
        service.check_in(event["id"], ticket_code(b"not-our-key", confirmed["id"]))
    assert forged.value.code == "invalid_ticket"
    with pytest.raises(Conflict) as not_confirmed:
        service.check_in(event["id"], ticket_code(KEY, waitlisted["id"]))
    assert not_confirmed.value.code == "ticket_not_confirmed"
    service.cancel_registration(next_month["id"])
    with pytest.raises(Conflict) as cancelled:
        service.check_in(other["id"], next_month["ticket_code"])
    assert cancelled.value.code == "ticket_cancelled"
    assert service.event_stats(event["id"])["checked_in"] == 1
    service.clock_state["now"] = NOW + timedelta(days=10)  # attendance from the start on
    assert service.mark_attendance(event["id"])["marked"] == 1  # only the one checked in here


def test_attendance_of_an_accredited_training_is_only_a_record(service):
    """Certificates go out later, by ``issue_certificates`` (tests/unit/registrations/test_certificates.py)."""
    event = published(service, capacity=5, accreditation_number="AK/PV-1/2026", hours=6)
    people = [service.register(event["id"], person(n)) for n in range(1, 4)]
    service.check_in(event["id"], people[0]["ticket_code"], any_day=True)
    service.clock_state["now"] = NOW + timedelta(days=10)
    assert service.mark_attendance(event["id"]) == {"marked": 1, "registration_ids": [people[0]["id"]]}
    assert service.mark_attendance(event["id"], [people[0]["id"], people[2]["id"]])["registration_ids"] == [
        people[2]["id"]]
    assert [kind for kind, _ in service.recorded() if kind == "attendance_confirmed"] == []
    with pytest.raises(Conflict):
        service.mark_attendance(event["id"], [999])
    assert service.event_stats(event["id"])["attended"] == 2


def test_reminders_are_due_once(service):
    soon = published(service, capacity=5)
    service.register(soon["id"], person(1))
    service.register(soon["id"], person(2))
    service.clock_state["now"] = NOW + timedelta(days=7)
    assert service.send_due_reminders() == 0  # ten days ahead: not yet
    service.clock_state["now"] = NOW + timedelta(days=8, hours=1)
    assert service.send_due_reminders() == 2
    assert service.send_due_reminders() == 0
    reminders = [payload for kind, payload in service.recorded() if kind == "reminder_due"]
    assert [p["days_before"] for p in reminders] == [2, 2]


def test_export_opens_in_czech_excel(service):
    event = published(service, capacity=1)
    service.register(event["id"], person(1, last_name="Šťastná", organisation_ico="00075370"))
    service.register(event["id"], person(2, last_name="Řeháček"))
    text = service.export_registrations(event["id"])
    assert text.startswith("\ufeff") and "\r\n" in text
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0][:4] == ["Číslo", "Příjmení", "Jméno", "Organizace"]
    assert [row[1] for row in rows[1:]] == ["Šťastná", "Řeháček"]
    assert rows[1][4] == "00075370" and rows[1][8] == "potvrzeno" and rows[2][8] == "čekací listina"
    # Every header is Czech, and the fee is there with whether it is paid.
    assert rows[0][10:15] == ["Cena (Kč)", "Zaplaceno", "Člen", "Přihlášeno", "Odbaven"]
    assert "Check-in" not in rows[0]
    assert rows[1][11] in ("ne", "zdarma")


@pytest.mark.parametrize("typed", ['=HYPERLINK("http://x";"a")', "+420 777 123 456", "-1+1", "@SUM(A1)"])
def test_export_cells_that_would_be_formulas_stay_text(service, typed):
    event = published(service, capacity=5)
    service.register(event["id"], person(1, first_name="Jana", position=typed, note=typed))
    rows = list(csv.reader(io.StringIO(service.export_registrations(event["id"])[1:]), delimiter=";"))
    assert rows[1][7] == "'" + typed  # the position column
    assert rows[1][0] == "1"  # numbers stay numbers


def test_an_idempotency_key_replays_the_first_answer(service):
    from werkzeug.test import EnvironBuilder
    event = published(service)

    def post(body, key):
        request = EnvironBuilder(method="POST", data=json.dumps(body), content_type="application/json",
                                 headers={"Idempotency-Key": key}).get_request()
        response = service.http_register(request, event_id=event["id"])
        return response.status_code, json.loads(response.get_data())

    first = post(person(1), "key-1")
    assert first[0] == 201
    assert post(person(1), "key-1") == first
    assert len(service.list_registrations(event["id"])) == 1
    status, body = post(person(2), "key-1")
    assert (status, body["error"]) == (409, "idempotency_key_reused")
    assert post(person(2), "key-2")[0] == 201


def test_registrations_of_long_past_events_keep_their_facts_not_the_person(service):
    event = published(service, capacity=5)
    kept = service.register(event["id"], person(1, phone="+420 777 000 111", note="vegan"))
    service.check_in(event["id"], kept["ticket_code"], any_day=True)
    service.clock_state["now"] = NOW + timedelta(days=3 * 365 + 9)  # not yet three years after the end
    service.anonymise_past_registrations()
    assert service.get_registration(kept["id"])["last_name"] == "Nováková 1"
    service.clock_state["now"] = NOW + timedelta(days=3 * 365 + 11)
    service.anonymise_past_registrations()
    gone = service.get_registration(kept["id"])
    assert (gone["first_name"], gone["last_name"], gone["phone"], gone["note"]) == ("(vymazáno)", "(vymazáno)",
                                                                                   None, None)
    assert gone["email"].endswith("@vymazano.invalid") and gone["checked_in_at"] and gone["status"] == "confirmed"
    assert gone["token"] != kept["token"]  # the old manage link leads nowhere


def test_published_events_are_deleted_after_their_time(service):
    from services.common.outbox import purge_published
    from services.registrations import store
    event = published(service, capacity=5)
    service.register(event["id"], person(1))
    with service.database.transaction() as tx:
        tx.execute(store.outbox.update().values(published_at=NOW - timedelta(days=31)))
    service.register(event["id"], person(2))  # not published yet: kept
    with service.database.transaction() as tx:
        assert purge_published(tx, store.outbox, NOW - timedelta(days=30)) == 2  # event_published too
    assert [kind for kind, _ in service.announced()] == ["registration_confirmed"]


def test_staff_give_a_waitlisted_person_a_seat_of_their_own(service):
    event = published(service, capacity=1)
    service.register(event["id"], person(1))
    second, third = service.register(event["id"], person(2)), service.register(event["id"], person(3))
    promoted = service.promote(third["id"])  # chosen by staff, not the first in line
    assert promoted["status"] == "confirmed" and promoted["ticket_code"] == ticket_code(KEY, third["id"])
    assert service.get_event(event["id"])["capacity"] == 2 and service.get_event(event["id"])["seats_left"] == 0
    assert service.get_registration(second["id"])["waitlist_position"] == 1  # still first in line
    assert service.recorded()[-1][0] == "registration_promoted"
    with pytest.raises(Conflict) as refused:
        service.promote(third["id"])
    assert refused.value.code == "not_waitlisted"


def test_publishing_announces_the_events_public_facts_once(service):
    draft = service.create_event(event_data(title="Odpady v obci", capacity=30, price_member=600))
    assert service.announced() == []  # a draft is nobody's business
    service.publish_event(draft["id"])
    service.publish_event(draft["id"])  # again: already published, nothing new to tell
    [(kind, payload)] = service.announced()
    assert kind == "event_published"
    assert payload["event"] == {
        "id": draft["id"], "title": "Odpady v obci", "starts_at": draft["starts_at"], "ends_at": draft["ends_at"],
        "venue": draft["venue"], "topic": draft["topic"], "kind": draft["kind"], "format": draft["format"],
        "price_member": 600, "price_non_member": draft["price_non_member"], "capacity": 30,
        "url": f"https://akce.example/events/{draft['id']}"}
    assert "registration" not in payload and "status" not in payload["event"]
    service.cancel_event(draft["id"], "Lektor onemocněl.")
    with pytest.raises(Conflict):
        service.publish_event(draft["id"])
    assert len(service.announced()) == 1
