"""The door's rules: a ticket on a day the event does not take place on, a person admitted by
name without a ticket, a draft deleted, and the signed preview of a draft's public page."""
from datetime import UTC, datetime, timedelta

import pytest

from services.common.errors import Conflict, NotFound
from services.registrations import domain
from services.registrations.site import preview_allowed, preview_token
from tests.unit.registrations.test_service import KEY, NOW, event_data, person, published


def moment(text):
    return datetime.fromisoformat(text)


ONE_DAY = {"starts_at": moment("2026-12-15T09:00:00+01:00"), "ends_at": moment("2026-12-15T13:00:00+01:00")}
CYCLE = dict(ONE_DAY, sessions=[
    {"starts_at": moment("2027-03-03T13:00:00+01:00"), "ends_at": moment("2027-03-03T16:30:00+01:00")},
    {"starts_at": moment("2027-03-10T13:00:00+01:00"), "ends_at": moment("2027-03-10T16:30:00+01:00")}])
OVERNIGHT = {"starts_at": moment("2026-12-04T18:00:00+01:00"), "ends_at": moment("2026-12-05T12:00:00+01:00")}


def test_an_events_days_are_its_sessions_days_in_prague():
    assert [str(day) for day in domain.event_days(ONE_DAY)] == ["2026-12-15"]
    assert [str(day) for day in domain.event_days(CYCLE)] == ["2027-03-03", "2027-03-10"]
    assert [str(day) for day in domain.event_days(OVERNIGHT)] == ["2026-12-04", "2026-12-05"]
    late = {"starts_at": moment("2026-12-15T23:30:00+00:00"), "ends_at": moment("2026-12-16T01:00:00+00:00")}
    assert [str(day) for day in domain.event_days(late)] == ["2026-12-16"]  # already the 16th in Prague


@pytest.mark.parametrize("event, now, message", [
    (ONE_DAY, "2026-12-06T10:00:00+01:00", "Akce je až 15. 12. 2026."),
    (ONE_DAY, "2026-12-16T08:00:00+01:00", "Akce už proběhla (15. 12. 2026)."),
    (CYCLE, "2027-03-05T12:00:00+01:00", "Dnes akce neprobíhá, další termín je 10. 3. 2027."),
])
def test_a_day_without_the_event_is_refused_and_named(event, now, message):
    with pytest.raises(Conflict) as refused:
        domain.check_door_day(event, moment(now))
    assert (refused.value.code, refused.value.message) == ("not_today", message)


@pytest.mark.parametrize("event, now", [
    (ONE_DAY, "2026-12-15T07:30:00+01:00"), (ONE_DAY, "2026-12-15T23:59:00+01:00"),
    (CYCLE, "2027-03-10T12:00:00+01:00"), (OVERNIGHT, "2026-12-05T09:00:00+01:00")])
def test_any_time_of_an_events_day_is_fine(event, now):
    domain.check_door_day(event, moment(now))


def test_a_ticket_days_before_the_event_needs_staff_to_say_yes(service):
    event = published(service)  # ten days after NOW
    jana = service.register(event["id"], person(1))
    with pytest.raises(Conflict) as early:
        service.check_in(event["id"], jana["ticket_code"])
    assert early.value.code == "not_today" and early.value.message == "Akce je až 7. 12. 2026."
    assert service.get_registration(jana["id"])["checked_in_at"] is None  # nothing written
    assert service.check_in(event["id"], jana["ticket_code"], any_day=True)["checked_in_at"] is not None
    with pytest.raises(Conflict) as twice:  # the second scan says so, whatever the day
        service.check_in(event["id"], jana["ticket_code"], any_day=True)
    assert twice.value.code == "already_checked_in"


def test_a_person_found_by_name_is_admitted_with_a_tickets_refusals(service):
    event = published(service, capacity=1)
    jana, eva = service.register(event["id"], person(1)), service.register(event["id"], person(2))
    other = published(service, title="Jiná akce")
    service.clock_state["now"] = NOW + timedelta(days=10, hours=-1)  # the event's day
    with pytest.raises(NotFound):  # a registration of another event is not found here
        service.check_in_by_id(other["id"], jana["id"])
    with pytest.raises(Conflict) as waiting:
        service.check_in_by_id(event["id"], eva["id"])
    assert waiting.value.code == "ticket_not_confirmed"
    admitted = service.check_in_by_id(event["id"], jana["id"])
    assert admitted["checked_in_at"] is not None
    with pytest.raises(Conflict) as twice:
        service.check_in_by_id(event["id"], jana["id"])
    assert twice.value.code == "already_checked_in"
    assert twice.value.message == "Jana Nováková 1 už byl(a) odbaven(a) (7. 12. 2026 10:00)."
    service.cancel_registration(eva["id"])
    with pytest.raises(Conflict) as cancelled:
        service.check_in_by_id(event["id"], eva["id"])
    assert cancelled.value.code == "ticket_cancelled"
    service.clock_state["now"] = NOW
    late = published(service, title="Za měsíc", starts_at=(NOW + timedelta(days=30)).isoformat(),
                     ends_at=(NOW + timedelta(days=30, hours=3)).isoformat())
    petr = service.register(late["id"], person(3))
    with pytest.raises(Conflict) as early:
        service.check_in_by_id(late["id"], petr["id"])
    assert early.value.code == "not_today"
    assert service.check_in_by_id(late["id"], petr["id"], any_day=True)["checked_in_at"] is not None


def test_only_a_draft_is_deleted(service):
    draft = service.create_event(event_data(title="Koncept"))
    live = published(service)
    with pytest.raises(Conflict) as refused:
        service.delete_draft(live["id"])
    assert refused.value.code == "not_a_draft"
    assert service.delete_draft(draft["id"])["title"] == "Koncept"
    with pytest.raises(NotFound):
        service.get_event(draft["id"])
    with pytest.raises(NotFound):
        service.delete_draft(draft["id"])


def test_a_preview_link_is_signed_for_one_event_and_expires():
    now = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)
    token = preview_token(KEY, 7, now)
    assert preview_allowed(KEY, 7, token, now + timedelta(hours=23))
    assert not preview_allowed(KEY, 8, token, now)  # another event
    assert not preview_allowed(b"another key", 7, token, now)
    assert not preview_allowed(KEY, 7, token, now + timedelta(hours=25))  # expired
    assert not preview_allowed(KEY, 7, "", now) and not preview_allowed(KEY, 7, "9999999999.x", now)
    expires, _, mac = token.partition(".")
    assert not preview_allowed(KEY, 7, f"{int(expires) + 3600}.{mac}", now)  # a later expiry is not signed
