"""An event's own questions: their definition, the answers at registration, changes, the export."""
import csv
import io

import pytest

from services.common.errors import Conflict, ValidationError
from services.registrations import domain
from tests.unit.registrations.test_service import call, event_data, person, published

QUESTIONS = [
    {"id": "strava", "label": "Strava", "type": "choice", "options": ["běžná", "vegetariánská", "bezlepková"],
     "required": True},
    {"id": "moduly", "label": "Které moduly absolvujete?", "type": "choices", "options": ["A", "B", "C"]},
    {"id": "parkovani", "label": "Přijedete autem?", "type": "yes_no", "required": False},
    {"id": "dotaz", "label": "Dotaz na lektora", "type": "text"},
]


def asked(questions=QUESTIONS):
    """The questions as kept: every key present."""
    return [dict({"options": [], "required": False}, **question) for question in questions]


# The domain rules


def test_answers_are_kept_in_their_own_shape_and_unanswered_ones_left_out():
    kept = domain.check_answers(asked(), {"strava": "vegetariánská", "moduly": ["C", "A"], "parkovani": False,
                                          "dotaz": "  Platí to i pro svazky?\n"})
    assert kept == {"strava": "vegetariánská", "moduly": ["A", "C"], "parkovani": False,
                    "dotaz": "Platí to i pro svazky?"}
    assert domain.check_answers(asked(), {"strava": "běžná", "moduly": [], "dotaz": " ", "parkovani": None}) == {
        "strava": "běžná"}


@pytest.mark.parametrize("answers, field, message", [
    ({}, "answers.strava", "Odpovězte prosím na tuto otázku."),
    ({"strava": ""}, "answers.strava", "Odpovězte prosím na tuto otázku."),
    ({"strava": "masitá"}, "answers.strava", "Vyberte jednu z nabízených možností."),
    ({"strava": ["běžná"]}, "answers.strava", "Odpověď má být text."),
    ({"strava": "běžná", "moduly": ["A", "D"]}, "answers.moduly", "Vyberte jen z nabízených možností."),
    ({"strava": "běžná", "moduly": "A"}, "answers.moduly", "Odpověď je seznam vybraných možností."),
    ({"strava": "běžná", "parkovani": "ano"}, "answers.parkovani", "Odpovězte ano (true), nebo ne (false)."),
    ({"strava": "běžná", "dotaz": "a\x00b"}, "answers.dotaz", "Text obsahuje nepovolené řídicí znaky."),
    ({"strava": "běžná", "dotaz": "ř" * 2001}, "answers.dotaz", "Nejvýše 2000 znaků."),
    ({"strava": "běžná", "obed": "ano"}, "answers.obed", "Na tuto otázku se akce neptá."),
])
def test_a_wrong_answer_is_refused_under_its_question(answers, field, message):
    with pytest.raises(ValidationError) as refused:
        domain.check_answers(asked(), answers)
    assert refused.value.fields == {field: message}


def test_every_wrong_answer_is_told_at_once():
    with pytest.raises(ValidationError) as refused:
        domain.check_answers(asked(), {"moduly": ["X"], "neznama": 1})
    assert set(refused.value.fields) == {"answers.strava", "answers.moduly", "answers.neznama"}


def test_answered_questions_and_chosen_options_stay():
    given = [{"strava": "běžná", "parkovani": True}, {"strava": "bezlepková"}]
    relabelled = asked()
    relabelled[0] = dict(relabelled[0], label="Jakou stravu?", required=False, options=["běžná", "bezlepková", "jiná"])
    domain.check_question_changes(asked(), relabelled[::-1] + [{"id": "nova", "label": "Nová", "type": "text",
                                                                 "options": [], "required": True}], given)
    domain.check_question_changes(asked(), [q for q in asked() if q["id"] != "dotaz"], given)  # nobody answered it
    for changed, code in (([q for q in asked() if q["id"] != "parkovani"], "question_answered"),
                          ([dict(q, type="text", options=[]) if q["id"] == "parkovani" else q for q in asked()],
                           "question_answered"),
                          ([dict(q, options=["běžná", "vegetariánská"]) if q["id"] == "strava" else q
                            for q in asked()], "option_chosen")):
        with pytest.raises(Conflict) as refused:
            domain.check_question_changes(asked(), changed, given)
        assert refused.value.code == code


