"""Multi-day events and series: sessions checked, the event's times derived, changes told."""
from datetime import timedelta

import pytest

from services.common.errors import ValidationError
from services.registrations import domain
from tests.unit.registrations.test_service import NOW, call, event_data, person

FIRST = NOW + timedelta(days=10)  # 7. 12. 2026 10:00 UTC, 11:00 in Prague


def day(n, hours=(0, 6), **extra):
    start = FIRST + timedelta(days=7 * n)
    return {"starts_at": (start + timedelta(hours=hours[0])).isoformat(),
            "ends_at": (start + timedelta(hours=hours[1])).isoformat(), **extra}


def series(**overrides):
    data = event_data(sessions=[day(0, title="Úvod"), day(1), day(2, venue="Rokycany, sál")], capacity=10)
    del data["starts_at"], data["ends_at"]
    data.update(overrides)
    return data


def test_a_series_starts_with_its_first_session_and_ends_with_its_last(service):
    event = service.create_event(series())
    assert event["starts_at"] == "2026-12-07T11:00:00+01:00"
    assert event["ends_at"] == "2026-12-21T17:00:00+01:00"
    assert event["registration_closes_at"] == event["starts_at"]
    assert [(s["starts_at"], s["title"], s["venue"]) for s in event["sessions"]] == [
        ("2026-12-07T11:00:00+01:00", "Úvod", None), ("2026-12-14T11:00:00+01:00", None, None),
        ("2026-12-21T11:00:00+01:00", None, "Rokycany, sál")]
    assert service.get_event(event["id"])["sessions"] == event["sessions"]

    service.publish_event(event["id"])
    registration = service.register(event["id"], person(1))
    [(kind, payload)] = service.recorded()
    assert kind == "registration_confirmed"
    assert payload["event"]["sessions"] == event["sessions"]  # notifications and documents need not ask
    assert registration["event"]["sessions"] == event["sessions"]


def test_an_event_without_sessions_is_as_before(service):
    event = service.create_event(event_data())
    assert event["sessions"] is None and event["ends_at"] > event["starts_at"]


@pytest.mark.parametrize("sessions, message", [
    ([day(0, hours=(6, 2))], "1. termín musí skončit až po svém začátku."),
    ([day(0), day(0, hours=(5, 8))], "2. termín musí začít až po konci předchozího"),
    ([day(1), day(0)], "2. termín musí začít až po konci předchozího"),
])
def test_sessions_out_of_order_or_overlapping_are_refused_and_nothing_is_written(service, sessions, message):
    with pytest.raises(ValidationError) as refused:
        service.create_event(series(sessions=sessions))
    assert refused.value.fields["sessions"].startswith(message)
    assert service.list_events(include_past=True) == []


def test_given_times_must_agree_with_the_sessions_and_are_needed_without_them(service):
    with pytest.raises(ValidationError) as refused:
        service.create_event(series(starts_at=(FIRST - timedelta(days=1)).isoformat()))
    assert "začátkem prvního termínu" in refused.value.fields["starts_at"]
    agreeing = service.create_event(series(starts_at=FIRST.isoformat()))
    assert agreeing["starts_at"] == "2026-12-07T11:00:00+01:00"
    with pytest.raises(ValidationError) as refused:
        service.create_event(series(sessions=[]))
    assert refused.value.fields == {"starts_at": "Toto pole je povinné.", "ends_at": "Toto pole je povinné."}
    with pytest.raises(ValidationError) as refused:
        service.create_event(series(sessions=[{"starts_at": "zítra"}]))
    assert refused.value.fields["sessions"] == "Zadejte datum a čas ve tvaru ISO 8601 s časovým pásmem."


def test_registration_must_close_by_the_first_session(service):
    with pytest.raises(ValidationError) as refused:
        service.create_event(series(registration_closes_at=(FIRST + timedelta(days=1)).isoformat()))
    assert "registration_closes_at" in refused.value.fields


def test_a_change_of_sessions_is_told_as_a_change_of_time(service):
    event = service.publish_event(service.create_event(series())["id"])
    service.register(event["id"], person(1))
    before = len(service.recorded())
    moved = [day(0, title="Úvod"), day(1, hours=(1, 7)), day(2, venue="Rokycany, sál")]
    preview = service.preview_event_update(event["id"], {"sessions": moved})
    assert (preview["told"], sorted(preview["changes"])) == (1, ["sessions"])
    updated = service.update_event(event["id"], {"sessions": moved})
    assert updated["version"] == 2 and updated["sessions"][1]["starts_at"] == "2026-12-14T12:00:00+01:00"
    [(kind, payload)] = service.recorded()[before:]
    assert kind == "event_updated"
    old, new = payload["changes"]["sessions"]
    assert (old[1]["starts_at"], new[1]["starts_at"]) == ("2026-12-14T11:00:00+01:00", "2026-12-14T12:00:00+01:00")
    assert payload["event"]["sessions"] == updated["sessions"]

    # the same sessions again tell nobody anything
    service.update_event(event["id"], {"sessions": moved})
    assert len(service.recorded()) == before + 1


def test_the_times_of_a_series_change_through_its_sessions(service):
    event = service.create_event(series())
    with pytest.raises(ValidationError) as refused:
        service.update_event(event["id"], {"starts_at": FIRST.isoformat()})
    assert "v termínech" in refused.value.fields["sessions"]
    longer = service.update_event(event["id"], {"sessions": [day(0), day(1), day(2), day(3)]})
    assert longer["ends_at"] == "2026-12-28T17:00:00+01:00"
    single = service.update_event(event["id"], {"sessions": [], "ends_at": (FIRST + timedelta(hours=8)).isoformat()})
    assert single["sessions"] is None
    assert (single["starts_at"], single["ends_at"]) == ("2026-12-07T11:00:00+01:00", "2026-12-07T19:00:00+01:00")
    with pytest.raises(ValidationError) as refused:
        service.update_event(event["id"], {"starts_at": None})
    assert refused.value.fields == {"starts_at": "Toto pole je povinné."}


def test_the_api_shows_the_sessions(service):
    event = service.publish_event(service.create_event(series())["id"])
    status, body = call(service, "http_get_event", method="GET", event_id=event["id"])
    assert status == 200 and [s["ends_at"] for s in body["sessions"]] == [
        "2026-12-07T17:00:00+01:00", "2026-12-14T17:00:00+01:00", "2026-12-21T17:00:00+01:00"]


def test_the_rule_lives_in_the_domain():
    sessions = [{"starts_at": FIRST, "ends_at": FIRST + timedelta(hours=3), "title": None, "venue": None},
                {"starts_at": FIRST + timedelta(hours=3), "ends_at": FIRST + timedelta(hours=5), "title": None,
                 "venue": None}]
    values = domain.with_sessions({"sessions": sessions})  # back to back is not an overlap
    assert (values["starts_at"], values["ends_at"]) == (FIRST, FIRST + timedelta(hours=5))
    assert domain.with_sessions({"title": "x"}, {"sessions": None}) == {"title": "x"}
