"""Several colleagues registered at once, and an organisation limit that a typed name cannot dodge."""
import json

import pytest
from werkzeug.test import EnvironBuilder

from services.common.errors import Conflict, ValidationError
from tests.unit.registrations.test_service import NOW, PLZEN, person, published

DOBRANY = "00256129"


def colleagues(*numbers, **overrides):
    data = {"registrant": {"first_name": "Eva", "last_name": "Tajemnice", "email": "tajemnice@obec.example"},
            "organisation_name": "Obec Chotěšov", "gdpr_consent": True,
            "attendees": [{"first_name": "Petr", "last_name": f"Kolega {n}", "email": f"kolega{n}@obec.example"}
                          for n in numbers]}
    data.update(overrides)
    return data


def told(service, kind):
    return [payload for event_type, payload in service.recorded() if event_type == kind]


def test_colleagues_get_a_registration_each_and_the_registrant_one_summary(service):
    event = published(service, capacity=2)
    answer = service.register_group(event["id"], colleagues(1, 2, 3))
    registrations = answer["registrations"]
    assert [(r["email"], r["status"], r["waitlist_position"]) for r in registrations] == [
        ("kolega1@obec.example", "confirmed", None), ("kolega2@obec.example", "confirmed", None),
        ("kolega3@obec.example", "waitlisted", 1)]
    assert all(r["organisation_name"] == "Obec Chotěšov" for r in registrations)
    assert answer["event"]["seats_left"] == 0
    assert [p["registration"]["email"] for p in told(service, "registration_confirmed")] == [
        "kolega1@obec.example", "kolega2@obec.example"]
    assert [p["registration"]["email"] for p in told(service, "registration_waitlisted")] == ["kolega3@obec.example"]
    [summary] = told(service, "colleagues_registered")
    assert summary["registrant"]["email"] == "tajemnice@obec.example"
    assert [r["manage_url"] for r in summary["registrations"]] == [r["manage_url"] for r in registrations]
    assert {r["email"] for r in service.list_registrations(event["id"])} == {
        "kolega1@obec.example", "kolega2@obec.example", "kolega3@obec.example"}  # the registrant is not one


def test_past_the_organisations_limit_the_group_is_refused_whole(service):
    event = published(service, capacity=10, max_per_organisation=3)
    service.register(event["id"], person(0, organisation_name="obec CHOTĚŠOV"))
    before = len(service.recorded())
    with pytest.raises(Conflict) as refused:
        service.register_group(event["id"], colleagues(1, 2, 3))
    assert refused.value.code == "organisation_limit_reached"
    assert "může přijít už jen 2 osoby" in refused.value.message
    assert len(service.list_registrations(event["id"])) == 1 and len(service.recorded()) == before
    assert len(service.register_group(event["id"], colleagues(1, 2))["registrations"]) == 2
    with pytest.raises(Conflict) as full:
        service.register_group(event["id"], colleagues(4))
    assert "už nikdo další" in full.value.message


def test_the_rest_on_the_waitlist_those_within_the_limit_get_seats(service):
    event = published(service, capacity=10, max_per_organisation=2)
    answer = service.register_group(event["id"], colleagues(1, 2, 3, 4, waitlist_rest=True))
    assert [(r["status"], r["waitlist_position"]) for r in answer["registrations"]] == [
        ("confirmed", None), ("confirmed", None), ("waitlisted", 1), ("waitlisted", 2)]
    assert service.event_stats(event["id"])["confirmed"] == 2
    # the waitlisted count towards the limit: nobody more of the organisation gets a seat
    with pytest.raises(Conflict) as refused:
        service.register(event["id"], person(5, organisation_name="Chotěšov"))
    assert refused.value.code == "organisation_limit_reached"
    # another organisation still gets a seat, ahead of nobody: the waitlist keeps its order
    assert service.register(event["id"], person(6, organisation_name="Obec Stod"))["status"] == "confirmed"


def test_the_rest_on_the_waitlist_of_an_event_without_one_is_refused_whole(service):
    event = published(service, capacity=10, max_per_organisation=1, waitlist_enabled=False)
    with pytest.raises(Conflict) as refused:
        service.register_group(event["id"], colleagues(1, 2, waitlist_rest=True))
    assert refused.value.code == "organisation_limit_reached"
    assert service.list_registrations(event["id"]) == [] and told(service, "colleagues_registered") == []


def test_one_attendee_already_registered_refuses_the_group_and_names_the_attendee(service):
    event = published(service, capacity=10)
    service.register(event["id"], person(0, email="kolega2@obec.example"))
    with pytest.raises(Conflict) as refused:
        service.register_group(event["id"], colleagues(1, 2, 3))
    assert refused.value.code == "already_registered"
    assert refused.value.fields == {"attendees.1.email": "S tímto e-mailem už je někdo na tuto akci přihlášen."}
    assert "Petr Kolega 2 (kolega2@obec.example)" in refused.value.message
    assert len(service.list_registrations(event["id"])) == 1


