"""The registration rules through the service's own entrypoints, on a real database."""
import json
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.test import EnvironBuilder

from services.common.errors import Conflict, NotFound, ValidationError
from services.common.signing import verify_ticket_code
from services.registrations import store

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
KEY = b"unit-test-key"
PLZEN = "00075370"


def event_data(**overrides):
    start = NOW + timedelta(days=10)
    data = {"title": "Veřejné zakázky v obcích", "kind": "seminar", "topic": "veřejné zakázky",
            "venue": "Plzeň", "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=4)).isoformat(),
            "capacity": 2, "price_member": 300, "price_non_member": 900}
    data.update(overrides)
    return data


def person(n=1, **overrides):
    data = {"first_name": "Jana", "last_name": f"Nováková {n}", "email": f"jana{n}@obec.example",
            "organisation_name": "Obec Chotěšov", "gdpr_consent": True}
    data.update(overrides)
    return data


def published(service, **overrides):
    event = service.create_event(event_data(**overrides))
    return service.publish_event(event["id"])


def test_seats_then_waitlist_then_full(service):
    event = published(service)
    first, second = service.register(event["id"], person(1)), service.register(event["id"], person(2))
    assert [first["status"], second["status"]] == ["confirmed", "confirmed"]
    third = service.register(event["id"], person(3))
    assert third["status"] == "waitlisted" and third["waitlist_position"] == 1
    assert third["ticket_code"] is None and third["ticket_url"] is None
    assert service.register(event["id"], person(4))["waitlist_position"] == 2
    assert service.get_event(event["id"])["seats_left"] == 0

    closed = published(service, waitlist_enabled=False, capacity=1)
    service.register(closed["id"], person(1))
    with pytest.raises(Conflict) as refused:
        service.register(closed["id"], person(2))
    assert refused.value.code == "event_full"


def test_a_confirmed_registration_has_a_verifiable_ticket_and_its_event_in_the_outbox(service):
    event = published(service)
    registration = service.register(event["id"], person(1))
    assert verify_ticket_code(KEY, registration["ticket_code"]) == registration["id"]
    assert registration["manage_url"] == f"https://akce.example/r/{registration['token']}"
    [(event_type, payload)] = service.recorded()
    assert event_type == "registration_confirmed"
    assert payload["registration"]["id"] == registration["id"]
    assert payload["registration"]["ticket_code"] == registration["ticket_code"]
    assert payload["event"]["title"] == "Veřejné zakázky v obcích"


def test_the_same_email_cannot_register_twice(service):
    event = published(service)
    service.register(event["id"], person(1, email="Jana.Novakova@Obec.example"))
    with pytest.raises(Conflict) as refused:
        service.register(event["id"], person(2, email="  jana.novakova@obec.EXAMPLE "))
    assert refused.value.code == "already_registered"
    assert len(service.list_registrations(event["id"])) == 1


def test_the_unique_index_holds_even_without_the_check(service):
    from sqlalchemy.exc import IntegrityError
    event = published(service)
    service.register(event["id"], person(1))
    row = dict(event_id=event["id"], token="x", status="waitlisted", first_name="A", last_name="B",
               email="jana1@obec.example", email_key="jana1@obec.example", is_member=False, price=0, created_at=NOW)
    with pytest.raises(IntegrityError):
        with service.database.transaction() as tx:
            store.insert_registrations(tx, [row])


def test_organisation_limit(service):
    event = published(service, max_per_organisation=1, capacity=10)
    service.register(event["id"], person(1, organisation_ico=PLZEN))
    with pytest.raises(Conflict) as refused:
        service.register(event["id"], person(2, organisation_ico=PLZEN))
    assert refused.value.code == "organisation_limit_reached"


def test_registration_window(service):
    event = published(service, registration_opens_at=(NOW + timedelta(days=1)).isoformat(),
                      registration_closes_at=(NOW + timedelta(days=5)).isoformat())
    with pytest.raises(Conflict) as early:
        service.register(event["id"], person(1))
    assert early.value.code == "registration_closed"
    service.clock_state["now"] = NOW + timedelta(days=2)
    assert service.register(event["id"], person(1))["status"] == "confirmed"
    service.clock_state["now"] = NOW + timedelta(days=6)
    with pytest.raises(Conflict) as late:
        service.register(event["id"], person(2))
    assert late.value.code == "registration_closed"


