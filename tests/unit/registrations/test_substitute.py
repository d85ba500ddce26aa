"""A seat handed to a substitute, and online events whose link only confirmed attendees get."""
import json
from datetime import timedelta

import eventlet
import pytest
from werkzeug.test import EnvironBuilder

from services.common.errors import Conflict, ValidationError
from services.common.signing import verify_ticket_code
from services.registrations import usecases
from services.registrations.schemas import substitute_in
from tests.conftest import DATABASE
from tests.unit.registrations.test_service import KEY, call, event_data, person


def published(service, **overrides):
    """A published event; a field given as None is left out."""
    data = {name: value for name, value in event_data(**overrides).items() if value is not None}
    return service.publish_event(service.create_event(data)["id"])

WEBINAR = "https://meet.example.cz/smopk-zakazky?pwd=tajne"


def colleague(**overrides):
    data = {"first_name": "Petr", "last_name": "Dvořák", "email": "petr@obec.example", "gdpr_consent": True}
    data.update(overrides)
    return data


def test_the_seat_goes_to_the_substitute_and_the_old_ticket_is_refused(service):
    event = published(service, capacity=1)
    old = service.register(event["id"], person(1, organisation_ico="00075370"))
    waiting = service.register(event["id"], person(2))
    new = service.substitute(old["id"], colleague(phone="+420 777 123 456"))

    assert new["status"] == "confirmed" and new["substitute_for"] == old["id"]
    assert new["token"] != old["token"] and new["ticket_code"] != old["ticket_code"]
    assert verify_ticket_code(KEY, new["ticket_code"]) == new["id"]
    assert (new["organisation_ico"], new["price"], new["is_member"]) == (old["organisation_ico"], old["price"],
                                                                         old["is_member"])
    replaced = service.get_registration(old["id"])
    assert replaced["status"] == "substituted" and replaced["substituted_by"] == new["id"]
    assert replaced["ticket_url"] is None
    # The seat is kept: no seat freed, nobody promoted.
    assert service.get_event(event["id"])["seats_left"] == 0
    assert service.get_registration(waiting["id"])["status"] == "waitlisted"

    with pytest.raises(Conflict) as refused:
        service.check_in(event["id"], old["ticket_code"])
    assert refused.value.code == "ticket_substituted"
    assert "náhradník" in refused.value.message
    assert service.check_in(event["id"], new["ticket_code"], any_day=True)["checked_in_at"] is not None

    kinds = [kind for kind, _ in service.recorded()]
    assert kinds == ["registration_confirmed", "registration_waitlisted", "registration_substituted"]
    [payload] = [payload for kind, payload in service.recorded() if kind == "registration_substituted"]
    assert payload["registration"]["id"] == new["id"] and payload["registration"]["email"] == "petr@obec.example"
    assert payload["replaced"]["id"] == old["id"] and payload["replaced"]["status"] == "substituted"
    assert payload["event"]["id"] == event["id"]


def test_the_old_person_may_register_again_and_the_substitute_may_cancel(service):
    event = published(service, capacity=2)
    old = service.register(event["id"], person(1))
    new = service.substitute(old["id"], colleague())
    with pytest.raises(Conflict) as refused:
        service.cancel_registration(old["id"])
    assert refused.value.code == "already_substituted"
    again = service.register(event["id"], person(1))  # the email is free again
    assert again["status"] == "confirmed"
    assert service.cancel_registration(new["id"])["status"] == "cancelled"
    assert service.get_event(event["id"])["seats_left"] == 1


@pytest.mark.parametrize("situation, code", [
    ("checked_in", "already_checked_in"),
    ("started", "too_late"),
    ("cancelled", "registration_cancelled"),
    ("waitlisted", "not_confirmed"),
    ("twice", "already_substituted"),
    ("registered_email", "already_registered"),
    ("own_email", "already_registered"),
])
def test_substitution_refusals_write_nothing(service, situation, code):
    event = published(service, capacity=1)
    registration = service.register(event["id"], person(1))
    other = service.register(event["id"], person(2))  # waitlisted
    target, data = registration, colleague()
    if situation == "checked_in":
        service.check_in(event["id"], registration["ticket_code"], any_day=True)
    elif situation == "started":
        service.clock_state["now"] += timedelta(days=10, minutes=1)
    elif situation == "cancelled":
        service.cancel_registration(registration["id"])  # the waitlisted one is promoted meanwhile
    elif situation == "waitlisted":
        target = other
    elif situation == "twice":
        service.substitute(registration["id"], colleague(email="prvni@obec.example"))
    elif situation == "registered_email":
        data = colleague(email=other["email"].upper())
    elif situation == "own_email":
        data = colleague(email=registration["email"])
    before = service.list_registrations(event["id"])
    recorded = service.recorded()
    with pytest.raises(Conflict) as refused:
        service.substitute(target["id"], data)
    assert refused.value.code == code and refused.value.message
    assert service.list_registrations(event["id"]) == before
    assert service.recorded() == recorded