def test_an_event_full_without_a_waitlist_refuses_the_group_whole(service):
    event = published(service, capacity=2, waitlist_enabled=False)
    with pytest.raises(Conflict) as refused:
        service.register_group(event["id"], colleagues(1, 2, 3))
    assert refused.value.code == "event_full"
    assert service.list_registrations(event["id"]) == []


def test_bad_input_names_the_attendee_and_writes_nothing(service):
    event = published(service, capacity=10, collects_birth_date=True)
    bad = colleagues(1, 2)
    bad["attendees"][1]["email"] = "kolega bez zavináče"
    with pytest.raises(ValidationError) as refused:
        service.register_group(event["id"], bad)
    assert refused.value.fields == {"attendees.1.email": "Zadejte platnou e-mailovou adresu."}
    twice = colleagues(1, 1)
    with pytest.raises(ValidationError) as repeated:
        service.register_group(event["id"], twice)
    assert repeated.value.fields == {"attendees.1.email": "Tento e-mail je ve skupině dvakrát."}
    # what only the event asks for: the second attendee's birth date
    dated = colleagues(1, 2)
    dated["attendees"][0]["birth_date"] = "1980-05-01"
    with pytest.raises(ValidationError) as missing:
        service.register_group(event["id"], dated)
    assert list(missing.value.fields) == ["attendees.1.birth_date"]
    assert service.list_registrations(event["id"]) == [] and service.recorded() == []


def test_a_typed_name_cannot_dodge_the_limit(service):
    event = published(service, capacity=10, max_per_organisation=1)
    service.register(event["id"], person(1, organisation_name="Obec Chotěšov"))
    for typed in ("CHOTĚŠOV", "Obecní úřad Chotěšov", "chotesov"):
        with pytest.raises(Conflict) as refused:
            service.register(event["id"], person(2, organisation_name=typed))
        assert refused.value.code == "organisation_limit_reached"
    kept = service.list_registrations(event["id"])[0]
    assert kept["organisation_name"] == "Obec Chotěšov" and kept["organisation_ico"] is None


def test_a_name_of_the_register_takes_its_ico_and_counts_with_it(service):
    event = published(service, capacity=10, max_per_organisation=1)
    service.on_organisation_joined({"organisation": {"ico": DOBRANY, "name": "Město Dobřany",
                                                     "periods": [{"from": "2005-01-01", "to": None}]},
                                    "occurred_at": NOW.isoformat()})
    named = service.register(event["id"], person(1, organisation_name="Dobřany"))
    assert (named["organisation_ico"], named["is_member"], named["price"]) == (DOBRANY, True, 300)
    with pytest.raises(Conflict):  # the IČO alone, or another spelling: the same organisation
        service.register(event["id"], person(2, organisation_ico=DOBRANY, organisation_name=None))
    with pytest.raises(Conflict):
        service.register(event["id"], person(3, organisation_name="MěÚ Dobřany"))
    # an IČO given with a name: counted with registrations of either
    service.register(event["id"], person(4, organisation_ico=PLZEN, organisation_name="Plzeň"))
    with pytest.raises(Conflict):
        service.register(event["id"], person(5, organisation_name="Statutární město Plzeň"))


def test_two_organisations_of_one_name_give_neither_ico(service):
    event = published(service, capacity=10)
    for ico, name in (("00573094", "Obec Lhota"), ("00258997", "Lhota")):
        service.on_organisation_joined({"organisation": {"ico": ico, "name": name, "periods": []},
                                        "occurred_at": NOW.isoformat()})
    registration = service.register(event["id"], person(1, organisation_name="Lhota"))
    assert registration["organisation_ico"] is None and registration["organisation_name"] == "Lhota"


def test_an_idempotency_key_replays_the_groups_answer(service):
    event = published(service, capacity=10)

    def post(body, key):
        request = EnvironBuilder(method="POST", data=json.dumps(body), content_type="application/json",
                                 headers={"Idempotency-Key": key}).get_request()
        response = service.http_register_colleagues(request, event_id=event["id"])
        return response.status_code, json.loads(response.get_data())

    first = post(colleagues(1, 2), "group-1")
    assert first[0] == 201 and len(first[1]["registrations"]) == 2
    assert post(colleagues(1, 2), "group-1") == first
    assert len(service.list_registrations(event["id"])) == 2
    assert len(told(service, "colleagues_registered")) == 1
    status, body = post(colleagues(3), "group-1")
    assert (status, body["error"]) == (409, "idempotency_key_reused")
    status, body = post(colleagues(1, 3), "group-2")  # a new key: kolega1 is registered already
    assert (status, body["error"], list(body["fields"])) == (409, "already_registered", ["attendees.0.email"])
    status, body = post(dict(colleagues(4), attendees=[{"first_name": "", "last_name": "X", "email": "x"}]), "g-3")
    assert status == 422 and set(body["fields"]) == {"attendees.0.first_name", "attendees.0.email"}