# Through the service


@pytest.mark.parametrize("questions, message", [
    ([{"id": "strava", "label": "Strava", "type": "choice", "options": ["jen jedna"]}],
     "Otázka č. 1, možnosti: Otázka s výběrem potřebuje aspoň dvě možnosti."),
    ([{"id": "strava", "label": "Strava", "type": "text", "options": ["a", "b"]}],
     "Otázka č. 1, možnosti: Možnosti patří jen k otázkám typu choice a choices."),
    ([{"id": "a", "label": "A", "type": "text"}, {"id": "b", "label": "B", "type": "date"}],
     "Otázka č. 2, typ: Typ otázky je text, choice, choices, nebo yes_no."),
    ([{"id": "Strava", "label": "Strava", "type": "text"}],
     "Otázka č. 1, klíč: Klíč otázky tvoří malá písmena bez diakritiky, číslice a podtržítka (nejvýše 40 znaků)."),
    ([{"id": "a", "type": "text"}], "Otázka č. 1, text otázky: Toto pole je povinné."),
    ([{"id": "a", "label": "A", "type": "choices", "options": ["x", "X"]}],
     "Otázka č. 1, možnosti: Možnosti se nesmějí opakovat."),
    ([{"id": "a", "label": "A", "type": "text"}, {"id": "a", "label": "B", "type": "yes_no"}],
     "Klíč otázky „a“ se opakuje."),
    ({"id": "a"}, "Otázky zadejte jako seznam."),
])
def test_a_wrong_definition_is_refused_in_czech(service, questions, message):
    with pytest.raises(ValidationError) as refused:
        service.create_event(event_data(questions=questions))
    assert refused.value.fields == {"questions": message}
    event = published(service)
    with pytest.raises(ValidationError) as refused:  # a change in part still checks each question whole
        service.update_event(event["id"], {"questions": questions})
    assert refused.value.fields == {"questions": message}


def test_register_with_answers_and_read_them_back(service):
    event = published(service, questions=QUESTIONS, capacity=5)
    assert service.get_event(event["id"])["questions"] == asked()
    registration = service.register(event["id"], person(1, answers={"strava": "bezlepková", "moduly": ["B"],
                                                                    "parkovani": True}))
    assert registration["answers"] == {"strava": "bezlepková", "moduly": ["B"], "parkovani": True}
    assert service.get_registration(registration["id"])["answers"] == registration["answers"]
    [listed] = service.list_registrations(event["id"])
    assert listed["answers"] == registration["answers"]
    [(_type, payload)] = service.recorded()
    assert payload["registration"]["answers"] == registration["answers"]
    assert payload["event"]["questions"] == asked()
    without = published(service)  # an event without questions: no answers, and none refused
    assert service.register(without["id"], person(1))["answers"] == {}


@pytest.mark.parametrize("answers, fields", [
    ({"moduly": ["A"]}, {"answers.strava": "Odpovězte prosím na tuto otázku."}),
    ({"strava": "masitá"}, {"answers.strava": "Vyberte jednu z nabízených možností."}),
    ({"strava": "běžná", "obed": True}, {"answers.obed": "Na tuto otázku se akce neptá."}),
])
def test_wrong_answers_write_nothing(service, answers, fields):
    event = published(service, questions=QUESTIONS)
    with pytest.raises(ValidationError) as refused:
        service.register(event["id"], person(1, answers=answers))
    assert refused.value.fields == fields
    assert service.list_registrations(event["id"]) == [] and service.recorded() == []
    assert service.get_event(event["id"])["seats_left"] == 2