def test_substitute_data_is_validated_in_czech(service):
    event = published(service, collects_birth_date=True)
    registration = service.register(event["id"], person(1, birth_date="1980-05-01"))
    with pytest.raises(ValidationError) as refused:
        service.substitute(registration["id"], {"first_name": " ", "email": "x", "gdpr_consent": False})
    assert set(refused.value.fields) == {"first_name", "last_name", "email", "gdpr_consent"}
    with pytest.raises(ValidationError) as refused:
        service.substitute(registration["id"], colleague())
    assert "narození" in refused.value.fields["birth_date"]
    assert service.substitute(registration["id"], colleague(birth_date="1990-02-03"))["birth_date"] == "1990-02-03"


def test_http_substitute(service):
    event = published(service)
    old = service.register(event["id"], person(1))
    status, body = call(service, "http_substitute", body={"first_name": "Petr"}, token=old["token"])
    assert (status, body["error"]) == (422, "validation_error") and "email" in body["fields"]
    status, new = call(service, "http_substitute", body=colleague(), token=old["token"])
    assert status == 201 and new["status"] == "confirmed" and new["substitute_for"] == old["id"]
    status, again = call(service, "http_substitute", body=colleague(email="jiny@obec.example"), token=old["token"])
    assert (status, again["error"]) == (409, "already_substituted")
    assert "náhradník" in again["message"]
    status, missing = call(service, "http_substitute", body=colleague(), token="nope")
    assert (status, missing["error"]) == (404, "registration_not_found")


def page_post(service, handler, form, **kwargs):
    token = service.page_registration(EnvironBuilder(method="GET").get_request(), token=kwargs["token"]) \
        .headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    request = EnvironBuilder(method="POST", data=dict(form, csrf=token), headers={"Cookie": f"csrf={token}"}) \
        .get_request()
    return getattr(service, handler)(request, **kwargs)


def test_the_manage_page_hands_the_seat_over(service):
    event = published(service)
    old = service.register(event["id"], person(1))
    page = service.page_registration(EnvironBuilder(method="GET").get_request(), token=old["token"])
    assert f"/r/{old['token']}/nahradnik" in page.get_data(as_text=True)
    form = service.page_substitute_form(EnvironBuilder(method="GET").get_request(), token=old["token"])
    assert "Předat místo náhradníkovi" in form.get_data(as_text=True)

    refused = page_post(service, "page_substitute", {"first_name": "Petr", "email": "x"}, token=old["token"])
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Toto pole je povinné." in html and 'value="Petr"' in html

    bad = page_post(service, "page_substitute", {"first_name": "<b>Petr</b>", "last_name": "D",
                                                 "email": old["email"], "gdpr_consent": "ano"}, token=old["token"])
    assert bad.status_code == 409 and "&lt;b&gt;Petr&lt;/b&gt;" in bad.get_data(as_text=True)

    done = page_post(service, "page_substitute", {"first_name": "Petr", "last_name": "Dvořák",
                                                  "email": "petr@obec.example", "gdpr_consent": "ano"},
                     token=old["token"])
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/r/{old['token']}")
    page = service.page_registration(EnvironBuilder(method="GET").get_request(), token=old["token"])
    html = page.get_data(as_text=True)
    assert "místo předáno náhradníkovi" in html and "ticket.pdf" not in html and "/zrusit" not in html