def test_member_price_comes_from_the_copy_of_the_register(service):
    event = published(service, capacity=10)
    service.on_organisation_joined({"organisation": {"ico": PLZEN, "name": "Statutární město Plzeň",
                                                     "periods": [{"from": "2005-01-01", "to": None}]},
                                    "occurred_at": NOW.isoformat()})
    member = service.register(event["id"], person(1, organisation_ico=PLZEN, organisation_name=None))
    assert (member["is_member"], member["price"], member["organisation_name"]) == (True, 300, "Statutární město Plzeň")
    # an older message arriving late changes nothing
    service.on_organisation_left({"organisation": {"ico": PLZEN, "name": "Plzeň",
                                                   "periods": [{"from": "2005-01-01", "to": "2006-01-01"}]},
                                  "occurred_at": (NOW - timedelta(days=1)).isoformat()})
    assert service.register(event["id"], person(2, organisation_ico=PLZEN))["price"] == 300
    service.on_organisation_left({"organisation": {"ico": PLZEN, "name": "Plzeň",
                                                   "periods": [{"from": "2005-01-01", "to": "2026-01-01"}]},
                                  "occurred_at": (NOW + timedelta(seconds=1)).isoformat()})
    assert service.register(event["id"], person(3, organisation_ico=PLZEN))["price"] == 900
    assert service.register(event["id"], person(4))["is_member"] is False


def test_drafts_are_invisible_to_the_public(service):
    draft = service.create_event(event_data())
    with pytest.raises(NotFound):
        service.register(draft["id"], person(1))
    assert service.list_events() == []


@pytest.mark.parametrize("change, field", [
    ({"ends_at": (NOW + timedelta(days=9)).isoformat()}, "ends_at"),
    ({"capacity": 0}, "capacity"),
    ({"price_member": -1}, "price_member"),
    ({"registration_closes_at": (NOW + timedelta(days=11)).isoformat()}, "registration_closes_at"),
    ({"starts_at": "2026-12-08T09:00:00"}, "starts_at"),
    ({"kind": "party"}, "kind"),
])
def test_bad_events_are_refused(service, change, field):
    with pytest.raises(ValidationError) as refused:
        service.create_event(event_data(**change))
    assert field in refused.value.fields
    assert service.list_events(include_past=True) == []


def test_birth_date_is_required_where_the_event_collects_it(service):
    event = published(service, collects_birth_date=True)
    with pytest.raises(ValidationError) as refused:
        service.register(event["id"], person(1))
    assert "birth_date" in refused.value.fields
    assert service.register(event["id"], person(1, birth_date="1980-05-17"))["birth_date"] == "1980-05-17"


# The HTTP layer: each refusal is JSON with a code and a Czech message, and writes nothing.

def call(service, handler, method="POST", body=None, raw=None, content_type="application/json", **kwargs):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = EnvironBuilder(method=method, data=data, content_type=content_type).get_request()
    response = getattr(service, handler)(request, **kwargs)
    return response.status_code, json.loads(response.get_data())


@pytest.mark.parametrize("raw, content_type, status, code", [
    (b'{"first_name": ', "application/json", 400, "invalid_json"),
    (b"\xff\xfe{}", "application/json", 400, "invalid_json"),
    (b"[" * 100000 + b"]" * 100000, "application/json", 413, "payload_too_large"),
    (b"x" * (64 * 1024 + 1), "application/json", 413, "payload_too_large"),
    (b"first_name=Jana", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    (b"[1, 2]", "application/json", 422, "validation_error"),
    (b'"text"', "application/json", 422, "validation_error"),
    (b"[" * 5000 + b"]" * 5000, "application/json", 400, "invalid_json"),
])
def test_http_refusals(service, raw, content_type, status, code):
    event = published(service)
    answer_status, body = call(service, "http_register", raw=raw, content_type=content_type, event_id=event["id"])
    assert (answer_status, body["error"]) == (status, code)
    assert body["message"]
    assert service.list_registrations(event["id"]) == []
    assert service.recorded() == []


def test_http_validation_names_each_field_in_czech(service):
    event = published(service)
    status, body = call(service, "http_register", body={"email": "x", "gdpr_consent": "ne", "extra": 1},
                        event_id=event["id"])
    assert status == 422
    assert body["fields"] == {
        "first_name": "Toto pole je povinné.", "last_name": "Toto pole je povinné.",
        "email": "Zadejte platnou e-mailovou adresu.", "gdpr_consent": "Očekáváme ano, nebo ne.",
        "extra": "Toto pole neznáme.",
    }


def test_http_register_and_read_back(service):
    event = published(service)
    status, created = call(service, "http_register", body=person(1), event_id=event["id"])
    assert status == 201 and created["status"] == "confirmed"
    status, read = call(service, "http_get_registration", method="GET", token=created["token"])
    assert status == 200 and read["id"] == created["id"]
    status, missing = call(service, "http_get_registration", method="GET", token="not-a-token")
    assert (status, missing["error"]) == (404, "registration_not_found")
    status, listing = call(service, "http_list_events", method="GET")
    assert [e["id"] for e in listing["events"]] == [event["id"]]
    assert listing["events"][0]["starts_at"].endswith("+01:00")