def test_http_answers_422_per_question_then_201(service):
    event = published(service, questions=QUESTIONS)
    status, body = call(service, "http_register", body=person(1, answers={"strava": "masitá", "x": 1}),
                        event_id=event["id"])
    assert status == 422 and body["error"] == "validation_error"
    assert body["fields"] == {"answers.strava": "Vyberte jednu z nabízených možností.",
                              "answers.x": "Na tuto otázku se akce neptá."}
    status, body = call(service, "http_register", body=person(1, answers=["běžná"]), event_id=event["id"])
    assert (status, body["fields"]) == (422, {"answers": "Odpovědi zadejte jako objekt: klíč otázky a odpověď."})
    assert service.list_registrations(event["id"]) == []
    status, created = call(service, "http_register", body=person(1, answers={"strava": "běžná", "dotaz": "<b>?</b>"}),
                           event_id=event["id"])
    assert status == 201 and created["answers"] == {"strava": "běžná", "dotaz": "<b>?</b>"}
    assert created["event"]["questions"][0]["options"] == ["běžná", "vegetariánská", "bezlepková"]
    status, read = call(service, "http_get_registration", method="GET", token=created["token"])
    assert read["answers"] == created["answers"]


def test_export_has_a_column_per_question(service):
    event = published(service, questions=QUESTIONS, capacity=5)
    service.register(event["id"], person(1, answers={"strava": "vegetariánská", "moduly": ["A", "C"],
                                                     "parkovani": False, "dotaz": "=1+1"}))
    service.register(event["id"], person(2, answers={"strava": "běžná", "parkovani": True}))
    rows = list(csv.reader(io.StringIO(service.export_registrations(event["id"])[1:]), delimiter=";"))
    assert rows[0][-5:] == ["Účast", "Strava", "Které moduly absolvujete?", "Přijedete autem?", "Dotaz na lektora"]
    assert rows[1][-4:] == ["vegetariánská", "A, C", "ne", "'=1+1"]  # typed text stays text in Excel
    assert rows[2][-4:] == ["běžná", "", "ano", ""]


def test_questions_change_without_losing_answers(service):
    event = published(service, questions=QUESTIONS, capacity=5)
    registration = service.register(event["id"], person(1, answers={"strava": "bezlepková", "parkovani": True}))
    with pytest.raises(Conflict) as refused:
        service.update_event(event["id"], {"questions": QUESTIONS[1:]})
    assert refused.value.code == "question_answered" and "„Strava“" in refused.value.message
    with pytest.raises(Conflict) as refused:
        service.preview_event_update(event["id"], {"questions": [dict(QUESTIONS[0], options=["běžná", "jiná"])]
                                                   + QUESTIONS[1:]})
    assert refused.value.code == "option_chosen"
    service.cancel_registration(registration["id"])  # a cancelled registration's answers stay in the export too
    with pytest.raises(Conflict):
        service.update_event(event["id"], {"questions": QUESTIONS[1:]})
    changed = [dict(QUESTIONS[0], label="Jakou stravu?", required=False), QUESTIONS[2],
               {"id": "ubytovani", "label": "Ubytování", "type": "yes_no", "required": True}]  # dotaz: unanswered
    assert [q["id"] for q in service.update_event(event["id"], {"questions": changed})["questions"]] == [
        "strava", "parkovani", "ubytovani"]
    rows = list(csv.reader(io.StringIO(service.export_registrations(event["id"])[1:]), delimiter=";"))
    assert rows[0][-3:] == ["Jakou stravu?", "Přijedete autem?", "Ubytování"]
    assert rows[1][-3:] == ["bezlepková", "ano", ""]


def test_erasing_a_person_erases_their_answers(service):
    event = published(service, questions=QUESTIONS)
    registration = service.register(event["id"], person(1, answers={"strava": "bezlepková", "dotaz": "Mám alergii."}))
    service.erase_person(registration["email"])
    assert service.get_registration(registration["id"])["answers"] == {}