def test_an_online_event_link_goes_to_confirmed_attendees_only(service):
    event = published(service, capacity=1, format="online", venue=None, webinar_url=WEBINAR)
    assert event["venue"] == "Online" and event["webinar_url"] == WEBINAR  # staff see it
    confirmed = service.register(event["id"], person(1))
    waiting = service.register(event["id"], person(2))
    assert confirmed["webinar_url"] == WEBINAR and waiting["webinar_url"] is None

    # Never in the public API's events, nor on the public pages.
    for handler, kwargs in (("http_list_events", {}), ("http_get_event", {"event_id": event["id"]})):
        status, body = call(service, handler, method="GET", **kwargs)
        assert status == 200 and "meet.example.cz" not in json.dumps(body)
    status, body = call(service, "http_get_event", method="GET", event_id=event["id"])
    assert body["format"] == "online" and "webinar_url" not in body
    for page in (service.page_events(EnvironBuilder(method="GET").get_request()),
                 service.page_event(EnvironBuilder(method="GET").get_request(), event_id=event["id"])):
        html = page.get_data(as_text=True)
        assert "meet.example.cz" not in html and "online (webinář)" in html

    # The manage page shows it while confirmed only; the waitlisted one's page does not.
    def manage(token):
        return service.page_registration(EnvironBuilder(method="GET").get_request(), token=token).get_data(
            as_text=True)
    assert "meet.example.cz/smopk-zakazky?pwd=tajne" in manage(confirmed["token"])
    assert "meet.example.cz" not in manage(waiting["token"])

    # Payloads: the confirmed and the promoted carry it; the waitlisted and the cancelled do not.
    service.cancel_registration(confirmed["id"])
    assert "meet.example.cz" not in manage(confirmed["token"])
    told = {kind: payload for kind, payload in service.recorded()}
    assert told["registration_confirmed"]["registration"]["webinar_url"] == WEBINAR
    assert told["registration_promoted"]["registration"]["webinar_url"] == WEBINAR
    assert told["registration_waitlisted"]["registration"]["webinar_url"] is None
    assert told["registration_cancelled"]["registration"]["webinar_url"] is None
    for payload in told.values():
        assert "webinar_url" not in payload["event"]

    # The reminder carries it too.
    service.clock_state["now"] += timedelta(days=9)
    assert service.send_due_reminders() == 1
    reminder = [payload for kind, payload in service.recorded() if kind == "reminder_due"][0]
    assert reminder["registration"]["webinar_url"] == WEBINAR


def test_event_format_and_link_are_validated(service):
    with pytest.raises(ValidationError) as refused:
        service.create_event(dict(event_data(), format="online",
                                  webinar_url="javascript:alert(1)"))
    assert "http" in refused.value.fields["webinar_url"]
    with pytest.raises(ValidationError) as refused:
        service.create_event(event_data(format="v hospodě"))
    assert "format" in refused.value.fields
    with pytest.raises(ValidationError) as refused:
        service.create_event(event_data(webinar_url=WEBINAR))
    assert "online" in refused.value.fields["webinar_url"]
    with pytest.raises(ValidationError) as refused:
        service.create_event({k: v for k, v in event_data(format="hybrid").items() if k != "venue"})
    assert refused.value.fields["venue"] == "Toto pole je povinné."

    event = published(service)
    changed = service.update_event(event["id"], {"format": "hybrid", "webinar_url": WEBINAR})
    assert (changed["format"], changed["webinar_url"], changed["venue"]) == ("hybrid", WEBINAR, "Plzeň")
    with pytest.raises(ValidationError):
        service.update_event(event["id"], {"format": "in_person"})  # the link would be left on it


@pytest.mark.skipif(DATABASE != "postgresql",
                    reason="SQLite runs one write transaction at a time")
def test_a_substitution_that_meets_a_cancellation_or_another_substitution_waits_and_is_refused(service):
    from tests.unit.registrations.test_races import holding_open, work
    event = published(service, capacity=1)
    old = service.register(event["id"], person(1))
    release, substituting = holding_open(service, lambda tx: usecases.substitute(
        work(service, tx, service.clock_state["now"]), substitute_in.load(colleague()), registration_id=old["id"]))
    cancelling = eventlet.spawn(service.cancel_registration, old["id"])
    again = eventlet.spawn(service.substitute, old["id"], colleague(email="druhy@obec.example"))
    eventlet.sleep(0.5)  # both wait for the event's row
    release.send()
    substituting.wait()
    for waiting, code in ((cancelling, "already_substituted"), (again, "already_substituted")):
        with pytest.raises(Conflict) as refused:
            waiting.wait()
        assert refused.value.code == code
    statuses = sorted(r["status"] for r in service.list_registrations(event["id"]))
    assert statuses == ["confirmed", "substituted"]
    assert service.get_event(event["id"])["seats_left"] == 0