def test_a_refused_group_leaves_nothing_behind_for_the_rest_of_its_transaction(service):
    from services.common.unit_of_work import UnitOfWork
    from services.registrations import usecases
    event = published(service, capacity=2, max_per_organisation=2)
    service.register(event["id"], person(0, email="kolega2@obec.example", organisation_name="Obec Stod"))
    with service.database.transaction() as tx:
        uow = UnitOfWork(tx, NOW, service.outbox, "https://akce.example", service.signing_key)
        outcomes = usecases.enrol(uow, event["id"], [
            colleagues(1, 2), person(3, organisation_name="Chotěšov"), person(4, organisation_name="Chotěšov")])
    assert outcomes[0].code == "already_registered"  # kolega 1 would have had the last seat
    assert [(o[0]["email"], o[0]["status"]) for o in outcomes[1:]] == [
        ("jana3@obec.example", "confirmed"), ("jana4@obec.example", "waitlisted")]
    assert told(service, "colleagues_registered") == []


def test_an_ico_given_with_a_name_counts_with_that_name_typed_alone(service):
    event = published(service, capacity=10, max_per_organisation=1)
    service.register(event["id"], person(1, organisation_name="Eko Plzeň, s.r.o."))
    with pytest.raises(Conflict):
        service.register(event["id"], person(2, organisation_ico="27981231", organisation_name="EKO PLZEŇ s. r. o."))


def test_two_organisations_of_one_name_with_their_icos_keep_their_own_limits(service):
    """The name key drops "obec": Lhota (one IČO) and Obec Lhota (another) are two organisations."""
    event = published(service, capacity=10, max_per_organisation=1)
    service.register(event["id"], person(1, organisation_name="Obec Lhota", organisation_ico="00573094"))
    second = service.register(event["id"], person(2, organisation_name="Lhota", organisation_ico="00258997"))
    assert second["status"] == "confirmed"
    with pytest.raises(Conflict):  # the name alone still counts with either
        service.register(event["id"], person(3, organisation_name="Lhota"))


def test_each_colleague_answers_the_events_questions(service):
    event = published(service, capacity=10, questions=[
        {"id": "strava", "label": "Strava", "type": "choice", "options": ["běžná", "bezlepková"], "required": True}])
    group = colleagues(1, 2)
    group["attendees"][0]["answers"] = {"strava": "bezlepková"}
    with pytest.raises(ValidationError) as missing:
        service.register_group(event["id"], group)
    assert set(missing.value.fields) == {"attendees.1.answers.strava"}
    assert service.list_registrations(event["id"]) == []
    group["attendees"][1]["answers"] = {"strava": "běžná"}
    registrations = service.register_group(event["id"], group)["registrations"]
    assert [r["answers"] for r in registrations] == [{"strava": "bezlepková"}, {"strava": "běžná"}]


def test_the_colleagues_form_asks_each_row_the_questions_and_odd_field_names_are_no_error(service):
    event = published(service, capacity=10, questions=[
        {"id": "strava", "label": "Strava", "type": "choice", "options": ["běžná", "bezlepková"], "required": True}])
    form = service.page_colleagues(EnvironBuilder(method="GET").get_request(), event_id=event["id"])
    text = form.get_data(as_text=True)
    assert 'name="a0_q_strava"' in text and 'name="a4_q_strava"' in text
    csrf = form.headers["Set-Cookie"].split("=", 1)[1].split(";", 1)[0]
    fields = {"csrf": csrf, "first_name": "Eva", "last_name": "Tajemnice", "email": "tajemnice@obec.example",
              "organisation_name": "Obec Kbelnice", "gdpr_consent": "ano", "a0_first_name": "Petr",
              "a0_last_name": "Kolega", "a0_email": "petr@obec.example", "a²_x": "1", "a" + "9" * 50 + "_x": "1"}
    request = EnvironBuilder(method="POST", data=fields, headers={"Cookie": f"csrf={csrf}"}).get_request()
    refused = service.page_register_colleagues(request, event_id=event["id"])
    assert refused.status_code == 422
    assert 'id="a0_q_strava-error"' in refused.get_data(as_text=True)
    fields["a0_q_strava"] = "bezlepková"
    request = EnvironBuilder(method="POST", data=fields, headers={"Cookie": f"csrf={csrf}"}).get_request()
    assert service.page_register_colleagues(request, event_id=event["id"]).status_code == 200
    [registration] = service.list_registrations(event["id"])
    assert registration["answers"] == {"strava": "bezlepková"}
