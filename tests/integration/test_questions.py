"""An event's own questions over HTTP: the form asks them and shows them again with their errors,
the API takes and checks the answers, and the OpenAPI document describes both."""
import re

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.registrations.service import RegistrationsService
from tests.integration.test_system import published_event
from tests.integration.test_web import csrf_of
from tests.unit.registrations.test_questions import QUESTIONS


@pytest.fixture
def asking(runner_factory, service_config, web_session):
    runner = runner_factory(service_config, RegistrationsService)
    runner.start()
    with ClusterRpcProxy(service_config, timeout=30) as cluster:
        yield web_session, published_event(cluster, capacity=5, questions=QUESTIONS), cluster


def person(**overrides):
    data = {"first_name": "Jana", "last_name": "Nováková", "email": "jana@obec.example",
            "organisation_name": "Obec Chotěšov", "gdpr_consent": "ano"}
    data.update(overrides)
    return data


def checked(page, name):
    """The values of the inputs named ``name`` that are checked."""
    inputs = re.findall(rf'<input ([^>]*name="{name}" value="([^"]*)"[^>]*)>', page.text)
    return [value for attributes, value in inputs if " checked" in attributes]


def test_the_form_asks_the_questions_and_shows_them_again_with_what_was_wrong(asking):
    web, event, cluster = asking
    form = web.get(f"/events/{event['id']}")
    assert "<legend>Strava <span aria-hidden=\"true\">*</span></legend>" in form.text
    assert form.text.count('type="radio"') == 3 + 2 and form.text.count('name="q_moduly"') == 3
    assert re.search(r'<input id="q_moduly-2" name="q_moduly" value="B"\s+type="checkbox"', form.text)
    assert '<label for="q_parkovani-1">Ano</label>' in form.text
    assert '<label for="q_parkovani-2">Ne</label>' in form.text
    assert '<label for="q_dotaz">Dotaz na lektora</label>' in form.text and '<textarea id="q_dotaz"' in form.text

    wrong = web.post(f"/events/{event['id']}", data=dict(
        person(first_name=""), csrf=csrf_of(form), q_moduly=["A", "C"], q_parkovani="ne", q_dotaz="<b>Platí to?</b>"))
    assert wrong.status_code == 422
    assert re.search(r'<p class="error" id="q_strava-error">Odpovězte prosím na tuto otázku.</p>', wrong.text)
    assert 'aria-describedby="q_strava-error"' in wrong.text and "Toto pole je povinné." in wrong.text
    assert checked(wrong, "q_moduly") == ["A", "C"] and checked(wrong, "q_parkovani") == ["ne"]
    assert checked(wrong, "q_strava") == []
    assert "&lt;b&gt;Platí to?&lt;/b&gt;</textarea>" in wrong.text  # kept, escaped
    forged = web.post(f"/events/{event['id']}", data=dict(person(), csrf=csrf_of(wrong), q_strava="masitá"))
    assert forged.status_code == 422 and "Vyberte jednu z nabízených možností." in forged.text
    assert cluster.registrations.list_registrations(event["id"]) == []

    done = web.post(f"/events/{event['id']}", allow_redirects=False, data=dict(
        person(), csrf=csrf_of(wrong), q_strava="bezlepková", q_moduly=["C", "A"], q_parkovani="ne",
        q_dotaz="<b>Platí to?</b>"))
    assert done.status_code == 303
    manage = web.get(done.headers["Location"])
    assert "Vaše odpovědi" in manage.text
    for shown in ("<dt>Strava</dt><dd>bezlepková</dd>", "<dt>Které moduly absolvujete?</dt><dd>A, C</dd>",
                  "<dt>Přijedete autem?</dt><dd>ne</dd>", "<dd>&lt;b&gt;Platí to?&lt;/b&gt;</dd>"):
        assert shown in manage.text
    [registration] = cluster.registrations.list_registrations(event["id"])
    assert registration["answers"] == {"strava": "bezlepková", "moduly": ["A", "C"], "parkovani": False,
                                       "dotaz": "<b>Platí to?</b>"}


def test_the_api_takes_the_answers_and_refuses_wrong_ones_per_question(asking):
    web, event, cluster = asking
    shown = web.get(f"/api/events/{event['id']}").json()
    assert [question["id"] for question in shown["questions"]] == ["strava", "moduly", "parkovani", "dotaz"]
    assert shown["questions"][1] == {"id": "moduly", "label": "Které moduly absolvujete?", "type": "choices",
                                     "options": ["A", "B", "C"], "required": False}
    body = dict(person(gdpr_consent=True), answers={"moduly": ["D"], "parkovani": "ano", "obed": "ano"})
    refused = web.post(f"/api/events/{event['id']}/registrations", json=body)
    assert refused.status_code == 422
    assert refused.json() == {"error": "validation_error", "message": "Některé údaje nejsou vyplněny správně.",
                              "fields": {"answers.strava": "Odpovězte prosím na tuto otázku.",
                                         "answers.moduly": "Vyberte jen z nabízených možností.",
                                         "answers.parkovani": "Odpovězte ano (true), nebo ne (false).",
                                         "answers.obed": "Na tuto otázku se akce neptá."}}
    assert cluster.registrations.list_registrations(event["id"]) == []
    created = web.post(f"/api/events/{event['id']}/registrations", json=dict(
        body, answers={"strava": "běžná", "parkovani": True, "dotaz": "Bude i záznam?"}))
    assert created.status_code == 201
    answers = {"strava": "běžná", "parkovani": True, "dotaz": "Bude i záznam?"}
    assert created.json()["answers"] == answers
    assert web.get(f"/api/registrations/{created.json()['token']}").json()["answers"] == answers


def test_the_openapi_document_describes_questions_and_answers(asking):
    web, _event, _cluster = asking
    schemas = web.get("/api/openapi.json").json()["components"]["schemas"]
    assert schemas["Event"]["properties"]["questions"] == {"type": "array",
                                                           "items": {"$ref": "#/components/schemas/Question"}}
    assert schemas["Question"]["properties"]["type"]["enum"] == ["text", "choice", "choices", "yes_no"]
    for schema in ("RegistrationRequest", "Registration"):
        answers = schemas[schema]["properties"]["answers"]
        assert answers["type"] == "object"
        assert {"type": "boolean"} in answers["additionalProperties"]["oneOf"]
